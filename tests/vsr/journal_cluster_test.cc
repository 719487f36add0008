// VSR on the real metadata WAL (core/journal over SimStorage, adapted by
// JournalGroupLog), 3 and 5 replicas: named scenarios where the crash is a machine
// crash of the replica's SimStorage and the restart is the real recovery
// (RecoverJournal in cluster mode, then Replica::Restore). The cluster's checker
// (sim/cluster/journal_cluster.h) verifies hash-chain agreement on every commit, and
// each test ends by converging, checking every live WAL against the committed
// checksums and then crashing every machine at once: each recovered WAL must hold
// every committed op (nothing acknowledged was only in memory).
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/journal/journal_layout.h"
#include "core/superblock/superblock.h"
#include "core/vsr/journal_group_log.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "sim/cluster/journal_cluster.h"

namespace sluice::vsr {
namespace {

class JournalScenario : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t n() const { return GetParam(); }
  uint8_t Other(uint8_t replica, uint8_t step = 1) const { return (replica + step) % n(); }

  static sim::JournalClusterOptions Options(uint8_t replica_count, uint64_t seed) {
    sim::JournalClusterOptions options;
    options.seed = seed;
    options.replica_count = replica_count;
    options.slot_count = 256;
    return options;
  }

  // Keeps submitting until `count` requests were accepted (or `max_ticks` pass).
  static uint64_t SubmitAccepted(sim::JournalCluster& cluster, uint64_t count, uint64_t max_ticks,
                                 uint64_t tag = 0) {
    uint64_t accepted = 0;
    for (uint64_t tick = 0; tick < max_ticks && accepted < count; ++tick) {
      const std::string body = absl::StrCat("create stream ", tag, ".", accepted);
      if (cluster.Submit(base::AsBytes(body)).ok()) ++accepted;
      cluster.RunTicks(1);
    }
    return accepted;
  }

  void StartAndCommit(sim::JournalCluster& cluster, uint64_t ops) {
    cluster.Start();
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
    ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000)) << cluster.Describe();
    ASSERT_EQ(SubmitAccepted(cluster, ops, 1000), ops);
    ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed() == ops; }, 1000)) << cluster.violation();
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

  static void ExpectNewPrimary(sim::JournalCluster& cluster, uint32_t view) {
    const bool elected = cluster.RunUntil(
        [&] {
          const std::optional<uint8_t> primary = cluster.Primary();
          return primary.has_value() && cluster.replica(*primary)->view() > view;
        },
        2000);
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
    ASSERT_TRUE(elected) << "no new view after view " << view << "\n" << cluster.Describe();
  }
};

TEST_P(JournalScenario, NormalCaseCommitsOnEveryWalAndSurvivesAWholeClusterCrash) {
  sim::JournalCluster cluster(Options(n(), 21));
  StartAndCommit(cluster, 40);
  ExpectConvergesAndDurable(cluster, 2000);
  // After the whole-cluster crash the replicas elect a view and go on committing.
  ExpectNewPrimary(cluster, 0);
  EXPECT_EQ(SubmitAccepted(cluster, 10, 1000, 1), 10u);
  ExpectConvergesAndDurable(cluster, 2000);
  EXPECT_EQ(cluster.committed(), 50u);
  EXPECT_GE(cluster.recovery_counts().recoveries, 3u * n());
}

TEST_P(JournalScenario, PrimaryMachineCrash_NewViewLosesNoCommittedOp) {
  sim::JournalCluster cluster(Options(n(), 22));
  StartAndCommit(cluster, 30);
  // Requests in flight when the primary's machine dies: its unsynced sectors tear.
  for (int i = 0; i < 4; ++i) (void)cluster.Submit(base::AsBytes(absl::StrCat("in flight ", i)));
  const uint8_t old_primary = *cluster.Primary();
  const uint32_t old_view = cluster.replica(old_primary)->view();
  cluster.Crash(old_primary, base::Ratio{1, 2});
  ExpectNewPrimary(cluster, old_view);
  EXPECT_GE(cluster.committed(), 30u);
  const uint64_t before = cluster.committed();
  EXPECT_EQ(SubmitAccepted(cluster, 10, 1000, 1), 10u);
  cluster.Restart(old_primary);
  ExpectConvergesAndDurable(cluster, 3000);
  EXPECT_EQ(cluster.committed(), before + 10);
}

// Rule B4 on the real WAL: the backup that acknowledged the op is rebuilt from its
// durable view state and its recovered journal, so the op survives its crash even
// though every other holder is down when the view changes.
TEST_P(JournalScenario, BackupCrashesRightAfterPrepareOk_OpStillCommittedAfterFailover_B4) {
  sim::JournalCluster cluster(Options(n(), 23));
  StartAndCommit(cluster, 10);
  ExpectConvergesAndDurable(cluster, 2000);
  ExpectNewPrimary(cluster, 0);
  const uint64_t ops = cluster.committed();
  const uint8_t primary = *cluster.Primary();
  const uint8_t acker = Other(primary);
  std::set<sim::NodeId> cut;
  for (uint8_t r = 0; r < n(); ++r) {
    if (r != primary && r != acker && !(n() == 5 && r == Other(primary, 2))) cut.insert(r);
  }
  cluster.packets().Partition(cut, sim::PartitionMode::kSymmetric);
  ASSERT_TRUE(cluster.Submit(base::AsBytes("acknowledged")).ok());
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed() == ops + 1; }, 500)) << cluster.violation();
  // Its prepare_ok was sent, so its entry was synced: a machine crash that loses every
  // unsynced sector still leaves it.
  cluster.Crash(acker, base::Ratio::Never());
  cluster.Crash(primary, base::Ratio::Never());
  if (n() == 5) cluster.Crash(Other(primary, 2), base::Ratio::Never());
  cluster.packets().Heal();
  cluster.Restart(acker);
  ExpectNewPrimary(cluster, cluster.replica(acker) == nullptr ? 0 : cluster.replica(acker)->view());
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        for (uint8_t r = 0; r < n(); ++r) {
          if (cluster.replica(r) != nullptr && cluster.replica(r)->commit(cluster.group()) < ops + 1) return false;
        }
        return true;
      },
      2000))
      << cluster.violation() << cluster.Describe();
  cluster.Restart(primary);
  if (n() == 5) cluster.Restart(Other(primary, 2));
  ExpectConvergesAndDurable(cluster, 3000);
  EXPECT_EQ(cluster.committed(), ops + 1);
}

// Rule B7 on the real WAL: a bit flip in a committed entry's prepare (proven durable by
// later entries' commit fields) makes recovery report it faulty; VSR repairs it from a
// peer, and the repaired WAL survives the next crash.
TEST_P(JournalScenario, CorruptCommittedWalEntryIsRepairedFromAPeer_B7) {
  sim::JournalClusterOptions options = Options(n(), 24);
  sim::JournalCluster cluster(options);
  StartAndCommit(cluster, 20);
  ExpectConvergesAndDurable(cluster, 2000);
  ExpectNewPrimary(cluster, 0);
  const uint8_t backup = Other(*cluster.Primary());
  cluster.Crash(backup, base::Ratio::Never());
  const journal::JournalLayout layout(
      {.cluster = 0, .slot_count = options.slot_count, .message_size_max = options.message_size_max});
  const uint64_t offset = layout.PrepareOffset(layout.SlotOf(5)) + wire::kHeaderSize + 2;  // in the body
  ASSERT_TRUE(cluster.storage(backup).InjectBitFlip(std::string(journal::kJournalPath), offset, 3).ok());
  const uint64_t faulty_before = cluster.recovery_counts().faulty_ops;
  cluster.Restart(backup);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(backup) != nullptr; }, 100)) << cluster.violation();
  EXPECT_GT(cluster.recovery_counts().faulty_ops, faulty_before);
  EXPECT_GT(cluster.log(backup)->faulty_head_op(), cluster.log(backup)->last_op());
  ExpectConvergesAndDurable(cluster, 3000);
}

// The durable view state lives in the superblock and the view table it names, one
// superblock update per view state write, and a restart restores it from there (B4).
TEST_P(JournalScenario, ViewStateLivesInTheSuperblockAndTheTableItNames_B4) {
  sim::JournalCluster cluster(Options(n(), 25));
  StartAndCommit(cluster, 10);
  const uint8_t old_primary = *cluster.Primary();
  const uint32_t old_view = cluster.replica(old_primary)->view();
  cluster.Crash(old_primary);
  ExpectNewPrimary(cluster, old_view);
  std::vector<uint32_t> views(n(), 0);
  for (uint8_t r = 0; r < n(); ++r) {
    if (r == old_primary) continue;
    const superblock::OpenedSuperblock* durable = cluster.journal_log(r)->durable_superblock();
    ASSERT_NE(durable, nullptr);
    const VsrState& state = cluster.replica(r)->durable_state();
    views[r] = state.view;
    EXPECT_GT(state.view, old_view);
    EXPECT_EQ(durable->state.view, state.view);
    ASSERT_EQ(state.groups.size(), 1u);
    EXPECT_EQ(durable->state.metadata_log_view, state.groups[0].log_view);
    // Every view state write (a table and one superblock update) since format.
    EXPECT_TRUE(durable->state.partition_log_views.present());
    EXPECT_EQ(durable->state.partition_log_views.op, cluster.replica(r)->counters().persists);
  }
  cluster.Restart(old_primary);
  ExpectConvergesAndDurable(cluster, 3000);  // every replica restarted from its superblock
  for (uint8_t r = 0; r < n(); ++r) {
    ASSERT_NE(cluster.replica(r), nullptr);
    EXPECT_GE(cluster.replica(r)->durable_state().view, views[r]) << "replica " << int{r};
    EXPECT_EQ(cluster.journal_log(r)->durable_superblock()->state.view, cluster.replica(r)->durable_state().view);
  }
}

INSTANTIATE_TEST_SUITE_P(Replicas, JournalScenario, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr
