#pragma once
// Internal: the little-endian writer and the bounds-checked reader that the body
// codec and the snapshot codec share.
//
// ByteReader never reads past its span and never crashes on any input: the first
// failure (too few bytes, a bad length, a value out of range) is remembered, every
// later read returns zero/empty, and Finish() reports it — or trailing bytes. So a
// decoder reads its fields straight through and checks once at the end. Lengths and
// counts taken from input are checked against the bytes that remain before anything
// is allocated for them.

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"

namespace sluice::metadata {

class ByteWriter {
 public:
  void U8(uint8_t value) { bytes_.push_back(value); }
  void U32(uint32_t value) { Fixed(value); }
  void U64(uint64_t value) { Fixed(value); }
  void U128(absl::uint128 value);
  void Raw(ByteSpan bytes) { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
  // [len:u8][bytes]; asserts 1 <= len <= 255 (Iggy's Name).
  void Name(absl::string_view name);
  // [len:u8][bytes]; asserts len <= max_length.
  void ShortBlob(ByteSpan bytes, size_t max_length);
  // [len:u32][bytes].
  void LongBlob(ByteSpan bytes);

  Bytes Take() && { return std::move(bytes_); }
  const Bytes& bytes() const { return bytes_; }

 private:
  template <typename T>
  void Fixed(T value) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    base::StoreLittleEndian<T>(MutableByteSpan(bytes_), at, value);
  }
  Bytes bytes_;
};

class ByteReader {
 public:
  // `what` names the thing being decoded in error messages ("create_topic body").
  ByteReader(ByteSpan bytes, absl::string_view what) : bytes_(bytes), what_(what) {}

  uint8_t U8();
  uint32_t U32();
  uint64_t U64();
  absl::uint128 U128();
  // A Name: [len:u8][1..255 bytes].
  std::string Name();
  // [len:u8][min_length..max_length bytes].
  Bytes ShortBlob(size_t min_length, size_t max_length);
  // [len:u32][0..max_length bytes].
  Bytes LongBlob(size_t max_length);
  // A count of elements each at least `element_bytes_min` long: fails if the bytes
  // left cannot hold that many (so a hostile count never drives an allocation).
  uint32_t Count(size_t element_bytes_min);

  // Records a failure (the first one wins) with a message naming the field.
  void Fail(absl::string_view message);
  bool ok() const { return error_.empty(); }
  size_t remaining() const { return ok() ? bytes_.size() - position_ : 0; }

  // OK if no read failed and every byte was consumed; InvalidArgument otherwise,
  // naming `what`, the offset and the reason.
  absl::Status Finish() const;

 private:
  // The next `length` bytes, or an empty span after recording a failure.
  ByteSpan Take(size_t length, absl::string_view field);

  ByteSpan bytes_;
  std::string what_;
  size_t position_ = 0;
  std::string error_;
};

}  // namespace sluice::metadata
