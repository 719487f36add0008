#pragma once
// What the randomized cluster tests (tests/vsr/vsr_random_test.cc on in-memory logs,
// tests/vsr/journal_cluster_random_test.cc on the real WAL) share: which seeds to run,
// the convergence bound they derive from the configured timeouts, and the summary of
// how close to it the seeds converged.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/vsr/replica.h"

namespace sluice::sim {

// The seeds of a run, from the test's environment (a replay is one command):
// VSR_SEED=N runs seed N alone; otherwise VSR_SEEDS (default `default_count`) seeds
// from VSR_FIRST_SEED (default 1), then each regression seed outside that range.
struct SeedPlan {
  uint64_t first = 1;
  uint64_t count = 0;               // of the range (without the regression seeds)
  std::vector<uint64_t> seeds;      // to run, in order
};
SeedPlan SeedsFromEnvironment(uint64_t default_count, std::span<const uint64_t> regression_seeds = {});

// Convergence bound once faults stop and every replica is up: the primary's silence
// is noticed, then up to replica_count + 1 view changes (each bounded by its timeout)
// elect a live primary, lagging replicas repair at repair_prepares_max ops per
// repair_retry_ticks (ops_max bounds what any replica can lag by), a recovering
// replica (B17) learns the view with a ping per view change, plus heartbeat and
// prepare-retry rounds, plus `state_sync_ticks` for a state sync (B15), which each
// harness bounds from its own snapshot sizes.
uint64_t ConvergenceBoundTicks(const vsr::ReplicaOptions& options, uint8_t replica_count, uint64_t ops_max,
                               uint64_t state_sync_ticks);

// Why a seed failed, or "" if it passed: the checker's violation, else no convergence
// within `bound_ticks` once faults stopped.
std::string SeedFailure(const std::string& violation, bool converged, uint64_t bound_ticks);

// The slowest convergence of a run's seeds, in ticks and as a share of its seed's bound.
class ConvergenceSummary {
 public:
  void Add(uint64_t convergence_ticks, uint64_t bound_ticks);
  // "slowest convergence T ticks after faults stopped, at most P% of its seed's bound"
  std::string Describe() const;

 private:
  uint64_t slowest_ticks_ = 0;
  double closest_to_bound_ = 0;  // convergence ticks / bound, the highest
};

}  // namespace sluice::sim
