// Network determinism: one seed, one digest, in any process. The randomized network
// workload (sim/sim_network_workload.h: several nodes sending numbered frames under a
// swarm fault profile, with crashes, partitions and clogs) is run for 500 seeds in
// one process and each seed again in a process of its own; every digest must match.
// A canary build of the workload lets pointer-keyed hash-set order pick senders, and
// the same check must flag it. The storage counterpart is determinism_test.cc.
#include <gtest/gtest.h>

#include "tests/testing/determinism_check.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sluice {
namespace {

using testing::NondeterministicSeeds;
using testing::ParseDigests;
using testing::RunCommand;
using testing::SumField;

std::string WorkloadBinary() { return testing::RunfilesBinary("sim/sim_network_workload_main"); }

TEST(NetworkDeterminismTest, FiveHundredSeedsReplayInSeparateProcesses) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(WorkloadBinary(), 0, testing::SeedsForThisBuild(500) - 1, "");
  EXPECT_TRUE(mismatches.empty()) << "first nondeterministic seed: " << mismatches.front()
                                  << " (replay: sim_network_workload_main --seed "
                                  << mismatches.front() << " --trace)";
}

TEST(NetworkDeterminismTest, NamedProfilesReplayInSeparateProcesses) {
  for (const char* profile : {"none", "light", "heavy"}) {
    const std::vector<uint64_t> mismatches =
        NondeterministicSeeds(WorkloadBinary(), 0, 9, absl::StrCat("--profile ", profile));
    EXPECT_TRUE(mismatches.empty())
        << profile << ": first nondeterministic seed " << mismatches.front();
  }
}

TEST(NetworkDeterminismTest, DigestsReflectObservationsNotJustSeeds) {
  const std::map<uint64_t, std::string> digests =
      ParseDigests(RunCommand(absl::StrCat(WorkloadBinary(), " --seeds 0..49")));
  std::set<std::string> distinct;
  for (const auto& [seed, line] : digests) distinct.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(distinct.size(), 50u);
  // The workload really moves frames and injects faults across these seeds.
  EXPECT_GT(SumField(digests, "delivered"), 5'000u);
  EXPECT_GT(SumField(digests, "dropped"), 1'000u);
  EXPECT_GT(SumField(digests, "duplicated"), 50u);
  EXPECT_GT(SumField(digests, "crashes"), 50u);
  EXPECT_GT(SumField(digests, "partitions"), 50u);
  EXPECT_GT(SumField(digests, "clogs"), 50u);
}

TEST(NetworkDeterminismTest, CanaryWithHashOrderNondeterminismIsCaught) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(WorkloadBinary(), 0, 19, "--canary");
  EXPECT_FALSE(mismatches.empty())
      << "the planted hash-set-order nondeterminism went unnoticed by the check";
}

}  // namespace
}  // namespace sluice
