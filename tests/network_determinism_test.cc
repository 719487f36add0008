// Network determinism: one seed, one digest, in any process. The randomized network
// workload (sim/sim_network_workload.h: several nodes sending numbered frames under a
// swarm fault profile, with crashes, partitions and clogs) is run for 500 seeds in
// one process and each seed again in a process of its own; every digest must match.
// A canary build of the workload lets pointer-keyed hash-set order pick senders, and
// the same check must flag it. The storage counterpart is determinism_test.cc.
#include <gtest/gtest.h>

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

std::string WorkloadBinary() {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  return absl::StrCat(runfiles != nullptr ? runfiles : ".",
                      "/sluice/sim/sim_network_workload_main");
}

std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t count;
  while ((count = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, count);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return output;
}

// seed -> the rest of its line ("digest=... events=...").
std::map<uint64_t, std::string> ParseDigests(const std::string& output) {
  std::map<uint64_t, std::string> digests;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    uint64_t seed = 0;
    EXPECT_TRUE(absl::StartsWith(line, "seed=") && space != absl::string_view::npos) << line;
    EXPECT_TRUE(absl::SimpleAtoi(line.substr(5, space - 5), &seed)) << line;
    digests[seed] = std::string(line.substr(space + 1));
  }
  return digests;
}

// Seeds whose digest differs between a batch run and a run of the seed alone in a
// fresh process.
std::vector<uint64_t> NondeterministicSeeds(uint64_t first, uint64_t last,
                                            const std::string& flags) {
  const std::map<uint64_t, std::string> batch = ParseDigests(
      RunCommand(absl::StrCat(WorkloadBinary(), " --seeds ", first, "..", last, " ", flags)));
  EXPECT_EQ(batch.size(), last - first + 1);
  std::vector<uint64_t> mismatches;
  for (uint64_t seed = first; seed <= last; ++seed) {
    const std::map<uint64_t, std::string> alone =
        ParseDigests(RunCommand(absl::StrCat(WorkloadBinary(), " --seed ", seed, " ", flags)));
    if (alone.size() != 1 || !batch.contains(seed) || alone.begin()->second != batch.at(seed)) {
      mismatches.push_back(seed);
    }
  }
  return mismatches;
}

uint64_t SumField(const std::map<uint64_t, std::string>& digests, absl::string_view name) {
  uint64_t total = 0;
  for (const auto& [seed, line] : digests) {
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      uint64_t value = 0;
      if (absl::ConsumePrefix(&field, name) && absl::ConsumePrefix(&field, "=") &&
          absl::SimpleAtoi(field, &value)) {
        total += value;
      }
    }
  }
  return total;
}

TEST(NetworkDeterminismTest, FiveHundredSeedsReplayInSeparateProcesses) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(0, 499, "");
  EXPECT_TRUE(mismatches.empty()) << "first nondeterministic seed: " << mismatches.front()
                                  << " (replay: sim_network_workload_main --seed "
                                  << mismatches.front() << " --trace)";
}

TEST(NetworkDeterminismTest, NamedProfilesReplayInSeparateProcesses) {
  for (const char* profile : {"none", "light", "heavy"}) {
    const std::vector<uint64_t> mismatches =
        NondeterministicSeeds(0, 9, absl::StrCat("--profile ", profile));
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
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(0, 19, "--canary");
  EXPECT_FALSE(mismatches.empty())
      << "the planted hash-set-order nondeterminism went unnoticed by the check";
}

}  // namespace
}  // namespace sluice
