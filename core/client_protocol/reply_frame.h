#pragma once
// Frames the server sends a client (PROTOCOL.md §1.3, §1.6, §1.7): replies, with
// their result section where the operation calls for one, and evictions. The client
// side's decoder is here too, following what the Node SDK checks.
//
// Reply header (256 bytes, command 8):
//   off  size field              value
//     0   48  checksum, checksum_body 0, cluster (echoed)
//    48    4  size                 256 + body
//    52 / 56 / 61  view / release / replica (echoed)
//    60    1  command              8
//   128   16  request_checksum     echoed
//   144   16  context              0
//   160   16  client               echoed
//   176    8  op                   ReplyStamp (the SDK ignores it)
//   184    8  commit               ReplyStamp (ignored)
//   192    8  timestamp            ReplyStamp (ignored)
//   200    8  request              echoed
//   208    1  operation            echoed: the SDK needs a defined value, and it decides
//                                  whether the body starts with a result section
//   216    4  status               0, or the Iggy error of a pre-commit denial
// A non-zero status always comes with an empty body (§1.3).
//
// Result section (§1.7): `[count:u32]` then count × `{index:u32, result:u32}`, first in
// the body of replies to metadata operations (64..68, 128..149 except 138),
// StoreConsumerOffset (161), DeleteConsumerOffset (162), and Register when the body is
// not empty. Success is count 0 followed by the payload — "void" successes still send
// the 4 zero bytes; a committed rejection is `[1][0][code]` with no payload.
//
// Eviction (header only, size 256, command 13): client at 128, the protocol window at
// 144 / 148 (reason 14 only), the reason at 255.

#include <cstdint>
#include <optional>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client_protocol/iggy_error.h"
#include "core/client_protocol/rejection.h"
#include "core/client_protocol/request_header.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

namespace reply_offset {
inline constexpr size_t kRequestChecksum = 128;
inline constexpr size_t kContext = 144;
inline constexpr size_t kClient = 160;
inline constexpr size_t kOp = 176;
inline constexpr size_t kCommit = 184;
inline constexpr size_t kTimestamp = 192;
inline constexpr size_t kRequest = 200;
inline constexpr size_t kOperation = 208;
inline constexpr size_t kStatus = 216;
}  // namespace reply_offset

namespace eviction_offset {
inline constexpr size_t kClient = 128;
inline constexpr size_t kVersionMax = 144;
inline constexpr size_t kVersionMin = 148;
inline constexpr size_t kReason = 255;
}  // namespace eviction_offset

inline constexpr size_t kResultSectionSuccessBytes = 4;
inline constexpr size_t kResultSectionRejectionBytes = 12;

// Reply header fields the SDK ignores, for the server's own bookkeeping.
struct ReplyStamp {
  uint64_t op = 0;
  uint64_t commit = 0;
  uint64_t timestamp = 0;
};

// True for the operations whose reply body starts with a result section (Register's
// only when its body is not empty; this returns true for it).
bool HasResultSection(wire::Operation operation);

// A success: status 0 and `payload`, after `[0:u32]` when HasResultSection(operation)
// (Register: only if `payload` is not empty).
Bytes EncodeReply(const RequestHeader& request, ByteSpan payload, const ReplyStamp& stamp = {});

// A pre-commit denial: status = `error` (not kOk), empty body.
Bytes EncodeStatusReply(const RequestHeader& request, IggyError error,
                        const ReplyStamp& stamp = {});

// A committed rejection: status 0, body `[1][0][error]`. Requires an operation with a
// result section (asserted) and error != kOk.
Bytes EncodeResultRejection(const RequestHeader& request, IggyError error,
                            const ReplyStamp& stamp = {});

// An eviction of `client` (not 0). The window goes out only for kIncompatibleProtocol.
Bytes EncodeEviction(absl::uint128 client, EvictionReason reason, uint32_t version_max = 0,
                     uint32_t version_min = 0);

// The answer to `frame`, which DecodeClientFrame (or a later check: session gate,
// login, planning) refused with `status`: a status reply or an eviction echoing the
// frame's header (IncompatibleProtocol with the server's window), or nullopt when the
// connection must be closed. A status that did not come from this package is
// answered with status kError. Requires status not OK.
std::optional<Bytes> EncodeRejection(ByteSpan frame, const absl::Status& status);

// --- client side ---

struct DecodedReply {
  bool eviction = false;
  absl::uint128 client = 0;
  // Reply only.
  uint64_t request = 0;
  wire::Operation operation = wire::Operation::kReserved;
  uint32_t status = 0;
  // The result section's code (0 = success, else the first entry's result), when the
  // body had one; nullopt otherwise.
  std::optional<uint32_t> result;
  ByteSpan payload;  // after the result section; views the frame
  // Eviction only.
  uint8_t reason = 0;
  uint32_t version_max = 0;
  uint32_t version_min = 0;
  // The error the Node SDK raises for this frame: status, result, or the eviction's.
  IggyError Error() const;
};

// Decodes one whole server frame as the Node SDK does: 256 <= size == frame.size();
// command 8 or 13; a reply's operation a defined Operation; a non-zero status only
// with an empty body; a result section at least 4 bytes and holding its entries.
// InvalidArgument otherwise (the SDK's error 3).
absl::StatusOr<DecodedReply> DecodeReplyFrame(ByteSpan frame);

}  // namespace sluice::client_protocol
