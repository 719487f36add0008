#pragma once
// A partition group's snapshot (state sync, rule B15): the partition's state after
// applying every op <= A, where A is its *anchor* — the op before the first entry of
// its first retained segment (0 for a new partition; raised by committed retention,
// delete-segments and purge steps, and by installing a snapshot). This is what a
// partition group serves to a peer that lags below its anchor, as the snapshot of
// its base op (vsr::GroupLog::ServedSnapshot).
//
// Design: the snapshot carries only the state that ops <= A leave behind and that
// the entries above A cannot rebuild — the consumer and group offsets, where the
// message offsets continue, the last purge step — plus the anchor facts (op A and
// its prepare checksum, the chain anchor of the entries above). It ships no message
// bytes: every retained entry above A is a prepare that a lagging replica fetches by
// normal repair (request_prepare), verified by the hash chain, so shipping the
// retained segments would duplicate repair with a second, unchained path. The
// messages at or below A are gone cluster-wide (retention is replicated), so no
// replica can poll them anyway. The snapshot stays small (13 bytes per consumer).
//
// Deterministic: every field is a function of the committed ops <= A (the offsets
// in key order, no local counters), so every replica at anchor A produces the same
// bytes and the same SnapshotId. The segment boundaries are too (segment size is a
// replicated topic setting), so an installing replica's first segment starts at
// A + 1 like its peers'.
//
// Where it lives: `anchor-{A:020}.snapshot` in the partition directory (FORMATS.md §3
// gains this file), written tmp -> fsync -> rename -> fsync directory (rule B6)
// *before* the state record that moves the anchor to A + 1 is written, so a durable
// anchor always has its snapshot (except directories written before this file
// existed: they serve no snapshot until their next retention step). The state record
// names it implicitly (anchor_op - 1) and its content is checked against the record
// (op, anchor_parent, owner) and its own checksum: a torn, corrupt or stale file is
// never loaded (B6). Recovery removes every other `anchor-*.snapshot` file (left by a
// step that crashed before or after its record).
//
// Who writes it:
//  - retention / delete-segments / purge (PartitionLog::DropSealedSegments): the new
//    anchor's snapshot is derived from the previous anchor's (empty at anchor 0) by
//    replaying the offset entries of the segments being dropped — batches are skipped
//    without being read (the index shows they carry messages);
//  - installing a peer's snapshot (InstallAnchorSnapshot below).
//
// Layout (little-endian):
//     0  16  checksum      XXH3-128 over bytes 16 .. end
//    16   8  magic         "SLPSNAP1"
//    24   4  version       1
//    28   4  offset_count
//    32   8  op            the anchor A
//    40  16  op_checksum   the prepare checksum of op A (the `parent` of op A + 1)
//    56   8  namespace     the owning partition group (as in its state record)
//    64   8  incarnation
//    72   8  next_offset   message offset of the first message after A
//    80   8  purge_step    the metadata step id of the last purge at or below A (0: none)
//    88   8  reserved      zero
//    96  13 * offset_count per consumer: kind u8, id u32, offset u64 (ascending keys)

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/entry_body.h"
#include "core/wire/operation.h"

namespace sluice::partition {

inline constexpr uint64_t kPartitionSnapshotHeaderSize = 96;

struct PartitionSnapshot {
  uint64_t op = 0;
  absl::uint128 op_checksum = 0;
  OffsetsOwner owner;
  uint64_t next_offset = 0;
  uint64_t purge_step = 0;
  std::map<ConsumerKey, uint64_t> offsets;
  friend bool operator==(const PartitionSnapshot&, const PartitionSnapshot&) = default;
};

// A snapshot as kept in memory and served: its bytes and their XXH3-128.
struct EncodedPartitionSnapshot {
  uint64_t op = 0;
  absl::uint128 op_checksum = 0;
  Bytes bytes;
  absl::uint128 checksum = 0;  // of `bytes` (the served SnapshotId's checksum)
};

Bytes EncodePartitionSnapshot(const PartitionSnapshot& snapshot);
EncodedPartitionSnapshot EncodeServedSnapshot(const PartitionSnapshot& snapshot);
// DataLoss for a torn, corrupt, truncated or unknown-version snapshot.
absl::StatusOr<PartitionSnapshot> DecodePartitionSnapshot(ByteSpan bytes);

// "anchor-00000000000000000042.snapshot", and its op (nullopt for other names).
std::string AnchorSnapshotName(uint64_t op);
std::optional<uint64_t> ParseAnchorSnapshotName(absl::string_view name);

// Applies a committed store / delete / purge entry's effect on consumer offsets (the
// same rules as PartitionLog's apply path); other operations change nothing.
// Errors: the body's decoding error.
absl::Status ApplyOffsetOperation(std::map<ConsumerKey, uint64_t>& offsets, wire::Operation operation,
                                  ByteSpan body);

// Checks that `bytes` are the snapshot of anchor `op` with chain anchor
// `op_checksum` of partition `owner`; returns it decoded. DataLoss naming `path`
// otherwise.
absl::StatusOr<PartitionSnapshot> VerifyAnchorSnapshot(ByteSpan bytes, uint64_t op, absl::uint128 op_checksum,
                                                       const OffsetsOwner& owner, absl::string_view path);

// Makes a verified snapshot (whose encoding is `bytes`) the durable state of the
// partition in `directory` — the install's crash-safe order:
//   1. `anchor-{A:020}.snapshot` written atomically (tmp, fsync, rename, fsync dir);
//   2. the segment `{A+1:020}.log` / `.index` exists (created empty unless a segment
//      of that name is already there), the directory synced (rule B5: the record
//      lists only files that exist);
//   3. the state record (next sequence): one segment {A + 1, next_offset}, anchor
//      A + 1 with parent op_checksum, commit watermark A, purge step from the
//      snapshot, log_end_op = A — every entry above A on disk is a decided truncation,
//      so recovery cuts whatever the reused file still holds — and promised_op =
//      `promised_op` when above A (the entries dropped may have been acknowledged:
//      recovery keeps reporting them faulty until repaired, state_record.h). This write is
//      the install's commit point: a crash before it leaves the old partition (and
//      stray files recovery removes), a crash after it the new one;
//   4. the consumer-offset checkpoint: the snapshot's offsets as of op A. A crash
//      between 3 and 4 leaves a checkpoint older than the anchor, which recovery
//      replaces by the anchor snapshot's offsets (partition_recovery.cc).
// The caller then recovers the partition (PartitionLog::Open), which removes the old
// segments and anchor files and cuts the reused segment. Any error is an I/O error
// (fail-stop, rule B1).
io::Task<absl::Status> InstallAnchorSnapshot(io::Storage& storage, std::string directory, Bytes bytes,
                                             PartitionSnapshot snapshot, uint64_t promised_op);

}  // namespace sluice::partition
