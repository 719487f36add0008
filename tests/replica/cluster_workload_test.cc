// The replicated cluster workload (sim/replica_cluster/cluster_workload.h) over a
// fixed seed range per test run (CI's campaign stage runs 200 more seeds with 3 replicas) — 3 and 5 replicas, crashes and restarts under a swarm
// network profile, a liveness phase, then every acknowledged message on every
// replica, once (rules B4, B16; hash-chain and applied-state agreement all along) —
// and its determinism: one seed, one digest.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/cluster_workload.h"

namespace sluice::sim {
namespace {

void ExpectSeedsPass(uint8_t replicas, uint64_t first, uint64_t count) {
  uint64_t acked = 0, crashes = 0, deleted = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const ClusterWorkloadResult result = RunClusterWorkload(seed, {.replicas = replicas});
    const std::string replay = absl::StrCat("replay: ./sluice sim --seed ", seed, " --replicas ", int{replicas},
                                            " (or bazel-bin/sim/replica_cluster/cluster_workload_main --seeds ", seed,
                                            "..", seed, " --replicas ", int{replicas}, " --trace)");
    ASSERT_TRUE(result.violations.empty()) << "seed " << seed << ": " << result.violations[0] << "\n" << replay;
    ASSERT_TRUE(result.liveness_failures.empty()) << "seed " << seed << ": " << result.liveness_failures[0] << "\n"
                                                  << replay;
    acked += result.acked_messages;
    crashes += result.crashes;
    deleted += result.topics_deleted;
  }
  // The runs must exercise what they claim to.
  EXPECT_GT(acked, count * 10);
  EXPECT_GT(crashes, count);
  EXPECT_GT(deleted, count);
  std::printf("%d replicas, %llu seeds: %llu acknowledged messages, %llu crashes, %llu topics deleted\n", replicas,
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(acked),
              static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(deleted));
}

TEST(ClusterWorkloadTest, ThreeReplicaSeedsAreSafeAndConverge_B4_B16) { ExpectSeedsPass(3, 0, 60); }

TEST(ClusterWorkloadTest, FiveReplicaSeedsAreSafeAndConverge_B4_B16) { ExpectSeedsPass(5, 0, 15); }

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
