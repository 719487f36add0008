// storage_workload: runs the randomized SimStorage workload and prints one line per
// seed: "seed=S digest=D events=E crashes=C faults=F". Used by the determinism
// check (the same seed must print the same digest in any process, with either
// toolchain).
//
//   storage_workload --seed 42
//   storage_workload --seeds 0..999 [--canary]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sim/seed_range.h"
#include "sim/storage_workload.h"

namespace {

int Usage(const char* message) {
  std::fprintf(stderr,
               "storage_workload: %s\n"
               "usage: storage_workload (--seed N | --seeds FIRST..LAST) [--operations N] [--canary]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sluice::sim::SeedRange seeds;
  sluice::sim::StorageWorkloadOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "--seed" || arg == "--seeds") && has_value) {
      const absl::Status parsed = sluice::sim::ParseSeedFlag(arg, argv[++i], seeds);
      if (!parsed.ok()) return Usage(std::string(parsed.message()).c_str());
    } else if (arg == "--operations" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &options.operations)) return Usage("--operations takes a number");
    } else if (arg == "--canary") {
      options.plant_nondeterminism = true;
    } else {
      return Usage(("unknown or incomplete argument: " + arg).c_str());
    }
  }
  if (!seeds.given) return Usage("give --seed or --seeds");
  for (uint64_t seed = seeds.first;; ++seed) {
    const sluice::sim::StorageWorkloadResult result = sluice::sim::RunStorageWorkload(seed, options);
    std::printf("seed=%llu digest=%s events=%llu crashes=%llu faults=%llu\n",
                static_cast<unsigned long long>(seed), result.digest.c_str(),
                static_cast<unsigned long long>(result.events),
                static_cast<unsigned long long>(result.crashes),
                static_cast<unsigned long long>(result.faults));
    if (seed == seeds.last) break;
  }
  return 0;
}
