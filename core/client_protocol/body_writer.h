#pragma once
// Internal: the little-endian appender the request encoder and the reply payloads
// share. Preconditions (a name of 1..255 bytes, ...) are asserted: everything written
// here was validated before (decoded requests, the metadata state).

#include <cstdint>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/metadata/identifier.h"

namespace sluice::client_protocol::internal {

class BodyWriter {
 public:
  BodyWriter() = default;
  explicit BodyWriter(size_t reserve_bytes) { bytes_.reserve(reserve_bytes); }

  void U8(uint8_t value) { bytes_.push_back(value); }
  void U16(uint16_t value) { Fixed(value); }
  void U32(uint32_t value) { Fixed(value); }
  void U64(uint64_t value) { Fixed(value); }
  void F32(float value) { Fixed(value); }
  void U128(absl::uint128 value) {
    U64(absl::Uint128Low64(value));
    U64(absl::Uint128High64(value));
  }
  void Raw(ByteSpan bytes) { bytes_.insert(bytes_.end(), bytes.begin(), bytes.end()); }
  void Raw(absl::string_view text) { Raw(base::AsBytes(text)); }
  // [len:u8][bytes]; asserts len <= 255.
  void ShortString(absl::string_view text) {
    SLUICE_ASSERT(text.size() <= 255, "short string of ", text.size(), " bytes");
    U8(static_cast<uint8_t>(text.size()));
    Raw(text);
  }
  // Iggy's Name: [len:u8][1..255 bytes].
  void Name(absl::string_view name) {
    SLUICE_ASSERT(!name.empty(), "empty name");
    ShortString(name);
  }
  // [len:u32][bytes].
  void LongString(absl::string_view text) {
    SLUICE_ASSERT(text.size() <= UINT32_MAX, "string of ", text.size(), " bytes");
    U32(static_cast<uint32_t>(text.size()));
    Raw(text);
  }
  // Iggy's Identifier: [kind:u8][len:u8][value].
  void Id(const metadata::Identifier& id) {
    U8(static_cast<uint8_t>(id.kind));
    if (id.kind == metadata::Identifier::Kind::kNumeric) {
      U8(4);
      U32(id.numeric);
    } else {
      Name(id.name);
    }
  }
  void PatchU32(size_t at, uint32_t value) {
    base::StoreLittleEndian<uint32_t>(MutableByteSpan(bytes_), at, value);
  }

  size_t size() const { return bytes_.size(); }
  const Bytes& bytes() const { return bytes_; }
  Bytes Take() && { return std::move(bytes_); }

 private:
  template <typename T>
  void Fixed(T value) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &value, sizeof(T));
  }
  Bytes bytes_;
};

}  // namespace sluice::client_protocol::internal
