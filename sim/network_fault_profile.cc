#include "sim/network_fault_profile.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sluice::sim {

NetworkFaultProfile NetworkFaultProfile::None() { return NetworkFaultProfile{}; }

// Odds of a busy data-centre network: rare loss and duplication, LAN-scale jitter,
// an occasional short clog, a partition every few simulated seconds.
NetworkFaultProfile NetworkFaultProfile::Light() {
  NetworkFaultProfile profile;
  profile.name = "light";
  profile.latency_floor_ns = 50'000;
  profile.latency_mean_ns = 200'000;
  profile.loss = base::Ratio::PerMillion(1'000);
  profile.duplication = base::Ratio::PerMillion(1'000);
  profile.clog = base::Ratio::PerMillion(100);
  profile.clog_duration_mean_ns = 10'000'000;
  profile.partition_interval_mean_ns = 5'000'000'000;
  profile.partition_duration_mean_ns = 500'000'000;
  profile.partition_asymmetric = {1, 4};
  return profile;
}

// A network that is barely usable: the protocol must stay safe, and make progress
// between the storms.
NetworkFaultProfile NetworkFaultProfile::Heavy() {
  NetworkFaultProfile profile;
  profile.name = "heavy";
  profile.latency_floor_ns = 50'000;
  profile.latency_mean_ns = 2'000'000;
  profile.loss = base::Ratio::PerMillion(20'000);
  profile.duplication = base::Ratio::PerMillion(10'000);
  profile.clog = base::Ratio::PerMillion(2'000);
  profile.clog_duration_mean_ns = 50'000'000;
  profile.partition_interval_mean_ns = 500'000'000;
  profile.partition_duration_mean_ns = 200'000'000;
  profile.partition_asymmetric = {1, 2};
  return profile;
}

absl::StatusOr<NetworkFaultProfile> NetworkFaultProfileByName(absl::string_view name) {
  if (name == "none") return NetworkFaultProfile::None();
  if (name == "light") return NetworkFaultProfile::Light();
  if (name == "heavy") return NetworkFaultProfile::Heavy();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown network fault profile \"", name, "\" (expected none, light or heavy)"));
}

NetworkFaultProfile DrawSwarmNetworkProfile(base::Prng& prng, uint64_t max_parts_per_million) {
  NetworkFaultProfile profile;
  profile.name = "swarm";
  auto draw = [&prng, max_parts_per_million]() {
    if (prng.UniformBelow(3) == 0) return base::Ratio::Never();
    return base::Ratio::PerMillion(prng.UniformBelow(max_parts_per_million + 1));
  };
  profile.latency_floor_ns = prng.UniformRange(10'000, 500'000);
  // A third of seeds run without jitter, so that FIFO paths get tested too.
  const bool jitter = prng.UniformBelow(3) != 0;
  profile.latency_mean_ns = jitter ? prng.UniformRange(1'000, 5'000'000) : 0;
  profile.loss = draw();
  profile.duplication = draw();
  profile.clog = draw();
  profile.clog_duration_mean_ns = prng.UniformRange(1'000'000, 100'000'000);
  const bool partitions = prng.UniformBelow(3) != 0;
  profile.partition_interval_mean_ns =
      partitions ? prng.UniformRange(10'000'000, 2'000'000'000) : 0;
  profile.partition_duration_mean_ns = prng.UniformRange(1'000'000, 500'000'000);
  profile.partition_asymmetric = {prng.UniformBelow(101), 100};
  return profile;
}

std::string DescribeNetworkProfile(const NetworkFaultProfile& profile) {
  auto ppm = [](base::Ratio ratio) { return ratio.numerator * 1'000'000 / ratio.denominator; };
  return absl::StrFormat(
      "%s (latency %d+exp(%d) ns; per million frames: loss %d, duplication %d, clog %d "
      "for exp(%d) ns; partitions every exp(%d) ns for exp(%d) ns, %d%% asymmetric)",
      profile.name, profile.latency_floor_ns, profile.latency_mean_ns, ppm(profile.loss),
      ppm(profile.duplication), ppm(profile.clog), profile.clog_duration_mean_ns,
      profile.partition_interval_mean_ns, profile.partition_duration_mean_ns,
      ppm(profile.partition_asymmetric) / 10'000);
}

}  // namespace sluice::sim
