#pragma once
// A message's user headers (PROTOCOL.md §3): a sequence of key TLV + value TLV
// pairs, with no count and no prefix; the frame's user_headers_length bounds it.
//
//   TLV = [kind:u8][len:u32 LE][len bytes]
//   kind: 1 Raw, 2 String, 3 Bool, 4 Int8, 5 Int16, 6 Int32, 7 Int64, 8 Int128,
//         9 Uint8, 10 Uint16, 11 Uint32, 12 Uint64, 13 Uint128, 14 Float, 15 Double
//   len:  1..255; for the fixed-width kinds exactly their width (Bool 1, Int8 1,
//         Int16 2, Int32 4, Int64 8, Int128 16, ..., Float 4, Double 8)
//
// The server stores and serves user headers unchanged, so it checks them once at the
// edge: a consumer's SDK parses them on every poll and must not meet garbage.

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace sluice::wire {

inline constexpr size_t kUserHeaderTlvPrefixSize = 5;  // kind u8 + len u32
inline constexpr uint32_t kUserHeaderFieldSizeMax = 255;

// OK when `user_headers` is empty or a whole number of well-formed key/value TLV
// pairs filling it exactly; otherwise InvalidArgument naming the byte offset (within
// the user headers) of the bad TLV and what was wrong. Never reads out of bounds.
absl::Status ValidateUserHeaders(ByteSpan user_headers);

}  // namespace sluice::wire
