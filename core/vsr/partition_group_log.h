#pragma once
// PartitionGroupLog: a partition group's GroupLog over its PartitionLog
// (core/partition), whose segments are the group's journal. Built only from an
// opened (recovered) PartitionLog and its RecoveryReport (rule B4): the log's last
// op and checksum, the faulty ops recovery found (faulty_head_op() is the highest),
// and the commit point it proved.
//
// The base is the retained log's anchor: the op before the first entry of the first
// segment (0 for a new partition; higher once retention dropped sealed segments, a
// replicated and so committed step, or once a snapshot was installed). Its checksum
// is the first retained entry's parent (PartitionLog::anchor_parent). The base moves
// when a committed retention step applies, so base_op() follows the partition.
//
// The partition log reads and truncates as coroutines; this adapter runs them with
// io::Spawn and reports on the loop. Header() and ChecksumAt() serve a bounded
// window of the most recent `headers_max` ops (read at construction, then kept from
// Append): a peer that needs older headers repairs from another replica, or syncs.
// Commit() forwards to PartitionLog::Commit, which applies committed entries in op
// order.
//
// State sync (rule B15): the snapshot of the base is the partition's anchor snapshot
// (core/partition/partition_snapshot.h: consumer offsets, next message offset and
// purge step as of the anchor, with the anchor's checksum; the entries above the
// base come by repair). ServedSnapshot() offers it whenever the partition has one for
// its current base. A peer's snapshot is staged chunk by chunk in the partition
// directory's `sync-staging.bin` (partition_sync.h; Staged() after a restart, so the
// sync resumes) and installed in this order: the staging verified whole (DataLoss,
// and the staging removed, otherwise), its content checked as this partition's
// snapshot of that op, the partition closed (appends drained), the snapshot made
// durable as the new anchor (partition::InstallAnchorSnapshot: its commit point is
// the state record), the partition recovered from disk (PartitionLog::Open — so what
// the install leaves is, by construction, what recovery accepts), the staging
// removed. Every entry the partition held is dropped (the base is above every op it
// could verify); faulty_head_op() keeps their highest op, so this replica never nacks
// an op it may have acknowledged — also across a restart: the state record keeps
// that promise (promised_op) until the log is durable past it. While an install
// runs, Append and ReadEntry are refused (Unavailable: repair retries), Commit is
// ignored (the install commits through the snapshot's op), and TruncateAfter is
// refused (FailedPrecondition, which the replica treats as fail-stop: it must not
// truncate a group whose snapshot is being installed).
//
// Known gap: TruncateAfter(last_op()) over faulty entries above last_op() forgets
// them here, but PartitionLog::TruncateAfter leaves such a tail on disk (it is
// overwritten by the next appends), so a recovery before that may report it again.
//
// Lifetime: like the PartitionLog, destroy it only when no read or truncation is in
// flight, or when the storage has dropped their completions (a process death).

#include <array>
#include <cstdint>
#include <memory>

#include "absl/container/btree_map.h"
#include "core/io/loop.h"
#include "core/io/task.h"
#include "core/partition/partition_log.h"
#include "core/vsr/group_log.h"

namespace sluice::vsr {

class PartitionGroupLog final : public GroupLog {
 public:
  struct Options {
    absl::uint128 cluster = 0;
    uint64_t headers_max = 1024;  // recent headers kept in memory (and read at construction)
  };

  // Reads the recent headers from `log` and the staging a sync left (if any).
  // Errors: the read's (an I/O error, or DataLoss for an entry that fails its checksum).
  static io::Task<absl::StatusOr<std::unique_ptr<PartitionGroupLog>>> FromRecovery(
      std::unique_ptr<partition::PartitionLog> log, partition::RecoveryReport report, io::Loop& loop,
      Options options);
  ~PartitionGroupLog() override;

  absl::Status Append(ByteSpan frame, DurableCallback on_durable) override;
  void ReadEntry(uint64_t op, ReadCallback done) override;
  void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) override;
  void Commit(uint64_t op) override {
    if (!installing_) log_->Commit(op);
  }

  uint64_t base_op() const override { return log_->segments().front().first_op - 1; }
  absl::uint128 base_checksum() const override { return log_->anchor_parent(); }
  uint64_t last_op() const override { return log_->last_op(); }
  absl::uint128 last_checksum() const override { return log_->last_checksum(); }
  uint64_t durable_op() const override { return std::max(log_->durable_op(), base_op()); }
  uint64_t faulty_head_op() const override { return std::max(faulty_head_op_, log_->last_op()); }
  uint64_t recovered_commit() const override { return recovered_commit_; }
  std::optional<ByteSpan> Header(uint64_t op) const override;
  std::optional<absl::uint128> ChecksumAt(uint64_t op) const override;

  std::optional<SnapshotId> ServedSnapshot() const override;
  void ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                    ReadCallback done) override;
  std::optional<StagedSnapshot> Staged() const override { return staged_; }
  void StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes, DoneCallback done) override;
  void InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) override;

  partition::PartitionLog& partition() { return *log_; }
  // No read, truncation, staging or install of this adapter is in flight (what a
  // caller waits for, with PartitionLog::Drain, before removing the partition).
  bool idle() const { return in_flight_ == 0; }

 private:
  PartitionGroupLog(std::unique_ptr<partition::PartitionLog> log, io::Loop& loop, Options options);
  void Remember(uint64_t op, absl::uint128 checksum, ByteSpan header);
  void Forget(uint64_t after_op);
  template <typename Result>
  void Report(absl::AnyInvocable<void(Result)> done, Result result);
  io::Task<absl::Status> Install(SnapshotId snapshot);

  std::unique_ptr<partition::PartitionLog> log_;
  io::Loop& loop_;
  Options options_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  uint64_t faulty_head_op_ = 0;
  uint64_t recovered_commit_ = 0;
  absl::btree_map<uint64_t, absl::uint128> checksums_;
  absl::btree_map<uint64_t, std::array<uint8_t, 256>> headers_;
  // State sync.
  std::optional<StagedSnapshot> staged_;
  bool staging_ = false;     // a chunk being staged
  bool installing_ = false;  // an install in flight
  uint64_t in_flight_ = 0;  // spawned operations not yet reported
};

}  // namespace sluice::vsr
