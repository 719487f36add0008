// sim_network_workload: runs the randomized network workload and prints one line per
// seed: "seed=S digest=D events=E delivered=V dropped=X duplicated=U crashes=C
// partitions=P clogs=G". Used by the network determinism check (the same seed must
// print the same digest in any process, with either toolchain).
//
//   sim_network_workload_main --seed 42 [--trace]
//   sim_network_workload_main --seeds 0..999 [--profile none|light|heavy] [--canary]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sim/seed_range.h"
#include "sim/network_fault_profile.h"
#include "sim/sim_network_workload.h"

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "sim_network_workload: %s\n"
               "usage: sim_network_workload_main (--seed N | --seeds FIRST..LAST) [--actions N]\n"
               "       [--profile none|light|heavy] [--canary] [--trace]\n",
               message.c_str());
  return 2;
}

void PrintResult(uint64_t seed, const sluice::sim::NetworkWorkloadResult& result) {
  const sluice::sim::PacketCounts& counts = result.counts;
  std::printf(
      "seed=%llu digest=%s events=%llu delivered=%llu dropped=%llu duplicated=%llu crashes=%llu "
      "partitions=%llu clogs=%llu\n",
      static_cast<unsigned long long>(seed), result.digest.c_str(),
      static_cast<unsigned long long>(result.events),
      static_cast<unsigned long long>(counts.delivered),
      static_cast<unsigned long long>(counts.dropped()),
      static_cast<unsigned long long>(counts.duplicated),
      static_cast<unsigned long long>(result.crashes),
      static_cast<unsigned long long>(counts.partitions),
      static_cast<unsigned long long>(counts.clogs));
}

}  // namespace

int main(int argc, char** argv) {
  sluice::sim::SeedRange seeds;
  bool trace = false;
  sluice::sim::NetworkWorkloadOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "--seed" || arg == "--seeds") && has_value) {
      const absl::Status parsed = sluice::sim::ParseSeedFlag(arg, argv[++i], seeds);
      if (!parsed.ok()) return Usage(std::string(parsed.message()));
    } else if (arg == "--actions" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &options.actions)) return Usage("--actions takes a number");
    } else if (arg == "--profile" && has_value) {
      auto profile = sluice::sim::NetworkFaultProfileByName(argv[++i]);
      if (!profile.ok()) return Usage(std::string(profile.status().message()));
      options.profile = *profile;
    } else if (arg == "--canary") {
      options.plant_nondeterminism = true;
    } else if (arg == "--trace") {
      trace = true;
    } else {
      return Usage("unknown or incomplete argument: " + arg);
    }
  }
  if (!seeds.given) return Usage("give --seed or --seeds");
  if (trace) options.trace = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
  for (uint64_t seed = seeds.first;; ++seed) {
    if (trace) std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    const sluice::sim::NetworkWorkloadResult result =
        sluice::sim::RunNetworkWorkload(seed, options);
    if (trace) {
      std::printf("profile %s\n", sluice::sim::DescribeNetworkProfile(result.profile).c_str());
    }
    PrintResult(seed, result);
    if (seed == seeds.last) break;
  }
  return 0;
}
