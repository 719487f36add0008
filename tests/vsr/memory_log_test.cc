// The test GroupLog's checkpoint and state-sync mechanics (rule B15), on which the
// simulator's state-sync scenarios rely: a checkpoint forgets the committed prefix
// and recovery starts from it; a snapshot read in chunks from one log, staged in
// another and installed becomes its base with the same state; a partial or corrupt
// staging is never installed; a staging survives a crash; a corrupt snapshot is
// never served; an install never lowers faulty_head_op().
#include "core/vsr/testing/memory_log.h"

#include <functional>

#include "core/base/checksum.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "sim/sim_loop.h"

namespace sluice::vsr::testing {
namespace {

constexpr absl::uint128 kCluster = 0xC1;
constexpr GroupId kGroup{.namespace_id = (uint64_t{1} << 63) | 3, .incarnation = 7};

class MemoryLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<MemoryLog> Recover(MemoryLogDisk& disk, uint64_t interval = 0, uint64_t lag = 0) {
    return MemoryLog::Recover(disk, loop_, {.cluster = kCluster, .group = kGroup, .sync_delay_ticks = 0,
                                            .checkpoint_interval_ops = interval, .checkpoint_lag_ops = lag});
  }
  // The canonical prepare of `op` (every log of the test shares one chain).
  Bytes Prepare(uint64_t op) {
    while (chain_.size() < op) {
      const uint64_t next = chain_.size() + 1;
      chain_.push_back(wire::EncodePrepare({.cluster = kCluster,
                                            .parent = next == 1 ? 0 : wire::PrepareChecksum(chain_.back()),
                                            .op = next,
                                            .operation = wire::Operation::kSendMessages,
                                            .namespace_id = kGroup.namespace_id,
                                            .incarnation = kGroup.incarnation},
                                           base::AsBytes(absl::StrCat("message ", next))));
    }
    return chain_[op - 1];
  }
  void AppendThrough(MemoryLog& log, uint64_t op) {
    uint64_t durable = 0, appended = 0;
    while (log.last_op() < op) {
      ASSERT_TRUE(log.Append(Prepare(log.last_op() + 1), [&](absl::Status status) { durable += status.ok(); }).ok());
      ++appended;
    }
    RunUntil([&] { return durable == appended; });
  }
  void RunUntil(const std::function<bool()>& done) {
    while (!done()) ASSERT_TRUE(loop_.RunOnce());
  }
  absl::Status Wait(const std::function<void(GroupLog::DoneCallback)>& start) {
    std::optional<absl::Status> result;
    start([&](absl::Status status) { result = status; });
    RunUntil([&] { return result.has_value(); });
    return *result;
  }
  absl::StatusOr<Bytes> Read(MemoryLog& log, const SnapshotId& id, uint64_t offset, uint64_t size) {
    std::optional<absl::StatusOr<Bytes>> result;
    log.ReadSnapshot(id, offset, size, [&](absl::StatusOr<Bytes> bytes) { result = std::move(bytes); });
    RunUntil([&] { return result.has_value(); });
    return *result;
  }
  // Stages the whole of `source`'s served snapshot into `sink`, `chunk` bytes at a time,
  // stopping after `chunks_max` chunks.
  void StageFrom(MemoryLog& source, MemoryLog& sink, uint64_t chunk, uint64_t chunks_max = UINT64_MAX) {
    const SnapshotId id = *source.ServedSnapshot();
    uint64_t offset = sink.Staged().has_value() && sink.Staged()->id == id ? sink.Staged()->staged_bytes : 0;
    for (uint64_t i = 0; i < chunks_max && offset < id.size_bytes; ++i) {
      absl::StatusOr<Bytes> bytes = Read(source, id, offset, chunk);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      ASSERT_TRUE(Wait([&](auto done) { sink.StageSnapshot(id, offset, *bytes, std::move(done)); }).ok());
      offset += bytes->size();
      ASSERT_EQ(sink.Staged()->staged_bytes, offset);
    }
  }
  void ExpectStateHoldsOps(const Bytes& state, uint64_t through) {
    absl::StatusOr<std::vector<StateRecord>> records = DecodeState(state);
    ASSERT_TRUE(records.ok()) << records.status();
    ASSERT_EQ(records->size(), through);
    for (uint64_t op = 1; op <= through; ++op) {
      EXPECT_EQ((*records)[op - 1].op, op);
      EXPECT_EQ((*records)[op - 1].checksum, wire::PrepareChecksum(Prepare(op)));
    }
  }

  sim::SimLoop loop_;
  std::vector<Bytes> chain_;
};

TEST_F(MemoryLogTest, CheckpointForgetsTheCommittedPrefixAndRecoveryStartsFromIt) {
  MemoryLogDisk disk;
  std::unique_ptr<MemoryLog> log = Recover(disk);
  AppendThrough(*log, 10);
  EXPECT_FALSE(log->Checkpoint(6).ok()) << "ops not committed yet";
  log->Commit(8);
  ASSERT_TRUE(log->Checkpoint(6).ok());
  EXPECT_EQ(log->base_op(), 6u);
  EXPECT_EQ(log->base_checksum(), wire::PrepareChecksum(Prepare(6)));
  EXPECT_EQ(log->ChecksumAt(6), wire::PrepareChecksum(Prepare(6)));
  EXPECT_FALSE(log->ChecksumAt(5).has_value());
  EXPECT_FALSE(log->Header(6).has_value());
  EXPECT_EQ(disk.entries().begin()->first, 7u);
  ASSERT_TRUE(log->ServedSnapshot().has_value());
  EXPECT_EQ(log->ServedSnapshot()->op, 6u);
  ExpectStateHoldsOps(log->StateAt(10), 10);
  EXPECT_FALSE(Wait([&](auto done) { log->TruncateAfter(5, 0, std::move(done)); }).ok()) << "below the base";

  log.reset();
  log = Recover(disk);
  EXPECT_EQ(log->base_op(), 6u);
  EXPECT_EQ(log->last_op(), 10u);
  EXPECT_EQ(log->recovered_commit(), 8u);
  EXPECT_EQ(log->last_checksum(), wire::PrepareChecksum(Prepare(10)));
  ExpectStateHoldsOps(log->StateAt(7), 7);
}

TEST_F(MemoryLogTest, CommitCheckpointsSoTheLogStaysWithinItsRing) {
  MemoryLogDisk disk;
  std::unique_ptr<MemoryLog> log = Recover(disk, /*interval=*/4, /*lag=*/2);
  for (uint64_t op = 1; op <= 40; ++op) {
    AppendThrough(*log, op);
    log->Commit(op);
    EXPECT_LE(log->last_op() - log->base_op(), 4u + 2u) << "op " << op;
  }
  EXPECT_GE(log->base_op(), 32u);
  ExpectStateHoldsOps(log->StateAt(40), 40);
}

TEST_F(MemoryLogTest, SnapshotStagedInChunksInstallsAsTheNewBase_B15) {
  MemoryLogDisk source_disk, sink_disk;
  std::unique_ptr<MemoryLog> source = Recover(source_disk);
  AppendThrough(*source, 30);
  source->Commit(30);
  ASSERT_TRUE(source->Checkpoint(25).ok());
  // The sink holds ops 1..27, but op 4 is corrupt: its chain ends at op 3 and ops
  // 4..27 are faulty (26 and 27 link to op 25, once that is the base).
  std::unique_ptr<MemoryLog> sink = Recover(sink_disk);
  AppendThrough(*sink, 27);
  sink->Commit(3);
  sink.reset();
  ASSERT_TRUE(sink_disk.Corrupt(4).ok());
  sink = Recover(sink_disk);
  EXPECT_EQ(sink->last_op(), 3u);
  EXPECT_EQ(sink->faulty_head_op(), 27u);

  const SnapshotId id = *source->ServedSnapshot();
  StageFrom(*source, *sink, 100);
  ASSERT_TRUE(Wait([&](auto done) { sink->InstallSnapshot(id, std::move(done)); }).ok());
  EXPECT_EQ(sink->base_op(), 25u);
  EXPECT_EQ(sink->base_checksum(), wire::PrepareChecksum(Prepare(25)));
  EXPECT_EQ(sink->last_op(), 27u) << "entries linking to the new base form the chain";
  EXPECT_EQ(sink->recovered_commit(), 3u) << "a recovery-time fact; the disk's watermark is raised";
  EXPECT_EQ(sink_disk.commit_watermark(), 25u);
  EXPECT_FALSE(sink->Staged().has_value());
  EXPECT_EQ(sink->StateAt(25), source->StateAt(25));
  ExpectStateHoldsOps(sink->StateAt(27), 27);
  // It serves the installed snapshot in turn, and a recovery keeps it.
  EXPECT_EQ(sink->ServedSnapshot(), id);
  sink.reset();
  sink = Recover(sink_disk);
  EXPECT_EQ(sink->base_op(), 25u);
  EXPECT_EQ(sink->last_op(), 27u);
}

TEST_F(MemoryLogTest, PartialOrCorruptStagingIsNeverInstalled_B15) {
  MemoryLogDisk source_disk, sink_disk;
  std::unique_ptr<MemoryLog> source = Recover(source_disk);
  AppendThrough(*source, 20);
  source->Commit(20);
  ASSERT_TRUE(source->Checkpoint(20).ok());
  const SnapshotId id = *source->ServedSnapshot();
  std::unique_ptr<MemoryLog> sink = Recover(sink_disk);

  StageFrom(*source, *sink, 64, /*chunks_max=*/3);
  EXPECT_EQ(Wait([&](auto done) { sink->InstallSnapshot(id, std::move(done)); }).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sink->base_op(), 0u);
  // A staging that does not continue where the staged bytes end is refused.
  EXPECT_FALSE(Wait([&](auto done) { sink->StageSnapshot(id, 64 * 3 + 1, base::AsBytes("x"), std::move(done)); }).ok());

  // The staging survives a crash; the sync resumes where it stopped.
  base::Prng prng(1);
  sink.reset();
  sink_disk.Crash(prng, base::Ratio::Never());
  sink = Recover(sink_disk);
  ASSERT_TRUE(sink->Staged().has_value());
  EXPECT_EQ(sink->Staged()->id, id);
  EXPECT_EQ(sink->Staged()->staged_bytes, 64u * 3);
  StageFrom(*source, *sink, 64);
  ASSERT_EQ(sink->Staged()->staged_bytes, id.size_bytes);

  // Complete but corrupt: DataLoss, nothing installed, the staging discarded.
  ASSERT_TRUE(sink_disk.CorruptStaged().ok());
  EXPECT_EQ(Wait([&](auto done) { sink->InstallSnapshot(id, std::move(done)); }).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(sink->base_op(), 0u);
  EXPECT_FALSE(sink->Staged().has_value());

  StageFrom(*source, *sink, 64);
  ASSERT_TRUE(Wait([&](auto done) { sink->InstallSnapshot(id, std::move(done)); }).ok());
  EXPECT_EQ(sink->base_op(), 20u);
  ExpectStateHoldsOps(sink->StateAt(20), 20);
}

TEST_F(MemoryLogTest, CorruptSnapshotIsNeverServed_B15) {
  MemoryLogDisk disk;
  std::unique_ptr<MemoryLog> log = Recover(disk);
  AppendThrough(*log, 5);
  log->Commit(5);
  ASSERT_TRUE(log->Checkpoint(5).ok());
  const SnapshotId id = *log->ServedSnapshot();
  EXPECT_TRUE(Read(*log, id, 0, 16).ok());
  SnapshotId other = id;
  other.checksum += 1;
  EXPECT_EQ(Read(*log, other, 0, 16).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(disk.CorruptSnapshot().ok());
  EXPECT_EQ(Read(*log, id, 0, 16).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sluice::vsr::testing
