#pragma once
// Fixed-width hexadecimal for error messages, so a checksum in a message always
// has the same shape ("0x" + 16 or 32 digits) and can be compared by eye.
// Internal to core/wire.

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"

namespace sluice::wire::internal {

inline std::string Hex64(uint64_t value) {
  return absl::StrCat("0x", absl::Hex(value, absl::kZeroPad16));
}

inline std::string Hex128(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

}  // namespace sluice::wire::internal
