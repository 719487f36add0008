#pragma once
// GroupLog: the log of one consensus group as VSR drives it — the journal interface
// (DESIGN.md "Replication model") seen from consensus. The metadata WAL
// (core/journal, adapted by journal_group_log.h) and the partition log implement
// the same shape; core/vsr/testing/memory_log.h is a crash-faithful in-memory one.
//
// A GroupLog is built from recovered state (rule B4): its last op, faulty tail and
// commit watermark are what recovery found, never a fresh log patched afterwards.
//
// The log holds ops base_op()+1 .. last_op() as a verified hash chain: each entry's
// parent is the previous entry's checksum, and base_op() (0 for a new group, or a
// checkpoint) is committed. Entries recovery found but could not verify (a corrupt
// entry proven durable, an uncertain tail) are *faulty*: they are not in the chain,
// but the replica may have acknowledged them before it crashed, so faulty_head_op()
// (the highest op with any entry on disk) bounds what this replica may ever nack.
//
// State sync (rule B15): base_op() stands for a checkpoint, a snapshot of the
// group's state after applying every op <= base_op(). A log serves that snapshot to
// peers that lag beyond what its entries can repair (ServedSnapshot, ReadSnapshot),
// and a lagging log stages a peer's snapshot chunk by chunk, durably, then installs
// it as its new base (StageSnapshot, InstallSnapshot). The bytes are opaque to VSR:
// the metadata group's snapshot (core/metadata/snapshot_codec.h), a partition's
// segments, or the test state machine's blob (testing/memory_log.h). A staged
// snapshot survives a crash (Staged() after recovery, so the sync resumes), and is
// acted on only by InstallSnapshot, which verifies the whole of it first: a partial
// or corrupt snapshot is never installed.
//
// Callbacks never run inside the call that takes them (core/io's contract), and
// never after the log is destroyed.

#include <cstdint>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/vsr/messages.h"  // GroupId, SnapshotId

namespace sluice::vsr {

// The durable prefix of a snapshot being staged by a syncing replica.
struct StagedSnapshot {
  SnapshotId id;
  uint64_t staged_bytes = 0;  // < id.size_bytes, or == once complete (not yet installed)
};

class GroupLog {
 public:
  using DurableCallback = absl::AnyInvocable<void(absl::Status)>;
  using ReadCallback = absl::AnyInvocable<void(absl::StatusOr<Bytes>)>;
  using DoneCallback = absl::AnyInvocable<void(absl::Status)>;

  virtual ~GroupLog() = default;

  // Adds the prepare of op last_op() + 1, whose parent must be last_checksum() (the
  // hash chain). It overwrites a faulty entry at that op, if any. `on_durable` runs
  // once the write and the sync covering it completed: only then may the replica
  // acknowledge the entry (prepare_ok). An error (InvalidArgument for a frame that is
  // not the next link; an I/O error) means nothing was appended. A failed sync is
  // reported through `on_durable` and is fail-stop for the replica (rule B1).
  virtual absl::Status Append(ByteSpan frame, DurableCallback on_durable) = 0;

  // The whole prepare of op (base_op() < op <= last_op()), checksums verified.
  // NotFound if the log no longer holds it; DataLoss if its bytes are bad.
  virtual void ReadEntry(uint64_t op, ReadCallback done) = 0;

  // Durably drops ops op+1 .. last_op() and every faulty entry above op, then runs
  // `done`. Refused (FailedPrecondition) for op < commit_watermark or op < base_op():
  // a committed op is never truncated. last_op() is op once this returns OK.
  virtual void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) = 0;

  // Tells the log that every op <= op is committed (a durable watermark for the
  // next recovery may lag: it only saves repair work). op <= last_op().
  virtual void Commit(uint64_t op) = 0;

  virtual uint64_t base_op() const = 0;
  virtual absl::uint128 base_checksum() const = 0;
  virtual uint64_t last_op() const = 0;
  virtual absl::uint128 last_checksum() const = 0;
  // Every op <= durable_op() is written and synced. durable_op() <= last_op().
  virtual uint64_t durable_op() const = 0;
  // >= last_op(): ops last_op()+1 .. faulty_head_op() are faulty entries.
  virtual uint64_t faulty_head_op() const = 0;
  // The commit watermark recovery found (<= what the cluster committed).
  virtual uint64_t recovered_commit() const = 0;

  // The 256-byte prepare header of op, base_op() < op <= last_op(), if the log keeps
  // it in memory (a bounded recent window at least); nullopt otherwise. The span is
  // valid until the next call that changes the log.
  virtual std::optional<ByteSpan> Header(uint64_t op) const = 0;
  // The checksum of op in [base_op(), last_op()], if known (base_checksum() for base_op()).
  virtual std::optional<absl::uint128> ChecksumAt(uint64_t op) const = 0;
  // The header of a whole entry recovery found above last_op() (beyond a gap in the
  // chain: a faulty op below it), if the log keeps it; nullopt otherwise. These are
  // the replica's own promises: their parents let it learn the canonical chain down
  // to the gap even when no peer holds them (rule B7). A caller believes one only
  // where its checksum matches a canonical checksum. Valid until the log changes.
  virtual std::optional<ByteSpan> RecoveredHeaderAbove(uint64_t op) const { return std::nullopt; }

  // --- state sync (rule B15) ---

  // The snapshot of the checkpoint at base_op() this log serves to peers: nullopt
  // when base_op() is 0 (nothing to sync from) or the log cannot serve snapshots.
  virtual std::optional<SnapshotId> ServedSnapshot() const = 0;
  // Up to size_max_bytes of `snapshot` from `offset` (< its size; fewer only at its
  // end). NotFound if it is no longer the served snapshot (a newer checkpoint replaced
  // it); DataLoss if the stored snapshot fails its checksum (never served).
  virtual void ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                            ReadCallback done) = 0;

  // What a sync left staged (durably), if anything: after a crash, the sync resumes here.
  virtual std::optional<StagedSnapshot> Staged() const = 0;
  // Durably writes `bytes` at `offset` of `snapshot`'s staging, then runs `done`
  // (`bytes` need to stay valid only during the call).
  // Offset 0 starts a new staging (discarding any other); any other offset must be
  // where the staging of the same snapshot ends, and offset + size <= its size
  // (FailedPrecondition otherwise, nothing written). An I/O error is fail-stop.
  virtual void StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes,
                             DoneCallback done) = 0;
  // Installs the completely staged `snapshot` atomically, then runs `done`: it verifies
  // the staged bytes against snapshot.checksum (SnapshotRejected, and the staging
  // discarded, if they differ or are not the group's snapshot of op), replaces the group's state with it, makes base_op() = op and
  // base_checksum() = op_checksum, drops every entry <= op and the staging, and
  // raises the commit watermark to op. Entries above op stay: those linking to the new
  // base form the chain (last_op() may be above op), the others are faulty;
  // faulty_head_op() never decreases (this replica may have acknowledged them).
  // FailedPrecondition (nothing changed) if it is not completely staged or op <=
  // base_op(). Any other error is fail-stop, and the old state stays — an I/O error
  // whatever its code (a failed sync's EIO is DataLoss too: rule B1). Until `done`
  // runs, the log's facts (base, last op, checksums) are the old ones.
  virtual void InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) = 0;
};

// A staged snapshot that failed verification (DataLoss, marked): the sync starts over
// from a peer's snapshot. Any other DataLoss from a sync (EIO) is an I/O error.
inline constexpr char kSnapshotRejectedPayload[] = "sluice.vsr/snapshot-rejected";
inline absl::Status SnapshotRejected(absl::string_view message) {
  absl::Status status = absl::DataLossError(message);
  status.SetPayload(kSnapshotRejectedPayload, absl::Cord("1"));
  return status;
}
inline bool IsSnapshotRejected(const absl::Status& status) {
  return absl::IsDataLoss(status) && status.GetPayload(kSnapshotRejectedPayload).has_value();
}

}  // namespace sluice::vsr
