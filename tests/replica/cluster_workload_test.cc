// The replicated cluster workload (sim/replica_cluster/cluster_workload.h) over a
// fixed seed range per test run (CI's campaign stage runs 200 more seeds with 3
// replicas) — 3 and 5 replicas, crashes and restarts under a swarm network profile
// and the swarm storage and process faults of cluster_faults.h (failed fsyncs, torn
// crashes, corruption, wipes with `format --recover`, crashes during boot and state
// sync), a liveness phase, then every acknowledged message on every replica, once;
// hash-chain and applied-state agreement all along — and its determinism: one seed,
// one digest.
//
// Each campaign runs once per process; the tests below check its verdict and that
// the faults each rule is proven by were exercised.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/cluster_workload.h"

namespace sluice::sim {
namespace {

struct Campaign {
  uint64_t seeds = 0;
  std::string failure;  // the first failing seed's report, empty if none
  uint64_t acked = 0;
  uint64_t crashes = 0;
  uint64_t deleted = 0;
  ClusterFaultCounts faults;
};

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
