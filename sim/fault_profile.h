#pragma once
// Storage fault profiles: how often SimStorage injects each fault on its own.
//
// Every fault can also be injected by name from a test (SimStorage::Inject*), at a
// chosen file and offset. A profile only sets the odds for a seed's run; "swarm"
// campaigns draw a profile's numbers per seed (see DrawSwarmStorageProfile).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/prng.h"

namespace sluice::sim {

struct StorageFaultProfile {
  std::string name = "none";
  // Per operation:
  base::Ratio read_latent_error = base::Ratio::Never();  // a read finds a bad sector (EIO)
  base::Ratio write_bit_flip = base::Ratio::Never();     // a written sector is stored corrupt
  base::Ratio write_misdirected = base::Ratio::Never();  // a write lands at another offset
  base::Ratio write_no_space = base::Ratio::Never();     // a write fails with ENOSPC
  base::Ratio sync_failure = base::Ratio::Never();       // a sync fails (EIO, or ENOSPC)
  // At a machine crash: the chance each unsynced sector / directory change landed.
  base::Ratio crash_sector_lands = {1, 2};
  base::Ratio crash_directory_change_lands = {1, 2};
  // Completion latency: floor + exponential(mean). Different latencies reorder
  // completions of operations that were in flight together.
  uint64_t latency_floor_ns = 20'000;
  uint64_t latency_mean_ns = 80'000;

  static StorageFaultProfile None();
  static StorageFaultProfile Light();
  static StorageFaultProfile Heavy();
};

// "none", "light" or "heavy"; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<StorageFaultProfile> StorageFaultProfileByName(absl::string_view name);

// A profile whose odds are drawn from `prng` (swarm testing: each seed stresses a
// different mix, some faults off entirely). Each fault's odds are at most
// `max_parts_per_million` per operation.
StorageFaultProfile DrawSwarmStorageProfile(base::Prng& prng,
                                            uint64_t max_parts_per_million = 10'000);

}  // namespace sluice::sim
