#include "core/wire/user_headers.h"

#include "absl/strings/str_cat.h"

namespace sluice::wire {
namespace {

// The width a kind's value must have, 0 for the variable-width kinds (Raw, String),
// or -1 for a kind that is not defined.
int FixedWidthOfKind(uint8_t kind) {
  switch (kind) {
    case 1:
    case 2:
      return 0;  // Raw, String
    case 3:
    case 4:
    case 9:
      return 1;  // Bool, Int8, Uint8
    case 5:
    case 10:
      return 2;  // Int16, Uint16
    case 6:
    case 11:
    case 14:
      return 4;  // Int32, Uint32, Float
    case 7:
    case 12:
    case 15:
      return 8;  // Int64, Uint64, Double
    case 8:
    case 13:
      return 16;  // Int128, Uint128
    default:
      return -1;
  }
}

}  // namespace

absl::Status ValidateUserHeaders(ByteSpan user_headers) {
  size_t position = 0;
  size_t field_count = 0;
  // Each TLV consumes at least 6 bytes, so the loop runs at most size / 6 times.
  while (position < user_headers.size()) {
    const size_t remaining = user_headers.size() - position;
    if (remaining < kUserHeaderTlvPrefixSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "user header at byte ", position, " truncated: expected a ", kUserHeaderTlvPrefixSize,
          "-byte kind and length, found ", remaining, " bytes"));
    }
    const uint8_t kind = user_headers[position];
    const uint32_t length = base::LoadLittleEndian<uint32_t>(user_headers, position + 1);
    const int width = FixedWidthOfKind(kind);
    if (width < 0) {
      return absl::InvalidArgumentError(absl::StrCat("user header at byte ", position,
                                                     " has unknown kind ", static_cast<int>(kind),
                                                     ": expected 1..15"));
    }
    if (length == 0 || length > kUserHeaderFieldSizeMax) {
      return absl::InvalidArgumentError(absl::StrCat("user header at byte ", position,
                                                     " has length ", length, ": expected 1..",
                                                     kUserHeaderFieldSizeMax));
    }
    if (width > 0 && length != static_cast<uint32_t>(width)) {
      return absl::InvalidArgumentError(absl::StrCat("user header at byte ", position, " of kind ",
                                                     static_cast<int>(kind), " has length ", length,
                                                     ": expected ", width));
    }
    if (length > remaining - kUserHeaderTlvPrefixSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("user header at byte ", position, " truncated: length ", length,
                       " but only ", remaining - kUserHeaderTlvPrefixSize, " bytes follow"));
    }
    position += kUserHeaderTlvPrefixSize + length;
    ++field_count;
  }
  if (field_count % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user headers hold ", field_count, " fields: expected key/value pairs (an even count)"));
  }
  return absl::OkStatus();
}

}  // namespace sluice::wire
