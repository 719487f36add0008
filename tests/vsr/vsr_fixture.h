#pragma once
// Test-only helpers over sim::VsrCluster: a workload of client requests, waiting
// for convergence, and the failure message that names the seed.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/vsr_cluster.h"

namespace sluice::vsr::testing {

inline sim::VsrClusterOptions ScenarioOptions(uint8_t replica_count, uint64_t seed = 1,
                                              uint64_t group_count = 1) {
  sim::VsrClusterOptions options;
  options.seed = seed;
  options.replica_count = replica_count;
  options.group_count = group_count;
  return options;
}

// Submits up to `count` requests round-robin over the groups, one every `every_ticks`,
// retrying while no primary accepts; returns how many were accepted.
inline uint64_t SubmitRequests(sim::VsrCluster& cluster, uint64_t count, uint64_t every_ticks = 1,
                               uint64_t tag = 0) {
  uint64_t accepted = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const size_t group = i % cluster.groups().size();
    const std::string body = absl::StrCat("request ", tag, ".", i);
    if (cluster.Submit(group, base::AsBytes(body)).ok()) ++accepted;
    cluster.RunTicks(every_ticks);
  }
  return accepted;
}

// Keeps submitting until `count` requests were accepted (or `max_ticks` pass).
inline uint64_t SubmitAccepted(sim::VsrCluster& cluster, uint64_t count, uint64_t max_ticks,
                               uint64_t tag = 0) {
  uint64_t accepted = 0;
  for (uint64_t tick = 0; tick < max_ticks && accepted < count; ++tick) {
    const size_t group = accepted % cluster.groups().size();
    const std::string body = absl::StrCat("request ", tag, ".", accepted);
    if (cluster.Submit(group, base::AsBytes(body)).ok()) ++accepted;
    cluster.RunTicks(1);
  }
  return accepted;
}

inline uint64_t TotalCommitted(const sim::VsrCluster& cluster) {
  uint64_t total = 0;
  for (size_t group = 0; group < cluster.groups().size(); ++group) total += cluster.committed(group);
  return total;
}

// Waits for every replica to converge and checks their logs.
inline void ExpectConverges(sim::VsrCluster& cluster, uint64_t max_ticks) {
  const bool converged = cluster.RunUntil([&] { return cluster.Converged(); }, max_ticks);
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  ASSERT_TRUE(converged) << "no convergence within " << max_ticks << " ticks\n" << cluster.Describe();
  cluster.CheckLogs();
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
}

}  // namespace sluice::vsr::testing
