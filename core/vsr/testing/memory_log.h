#pragma once
// Test-only: a crash-faithful in-memory GroupLog, so that VSR can be simulated with
// many groups cheaply while keeping the durability rules that matter to consensus.
//
// MemoryLogDisk is the medium and outlives processes; MemoryLog is one process's
// view of it, built only by MemoryLog::Recover (rule B4).
//  - Append writes an entry that is *pending* until its sync, which completes
//    `sync_delay_ticks` later (group commit: one sync covers everything pending).
//  - A crash (MemoryLogDisk::Crash) lands each pending entry or loses it, per entry
//    (so a lost entry can be followed by landed ones: an uncertain tail).
//  - Corrupt(op) flips an entry's bytes (a latent bit flip found at the next boot).
//  - Recover walks the hash chain from the base: the log is the longest prefix of
//    intact entries each linking to the previous; every other entry on disk is
//    faulty (faulty_head_op() is the highest of them), as the metadata WAL's
//    recovery classifies them in a cluster (rule B7).
//  - TruncateAfter is durable at once (the disk forgets the entries) and reports on
//    the loop; Commit records the watermark (durable at once: a model of the state
//    record the partition log writes).
//
// The test state machine (what a checkpoint snapshots and state sync transfers):
// a group's state is the sequence of its applied ops, one record each —
//   op u64, prepare checksum u128, body size u32, body —
// so a checker can decode any replica's state and compare it with the committed
// checksums (DecodeState).
//
// Checkpoints (the WAL ring's model): Checkpoint(op) folds the committed entries
// base_op()+1 .. op into the snapshot, makes op the base and forgets those entries,
// durably at once (a model of snapshot -> superblock -> WAL checkpoint). With
// `checkpoint_interval_ops` set, Commit() checkpoints by itself: the log never holds
// more than interval + lag ops above its base, as a ring of that many slots must be
// covered by a checkpoint before it wraps (rule B8). A replica down for longer lags
// beyond what the log can repair: state sync (rule B15).
//
// State sync: the served snapshot is the base's; it is checked against its checksum
// before every read (a corrupt snapshot is never served). Staged snapshot bytes are
// durable at once (a crash keeps them even if StageSnapshot had not reported yet),
// and staging and installing report `sync_delay_ticks` later; InstallSnapshot
// verifies the whole staging first and changes nothing unless it is complete and
// intact.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/prng.h"
#include "core/io/loop.h"
#include "core/vsr/group_log.h"
#include "core/vsr/messages.h"

namespace sluice::vsr::testing {

// The test state machine: appends the record of a verified prepare to `state`.
void ApplyToState(Bytes& state, ByteSpan prepare_frame);

struct StateRecord {
  uint64_t op = 0;
  absl::uint128 checksum = 0;
};
// The ops a state holds, in order. DataLoss if the bytes are not a record sequence.
absl::StatusOr<std::vector<StateRecord>> DecodeState(ByteSpan state);

class MemoryLogDisk {
 public:
  struct Entry {
    Bytes frame;
    bool durable = false;
  };
  struct Snapshot {
    SnapshotId id;  // id.op == 0: the initial, empty state
    Bytes bytes;
  };
  struct Staging {
    SnapshotId id;
    Bytes bytes;  // a prefix of the snapshot
  };

  // Unsynced entries land with `lands` odds each (drawn from `prng`), else vanish.
  void Crash(base::Prng& prng, base::Ratio lands);
  // Flips a byte inside op's stored body or header. FailedPrecondition if absent.
  absl::Status Corrupt(uint64_t op);
  // Flips a byte of the checkpoint's snapshot / of the staged snapshot bytes.
  absl::Status CorruptSnapshot();
  absl::Status CorruptStaged();
  // Forgets everything after `op` (a test's model of a lost tail).
  void DropAfter(uint64_t op);
  // Forgets everything: a lost data directory (format --recover re-creates it empty).
  void Wipe();

  const std::map<uint64_t, Entry>& entries() const { return entries_; }
  uint64_t commit_watermark() const { return commit_watermark_; }
  uint64_t syncs() const { return syncs_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const std::optional<Staging>& staging() const { return staging_; }

 private:
  friend class MemoryLog;
  std::map<uint64_t, Entry> entries_;  // by op; ops above the base
  uint64_t commit_watermark_ = 0;
  uint64_t syncs_ = 0;
  Snapshot snapshot_;
  std::optional<Staging> staging_;
};

class MemoryLog final : public GroupLog {
 public:
  struct Options {
    absl::uint128 cluster = 0;
    GroupId group;
    uint64_t sync_delay_ticks = 0;
    uint64_t checkpoint_interval_ops = 0;  // 0: Commit() never checkpoints by itself
    uint64_t checkpoint_lag_ops = 0;       // a checkpoint stays this far behind the commit
  };

  static std::unique_ptr<MemoryLog> Recover(MemoryLogDisk& disk, io::Loop& loop, Options options);
  ~MemoryLog() override;

  absl::Status Append(ByteSpan frame, DurableCallback on_durable) override;
  void ReadEntry(uint64_t op, ReadCallback done) override;
  void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) override;
  void Commit(uint64_t op) override;

  uint64_t base_op() const override { return disk_.snapshot_.id.op; }
  absl::uint128 base_checksum() const override { return disk_.snapshot_.id.op_checksum; }
  uint64_t last_op() const override { return last_op_; }
  absl::uint128 last_checksum() const override { return last_checksum_; }
  uint64_t durable_op() const override { return durable_op_; }
  uint64_t faulty_head_op() const override { return faulty_head_op_; }
  uint64_t recovered_commit() const override { return recovered_commit_; }
  std::optional<ByteSpan> Header(uint64_t op) const override;
  std::optional<absl::uint128> ChecksumAt(uint64_t op) const override;

  std::optional<SnapshotId> ServedSnapshot() const override;
  void ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                    ReadCallback done) override;
  std::optional<StagedSnapshot> Staged() const override;
  void StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes, DoneCallback done) override;
  void InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) override;

  // Makes op the base (base_op() < op <= min(last_op(), the commit watermark)).
  // FailedPrecondition otherwise.
  absl::Status Checkpoint(uint64_t op);
  // The state after applying every op <= op (base_op() <= op <= last_op()).
  Bytes StateAt(uint64_t op) const;

 private:
  MemoryLog(MemoryLogDisk& disk, io::Loop& loop, Options options);
  // Rebuilds the chain from the base over the entries on disk (recovery, install).
  void WalkChain();
  absl::Status Install(const SnapshotId& snapshot);
  void ScheduleSync();
  void Sync();
  template <typename Callback>
  void Later(uint64_t ticks, Callback callback);

  MemoryLogDisk& disk_;
  io::Loop& loop_;
  Options options_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  uint64_t last_op_ = 0;
  absl::uint128 last_checksum_ = 0;
  uint64_t durable_op_ = 0;
  uint64_t faulty_head_op_ = 0;
  uint64_t recovered_commit_ = 0;
  bool sync_scheduled_ = false;
  std::map<uint64_t, absl::uint128> checksums_;        // ops base+1..last_op
  std::map<uint64_t, DurableCallback> pending_;        // op -> its on_durable
};

}  // namespace sluice::vsr::testing
