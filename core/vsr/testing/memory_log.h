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

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/base/prng.h"
#include "core/io/loop.h"
#include "core/vsr/group_log.h"
#include "core/vsr/messages.h"

namespace sluice::vsr::testing {

class MemoryLogDisk {
 public:
  struct Entry {
    Bytes frame;
    bool durable = false;
  };

  // Unsynced entries land with `lands` odds each (drawn from `prng`), else vanish.
  void Crash(base::Prng& prng, base::Ratio lands);
  // Flips a byte inside op's stored body or header. FailedPrecondition if absent.
  absl::Status Corrupt(uint64_t op);
  // Forgets everything after `op` (a test's model of a lost tail).
  void DropAfter(uint64_t op);

  const std::map<uint64_t, Entry>& entries() const { return entries_; }
  uint64_t commit_watermark() const { return commit_watermark_; }
  uint64_t syncs() const { return syncs_; }

 private:
  friend class MemoryLog;
  std::map<uint64_t, Entry> entries_;  // by op; ops above the base
  uint64_t commit_watermark_ = 0;
  uint64_t syncs_ = 0;
};

class MemoryLog final : public GroupLog {
 public:
  struct Options {
    absl::uint128 cluster = 0;
    GroupId group;
    uint64_t sync_delay_ticks = 0;
  };

  static std::unique_ptr<MemoryLog> Recover(MemoryLogDisk& disk, io::Loop& loop, Options options);
  ~MemoryLog() override;

  absl::Status Append(ByteSpan frame, DurableCallback on_durable) override;
  void ReadEntry(uint64_t op, ReadCallback done) override;
  void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) override;
  void Commit(uint64_t op) override;

  uint64_t base_op() const override { return 0; }
  absl::uint128 base_checksum() const override { return 0; }
  uint64_t last_op() const override { return last_op_; }
  absl::uint128 last_checksum() const override { return last_checksum_; }
  uint64_t durable_op() const override { return durable_op_; }
  uint64_t faulty_head_op() const override { return faulty_head_op_; }
  uint64_t recovered_commit() const override { return recovered_commit_; }
  std::optional<ByteSpan> Header(uint64_t op) const override;
  std::optional<absl::uint128> ChecksumAt(uint64_t op) const override;

 private:
  MemoryLog(MemoryLogDisk& disk, io::Loop& loop, Options options);
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
  std::map<uint64_t, absl::uint128> checksums_;        // ops 1..last_op
  std::map<uint64_t, DurableCallback> pending_;        // op -> its on_durable
};

}  // namespace sluice::vsr::testing
