// The replicated cluster workload (sim/replica_cluster/cluster_workload.h) over a
// fixed seed range per test run (CI's campaign stage runs 200 more seeds with 3
// replicas) — 3 and 5 replicas, crashes and restarts under a swarm network profile
// and the swarm storage and process faults of cluster_faults.h (failed fsyncs, torn
// crashes, corruption, wipes with `format --recover`, crashes during boot and state
// sync), a liveness phase, then every acknowledged message on every replica, once;
// hash-chain and applied-state agreement and consumer offsets (rule B3) all along —
// and its determinism: one seed, one digest.
//
// Each campaign runs once per process; the tests below check its verdict and that
// the faults each rule is proven by were exercised.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/cluster_workload.h"
#include "sim/replica_cluster/offset_checker.h"

namespace sluice::sim {
namespace {

struct Campaign {
  uint64_t seeds = 0;
  std::string failure;  // the first failing seed's report, empty if none
  uint64_t acked = 0;
  uint64_t crashes = 0;
  uint64_t deleted = 0;
  ClusterFaultCounts faults;
  ConsumerCounts consumers;
};

void Add(ConsumerCounts& total, const ConsumerCounts& run) {
  total.groups_created += run.groups_created;
  total.logins += run.logins;
  total.joins += run.joins;
  total.leaves += run.leaves;
  total.polls += run.polls;
  total.polled_messages += run.polled_messages;
  total.stores_acknowledged += run.stores_acknowledged;
  total.offset_checks += run.offset_checks;
}

void Add(ClusterFaultCounts& total, const ClusterFaultCounts& run) {
  total.sync_failures += run.sync_failures;
  total.fail_stops += run.fail_stops;
  total.fail_stop_restarts += run.fail_stop_restarts;
  total.torn_crashes += run.torn_crashes;
  total.wal_corruptions += run.wal_corruptions;
  total.segment_corruptions += run.segment_corruptions;
  total.state_record_corruptions += run.state_record_corruptions;
  total.faulty_ops += run.faulty_ops;
  total.wipes += run.wipes;
  total.voters_restored += run.voters_restored;
  total.boot_crashes += run.boot_crashes;
  total.state_syncs += run.state_syncs;
  total.sync_crashes += run.sync_crashes;
}

Campaign Run(uint8_t replicas, uint64_t first, uint64_t count) {
  Campaign campaign{.seeds = count};
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const ClusterWorkloadResult result = RunClusterWorkload(seed, {.replicas = replicas});
    if (!result.violations.empty() || !result.liveness_failures.empty()) {
      campaign.failure = absl::StrCat(
          "seed ", seed, ": ", result.violations.empty() ? result.liveness_failures[0] : result.violations[0],
          "\nfaults: ", result.fault_mix, "\nreplay: ./sluice sim --seed ", seed, " --replicas ", int{replicas},
          " (or bazel-bin/sim/replica_cluster/cluster_workload_main --seeds ", seed, "..", seed, " --replicas ",
          int{replicas}, " --trace)");
      return campaign;
    }
    campaign.acked += result.acked_messages;
    campaign.crashes += result.crashes;
    campaign.deleted += result.topics_deleted;
    Add(campaign.faults, result.faults);
    Add(campaign.consumers, result.consumers);
  }
  const ClusterFaultCounts& f = campaign.faults;
  std::printf(
      "%d replicas, %llu seeds: %llu acknowledged messages, %llu crashes, %llu topics deleted; %llu sync failures, "
      "%llu fail-stop restarts, %llu torn crashes, %llu/%llu/%llu WAL/segment/state-record corruptions (%llu faulty "
      "entries found), %llu wipes, "
      "%llu voters restored, %llu boot crashes, %llu state syncs, %llu state-sync crashes\n",
      replicas, static_cast<unsigned long long>(count), static_cast<unsigned long long>(campaign.acked),
      static_cast<unsigned long long>(campaign.crashes), static_cast<unsigned long long>(campaign.deleted),
      static_cast<unsigned long long>(f.sync_failures), static_cast<unsigned long long>(f.fail_stop_restarts),
      static_cast<unsigned long long>(f.torn_crashes), static_cast<unsigned long long>(f.wal_corruptions),
      static_cast<unsigned long long>(f.segment_corruptions), static_cast<unsigned long long>(f.state_record_corruptions),
      static_cast<unsigned long long>(f.faulty_ops), static_cast<unsigned long long>(f.wipes), static_cast<unsigned long long>(f.voters_restored),
      static_cast<unsigned long long>(f.boot_crashes), static_cast<unsigned long long>(f.state_syncs),
      static_cast<unsigned long long>(f.sync_crashes));
  const ConsumerCounts& c = campaign.consumers;
  std::printf("  consumers: %llu groups created, %llu logins, %llu joins, %llu leaves, %llu polls (%llu messages), "
              "%llu offset stores acknowledged, %llu offset checks\n",
              static_cast<unsigned long long>(c.groups_created), static_cast<unsigned long long>(c.logins),
              static_cast<unsigned long long>(c.joins), static_cast<unsigned long long>(c.leaves),
              static_cast<unsigned long long>(c.polls), static_cast<unsigned long long>(c.polled_messages),
              static_cast<unsigned long long>(c.stores_acknowledged), static_cast<unsigned long long>(c.offset_checks));
  return campaign;
}

const Campaign& ThreeReplicas() {
  static const Campaign campaign = Run(3, 0, 60);
  return campaign;
}

const Campaign& FiveReplicas() {
  static const Campaign campaign = Run(5, 0, 15);
  return campaign;
}

void ExpectSafeAndConverged(const Campaign& campaign) {
  ASSERT_EQ(campaign.failure, "");
  // The runs must exercise what they claim to.
  EXPECT_GT(campaign.acked, campaign.seeds * 10);
  EXPECT_GT(campaign.crashes, campaign.seeds);
  EXPECT_GT(campaign.deleted, campaign.seeds);
}

TEST(ClusterWorkloadTest, ThreeReplicaSeedsAreSafeAndConverge_B1_B4_B7_B15_B16_B17) {
  ExpectSafeAndConverged(ThreeReplicas());
}

TEST(ClusterWorkloadTest, FiveReplicaSeedsAreSafeAndConverge_B1_B4_B7_B15_B16_B17) {
  ExpectSafeAndConverged(FiveReplicas());
}

// B1: a failed fsync stops the replica (never an acknowledgement after it); the
// harness restarts it, with its page cache or after a machine crash.
TEST(ClusterWorkloadTest, FailedFsyncsFailStopAndTheReplicaRestarts_B1) {
  for (const Campaign* campaign : {&ThreeReplicas(), &FiveReplicas()}) {
    ASSERT_EQ(campaign->failure, "");
    EXPECT_GT(campaign->faults.sync_failures, 0u);
    // A failed sync stops its process (in service or while booting; unless a crash
    // came first), and the stop is noticed and the process restarted.
    EXPECT_GT(campaign->faults.fail_stops, 0u);
    EXPECT_GT(campaign->faults.fail_stop_restarts, 0u);
  }
  EXPECT_GE(ThreeReplicas().faults.sync_failures, 20u);
}

// B7: torn unsynced sectors at machine crashes and flipped bits in a down replica's
// WAL, segments and state records, on one replica at a time, are found at boot and
// repaired from peers.
TEST(ClusterWorkloadTest, TornWritesAndCorruptSectorsAreRepairedFromPeers_B7) {
  for (const Campaign* campaign : {&ThreeReplicas(), &FiveReplicas()}) {
    ASSERT_EQ(campaign->failure, "");
    EXPECT_GT(campaign->faults.torn_crashes, 0u);
    EXPECT_GT(campaign->faults.wal_corruptions + campaign->faults.segment_corruptions +
                  campaign->faults.state_record_corruptions,
              0u);
  }
  const ClusterFaultCounts& three = ThreeReplicas().faults;
  EXPECT_GE(three.torn_crashes, 20u);
  EXPECT_GE(three.wal_corruptions, 10u);
  EXPECT_GE(three.segment_corruptions, 5u);
  EXPECT_GE(three.state_record_corruptions, 5u);
  // Recovery found damage to repair (not only flips in bytes nobody reads).
  EXPECT_GE(three.faulty_ops, 10u);
}

// B17: a replica whose directory was lost is formatted with `format --recover`,
// takes no part in quorums until it has caught up, then votes again.
TEST(ClusterWorkloadTest, WipedReplicasRecoverAndBecomeVotersAgain_B17) {
  for (const Campaign* campaign : {&ThreeReplicas(), &FiveReplicas()}) {
    ASSERT_EQ(campaign->failure, "");
    EXPECT_GT(campaign->faults.wipes, 0u);
    EXPECT_GT(campaign->faults.voters_restored, 0u);
    EXPECT_LE(campaign->faults.voters_restored, campaign->faults.wipes);
  }
  EXPECT_GE(ThreeReplicas().faults.wipes, 10u);
}

// B4, B15: a replica crashed in the middle of its boot, or of a state sync, boots
// again from what it left and converges.
TEST(ClusterWorkloadTest, CrashesDuringBootAndStateSyncConverge_B4_B15) {
  uint64_t state_syncs = 0, sync_crashes = 0;
  for (const Campaign* campaign : {&ThreeReplicas(), &FiveReplicas()}) {
    ASSERT_EQ(campaign->failure, "");
    EXPECT_GT(campaign->faults.boot_crashes, 0u);
    state_syncs += campaign->faults.state_syncs;
    sync_crashes += campaign->faults.sync_crashes;
  }
  EXPECT_GE(ThreeReplicas().faults.boot_crashes, 10u);
  EXPECT_GT(state_syncs, 0u);
  EXPECT_GT(sync_crashes, 0u);
}

// B3: consumers store offsets through crashes, corruption, wipes and state syncs,
// and every live replica's committed offsets match the acknowledged stores all
// along; consumer groups are created, joined and left (their members and
// assignments are in the applied-state digest every replica must agree on).
TEST(ClusterWorkloadTest, ConsumerOffsetsChangeOnlyByStoresOnEveryReplica_B3) {
  for (const Campaign* campaign : {&ThreeReplicas(), &FiveReplicas()}) {
    ASSERT_EQ(campaign->failure, "");
    const ConsumerCounts& c = campaign->consumers;
    EXPECT_GT(c.stores_acknowledged, campaign->seeds);
    EXPECT_GT(c.polled_messages, c.stores_acknowledged);
    EXPECT_GT(c.offset_checks, campaign->seeds * 100);
    EXPECT_GT(c.groups_created, campaign->seeds);
    EXPECT_GT(c.joins, campaign->seeds);
    EXPECT_GT(c.leaves, 0u);
  }
}

// The offset checker itself (offset_checker.h) must be able to fail: each case is
// one way a replica could break rule B3.
class OffsetCheckerTest : public ::testing::Test {
 protected:
  static constexpr OffsetChecker::GroupKey kGroup{0x8000'0000'0000'0000, 3};
  static constexpr partition::ConsumerKey kConsumer{partition::ConsumerKind::kConsumer, 1};

  std::vector<std::string> Check(uint8_t replica, uint64_t boot, uint64_t applied_op,
                                 std::map<partition::ConsumerKey, uint64_t> offsets) {
    std::vector<std::string> violations;
    checker_.Check(replica, boot, kGroup, applied_op, offsets, violations);
    return violations;
  }

  OffsetChecker checker_;
};

TEST_F(OffsetCheckerTest, AcknowledgedStoresSeenInOrderPass_B3) {
  checker_.Submitted(kGroup, kConsumer, 4);
  EXPECT_TRUE(Check(0, 1, 5, {}).empty());  // not committed yet
  checker_.Acknowledged(kGroup, kConsumer, 4, 7);
  checker_.Submitted(kGroup, kConsumer, 9);  // unacknowledged: may or may not be there
  EXPECT_TRUE(Check(0, 1, 6, {}).empty());
  EXPECT_TRUE(Check(0, 1, 7, {{kConsumer, 4}}).empty());
  EXPECT_TRUE(Check(1, 1, 7, {{kConsumer, 4}}).empty());
  EXPECT_TRUE(Check(0, 1, 12, {{kConsumer, 9}}).empty());
  EXPECT_EQ(checker_.checks(), 5u);
}

// (Each replica at its own op: replicas at one op must agree, another check.)
TEST_F(OffsetCheckerTest, AnOffsetNoClientStoredIsAViolation_B3) {
  checker_.Submitted(kGroup, kConsumer, 4);
  const std::vector<std::string> invented = Check(0, 1, 9, {{kConsumer, 5}});
  ASSERT_EQ(invented.size(), 1u);
  EXPECT_NE(invented[0].find("no client stored"), std::string::npos) << invented[0];
  const partition::ConsumerKey other{partition::ConsumerKind::kGroup, 1};
  EXPECT_EQ(Check(1, 1, 10, {{other, 4}}).size(), 1u);  // another consumer's value
}

TEST_F(OffsetCheckerTest, AnAcknowledgedStoreLostOrRolledBackIsAViolation_B3) {
  checker_.Submitted(kGroup, kConsumer, 4);
  checker_.Acknowledged(kGroup, kConsumer, 4, 7);
  checker_.Submitted(kGroup, kConsumer, 6);
  checker_.Acknowledged(kGroup, kConsumer, 6, 8);
  const std::vector<std::string> lost = Check(0, 1, 8, {});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].find("lost or rolled back"), std::string::npos) << lost[0];
  EXPECT_EQ(Check(1, 1, 9, {{kConsumer, 4}}).size(), 1u);   // rolled back
  EXPECT_EQ(Check(2, 1, 7, {{kConsumer, 6}}).size(), 1u);   // ahead of its applied op
}

TEST_F(OffsetCheckerTest, AnOffsetGoingBackInOneProcessIsAViolation_B3) {
  checker_.Submitted(kGroup, kConsumer, 4);
  checker_.Submitted(kGroup, kConsumer, 6);
  EXPECT_TRUE(Check(0, 1, 9, {{kConsumer, 6}}).empty());
  EXPECT_EQ(Check(0, 1, 10, {{kConsumer, 4}}).size(), 1u);
  // A new process of the replica may lag (it applied less so far): not this check's.
  EXPECT_TRUE(Check(0, 2, 11, {{kConsumer, 4}}).empty());
}

TEST_F(OffsetCheckerTest, ReplicasAtTheSameOpWithOtherOffsetsIsAViolation_B3) {
  checker_.Submitted(kGroup, kConsumer, 4);
  checker_.Submitted(kGroup, kConsumer, 6);
  EXPECT_TRUE(Check(0, 1, 9, {{kConsumer, 6}}).empty());
  EXPECT_EQ(Check(1, 1, 9, {{kConsumer, 4}}).size(), 1u);
}

TEST_F(OffsetCheckerTest, AGroupWhoseTopicIsBeingDeletedIsNotChecked) {
  checker_.Submitted(kGroup, kConsumer, 4);
  checker_.Acknowledged(kGroup, kConsumer, 4, 7);
  checker_.Forget(kGroup);
  EXPECT_TRUE(Check(0, 1, 9, {}).empty());
  EXPECT_EQ(checker_.checks(), 0u);
}

TEST(ClusterWorkloadTest, OneSeedOneDigest) {
  for (const uint64_t seed : {7u, 23u}) {
    const ClusterWorkloadResult first = RunClusterWorkload(seed, {});
    const ClusterWorkloadResult second = RunClusterWorkload(seed, {});
    EXPECT_EQ(first.digest, second.digest) << "seed " << seed;
    EXPECT_NE(first.digest, RunClusterWorkload(seed + 1, {}).digest);
  }
}

}  // namespace
}  // namespace sluice::sim
