#include "core/metadata/byte_io.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::metadata {

void ByteWriter::U128(absl::uint128 value) {
  U64(absl::Uint128Low64(value));
  U64(absl::Uint128High64(value));
}

void ByteWriter::Name(absl::string_view name) {
  SLUICE_ASSERT(!name.empty() && name.size() <= 255, "a name is 1..255 bytes, got ",
                name.size());
  U8(static_cast<uint8_t>(name.size()));
  Raw(base::AsBytes(name));
}

void ByteWriter::ShortBlob(ByteSpan bytes, size_t max_length) {
  SLUICE_ASSERT(bytes.size() <= max_length && max_length <= 255, "blob of ", bytes.size(),
                " bytes, at most ", max_length);
  U8(static_cast<uint8_t>(bytes.size()));
  Raw(bytes);
}

void ByteWriter::LongBlob(ByteSpan bytes) {
  SLUICE_ASSERT(bytes.size() <= UINT32_MAX, "blob of ", bytes.size(), " bytes");
  U32(static_cast<uint32_t>(bytes.size()));
  Raw(bytes);
}

ByteSpan ByteReader::Take(size_t length, absl::string_view field) {
  if (!ok()) return {};
  if (length > bytes_.size() - position_) {
    Fail(absl::StrCat(field, " needs ", length, " bytes, ", bytes_.size() - position_,
                      " left"));
    return {};
  }
  const ByteSpan taken = bytes_.subspan(position_, length);
  position_ += length;
  return taken;
}

uint8_t ByteReader::U8() {
  const ByteSpan taken = Take(1, "u8");
  return taken.empty() ? 0 : taken[0];
}

uint32_t ByteReader::U32() {
  const ByteSpan taken = Take(4, "u32");
  return taken.empty() ? 0 : base::LoadLittleEndian<uint32_t>(taken, 0);
}

uint64_t ByteReader::U64() {
  const ByteSpan taken = Take(8, "u64");
  return taken.empty() ? 0 : base::LoadLittleEndian<uint64_t>(taken, 0);
}

absl::uint128 ByteReader::U128() {
  const ByteSpan taken = Take(16, "u128");
  return taken.empty() ? 0 : base::LoadU128(taken, 0);
}

std::string ByteReader::Name() {
  const uint8_t length = U8();
  if (ok() && length == 0) Fail("empty name");
  const ByteSpan taken = Take(length, "name");
  return std::string(taken.begin(), taken.end());
}

Bytes ByteReader::ShortBlob(size_t min_length, size_t max_length) {
  const uint8_t length = U8();
  if (ok() && (length < min_length || length > max_length)) {
    Fail(absl::StrCat("blob of ", length, " bytes, expected ", min_length, "..", max_length));
  }
  const ByteSpan taken = Take(length, "blob");
  return Bytes(taken.begin(), taken.end());
}

Bytes ByteReader::LongBlob(size_t max_length) {
  const uint32_t length = U32();
  if (ok() && length > max_length) {
    Fail(absl::StrCat("blob of ", length, " bytes, at most ", max_length));
  }
  const ByteSpan taken = Take(length, "blob");
  return Bytes(taken.begin(), taken.end());
}

uint32_t ByteReader::Count(size_t element_bytes_min) {
  const uint32_t count = U32();
  if (ok() && element_bytes_min > 0 && count > remaining() / element_bytes_min) {
    Fail(absl::StrCat("count ", count, " cannot fit in the ", remaining(), " bytes left"));
    return 0;
  }
  return ok() ? count : 0;
}

void ByteReader::Fail(absl::string_view message) {
  if (ok()) error_ = absl::StrCat(message, " (at byte ", position_, ")");
}

absl::Status ByteReader::Finish() const {
  if (!ok()) return absl::InvalidArgumentError(absl::StrCat(what_, ": ", error_));
  if (position_ != bytes_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": ", bytes_.size() - position_,
                                                   " trailing bytes after byte ", position_));
  }
  return absl::OkStatus();
}

}  // namespace sluice::metadata
