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

// The faults the mutation proofs need (tests/mutation) are injected, and on the real
// code each gets the answer its rule demands: a truncated index always boots (B2: the
// log wins; a refusal would be a violation); a removed segment that the state record
// lists is refused naming it (B5); a flipped entry proven durable is always refused
// (B7: never cut on one node; a boot over it is a violation).
TEST(ReplicaWorkloadTest, DamagedFilesGetTheAnswerOfTheirRule_B2_B5_B7) {
  ReplicaWorkloadResult totals;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const ReplicaWorkloadResult result = RunReplicaWorkload(seed, {});
    ASSERT_TRUE(result.violations.empty()) << "seed " << seed << ": " << absl::StrJoin(result.violations, "; ");
    totals.indexes_truncated += result.indexes_truncated;
    totals.segments_removed += result.segments_removed;
    totals.segments_removed_refused += result.segments_removed_refused;
    totals.durable_entries_flipped += result.durable_entries_flipped;
    totals.durable_entries_flipped_refused += result.durable_entries_flipped_refused;
    EXPECT_EQ(result.refusals, result.segments_removed_refused + result.durable_entries_flipped_refused);
  }
  EXPECT_GT(totals.indexes_truncated, 5u);
  EXPECT_GT(totals.segments_removed_refused, 5u);
  EXPECT_LE(totals.segments_removed_refused, totals.segments_removed);
  EXPECT_GT(totals.durable_entries_flipped, 5u);
  EXPECT_EQ(totals.durable_entries_flipped_refused, totals.durable_entries_flipped);
}

TEST(ReplicaWorkloadTest, TheSameSeedReplaysToTheSameDigest) {
  for (uint64_t seed : {3u, 17u, 99u}) {
    EXPECT_EQ(RunReplicaWorkload(seed, {}).digest, RunReplicaWorkload(seed, {}).digest) << seed;
  }
  EXPECT_NE(RunReplicaWorkload(1, {}).digest, RunReplicaWorkload(2, {}).digest);
}

}  // namespace
}  // namespace sluice::sim
