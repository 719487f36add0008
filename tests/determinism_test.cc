// Determinism: one seed, one digest, in any process. The randomized SimStorage
// workload (sim/storage_workload.h) is run for 1,000 seeds in one process and each
// seed again in a process of its own; every digest must match. A canary build of
// the workload lets pointer-keyed hash-set order steer it, and the same check must
// flag it. (The g++ vs clang comparison of the same digests is a stage of .ci/run.)
#include <gtest/gtest.h>

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

std::string WorkloadBinary() {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  return absl::StrCat(runfiles != nullptr ? runfiles : ".", "/sluice/sim/storage_workload_main");
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

// The determinism check: seeds whose digest differs between a batch run and a
// run of the seed alone in a fresh process.
std::vector<uint64_t> NondeterministicSeeds(uint64_t first, uint64_t last, const std::string& flags) {
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

TEST(DeterminismTest, ThousandSeedsReplayInSeparateProcesses) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(0, 999, "");
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
  uint64_t crashes = 0, faults = 0;
  for (const auto& [seed, line] : digests) {
    for (absl::string_view field : absl::StrSplit(line, ' ')) {
      uint64_t value = 0;
      if (absl::ConsumePrefix(&field, "crashes=") && absl::SimpleAtoi(field, &value)) crashes += value;
      if (absl::ConsumePrefix(&field, "faults=") && absl::SimpleAtoi(field, &value)) faults += value;
    }
  }
  EXPECT_GT(crashes, 50u);
  EXPECT_GT(faults, 50u);
}

TEST(DeterminismTest, CanaryWithHashOrderNondeterminismIsCaught) {
  const std::vector<uint64_t> mismatches = NondeterministicSeeds(0, 19, "--canary");
  EXPECT_FALSE(mismatches.empty())
      << "the planted hash-map-order nondeterminism went unnoticed by the check";
}

}  // namespace
}  // namespace sluice
