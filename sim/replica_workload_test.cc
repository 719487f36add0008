// The one-replica crash-restart workload: no checker fires over a range of seeds,
// the same seed replays to the same digest, and the workload really crashes, boots
// (also interrupted boots) and acknowledges messages — so the checkers have something
// to check.
#include "sim/replica_workload.h"

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace sluice::sim {
namespace {

TEST(ReplicaWorkloadTest, NoCheckerFiresAcrossSeeds) {
  uint64_t crashes = 0, interrupted = 0, acked = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const ReplicaWorkloadResult result = RunReplicaWorkload(seed, {});
    ASSERT_TRUE(result.violations.empty())
        << "seed " << seed << " (replay: ./sluice sim --seed " << seed
        << "): " << absl::StrJoin(result.violations, "; ");
    crashes += result.crashes;
    interrupted += result.interrupted_boots;
    acked += result.acked_messages;
  }
  EXPECT_GT(crashes, 60u);
  EXPECT_GT(interrupted, 5u);
  EXPECT_GT(acked, 500u);
}

TEST(ReplicaWorkloadTest, TheSameSeedReplaysToTheSameDigest) {
  for (uint64_t seed : {3u, 17u, 99u}) {
    EXPECT_EQ(RunReplicaWorkload(seed, {}).digest, RunReplicaWorkload(seed, {}).digest) << seed;
  }
  EXPECT_NE(RunReplicaWorkload(1, {}).digest, RunReplicaWorkload(2, {}).digest);
}

}  // namespace
}  // namespace sluice::sim
