// Metadata state sync in the cluster on the real WAL (rule B15), 3 and 5 replicas:
// every replica checkpoints its metadata group (snapshot, superblock, WAL checkpoint)
// every few ops over a small WAL ring, so a backup down longer than the ring finds
// its peers' WALs no longer hold what it lacks; it catches up by staging a peer's
// snapshot in chunks (durably), installing it and repairing above it — also when its
// machine crashes in the middle of the sync (the staging survives and the sync
// resumes). The cluster's checker verifies that a sync installs a committed op with
// its committed checksum, and the test ends with every WAL holding the committed ops
// and a whole-cluster crash losing none of them.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/cluster/journal_cluster.h"

namespace sluice::vsr {
namespace {

class JournalSync : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t n() const { return GetParam(); }

  static sim::JournalClusterOptions Options(uint8_t replica_count, uint64_t seed) {
    sim::JournalClusterOptions options;
    options.seed = seed;
    options.replica_count = replica_count;
    options.slot_count = 16;  // the ring: 16 ops
    options.checkpoint_interval_ops = 4;
    options.replica.sync_chunk_size_max_bytes = 16;  // a snapshot takes several chunks
    return options;
  }

  static uint64_t SubmitAccepted(sim::JournalCluster& cluster, uint64_t count, uint64_t max_ticks, uint64_t tag) {
    uint64_t accepted = 0;
    for (uint64_t tick = 0; tick < max_ticks && accepted < count; ++tick) {
      const std::string body = absl::StrCat("create stream ", tag, ".", accepted);
      if (cluster.Submit(base::AsBytes(body)).ok()) ++accepted;
      cluster.RunTicks(1);
    }
    return accepted;
  }

  static void ExpectConvergesAndDurable(sim::JournalCluster& cluster, uint64_t max_ticks) {
    const bool converged = cluster.RunUntil([&] { return cluster.Converged(); }, max_ticks);
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation() << "\n" << cluster.Describe();
    ASSERT_TRUE(converged) << "no convergence within " << max_ticks << " ticks\n" << cluster.Describe();
    cluster.CheckLogs();
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
    cluster.CheckDurable(max_ticks);
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation() << "\n" << cluster.Describe();
  }

  // Starts, commits a few ops, takes the backup down and commits far more than the
  // ring holds without it. Returns the backup.
  uint8_t LeaveABackupBehindTheRing(sim::JournalCluster& cluster) {
    cluster.Start();
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000)) << cluster.Describe();
    EXPECT_EQ(SubmitAccepted(cluster, 10, 1000, 0), 10u);
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Converged(); }, 1000)) << cluster.Describe();
    const uint8_t backup = static_cast<uint8_t>((*cluster.Primary() + 1) % n());
    cluster.Crash(backup, base::Ratio::Never());
    EXPECT_EQ(SubmitAccepted(cluster, 50, 3000, 1), 50u) << cluster.Describe();
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.committed() == 60; }, 1000)) << cluster.Describe();
    // Every live WAL's checkpoint is past what the backup holds (10 ops): no peer can
    // repair it from its log.
    for (uint8_t r = 0; r < n(); ++r) {
      if (r != backup) {
        EXPECT_GT(cluster.log(r)->base_op(), 16u) << cluster.Describe();
      }
    }
    return backup;
  }
};

TEST_P(JournalSync, ReplicaDownLongerThanTheRingCatchesUpByStateSync_B15) {
  sim::JournalCluster cluster(Options(n(), 31));
  const uint8_t backup = LeaveABackupBehindTheRing(cluster);
  cluster.Restart(backup);
  ExpectConvergesAndDurable(cluster, 3000);
  EXPECT_GE(cluster.state_syncs(), 1u);
  EXPECT_GT(cluster.log(backup)->base_op(), 16u);
  EXPECT_EQ(cluster.committed(), 60u);
  EXPECT_GT(cluster.checkpoints(), 10u);
}

TEST_P(JournalSync, CrashInTheMiddleOfTheSyncResumesFromItsStaging_B15) {
  sim::JournalCluster cluster(Options(n(), 32));
  const uint8_t backup = LeaveABackupBehindTheRing(cluster);
  cluster.Restart(backup);
  // Checked after every event: a sync of a few chunks takes less than a tick.
  const bool mid_sync = cluster.loop().RunUntil(
      [&] {
        Replica* replica = cluster.replica(backup);
        if (replica == nullptr) return false;
        const std::optional<StagedSnapshot> progress = replica->sync_progress(cluster.group());
        return progress.has_value() && progress->staged_bytes > 0 && progress->staged_bytes < progress->id.size_bytes;
      },
      cluster.loop().MonotonicNs() + 2000 * io::kTickNs);
  ASSERT_TRUE(mid_sync) << cluster.violation() << "\n" << cluster.Describe();
  cluster.Crash(backup, base::Ratio::Never());
  cluster.Restart(backup);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(backup) != nullptr; }, 100));
  ASSERT_TRUE(cluster.log(backup)->Staged().has_value());  // the staging survived the crash
  EXPECT_GT(cluster.log(backup)->Staged()->staged_bytes, 0u);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Converged(); }, 3000)) << cluster.violation() << "\n"
                                                                          << cluster.Describe();
  // The sync went on from the staged bytes, not from scratch.
  EXPECT_GT(cluster.replica(backup)->counters().sync_bytes_resumed, 0u);
  ExpectConvergesAndDurable(cluster, 3000);
  EXPECT_GE(cluster.state_syncs(), 1u);
  EXPECT_GT(cluster.log(backup)->base_op(), 16u);
  EXPECT_EQ(cluster.committed(), 60u);
}

INSTANTIATE_TEST_SUITE_P(Replicas, JournalSync, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr
