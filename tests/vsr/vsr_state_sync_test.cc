// State sync (rule B15), in the simulator with 3 and 5 replicas: every group log
// checkpoints every 32 committed ops (8 behind its commit), a model of a WAL ring of
// 40 slots, so a replica down for longer finds the ops it lacks in no peer's log. It
// must catch up by state sync — a checksummed snapshot in bounded chunks, staged
// durably, verified, installed as its new base — then repair above it, and converge:
// its log holds the committed checksums from its base up, and its state (the test
// state machine's snapshot plus the ops applied above it) holds exactly the committed
// ops. A crash in the middle of the sync resumes from the staged bytes and never
// installs a partial snapshot.
#include "core/vsr/testing/memory_log.h"
#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

constexpr uint64_t kCheckpointIntervalOps = 32;
constexpr uint64_t kCheckpointLagOps = 8;
constexpr uint64_t kGroups = 2;  // the metadata group and one partition group

class StateSync : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t n() const { return GetParam(); }

  sim::VsrClusterOptions Options(uint64_t seed, uint64_t chunk_bytes) const {
    sim::VsrClusterOptions options = ScenarioOptions(n(), seed, kGroups);
    options.checkpoint_interval_ops = kCheckpointIntervalOps;
    options.checkpoint_lag_ops = kCheckpointLagOps;
    options.log_sync_delay_ticks = 1;
    options.replica.sync_chunk_size_max_bytes = chunk_bytes;
    return options;
  }

  // Commits `ops` requests, then takes `lagger` (a backup) down and commits
  // `ops_while_down` more, so that every peer's checkpoint passes what it holds.
  uint8_t LeaveABackupBehind(sim::VsrCluster& cluster, uint64_t ops, uint64_t ops_while_down) {
    cluster.Start();
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000));
    EXPECT_EQ(SubmitAccepted(cluster, ops, 2000), ops);
    ExpectConverges(cluster, 2000);
    const uint8_t lagger = (*cluster.Primary() + 1) % n();
    cluster.Crash(lagger);
    EXPECT_EQ(SubmitAccepted(cluster, ops_while_down, 4000, 1), ops_while_down);
    EXPECT_TRUE(cluster.RunUntil([&] { return TotalCommitted(cluster) == ops + ops_while_down; }, 2000))
        << cluster.Describe();
    // Behind the ring: every op it lacks is below every live peer's base.
    for (size_t group = 0; group < kGroups; ++group) {
      const uint64_t held = cluster.disk(lagger, group).entries().empty()
                                ? 0
                                : cluster.disk(lagger, group).entries().rbegin()->first;
      for (uint8_t r = 0; r < n(); ++r) {
        if (r == lagger) continue;
        EXPECT_GT(cluster.replica(r)->log(cluster.groups()[group]).base_op(), held + 1)
            << "replica " << int{r} << " group " << group << " could still repair op " << held + 1;
      }
    }
    return lagger;
  }
};

TEST_P(StateSync, ReplicaDownLongerThanTheRingCatchesUpByStateSync_B15) {
  sim::VsrCluster cluster(Options(41, 1024));
  const uint8_t lagger = LeaveABackupBehind(cluster, 20, 400);
  cluster.Restart(lagger);
  ExpectConverges(cluster, 3000);
  const Replica& synced = *cluster.replica(lagger);
  EXPECT_GE(synced.counters().syncs_installed, kGroups);
  EXPECT_GT(synced.counters().sync_chunks_staged, kGroups) << "the snapshots came in several chunks";
  for (size_t group = 0; group < kGroups; ++group) {
    EXPECT_GT(synced.log(cluster.groups()[group]).base_op(), 10u) << "group " << group;
  }
  // The normal case goes on above the installed base, the synced replica included.
  EXPECT_EQ(SubmitAccepted(cluster, 20, 1000, 2), 20u);
  ExpectConverges(cluster, 2000);
  EXPECT_EQ(TotalCommitted(cluster), 440u);
}

TEST_P(StateSync, ReplicaDownLongerThanTheRingCatchesUpByStateSyncAlsoWhenItCrashesMidSync_B15) {
  sim::VsrCluster cluster(Options(42, 256));  // small chunks: the sync takes many ticks
  const uint8_t lagger = LeaveABackupBehind(cluster, 20, 400);
  cluster.Restart(lagger);
  const GroupId group = cluster.groups()[0];
  const uint64_t base_before = cluster.disk(lagger, 0).snapshot().id.op;
  // Wait until a part of the metadata group's snapshot is staged, then crash.
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        const Replica* replica = cluster.replica(lagger);
        if (replica == nullptr) return false;
        const std::optional<StagedSnapshot> progress = replica->sync_progress(group);
        return progress.has_value() && progress->staged_bytes >= 4 * 256 &&
               progress->staged_bytes < progress->id.size_bytes;
      },
      1000))
      << cluster.Describe();
  const SnapshotId target = cluster.replica(lagger)->sync_progress(group)->id;
  cluster.Crash(lagger);
  // Nothing partial was acted on: the old base stands, the staging is on disk.
  EXPECT_EQ(cluster.disk(lagger, 0).snapshot().id.op, base_before);
  ASSERT_TRUE(cluster.disk(lagger, 0).staging().has_value());
  EXPECT_EQ(cluster.disk(lagger, 0).staging()->id, target);
  const uint64_t staged = cluster.disk(lagger, 0).staging()->bytes.size();
  EXPECT_LT(staged, target.size_bytes);

  cluster.Restart(lagger);
  ExpectConverges(cluster, 3000);
  const Replica& synced = *cluster.replica(lagger);
  EXPECT_GE(synced.counters().sync_bytes_resumed, staged) << "the sync resumed from the staged bytes";
  EXPECT_EQ(synced.log(group).base_op(), target.op);
  EXPECT_EQ(synced.counters().syncs_failed, 0u);
  EXPECT_FALSE(cluster.disk(lagger, 0).staging().has_value());
}

// The staged snapshot is verified as a whole before it is installed: a bit flip in
// the staging (found after a crash) fails the check, the staging is discarded, and
// the sync starts over — the replica never installs the damaged state.
TEST_P(StateSync, CorruptStagedSnapshotIsDiscardedNotInstalled_B15) {
  sim::VsrCluster cluster(Options(43, 256));
  const uint8_t lagger = LeaveABackupBehind(cluster, 20, 400);
  cluster.Restart(lagger);
  const GroupId group = cluster.groups()[0];
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        const Replica* replica = cluster.replica(lagger);
        const std::optional<StagedSnapshot> progress =
            replica == nullptr ? std::nullopt : replica->sync_progress(group);
        return progress.has_value() && progress->staged_bytes >= 4 * 256 &&
               progress->staged_bytes < progress->id.size_bytes;
      },
      1000))
      << cluster.Describe();
  cluster.Crash(lagger);
  ASSERT_TRUE(cluster.disk(lagger, 0).CorruptStaged().ok());
  cluster.Restart(lagger);
  ExpectConverges(cluster, 3000);
  EXPECT_GE(cluster.replica(lagger)->counters().syncs_failed, 1u);
  EXPECT_GE(cluster.replica(lagger)->counters().syncs_installed, 1u);
}

INSTANTIATE_TEST_SUITE_P(Replicas, StateSync, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr::testing
