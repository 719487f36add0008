// The one-replica crash-restart workload: no checker fires over a range of seeds,
// the same seed replays to the same digest, and the workload really crashes, boots
// (also interrupted boots), acknowledges messages, has files damaged while it is down
// and refuses clearly over some of them — so the checkers have something
// to check.
#include "sim/replica_workload.h"

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace sluice::sim {
namespace {

TEST(ReplicaWorkloadTest, NoCheckerFiresAcrossSeeds) {
  uint64_t crashes = 0, interrupted = 0, acked = 0, damaged = 0, refusals = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const ReplicaWorkloadResult result = RunReplicaWorkload(seed, {});
    ASSERT_TRUE(result.violations.empty())
        << "seed " << seed << " (replay: ./sluice sim --seed " << seed
        << "): " << absl::StrJoin(result.violations, "; ");
    crashes += result.crashes;
    interrupted += result.interrupted_boots;
    acked += result.acked_messages;
    damaged += result.damaged_files;
    refusals += result.refusals;
  }
  EXPECT_GT(crashes, 60u);
  EXPECT_GT(interrupted, 5u);
  EXPECT_GT(acked, 500u);
  // Files were damaged while the replica was down (B2 index, B5 segment, B7 durable
  // entry) and some boots refused clearly over them.
  EXPECT_GT(damaged, 20u);
  EXPECT_GT(refusals, 10u);
}

TEST(ReplicaWorkloadTest, TheSameSeedReplaysToTheSameDigest) {
  for (uint64_t seed : {3u, 17u, 99u}) {
    EXPECT_EQ(RunReplicaWorkload(seed, {}).digest, RunReplicaWorkload(seed, {}).digest) << seed;
  }
  EXPECT_NE(RunReplicaWorkload(1, {}).digest, RunReplicaWorkload(2, {}).digest);
}

}  // namespace
}  // namespace sluice::sim
