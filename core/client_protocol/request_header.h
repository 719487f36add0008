#pragma once
// The 256-byte header of a client request (PROTOCOL.md §1.2), checked where the
// frame enters (rule B13). The common prefix is core/wire/header.h's; the request
// fields from offset 128 are the client protocol's own:
//
//   off size field              Node SDK writes
//   128  16  client (u128)      random non-zero id per registration
//   144  16  request_checksum   0 = unstamped; else XXH3-64 of the body, zero-extended
//   160   8  timestamp          0
//   168   8  request (u64)      §1.5
//   176   1  operation (u8)     §1.4
//   177   7  padding            0
//   184   8  session (u64)      0 before login, else the Register reply's session
//   192   4  user_id            0 (ignored)
//   196   4  command code       the classic code, only when operation = NonReplicated
//   200  56  reserved           0
//
// The SDK sends zero header and body checksums, so a client frame is checked
// structurally (FORMATS.md §1), not by checksum. Padding and reserved bytes are not
// checked: Iggy's server ignores them and SDKs other than Node may not zero them.

#include <cstddef>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/wire/batch.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

namespace request_offset {
inline constexpr size_t kClient = 128;
inline constexpr size_t kRequestChecksum = 144;
inline constexpr size_t kTimestamp = 160;
inline constexpr size_t kRequest = 168;
inline constexpr size_t kOperation = 176;
inline constexpr size_t kPadding = 177;  // .. 184
inline constexpr size_t kSession = 184;
inline constexpr size_t kUserId = 192;
inline constexpr size_t kCommandCode = 196;
inline constexpr size_t kReserved = 200;  // .. 256
}  // namespace request_offset

// Iggy's default max_message_size (§1.1).
inline constexpr uint32_t kFrameSizeBytesMaxDefault = uint32_t{64} << 20;

struct ClientLimits {
  // Frames above this are refused by closing the connection (§1.1). At least 256.
  uint32_t frame_size_bytes_max = kFrameSizeBytesMaxDefault;
  // The largest message batch SendMessages may carry: the partition prepare's bound
  // (a batch becomes one prepare body), not Iggy's 64 MiB.
  uint64_t batch_size_bytes_max = wire::kBatchSizeBytesMaxDefault;
};

struct RequestHeader {
  // Common prefix (echoed in the reply).
  absl::uint128 cluster = 0;
  uint32_t size = 0;  // header + body
  uint32_t view = 0;
  uint32_t release = 0;
  uint8_t replica = 0;
  // Request fields.
  absl::uint128 client = 0;
  absl::uint128 request_checksum = 0;
  uint64_t timestamp = 0;
  uint64_t request = 0;
  wire::Operation operation = wire::Operation::kReserved;
  uint64_t session = 0;
  uint32_t user_id = 0;
  uint32_t command_code = 0;  // bytes 196..199; meaningful for NonReplicated only
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

// For framing a byte stream: the `size` of a frame whose first 256 bytes are
// `header`, once it is within 256..limits.frame_size_bytes_max. Otherwise a
// CloseConnection rejection (the stream cannot be re-synchronised).
absl::StatusOr<uint32_t> PeekFrameSize(ByteSpan header, const ClientLimits& limits);

// Validates the header of one whole request frame (exactly the frame: size field ==
// frame.size()), in this order (rejection.h):
//   1. frame.size() >= 256; 256 <= size <= frame_size_bytes_max; size == frame.size()
//                                                                     close
//   2. command = 5 (Request); client != 0                             close
//   3. operation: a value a client may send (1, 2, 3, 128..149, 160..162)   close
//   4. numbering (§1.2): Register has session = 0 and request = 0; operations other
//      than NonReplicated have session > 0 and request > 0, except that partition
//      operations (160..162) with request 0 are normalised to request 1, as Iggy's
//      server does                                                    close
//   5. request_checksum 0, or = XXH3-64 of the body (zero-extended)   status 4
// The returned header has every field as read (request normalised per 4).
absl::StatusOr<RequestHeader> DecodeRequestHeader(ByteSpan frame, const ClientLimits& limits);

// The header fields of a frame of at least 256 bytes, read without any validation:
// for answering a frame DecodeRequestHeader already accepted.
RequestHeader LoadRequestHeader(ByteSpan frame);

// Writes every byte of a request header into `out` (exactly 256 bytes): the fields of
// `header` as given (size included), command = Request, zero checksums, padding and
// reserved bytes. The SDK side of the header: for tests and Sluice's own client.
void EncodeRequestHeader(const RequestHeader& header, MutableByteSpan out);

// XXH3-64 of a body, zero-extended to the u128 request_checksum field (§1.2).
absl::uint128 RequestChecksumOf(ByteSpan body);

}  // namespace sluice::client_protocol
