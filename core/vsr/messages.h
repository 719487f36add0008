#pragma once
// The replica-to-replica messages of VSR other than the prepare itself (which is
// wire::EncodePrepare / DecodePrepare): their layouts, encoders and decoders.
//
// Every message is a 256-byte consensus header (FORMATS.md §1: the common prefix
// up to byte 128, sealed with wire::SealHeader so both checksums are set) followed
// by a body. The command-specific bytes 128..256 are Sluice's own layouts, listed
// per message below; every byte not named is zero and checked to be zero. Every
// message that names a partition group carries the group's incarnation, so a
// message for another incarnation of a namespace is rejected by the receiver, never
// routed elsewhere.
//
// Validation (rule B13): Decode* checks the frame prefix (wire::CheckFramePrefix:
// checksums, size, cluster, command, reserved 62..128), then the command-specific
// bytes, and returns a typed message; the replica handles only decoded messages.
//
// Bounds: messages that carry state for many groups (commit heartbeats,
// do_view_change, start_view) are split into chunks that each fit the network's
// frame limit. Every chunk names its index and the chunk count, and carries the
// checksum of the whole record sequence, so a receiver assembling chunks from two
// different senders' states (a sender that restarted between them) detects it.

#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/wire/command.h"
#include "core/wire/header.h"

namespace sluice::vsr {

// A consensus group: namespace 0 is the metadata group (incarnation 0); bit 63
// set is a partition group, whose incarnation is the op that created it.
struct GroupId {
  uint64_t namespace_id = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const GroupId&, const GroupId&) = default;
  friend auto operator<=>(const GroupId&, const GroupId&) = default;
};

// A snapshot of a group's state, as state sync names and verifies it (rule B15;
// GroupLog serves, stages and installs it).
struct SnapshotId {
  uint64_t op = 0;                // the state after applying every op <= op (committed)
  absl::uint128 op_checksum = 0;  // the prepare checksum of op: the base of the chain above
  uint64_t size_bytes = 0;
  absl::uint128 checksum = 0;     // XXH3-128 of the snapshot's bytes
  friend bool operator==(const SnapshotId&, const SnapshotId&) = default;
};

// The common prefix fields every message carries.
struct MessageFrom {
  uint32_t view = 0;
  uint8_t replica = 0;
};

// prepare_ok (7), sent by a backup once the prepare is durable in its log.
//   128 parent u128, 144 prepare_checksum u128, 160 op u64, 168 commit u64,
//   176 timestamp u64, 184 request u64, 192 operation u8 (+7 zero),
//   200 namespace u64, 208 incarnation u64, 216..256 zero. No body.
struct PrepareOk {
  MessageFrom from;
  GroupId group;
  absl::uint128 parent = 0;
  absl::uint128 prepare_checksum = 0;
  uint64_t op = 0;
  uint64_t commit = 0;
  uint64_t timestamp = 0;
  uint64_t request = 0;
  wire::Operation operation = wire::Operation::kReserved;
};

// One group's commit point, as the commit heartbeat carries it (40 bytes):
//   namespace u64, incarnation u64, commit u64, commit_checksum u128.
struct CommitPoint {
  GroupId group;
  uint64_t commit = 0;
  absl::uint128 commit_checksum = 0;  // checksum of op `commit` (0 for op 0 of a new group)
};

// The fields every chunked message has at 128:
//   128 chunk_index u32, 132 chunk_count u32, 136 record_count u32 (this chunk),
//   140 log_view u32 (do_view_change only; zero otherwise),
//   144 content_checksum u128 (XXH3-128 of every chunk's records, concatenated),
//   160..256 zero.
struct ChunkInfo {
  uint32_t chunk_index = 0;
  uint32_t chunk_count = 1;
  absl::uint128 content_checksum = 0;
};

// commit (9): the primary's replica-wide heartbeat, carrying every group's commit
// point. Body: record_count CommitPoint records.
struct CommitChunk {
  MessageFrom from;
  ChunkInfo chunk;
  std::vector<CommitPoint> points;
};

// start_view_change (10): header only, bytes 128..256 zero.
struct StartViewChange {
  MessageFrom from;
};

// One group's state in a do_view_change (64 bytes): namespace u64, incarnation u64,
// log_view u32, zero u32, commit u64, head_op u64, head_checksum u128,
// faulty_head_op u64.
//  - head: the highest op of the group's log in log_view this replica knows the
//    checksum of (its last clean op, or a higher canonical head it was told of);
//  - faulty_head_op: the highest op this replica may have acknowledged in log_view:
//    the highest op for which it holds any entry, clean or faulty — except entries
//    above its head that are provably leftovers of views older than log_view (never
//    committed: Replica::PromisedHeadOp). Every op up to it may have been
//    acknowledged by this replica, so it never counts as a nack for them.
// The log view of a removed group's record (a tombstone, in a do_view_change and in
// the durable view state): the group was deleted by a committed op, so whatever it
// held no longer matters — but a replica that removed it must not pass for one that
// never held it (a nack) while a peer still hosts it.
inline constexpr uint32_t kRemovedLogView = UINT32_MAX;

struct DoViewChangeRecord {
  GroupId group;
  uint32_t log_view = 0;
  uint64_t commit = 0;
  uint64_t head_op = 0;
  absl::uint128 head_checksum = 0;
  uint64_t faulty_head_op = 0;
  friend bool operator==(const DoViewChangeRecord&, const DoViewChangeRecord&) = default;
};

// do_view_change (11): to the new primary. Body: DoViewChangeRecord records.
struct DoViewChangeChunk {
  MessageFrom from;
  uint32_t log_view = 0;  // the replica-wide log view (each record has its group's)
  ChunkInfo chunk;
  std::vector<DoViewChangeRecord> records;
};

// One group's canonical state in a start_view (48 bytes): namespace u64,
// incarnation u64, commit u64, head_op u64, head_checksum u128.
struct StartViewRecord {
  GroupId group;
  uint64_t commit = 0;
  uint64_t head_op = 0;
  absl::uint128 head_checksum = 0;
  friend bool operator==(const StartViewRecord&, const StartViewRecord&) = default;
};

// start_view (12): from the new primary. Body: StartViewRecord records.
struct StartViewChunk {
  MessageFrom from;
  ChunkInfo chunk;
  std::vector<StartViewRecord> records;
};

// request_prepare (32): asks a peer for the prepare of `op` whose checksum is
// `checksum`. 128 checksum u128, 144 op u64, 152 namespace u64, 160 incarnation u64,
// 168..256 zero. No body. The answer is the prepare frame itself.
struct RequestPrepare {
  MessageFrom from;
  GroupId group;
  uint64_t op = 0;
  absl::uint128 checksum = 0;
};

// request_headers (33): asks for the prepare headers of ops op_min..op_max.
//   128 op_min u64, 136 op_max u64, 144 namespace u64, 152 incarnation u64, 160..256 zero.
struct RequestHeaders {
  MessageFrom from;
  GroupId group;
  uint64_t op_min = 0;
  uint64_t op_max = 0;
};

// headers (34): prepare headers (256 bytes each, exactly as prepared) of one group.
//   128 namespace u64, 136 incarnation u64, 144 count u32, 148..256 zero.
// Decoding checks each header's own checksum, cluster, command (prepare) and group;
// a header proves its own fields (its checksum covers its parent), not that it is
// canonical: the receiver links it to a checksum it already knows.
struct HeadersMessage {
  MessageFrom from;
  GroupId group;
  std::vector<wire::PrepareHeader> headers;
  std::vector<absl::uint128> checksums;  // checksums[i] is headers[i]'s
};

// request_sync (35): asks a peer for a chunk of its served snapshot of a group
// (rule B15). Header only:
//   128 snapshot_checksum u128, 144 snapshot_op u64 (both zero: whichever snapshot the
//   peer serves), 152 offset u64, 160 namespace u64, 168 incarnation u64,
//   176 op_min u64 (the lowest op the requester lacks: a snapshot below it is useless),
//   184..256 zero.
// A peer serving another snapshot than the one named answers with that one's first
// chunk: the requester decides whether to switch.
struct RequestSync {
  MessageFrom from;
  GroupId group;
  uint64_t snapshot_op = 0;
  absl::uint128 snapshot_checksum = 0;
  uint64_t offset = 0;
  uint64_t op_min = 0;
};

// sync_chunk (36): bytes offset .. offset + body size of a group's snapshot.
//   128 snapshot_checksum u128, 144 op_checksum u128, 160 snapshot_op u64,
//   168 snapshot_size u64, 176 offset u64, 184 namespace u64, 192 incarnation u64,
//   200..256 zero. Body: the bytes (non-empty unless the snapshot is empty).
// The frame's body checksum covers the chunk; snapshot_checksum covers the whole
// snapshot, which the receiver verifies before installing it.
struct SyncChunk {
  MessageFrom from;
  GroupId group;
  SnapshotId snapshot;
  uint64_t offset = 0;
  ByteSpan bytes;  // points into the decoded frame
};

// ping (1): a replica formatted with `--recover` (rule B17) asks every peer for its
// view; only answers carrying its nonce count. 128 nonce u64, 136..256 zero.
struct Ping {
  MessageFrom from;
  uint64_t nonce = 0;
};

// pong (2): the answer. The header's view field is the sender's view; durable_view is
// the highest view it persisted (promised: views it only heard of are not promises).
//   128 nonce u64, 136 status u8 (0 normal, 1 view change), 137..140 zero,
//   140 durable_view u32, 144..256 zero.
struct Pong {
  MessageFrom from;
  uint64_t nonce = 0;
  bool normal = false;
  uint32_t durable_view = 0;
};

// Record sizes, for chunking.
inline constexpr size_t kCommitPointSizeBytes = 40;
inline constexpr size_t kDoViewChangeRecordSizeBytes = 64;
inline constexpr size_t kStartViewRecordSizeBytes = 48;

// The command byte of a framed message (no validation): for dispatch.
wire::Command PeekCommand(ByteSpan frame);

Bytes EncodePrepareOk(absl::uint128 cluster, const PrepareOk& message);
absl::StatusOr<PrepareOk> DecodePrepareOk(ByteSpan frame, absl::uint128 cluster);

// Each encoder of a chunked message splits `records` into chunks of at most
// `frame_size_max_bytes` each (at least one chunk, possibly empty).
std::vector<Bytes> EncodeCommit(absl::uint128 cluster, MessageFrom from,
                                const std::vector<CommitPoint>& points,
                                size_t frame_size_max_bytes);
absl::StatusOr<CommitChunk> DecodeCommit(ByteSpan frame, absl::uint128 cluster);

Bytes EncodeStartViewChange(absl::uint128 cluster, MessageFrom from);
absl::StatusOr<StartViewChange> DecodeStartViewChange(ByteSpan frame, absl::uint128 cluster);

std::vector<Bytes> EncodeDoViewChange(absl::uint128 cluster, MessageFrom from, uint32_t log_view,
                                      const std::vector<DoViewChangeRecord>& records,
                                      size_t frame_size_max_bytes);
absl::StatusOr<DoViewChangeChunk> DecodeDoViewChange(ByteSpan frame, absl::uint128 cluster);

std::vector<Bytes> EncodeStartView(absl::uint128 cluster, MessageFrom from,
                                   const std::vector<StartViewRecord>& records,
                                   size_t frame_size_max_bytes);
absl::StatusOr<StartViewChunk> DecodeStartView(ByteSpan frame, absl::uint128 cluster);

Bytes EncodeRequestPrepare(absl::uint128 cluster, const RequestPrepare& message);
absl::StatusOr<RequestPrepare> DecodeRequestPrepare(ByteSpan frame, absl::uint128 cluster);

Bytes EncodeRequestHeaders(absl::uint128 cluster, const RequestHeaders& message);
absl::StatusOr<RequestHeaders> DecodeRequestHeaders(ByteSpan frame, absl::uint128 cluster);

// `headers` are 256-byte prepare headers as stored; the encoder copies as many as
// fit in `frame_size_max_bytes` (the rest are dropped: the requester asks again).
Bytes EncodeHeaders(absl::uint128 cluster, MessageFrom from, GroupId group,
                    const std::vector<ByteSpan>& headers, size_t frame_size_max_bytes);
absl::StatusOr<HeadersMessage> DecodeHeaders(ByteSpan frame, absl::uint128 cluster);

Bytes EncodeRequestSync(absl::uint128 cluster, const RequestSync& message);
absl::StatusOr<RequestSync> DecodeRequestSync(ByteSpan frame, absl::uint128 cluster);

// The frame carries a copy of message.bytes; the decoded message points into `frame`.
Bytes EncodeSyncChunk(absl::uint128 cluster, const SyncChunk& message);
absl::StatusOr<SyncChunk> DecodeSyncChunk(ByteSpan frame, absl::uint128 cluster);

Bytes EncodePing(absl::uint128 cluster, const Ping& message);
absl::StatusOr<Ping> DecodePing(ByteSpan frame, absl::uint128 cluster);
Bytes EncodePong(absl::uint128 cluster, const Pong& message);
absl::StatusOr<Pong> DecodePong(ByteSpan frame, absl::uint128 cluster);

// The checksum of a record sequence as ChunkInfo::content_checksum carries it.
absl::uint128 RecordsChecksum(ByteSpan encoded_records);

// Verifies a lone 256-byte prepare header (its own checksum over 16..256, command
// prepare, cluster) and returns its fields and checksum. The body is not checked:
// the header's checksum covers checksum_body, so the header names exactly one body.
absl::StatusOr<wire::PrepareHeader> DecodeLonePrepareHeader(ByteSpan header,
                                                           absl::uint128 cluster,
                                                           absl::uint128* checksum);

}  // namespace sluice::vsr
