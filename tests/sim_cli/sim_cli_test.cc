// The campaign CLI (`./sluice sim`, sim/sim_cli.h) as a developer or a job runner uses
// it: shards that together cover exactly one unsharded campaign with the same per-seed
// results, `--json` that parses (single seed, campaign, failures with quotes in their
// message), the same digest for the same seed in separate processes, each documented
// exit code produced by the failure it documents (planted in tests/sim_cli:planted_sim,
// never in the production binary), and a truthful --help.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/sim_cli/json_check.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice {
namespace {

using testing::Json;
using testing::JsonParser;
using testing::RunToEnd;

std::string Sim() { return testing::RunfilesBinary("sim/sluice_sim"); }
std::string Planted() { return testing::RunfilesBinary("tests/sim_cli/planted_sim"); }

// Exit code and stdout only (the progress line and failure reports go to stderr).
testing::ProcessOutcome Stdout(const std::string& command) { return RunToEnd("{ " + command + " 2>/dev/null; }"); }

Json ParseOrFail(const std::string& text) {
  std::string error;
  const std::optional<Json> json = JsonParser::Parse(text, &error);
  EXPECT_TRUE(json.has_value()) << error << " in: " << text;
  return json.value_or(Json{});
}

// seed -> "verdict digest", from a campaign's --json output.
std::map<uint64_t, std::string> ResultsBySeed(const Json& campaign) {
  std::map<uint64_t, std::string> results;
  for (const Json& result : campaign["results"].items) {
    const std::optional<uint64_t> seed = result["seed"].AsUint();
    EXPECT_TRUE(seed.has_value());
    EXPECT_FALSE(results.contains(*seed)) << "seed " << *seed << " reported twice";
    results[*seed] = result["verdict"].text + " " + result["digest"].text;
  }
  return results;
}

const uint64_t kSeeds = testing::SeedsForThisBuild(24);

TEST(SimCliTest, JsonCheckRejectsWhatIsNotJson) {
  EXPECT_TRUE(JsonParser::Parse(R"({"a":[1,-2.5e3,"x\"y\n",true,null],"b":{}})").has_value());
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"tab\there\"", "{\"a\":1,\"a\":2}",
                          "01", "{a:1}", "\"\\q\""}) {
    EXPECT_FALSE(JsonParser::Parse(bad).has_value()) << bad;
  }
}

TEST(SimCliTest, ShardsTogetherCoverExactlyTheUnshardedSeedsWithTheSameResults) {
  const std::string range = absl::StrCat(" --first-seed 100 --seeds ", kSeeds, " --json");
  const testing::ProcessOutcome whole = Stdout(Sim() + range);
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const Json whole_json = ParseOrFail(whole.output);
  const std::map<uint64_t, std::string> expected = ResultsBySeed(whole_json);
  ASSERT_EQ(expected.size(), kSeeds);
  EXPECT_EQ(expected.begin()->first, 100u);
  EXPECT_EQ(expected.rbegin()->first, 100u + kSeeds - 1);

  std::map<uint64_t, std::string> union_of_shards;
  for (int shard = 0; shard < 4; ++shard) {
    const testing::ProcessOutcome part = Stdout(absl::StrCat(Sim(), range, " --shard ", shard, "/4"));
    ASSERT_EQ(part.exit_code, 0) << part.output;
    const Json json = ParseOrFail(part.output);
    EXPECT_EQ(json["shard"].text, absl::StrCat(shard, "/4"));
    const std::map<uint64_t, std::string> results = ResultsBySeed(json);
    EXPECT_EQ(json["seeds"].AsUint(), results.size());
    for (const auto& [seed, result] : results) {
      EXPECT_EQ(seed % 4, static_cast<uint64_t>(shard)) << "seed " << seed << " in shard " << shard;
      EXPECT_TRUE(union_of_shards.emplace(seed, result).second) << "seed " << seed << " in two shards";
    }
  }
  EXPECT_EQ(union_of_shards, expected);
}

TEST(SimCliTest, TheSameSeedPrintsTheSameDigestInSeparateProcesses) {
  std::vector<std::string> digests;
  for (int run = 0; run < 2; ++run) {
    const testing::ProcessOutcome outcome = Stdout(Sim() + " --seed 7");
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    ASSERT_TRUE(absl::StartsWith(outcome.output, "seed 7\n")) << "the seed comes first";
    const std::vector<std::string> lines = absl::StrSplit(outcome.output, '\n', absl::SkipEmpty());
    ASSERT_TRUE(absl::StartsWith(lines.back(), "digest ")) << "the digest comes last: " << lines.back();
    digests.push_back(lines.back().substr(7));
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(digests[0].size(), 96u);
  // The campaign reports the same digest for the seed, and --seed --json too.
  const Json campaign = ParseOrFail(Stdout(Sim() + " --first-seed 7 --seeds 1 --json").output);
  EXPECT_EQ(ResultsBySeed(campaign).at(7), "passed " + digests[0]);
  const Json single = ParseOrFail(Stdout(Sim() + " --seed 7 --json").output);
  EXPECT_EQ(single["digest"].text, digests[0]);
  EXPECT_EQ(single["verdict"].text, "passed");
  EXPECT_EQ(single["replay"].text, "./sluice sim --seed 7");
  EXPECT_NE(ParseOrFail(Stdout(Sim() + " --seed 8 --json").output)["digest"].text, digests[0]);
}

TEST(SimCliTest, WithNothingPlantedTheTestBinaryPasses) {
  const testing::ProcessOutcome outcome = RunToEnd(Planted() + " --seeds 3");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "3 seeds, 0 failed")) << outcome.output;
}

TEST(SimCliTest, ASafetyViolationExitsOneWithTheSeedTheInvariantAndTheReplayCommand) {
  const testing::ProcessOutcome campaign = RunToEnd(Planted() + " --plant safety@2 --seeds 4");
  EXPECT_EQ(campaign.exit_code, 1) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "FAILED (safety) seed 2: replica: planted violation"))
      << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "replay: ./sluice sim --seed 2")) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "4 seeds, 1 failed (1 safety, 0 liveness)")) << campaign.output;

  const testing::ProcessOutcome single = RunToEnd(Planted() + " --plant safety@2 --seed 2");
  EXPECT_EQ(single.exit_code, 1) << single.output;
  EXPECT_TRUE(absl::StrContains(single.output, "FAILED (safety): seed 2")) << single.output;

  // The failure's message (quotes, backslash, newline) is escaped in the JSON.
  const testing::ProcessOutcome json = Stdout(Planted() + " --plant safety@2 --seeds 4 --json");
  EXPECT_EQ(json.exit_code, 1);
  const Json parsed = ParseOrFail(json.output);
  EXPECT_EQ(parsed["safety_failures"].AsUint(), 1u);
  EXPECT_EQ(parsed["first_failure"].AsUint(), 2u);
  const Json& failed = parsed["results"].items.at(2);
  EXPECT_EQ(failed["verdict"].text, "safety");
  EXPECT_EQ(failed["failure"].text, "replica: planted violation: \"acknowledged\" message 7 lost\\\n(test)");
  EXPECT_EQ(failed["replay"].text, "./sluice sim --seed 2");
  const Json single_json = ParseOrFail(Stdout(Planted() + " --plant safety@2 --seed 2 --json").output);
  EXPECT_EQ(single_json["verdict"].text, "safety");
}

TEST(SimCliTest, ALivenessFailureExitsThree) {
  const testing::ProcessOutcome campaign = RunToEnd(Planted() + " --plant liveness@1 --seeds 3");
  EXPECT_EQ(campaign.exit_code, 3) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "FAILED (liveness) seed 1: replica: planted: drain did not finish"))
      << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "replay: ./sluice sim --seed 1")) << campaign.output;
  EXPECT_EQ(RunToEnd(Planted() + " --plant liveness@1 --seed 1").exit_code, 3);
  const Json json = ParseOrFail(Stdout(Planted() + " --plant liveness@1 --seeds 3 --json").output);
  EXPECT_EQ(json["liveness_failures"].AsUint(), 1u);
  EXPECT_EQ(json["results"].items.at(1)["verdict"].text, "liveness");
}

TEST(SimCliTest, ACrashExitsFourNamingTheSeedAndTheReplayCommand) {
  const testing::ProcessOutcome campaign = RunToEnd(Planted() + " --plant crash@2 --seeds 4");
  EXPECT_EQ(campaign.exit_code, 4) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "planted assertion failure")) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "CRASHED")) << campaign.output;
  EXPECT_TRUE(absl::StrContains(campaign.output, "while running seed 2; replay: ./sluice sim --seed 2"))
      << campaign.output;
  const testing::ProcessOutcome single = RunToEnd(Planted() + " --plant crash@5 --seed 5 --json");
  EXPECT_EQ(single.exit_code, 4) << single.output;
}

TEST(SimCliTest, UsageErrorsExitTwo) {
  for (const char* flags : {"--bogus", "--seed", "--seed x", "--seeds 0", "--shard 4/4", "--shard 1", "--shard a/b",
                            "--profile wild", "--operations 0", "--seed 1 --seeds 3", "--replicas 4", "--replicas x", "--ticks 10",
                            "--regressions --first-seed 3", "--regressions-file /nonexistent/seeds.txt"}) {
    const testing::ProcessOutcome outcome = RunToEnd(Sim() + " " + flags);
    EXPECT_EQ(outcome.exit_code, 2) << flags << ": " << outcome.output;
    EXPECT_TRUE(absl::StrContains(outcome.output, "sluice sim: ")) << flags << ": " << outcome.output;
  }
  const std::string bad_list = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bad_seeds.txt");
  ASSERT_EQ(RunToEnd("printf '1 # fine\\nseven # not a seed\\n' > " + bad_list).exit_code, 0);
  const testing::ProcessOutcome outcome = RunToEnd(Sim() + " --regressions-file " + bad_list);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "bad_seeds.txt:2: expected a seed, found 'seven'")) << outcome.output;
}

TEST(SimCliTest, HelpNamesEveryFlagAndExitCodeAndEachFlagItNamesIsAccepted) {
  const testing::ProcessOutcome help = RunToEnd(Sim() + " --help");
  ASSERT_EQ(help.exit_code, 0);
  for (const char* text : {"--seed N", "--seeds COUNT", "--first-seed N", "--shard I/N", "--regressions",
                           "--regressions-file PATH", "--profile NAME", "--operations N", "--replicas N", "--json",
                           "--help",
                           "0 passed", "1 safety violation", "2 usage error", "3 liveness failure",
                           "4 simulator\ncrash"}) {
    EXPECT_TRUE(absl::StrContains(help.output, text)) << text;
  }
  // Every flag the help names is accepted (a tiny campaign with all of them).
  const testing::ProcessOutcome all = Stdout(
      Sim() + " --first-seed 3 --seeds 2 --shard 1/2 --profile light --operations 20 --replicas 3 --json");
  EXPECT_EQ(all.exit_code, 0) << all.output;
  const Json json = ParseOrFail(all.output);
  EXPECT_EQ(json["seeds"].AsUint(), 1u);
  EXPECT_EQ(json["profile"].text, "light");
  EXPECT_EQ(ResultsBySeed(json).begin()->first, 3u);
  for (const char* profile : {"none", "heavy", "swarm"}) {
    EXPECT_EQ(Stdout(Sim() + " --seeds 1 --operations 20 --profile " + profile).exit_code, 0) << profile;
  }
}

}  // namespace
}  // namespace sluice
