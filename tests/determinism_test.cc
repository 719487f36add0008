// Determinism: one seed, one digest, in any process. The randomized SimStorage
// workload (sim/storage_workload.h) is run for 1,000 seeds in one process and each
// seed again in a process of its own; every digest must match. A canary build of
// the workload lets pointer-keyed hash-set order steer it, and the same check must
// flag it. (The g++ vs clang comparison of the same digests is a stage of .ci/run.)
#include <gtest/gtest.h>

#include "tests/testing/determinism_check.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace sluice {
namespace {

using testing::NondeterministicSeeds;
using testing::ParseDigests;
using testing::RunCommand;
using testing::SumField;

std::string WorkloadBinary() { return testing::RunfilesBinary("sim/storage_workload_main"); }

TEST(DeterminismTest, ThousandSeedsReplayInSeparateProcesses) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(WorkloadBinary(), 0, testing::SeedsForThisBuild(1000) - 1, "");
  EXPECT_TRUE(mismatches.empty()) << "first nondeterministic seed: " << mismatches.front()
                                  << " (replay: storage_workload_main --seed " << mismatches.front() << ")";
}

TEST(DeterminismTest, DigestsReflectObservationsNotJustSeeds) {
  // Different seeds observe different histories, so their digests differ; a digest
  // of the inputs alone would pass the replay check vacuously only if it were constant.
  const std::map<uint64_t, std::string> digests =
      ParseDigests(RunCommand(absl::StrCat(WorkloadBinary(), " --seeds 0..49")));
  std::set<std::string> distinct;
  for (const auto& [seed, line] : digests) distinct.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(distinct.size(), 50u);
  // The workload really injects faults and crashes across these seeds.
  const uint64_t crashes = SumField(digests, "crashes");
  const uint64_t faults = SumField(digests, "faults");
  EXPECT_GT(crashes, 50u);
  EXPECT_GT(faults, 50u);
}

TEST(DeterminismTest, CanaryWithHashOrderNondeterminismIsCaught) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(WorkloadBinary(), 0, 19, "--canary");
  EXPECT_FALSE(mismatches.empty())
      << "the planted hash-map-order nondeterminism went unnoticed by the check";
}

}  // namespace
}  // namespace sluice
