#pragma once
// The 256-byte consensus header (FORMATS.md §1, Iggy's layout) and the prepare
// that travels in it.
//
// Common prefix, identical for every command (all integers little-endian):
//
//   offset size field
//      0   16  checksum       XXH3-128 over header bytes 16..256 (everything after
//                             itself, checksum_body included, so it covers the body
//                             transitively: it is the frame's identity and the link
//                             of the hash chain)
//     16   16  checksum_body  XXH3-128 over the body, bytes 256..size of the frame
//     32   16  cluster        cluster id
//     48    4  size           header + body, in bytes (>= 256)
//     52    4  view
//     56    4  release
//     60    1  command        (command.h)
//     61    1  replica        index of the sending replica
//     62   66  reserved       zero
//    128  128  command-specific fields
//
// Prepare fields (command 6) from offset 128:
//
//    128   16  client            client id of the request (0 for primary-made ops)
//    144   16  parent            checksum of the previous prepare of the same group
//    160   16  request_checksum  checksum of the client request's body
//    176    8  op
//    184    8  commit            the group's commit number when this was prepared
//    192    8  timestamp         µs, stamped by the primary (per-group monotonic)
//    200    8  request           client request number
//    208    1  operation         (operation.h)
//    209    7  padding           zero
//    216    8  namespace         consensus group: 0 metadata, bit 63 = partition
//    224    8  incarnation       Sluice: the partition group's incarnation (the op
//                                of the metadata operation that created it; 0 for
//                                the metadata group). Iggy leaves 224..256 reserved.
//    232   24  reserved          zero
//
// Validation (rule B13): a frame is decoded and checked once, where it enters (the
// replica port, or a journal/segment read), by DecodePrepare. Only DecodePrepare
// makes a ValidatedPrepare, and later stages take that type instead of bytes.

#include <cstddef>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/wire/command.h"
#include "core/wire/operation.h"

namespace sluice::wire {

inline constexpr size_t kHeaderSize = 256;

// Byte offsets of the header fields (see the table above).
namespace header_offset {
inline constexpr size_t kChecksum = 0;
inline constexpr size_t kChecksumBody = 16;
inline constexpr size_t kCluster = 32;
inline constexpr size_t kSize = 48;
inline constexpr size_t kView = 52;
inline constexpr size_t kRelease = 56;
inline constexpr size_t kCommand = 60;
inline constexpr size_t kReplica = 61;
inline constexpr size_t kReserved = 62;  // .. 128
inline constexpr size_t kCommandSpecific = 128;
// The span covered by `checksum`.
inline constexpr size_t kChecksummedBegin = 16;

// Prepare.
inline constexpr size_t kClient = 128;
inline constexpr size_t kParent = 144;
inline constexpr size_t kRequestChecksum = 160;
inline constexpr size_t kOp = 176;
inline constexpr size_t kCommit = 184;
inline constexpr size_t kTimestamp = 192;
inline constexpr size_t kRequest = 200;
inline constexpr size_t kOperation = 208;
inline constexpr size_t kOperationPadding = 209;  // .. 216
inline constexpr size_t kNamespace = 216;
inline constexpr size_t kIncarnation = 224;
inline constexpr size_t kPrepareReserved = 232;  // .. 256
}  // namespace header_offset

// Largest body a header can describe: `size` is a u32 that includes the header.
inline constexpr size_t kBodySizeMax = uint32_t{0xFFFFFFFF} - kHeaderSize;

// The fields of a prepare a sender chooses. `size`, `command` and both checksums are
// derived by the encoder, so they are not here.
struct PrepareHeader {
  absl::uint128 cluster = 0;
  uint32_t view = 0;
  uint32_t release = 0;
  uint8_t replica = 0;

  absl::uint128 client = 0;
  absl::uint128 parent = 0;
  absl::uint128 request_checksum = 0;
  uint64_t op = 0;
  uint64_t commit = 0;
  uint64_t timestamp = 0;  // µs since the Unix epoch
  uint64_t request = 0;
  Operation operation = Operation::kReserved;
  uint64_t namespace_id = 0;  // The header's `namespace` field (a C++ keyword).
  uint64_t incarnation = 0;

  friend bool operator==(const PrepareHeader&, const PrepareHeader&) = default;
};

// Computes both checksums of a header whose other fields are already written:
// checksum_body (bytes 16..32) = XXH3-128(body), then checksum (bytes 0..16) =
// XXH3-128(header bytes 16..256). Works for every command. Requires
// header.size() == 256 and the size field == 256 + body.size().
void SealHeader(MutableByteSpan header, ByteSpan body);

// Writes every byte of a prepare header into `out` (exactly 256 bytes): the fields of
// `header`, command = prepare, size = 256 + body.size(), zeroed reserved bytes and
// padding, and both checksums over `body` (SealHeader). Allocates nothing.
// Requires a replicated operation (IsReplicatedOperation) and body.size() <= kBodySizeMax:
// the primary builds prepares only from requests it already validated.
void EncodePrepareHeader(const PrepareHeader& header, ByteSpan body, MutableByteSpan out);

// The whole frame: the encoded header followed by a copy of `body`.
Bytes EncodePrepare(const PrepareHeader& header, ByteSpan body);

// The prepare fields of a 256-byte header, read without any validation: for callers
// that validated the header themselves (e.g. a journal's redundant header copies).
PrepareHeader LoadPrepareFields(ByteSpan header);

// The header checksum (bytes 0..16) of a frame this replica encoded or already
// validated: the value the next prepare of the same group carries as `parent`.
// Reads the field; it does not verify it. Requires frame.size() >= 256.
absl::uint128 PrepareChecksum(ByteSpan frame);

// A prepare that passed DecodePrepare. Only DecodePrepare constructs one, so holding
// it is proof that the frame's checksums, size, cluster, command, reserved bytes and
// operation were checked (rule B13).
//
// It views the caller's bytes (no copy, so no allocation per frame): the caller keeps
// the frame alive and unmodified for as long as it uses the ValidatedPrepare.
class ValidatedPrepare {
 public:
  const PrepareHeader& header() const { return header_; }
  absl::uint128 checksum() const { return checksum_; }  // Hash-chain link.
  absl::uint128 checksum_body() const { return checksum_body_; }
  ByteSpan frame() const { return frame_; }  // Header and body.
  ByteSpan body() const { return frame_.subspan(kHeaderSize); }

 private:
  ValidatedPrepare(const PrepareHeader& header, absl::uint128 checksum, absl::uint128 checksum_body,
                   ByteSpan frame)
      : header_(header), checksum_(checksum), checksum_body_(checksum_body), frame_(frame) {}
  friend absl::StatusOr<ValidatedPrepare> DecodePrepare(ByteSpan frame,
                                                        absl::uint128 expected_cluster);

  PrepareHeader header_;
  absl::uint128 checksum_;
  absl::uint128 checksum_body_;
  ByteSpan frame_;
};

// Checks the common prefix of a replica-port or on-disk frame, in this order:
//   1. frame.size() >= 256                               (kDataLoss)
//   2. header checksum over bytes 16..256                 (kDataLoss)
//   3. size field == frame.size()                         (kDataLoss)
//   4. body checksum over bytes 256..size                 (kDataLoss)
//   5. cluster == expected_cluster                        (kInvalidArgument)
//   6. command == expected_command                        (kInvalidArgument)
//   7. reserved bytes 62..128 all zero                    (kInvalidArgument)
// The header checksum is checked before any field is believed, so a torn or flipped
// header reports a checksum mismatch rather than a misleading field error.
// Messages name the frame by its expected command ("prepare header checksum ...").
// For the decoders of each command in this package; callers outside it use those.
absl::Status CheckFramePrefix(ByteSpan frame, absl::uint128 expected_cluster,
                              Command expected_command);

// Validates a prepare frame (header and body, nothing after it): CheckFramePrefix
// with command prepare, then padding 209..216 and reserved 232..256 zero, and a
// replicated operation (kInvalidArgument). Messages name the field, the expected and
// the found value, e.g. "prepare header checksum mismatch over bytes 16..256:
// expected 0x..., found 0x...".
absl::StatusOr<ValidatedPrepare> DecodePrepare(ByteSpan frame, absl::uint128 expected_cluster);

}  // namespace sluice::wire
