// The JournalCluster run's trace digest (sim/cluster/commit_checker.h) is
// deterministic: the same seed twice gives the same digest, and the digest sees what
// happened — different seeds give different digests. (The cross-toolchain stage,
// .ci/cross_toolchain_determinism.sh, compares g++ and clang processes.)
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "sim/cluster/journal_cluster_run.h"

namespace sluice::sim {
namespace {

TEST(JournalClusterDeterminismTest, SameSeedTwiceGivesTheSameDigest) {
  std::set<std::string> digests;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const JournalClusterRunResult first = RunJournalClusterSeed(seed);
    const JournalClusterRunResult second = RunJournalClusterSeed(seed);
    ASSERT_TRUE(first.failure.empty()) << first.failure;
    EXPECT_EQ(first.digest.size(), 32u);
    EXPECT_EQ(first.digest, second.digest) << "seed " << seed;
    EXPECT_EQ(first.committed, second.committed) << "seed " << seed;
    digests.insert(first.digest);
  }
  EXPECT_EQ(digests.size(), 4u) << "different seeds gave the same digest";
}

}  // namespace
}  // namespace sluice::sim
