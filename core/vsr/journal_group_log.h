#pragma once
// JournalGroupLog: the metadata group's GroupLog over the metadata WAL
// (core/journal). Built only from a JournalRecovery (rule B4): the journal's last
// op and checksum, the faulty ops recovery left on disk (faulty_head_op() is the
// WAL's head op), the commit bound recovery proved, and the headers of every op it
// read whole.
//
// The journal reads and truncates as coroutines; this adapter runs them with
// io::Spawn and reports on the loop. Its Header() keeps the 256-byte headers of at
// most slot_count recent ops in memory (the ring holds no more); older ops are not
// served to repair (a peer that needs them is past the WAL: state sync, B15).
// Commit() records nothing: the metadata commit watermark is the superblock's,
// written by the checkpoint code, not per op.
//
// State sync (B15, metadata_sync.h) when built with a MetadataSync: it serves the
// checkpoint's snapshot file the superblock names, stages a peer's snapshot durably in
// `metadata/sync-staging.bin` (Staged() after a restart: the sync resumes), and
// installs it in rule B6's order — verify, write the snapshot, the superblock naming
// it, then move the WAL's checkpoint (Journal::InstallCheckpoint, after draining the
// appends in flight). This log then owns the superblock handle for those updates.
// Built without one, it serves no snapshot and refuses to stage one (Unimplemented).
//
// Lifetime: like a Journal, destroy it only when no read or truncation is in
// flight, or when the storage has dropped their completions (a process death).

#include <array>
#include <deque>
#include <cstdint>
#include <memory>

#include "absl/container/btree_map.h"
#include "core/io/loop.h"
#include "core/journal/journal.h"
#include "core/journal/journal_recovery.h"
#include "core/metadata/metadata_state.h"
#include "core/vsr/group_log.h"
#include "core/vsr/metadata_sync.h"
#include "core/vsr/vsr_state.h"

namespace sluice::vsr {

class JournalGroupLog final : public GroupLog, public ViewStateStore {
 public:
  // What state sync works with: the replica's storage (the journal's) and what
  // bootstrap read (LoadMetadataSyncState).
  struct MetadataSync {
    io::Storage& storage;
    MetadataSyncState state;
  };
  static std::unique_ptr<JournalGroupLog> FromRecovery(journal::JournalRecovery recovery, io::Loop& loop,
                                                       std::optional<MetadataSync> sync = std::nullopt);
  ~JournalGroupLog() override;

  absl::Status Append(ByteSpan frame, DurableCallback on_durable) override;
  void ReadEntry(uint64_t op, ReadCallback done) override;
  void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) override;
  void Commit(uint64_t op) override {}

  uint64_t base_op() const override { return journal_->checkpoint_op(); }
  absl::uint128 base_checksum() const override { return journal_->checkpoint_checksum(); }
  uint64_t last_op() const override { return journal_->last_op(); }
  absl::uint128 last_checksum() const override { return journal_->last_checksum(); }
  uint64_t durable_op() const override { return journal_->durable_op(); }
  uint64_t faulty_head_op() const override { return std::max(faulty_head_op_, journal_->last_op()); }
  uint64_t recovered_commit() const override { return recovered_commit_; }
  std::optional<ByteSpan> Header(uint64_t op) const override;
  std::optional<absl::uint128> ChecksumAt(uint64_t op) const override;
  std::optional<ByteSpan> RecoveredHeaderAbove(uint64_t op) const override;

  std::optional<SnapshotId> ServedSnapshot() const override;
  void ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                    ReadCallback done) override;
  std::optional<StagedSnapshot> Staged() const override { return staged_; }
  void StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes, DoneCallback done) override;
  void InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) override;

  journal::Journal& journal() { return *journal_; }

  // Takes a checkpoint of the metadata group (the metadata layer's part of rule B6,
  // for a log built with a MetadataSync, which owns the superblock handle): writes
  // `state`'s snapshot (state.last_applied_op is the checkpoint op, committed and
  // in the WAL's ring), durably names it in the superblock with that op's prepare
  // checksum (and the commit watermark raised to it), then moves the WAL's
  // checkpoint (Journal::SetCheckpoint), serves the new snapshot and removes older
  // ones. FailedPrecondition (nothing written) while a sync or checkpoint is in
  // flight, or for an op outside (base_op(), last_op()] or one whose checksum the log
  // no longer knows; any other error is fail-stop.
  void TakeCheckpoint(const metadata::MetadataState& state, DoneCallback done);
  bool checkpoint_busy() const { return sync_busy_; }

  // ViewStateStore (built with a MetadataSync): the replica's view state as the view
  // table the superblock names (metadata_sync.h): the table written atomically, then
  // one superblock update (view, metadata log view, the table's reference, the
  // recovering flag), then the previous table removed. Superblock updates (views,
  // checkpoints, installs) run one at a time, in the order they were asked for.
  void PersistViewState(const VsrState& state, absl::AnyInvocable<void(absl::Status)> done) override;
  // The superblock as this log last made it durable (null without a MetadataSync).
  const superblock::OpenedSuperblock* durable_superblock() const {
    return superblock_.has_value() ? &*superblock_ : nullptr;
  }

 private:
  JournalGroupLog(std::unique_ptr<journal::Journal> journal, io::Loop& loop);
  void Remember(uint64_t op, absl::uint128 checksum, ByteSpan header);
  void Forget(uint64_t after_op);
  // Reports `status` to `done` on the loop, never inside the caller (GroupLog's contract).
  void Report(DoneCallback done, absl::Status status);
  io::Task<absl::Status> Install(SnapshotId snapshot);
  io::Task<absl::Status> PersistView(VsrState state);
  // One superblock update at a time: Lock waits for the previous holder's Unlock,
  // which resumes the next waiter at once (it then has a storage operation in flight).
  io::Task<void> LockSuperblock();
  void UnlockSuperblock();
  io::Task<absl::Status> Checkpoint(uint64_t op, absl::uint128 prepare_checksum, Bytes snapshot,
                                    absl::uint128 snapshot_checksum);

  std::unique_ptr<journal::Journal> journal_;
  io::Loop& loop_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  uint64_t faulty_head_op_ = 0;
  uint64_t recovered_commit_ = 0;
  absl::btree_map<uint64_t, absl::uint128> checksums_;
  absl::btree_map<uint64_t, std::array<uint8_t, 256>> headers_;
  // State sync (null storage: not wired).
  io::Storage* sync_storage_ = nullptr;
  std::optional<superblock::OpenedSuperblock> superblock_;
  std::optional<ServedMetadataSnapshot> served_;
  std::optional<StagedSnapshot> staged_;
  bool sync_busy_ = false;  // a staging or an install in flight
  bool superblock_locked_ = false;
  std::deque<absl::AnyInvocable<void(bool)>> superblock_waiters_;
};

}  // namespace sluice::vsr
