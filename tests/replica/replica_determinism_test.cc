// The one-replica workload is deterministic across processes: 200 seeds run in one
// process and each seed again in a process of its own print identical lines (digest
// of everything observed, boots, crashes, acknowledged messages). The g++/clang
// comparison of the same lines is the CI stage cross-toolchain-determinism.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "tests/testing/determinism_check.h"

namespace sluice {
namespace {

std::string Binary() { return testing::RunfilesBinary("sim/replica_workload_main"); }

TEST(ReplicaDeterminismTest, SeedsReplayIdenticallyInSeparateProcesses) {
  const std::vector<uint64_t> mismatches = testing::NondeterministicSeeds(Binary(), 0, testing::SeedsForThisBuild(200) - 1, "");
  EXPECT_TRUE(mismatches.empty()) << "first nondeterministic seed: " << mismatches.front()
                                  << " (replay: ./sluice sim --seed " << mismatches.front() << ")";
}

TEST(ReplicaDeterminismTest, DigestsDifferAcrossSeeds) {
  const std::map<uint64_t, std::string> lines =
      testing::ParseDigests(testing::RunCommand(absl::StrCat(Binary(), " --seeds 0..49")));
  std::set<std::string> distinct;
  for (const auto& [seed, line] : lines) distinct.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(distinct.size(), lines.size());
  EXPECT_GT(testing::SumField(lines, "acked"), 1000u);
  EXPECT_EQ(testing::SumField(lines, "violations"), 0u);
}

}  // namespace
}  // namespace sluice
