// The checked-in regression seeds (sim/regression_seeds.txt and, for the 3-replica
// cluster, sim/cluster_regression_seeds.txt: each seed with what it once caught) pass
// under `./sluice sim --regressions[-file]`, every listed seed runs once, and a
// failing listed seed fails the run (the files are the lists CI replays).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/sim_cli/json_check.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice {
namespace {

std::set<uint64_t> ListedSeeds(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good());
  std::set<uint64_t> seeds;
  std::string line;
  while (std::getline(file, line)) {
    const std::string text(absl::StripAsciiWhitespace(line.substr(0, line.find('#'))));
    if (text.empty()) continue;
    uint64_t seed = 0;
    EXPECT_TRUE(absl::SimpleAtoi(text, &seed)) << line;
    EXPECT_NE(line.find('#'), std::string::npos) << "seed " << seed << " needs a comment saying what it caught";
    seeds.insert(seed);
  }
  return seeds;
}

// Runs `sluice_sim FLAGS --json` and checks that exactly the seeds listed in `path` ran
// and passed.
void ExpectListedSeedsPass(const std::string& path, const std::string& flags) {
  const std::set<uint64_t> listed = ListedSeeds(path);
  ASSERT_FALSE(listed.empty());
  const testing::ProcessOutcome outcome = testing::RunToEnd(
      "{ " + testing::RunfilesBinary("sim/sluice_sim") + " " + flags + " --json 2>/dev/null; }");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  std::string error;
  const std::optional<testing::Json> json = testing::JsonParser::Parse(outcome.output, &error);
  ASSERT_TRUE(json.has_value()) << error;
  std::set<uint64_t> ran;
  for (const testing::Json& result : (*json)["results"].items) {
    EXPECT_EQ(result["verdict"].text, "passed") << result["seed"].text << ": " << result["failure"].text;
    ran.insert(result["seed"].AsUint().value_or(UINT64_MAX));
  }
  EXPECT_EQ(ran, listed);
}

TEST(RegressionSeedsTest, EveryListedSeedRunsAndPasses) {
  ExpectListedSeedsPass("sim/regression_seeds.txt", "--regressions");
}

// The cluster campaign's list (sim/cluster_regression_seeds.txt), with 3 replicas.
TEST(RegressionSeedsTest, EveryListedClusterSeedRunsAndPassesWithThreeReplicas) {
  ExpectListedSeedsPass("sim/cluster_regression_seeds.txt",
                        "--replicas 3 --regressions-file sim/cluster_regression_seeds.txt");
}

}  // namespace
}  // namespace sluice
