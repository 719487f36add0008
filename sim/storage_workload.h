#pragma once
// A randomized SimStorage workload: many concurrent file and directory operations,
// process restarts and machine crashes, under a fault profile drawn from the seed.
// It reports a digest of what it *observed* (every completion's status, every byte
// read, sizes, listings, in completion order) — not of its inputs — so two runs
// with the same seed agree only if the simulation really replayed identically.
// It is the determinism check's subject (tests/determinism_test.cc, .ci/run).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/fault_profile.h"

namespace sluice::sim {

struct StorageWorkloadOptions {
  uint64_t operations = 300;
  // The storage fault profile; unset draws a swarm profile from the seed.
  std::optional<StorageFaultProfile> profile;
  // Called with one line per observed event (for `sluice sim --seed N`).
  std::function<void(const std::string&)> trace;
  // Canary only: lets hash-map iteration order over heap addresses steer the
  // workload, a classic source of nondeterminism. The determinism check must catch it.
  bool plant_nondeterminism = false;
};

struct StorageWorkloadResult {
  std::string digest;  // 32 hex digits
  uint64_t events = 0;
  uint64_t crashes = 0;
  uint64_t faults = 0;
  uint64_t simulated_ns = 0;
  StorageFaultProfile profile;
};

// Describes a profile's odds in one line, for logs.
std::string DescribeProfile(const StorageFaultProfile& profile);

StorageWorkloadResult RunStorageWorkload(uint64_t seed, const StorageWorkloadOptions& options);

}  // namespace sluice::sim
