// In-process determinism of the randomized network workload: one seed gives one
// digest, the digest reflects what was observed, and the workload really injects
// every network fault. (Across processes: tests/network_determinism_test.cc.)
#include "sim/sim_network_workload.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace sluice::sim {
namespace {

TEST(SimNetworkWorkloadTest, SameSeedSameDigestTwiceInOneProcess) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const NetworkWorkloadResult first = RunNetworkWorkload(seed, {});
    const NetworkWorkloadResult second = RunNetworkWorkload(seed, {});
    EXPECT_EQ(first.digest, second.digest) << "seed " << seed;
    EXPECT_EQ(first.events, second.events) << "seed " << seed;
    EXPECT_EQ(first.simulated_ns, second.simulated_ns) << "seed " << seed;
  }
}

TEST(SimNetworkWorkloadTest, NamedProfilesReplayToo) {
  for (const NetworkFaultProfile& profile :
       {NetworkFaultProfile::None(), NetworkFaultProfile::Light(), NetworkFaultProfile::Heavy()}) {
    NetworkWorkloadOptions options;
    options.profile = profile;
    EXPECT_EQ(RunNetworkWorkload(7, options).digest, RunNetworkWorkload(7, options).digest)
        << profile.name;
  }
}

TEST(SimNetworkWorkloadTest, TracingDoesNotChangeTheRun) {
  std::vector<std::string> lines;
  NetworkWorkloadOptions traced;
  traced.trace = [&lines](const std::string& line) { lines.push_back(line); };
  const NetworkWorkloadResult result = RunNetworkWorkload(3, traced);
  EXPECT_EQ(result.digest, RunNetworkWorkload(3, {}).digest);
  EXPECT_EQ(lines.size(), result.events);
}

TEST(SimNetworkWorkloadTest, DigestsDifferBetweenSeeds) {
  std::set<std::string> digests;
  for (uint64_t seed = 0; seed < 50; ++seed) digests.insert(RunNetworkWorkload(seed, {}).digest);
  EXPECT_EQ(digests.size(), 50u);
}

TEST(SimNetworkWorkloadTest, SwarmSeedsExerciseEveryFault) {
  PacketCounts totals;
  uint64_t crashes = 0, clients = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const NetworkWorkloadResult result = RunNetworkWorkload(seed, {});
    totals.delivered += result.counts.delivered;
    totals.duplicated += result.counts.duplicated;
    totals.dropped_loss += result.counts.dropped_loss;
    totals.dropped_partition += result.counts.dropped_partition;
    totals.dropped_queue_full += result.counts.dropped_queue_full;
    totals.dropped_node_down += result.counts.dropped_node_down;
    totals.clogs += result.counts.clogs;
    totals.partitions += result.counts.partitions;
    crashes += result.crashes;
    clients += result.client_count;
  }
  EXPECT_GT(totals.delivered, 5'000u);
  EXPECT_GT(totals.duplicated, 50u);
  EXPECT_GT(totals.dropped_loss, 50u);
  EXPECT_GT(totals.dropped_partition, 50u);
  EXPECT_GT(totals.dropped_queue_full, 10u);
  EXPECT_GT(totals.dropped_node_down, 50u);
  EXPECT_GT(totals.clogs, 50u);
  EXPECT_GT(totals.partitions, 50u);
  EXPECT_GT(crashes, 50u);
  EXPECT_GT(clients, 20u);
}

}  // namespace
}  // namespace sluice::sim
