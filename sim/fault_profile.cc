#include "sim/fault_profile.h"

#include "absl/strings/str_cat.h"

namespace sluice::sim {

StorageFaultProfile StorageFaultProfile::None() { return StorageFaultProfile{}; }

StorageFaultProfile StorageFaultProfile::Light() {
  StorageFaultProfile profile;
  profile.name = "light";
  profile.read_latent_error = base::Ratio::PerMillion(200);
  profile.write_bit_flip = base::Ratio::PerMillion(100);
  profile.write_misdirected = base::Ratio::PerMillion(50);
  profile.write_no_space = base::Ratio::PerMillion(200);
  profile.sync_failure = base::Ratio::PerMillion(200);
  return profile;
}

StorageFaultProfile StorageFaultProfile::Heavy() {
  StorageFaultProfile profile;
  profile.name = "heavy";
  profile.read_latent_error = base::Ratio::PerMillion(5'000);
  profile.write_bit_flip = base::Ratio::PerMillion(2'000);
  profile.write_misdirected = base::Ratio::PerMillion(1'000);
  profile.write_no_space = base::Ratio::PerMillion(5'000);
  profile.sync_failure = base::Ratio::PerMillion(5'000);
  profile.latency_mean_ns = 400'000;
  return profile;
}

absl::StatusOr<StorageFaultProfile> StorageFaultProfileByName(absl::string_view name) {
  if (name == "none") return StorageFaultProfile::None();
  if (name == "light") return StorageFaultProfile::Light();
  if (name == "heavy") return StorageFaultProfile::Heavy();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown storage fault profile \"", name, "\" (expected none, light or heavy)"));
}

StorageFaultProfile DrawSwarmStorageProfile(base::Prng& prng, uint64_t max_parts_per_million) {
  StorageFaultProfile profile;
  profile.name = "swarm";
  // Each fault is off for about a third of seeds, otherwise at up to the maximum.
  auto draw = [&prng, max_parts_per_million]() {
    if (prng.UniformBelow(3) == 0) return base::Ratio::Never();
    return base::Ratio::PerMillion(prng.UniformBelow(max_parts_per_million + 1));
  };
  profile.read_latent_error = draw();
  profile.write_bit_flip = draw();
  profile.write_misdirected = draw();
  profile.write_no_space = draw();
  profile.sync_failure = draw();
  profile.crash_sector_lands = {prng.UniformBelow(101), 100};
  profile.crash_directory_change_lands = {prng.UniformBelow(101), 100};
  profile.latency_floor_ns = prng.UniformRange(1'000, 100'000);
  profile.latency_mean_ns = prng.UniformRange(0, 1'000'000);
  return profile;
}

}  // namespace sluice::sim
