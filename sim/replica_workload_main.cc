// replica_workload: runs the one-replica crash-restart workload and prints one line
// per seed: "seed=S digest=D boots=B crashes=C acked=A violations=V". Used by the
// determinism checks (the same seed must print the same line in any process, with
// either toolchain). Exits 1 if any seed violated an invariant.
//
//   replica_workload --seed 42
//   replica_workload --seeds 0..999 [--operations N]
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "sim/replica_workload.h"
#include "sim/seed_range.h"

namespace {

int Usage(const char* message) {
  std::fprintf(stderr,
               "replica_workload: %s\n"
               "usage: replica_workload (--seed N | --seeds FIRST..LAST) [--operations N]\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sluice::sim::SeedRange seeds;
  sluice::sim::ReplicaWorkloadOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if ((arg == "--seed" || arg == "--seeds") && has_value) {
      const absl::Status parsed = sluice::sim::ParseSeedFlag(arg, argv[++i], seeds);
      if (!parsed.ok()) return Usage(std::string(parsed.message()).c_str());
    } else if (arg == "--operations" && has_value) {
      if (!absl::SimpleAtoi(argv[++i], &options.operations)) return Usage("--operations takes a number");
    } else {
      return Usage(("unknown or incomplete argument: " + arg).c_str());
    }
  }
  if (!seeds.given) return Usage("give --seed or --seeds");
  int exit_code = 0;
  for (uint64_t seed = seeds.first;; ++seed) {
    const sluice::sim::ReplicaWorkloadResult result = sluice::sim::RunReplicaWorkload(seed, options);
    std::printf("seed=%llu digest=%s boots=%llu crashes=%llu acked=%llu violations=%zu\n",
                static_cast<unsigned long long>(seed), result.digest.c_str(),
                static_cast<unsigned long long>(result.boots),
                static_cast<unsigned long long>(result.crashes),
                static_cast<unsigned long long>(result.acked_messages), result.violations.size());
    if (!result.violations.empty()) exit_code = 1;
    if (seed == seeds.last) break;
  }
  return exit_code;
}
