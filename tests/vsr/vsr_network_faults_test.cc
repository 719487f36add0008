// Duplicated, reordered and lost packets give the same committed sequence: a
// closed-loop client (the next request only once the previous one committed)
// sends the same requests through a fault-free network and through one that loses,
// duplicates and reorders frames; every replica commits exactly the same bodies in
// the same order in both runs.
#include <string>
#include <vector>

#include "core/wire/header.h"
#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

constexpr uint64_t kRequests = 60;

// Every replica's committed bodies of group 0, after convergence.
std::vector<std::vector<std::string>> RunClosedLoop(uint8_t replica_count, const sim::NetworkFaultProfile& network,
                                                    sim::PacketCounts* counts) {
  sim::VsrClusterOptions options = ScenarioOptions(replica_count, 31);
  options.network = network;
  sim::VsrCluster cluster(options);
  cluster.Start();
  EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 2000)) << cluster.Describe();
  for (uint64_t i = 0; i < kRequests; ++i) {
    const std::string body = absl::StrCat("request ", i);
    // Retry until accepted; then wait for the commit (a view change keeps it).
    const bool accepted = cluster.RunUntil([&] { return cluster.Submit(0, base::AsBytes(body)).ok(); }, 2000);
    EXPECT_TRUE(accepted) << cluster.Describe();
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == i + 1; }, 3000)) << cluster.Describe();
  }
  *counts = cluster.packets().counts();
  cluster.packets().set_random_faults_enabled(false);
  cluster.packets().Heal();
  ExpectConverges(cluster, 3000);
  std::vector<std::vector<std::string>> bodies(replica_count);
  for (uint8_t r = 0; r < replica_count; ++r) {
    for (const auto& [op, entry] : cluster.disk(r, 0).entries()) {
      if (op > cluster.committed(0)) break;
      const ByteSpan body = ByteSpan(entry.frame).subspan(wire::kHeaderSize);
      bodies[r].emplace_back(body.begin(), body.end());
    }
  }
  return bodies;
}

class NetworkFaults : public ::testing::TestWithParam<uint8_t> {};

TEST_P(NetworkFaults, DuplicatedReorderedAndLostPacketsGiveTheSameCommittedSequence) {
  sim::NetworkFaultProfile faulty = sim::NetworkFaultProfile::None();
  faulty.name = "loss, duplication, reordering";
  faulty.latency_mean_ns = 3'000'000;  // jitter: frames overtake each other
  faulty.loss = base::Ratio::PerMillion(50'000);
  faulty.duplication = base::Ratio::PerMillion(50'000);
  sim::PacketCounts clean_counts, messy_counts;
  const auto clean = RunClosedLoop(GetParam(), sim::NetworkFaultProfile::None(), &clean_counts);
  const auto messy = RunClosedLoop(GetParam(), faulty, &messy_counts);
  EXPECT_EQ(clean_counts.dropped_loss + clean_counts.duplicated, 0u);
  EXPECT_GT(messy_counts.dropped_loss, 5u);
  EXPECT_GT(messy_counts.duplicated, 5u);
  std::vector<std::string> expected;
  for (uint64_t i = 0; i < kRequests; ++i) expected.push_back(absl::StrCat("request ", i));
  for (uint8_t r = 0; r < GetParam(); ++r) {
    EXPECT_EQ(clean[r], expected) << "replica " << int{r} << " without faults";
    EXPECT_EQ(messy[r], expected) << "replica " << int{r} << " with faults";
  }
}

INSTANTIATE_TEST_SUITE_P(Replicas, NetworkFaults, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr::testing
