#pragma once
// Test-only: the determinism check shared by the workload determinism tests. A
// workload binary prints "seed=S <rest>" per seed, <rest> starting with its digest;
// the check runs a batch of seeds in one process and each seed again in a process
// of its own, and reports the seeds whose lines differ.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace sluice::testing {

// How many seeds a cross-process replay check runs: all of `full` in the optimized
// builds; a tenth (at least 10) under the sanitizers (`--config=asan` defines
// SLUICE_SANITIZED), where every seed costs ~20x and two processes per seed. The
// sanitizer run looks for memory errors, which a tenth of the seeds exercise in the
// same code; determinism itself is proven over every seed by the g++ stage and
// compared across toolchains by the cross-toolchain CI stage.
inline uint64_t SeedsForThisBuild(uint64_t full) {
#ifdef SLUICE_SANITIZED
  return full / 10 > 10 ? full / 10 : (full < 10 ? full : 10);
#else
  return full;
#endif
}

// A binary of this workspace, from the test's runfiles.
inline std::string RunfilesBinary(absl::string_view relative) {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  return absl::StrCat(runfiles != nullptr ? runfiles : ".", "/sluice/", relative);
}

inline std::string RunCommand(const std::string& command) {
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
inline std::map<uint64_t, std::string> ParseDigests(const std::string& output) {
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

// Seeds whose line differs between a batch run and a run of the seed alone.
inline std::vector<uint64_t> NondeterministicSeeds(const std::string& binary, uint64_t first, uint64_t last,
                                                   const std::string& flags) {
  const std::map<uint64_t, std::string> batch =
      ParseDigests(RunCommand(absl::StrCat(binary, " --seeds ", first, "..", last, " ", flags)));
  EXPECT_EQ(batch.size(), last - first + 1);
  std::vector<uint64_t> mismatches;
  for (uint64_t seed = first; seed <= last; ++seed) {
    const std::map<uint64_t, std::string> alone =
        ParseDigests(RunCommand(absl::StrCat(binary, " --seed ", seed, " ", flags)));
    if (alone.size() != 1 || !batch.contains(seed) || alone.begin()->second != batch.at(seed)) {
      mismatches.push_back(seed);
    }
  }
  return mismatches;
}

// The sum over seeds of a "name=value" field.
inline uint64_t SumField(const std::map<uint64_t, std::string>& digests, absl::string_view name) {
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

}  // namespace sluice::testing
