#pragma once
// Byte buffers and little-endian fixed-width encoding. Every on-disk and wire
// integer in Sluice is little-endian (FORMATS.md); these helpers are the only
// place that knows how to lay one out.

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "absl/numeric/int128.h"
#include "core/base/assert.h"

namespace sluice {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

static_assert(std::endian::native == std::endian::little,
              "Sluice's encoders copy integers directly; add byte swaps for big-endian hosts");

namespace base {

template <typename T>
T LoadLittleEndian(ByteSpan bytes, size_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  SLUICE_ASSERT(offset + sizeof(T) <= bytes.size(), "load of ", sizeof(T), " bytes at ",
                offset, " past buffer of ", bytes.size());
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

template <typename T>
void StoreLittleEndian(MutableByteSpan bytes, size_t offset, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  SLUICE_ASSERT(offset + sizeof(T) <= bytes.size(), "store of ", sizeof(T), " bytes at ",
                offset, " past buffer of ", bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

inline absl::uint128 LoadU128(ByteSpan bytes, size_t offset) {
  const uint64_t low = LoadLittleEndian<uint64_t>(bytes, offset);
  const uint64_t high = LoadLittleEndian<uint64_t>(bytes, offset + 8);
  return absl::MakeUint128(high, low);
}

inline void StoreU128(MutableByteSpan bytes, size_t offset, absl::uint128 value) {
  StoreLittleEndian<uint64_t>(bytes, offset, absl::Uint128Low64(value));
  StoreLittleEndian<uint64_t>(bytes, offset + 8, absl::Uint128High64(value));
}

inline ByteSpan AsBytes(absl::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace base
}  // namespace sluice
