#include "sim/cluster/random_runs.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sluice::sim {
namespace {

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  uint64_t number = 0;
  return value != nullptr && absl::SimpleAtoi(value, &number) ? number : fallback;
}

}  // namespace

SeedPlan SeedsFromEnvironment(uint64_t default_count, std::span<const uint64_t> regression_seeds) {
  SeedPlan plan;
  const uint64_t single = EnvNumber("VSR_SEED", 0);
  plan.first = single != 0 ? single : EnvNumber("VSR_FIRST_SEED", 1);
  plan.count = single != 0 ? 1 : EnvNumber("VSR_SEEDS", default_count);
  for (uint64_t seed = plan.first; seed < plan.first + plan.count; ++seed) plan.seeds.push_back(seed);
  if (single == 0) {
    for (uint64_t seed : regression_seeds) {
      if (seed < plan.first || seed >= plan.first + plan.count) plan.seeds.push_back(seed);
    }
  }
  return plan;
}

uint64_t ConvergenceBoundTicks(const vsr::ReplicaOptions& options, uint8_t replica_count, uint64_t ops_max,
                               uint64_t state_sync_ticks) {
  const uint64_t view_changes = options.primary_timeout_ticks + (replica_count + 1) * options.view_change_timeout_ticks;
  const uint64_t repair = options.repair_retry_ticks * (ops_max / options.repair_prepares_max + 2) * 2;
  const uint64_t recovery = (replica_count + 1) * options.view_change_resend_ticks;
  return view_changes + repair + state_sync_ticks + recovery +
         4 * (options.heartbeat_interval_ticks + options.prepare_retry_ticks);
}

std::string SeedFailure(const std::string& violation, bool converged, uint64_t bound_ticks) {
  if (!violation.empty()) return absl::StrCat("safety violation: ", violation);
  if (!converged) return absl::StrCat("no convergence within ", bound_ticks, " ticks after faults stopped");
  return "";
}

void ConvergenceSummary::Add(uint64_t convergence_ticks, uint64_t bound_ticks) {
  slowest_ticks_ = std::max(slowest_ticks_, convergence_ticks);
  closest_to_bound_ = std::max(closest_to_bound_, static_cast<double>(convergence_ticks) /
                                                      static_cast<double>(std::max<uint64_t>(bound_ticks, 1)));
}

std::string ConvergenceSummary::Describe() const {
  return absl::StrCat("slowest convergence ", slowest_ticks_, " ticks after faults stopped, at most ",
                      static_cast<int>(closest_to_bound_ * 100), "% of its seed's bound");
}

}  // namespace sluice::sim
