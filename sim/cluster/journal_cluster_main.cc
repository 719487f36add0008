// journal_cluster_main: runs the randomized JournalCluster workload (VSR on the real
// metadata WAL, journal_cluster_run.h) and prints one line per seed:
// "seed=S digest=D committed=C crashes=K corruptions=X wipes=W failed=F". Used by the
// determinism checks (the same seed must print the same line in any process, with
// either toolchain). A failing seed's reason and replay command go to stderr, and the
// exit status is 1.
//
//   journal_cluster_main --seed 42
//   journal_cluster_main --seeds 1..100
#include <cstdio>
#include <string>

#include "sim/cluster/journal_cluster_run.h"
#include "sim/seed_range.h"

namespace {

int Usage(const char* message) {
  std::fprintf(stderr,
               "journal_cluster_main: %s\n"
               "usage: journal_cluster_main (--seed N | --seeds FIRST..LAST)\n",
               message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sluice::sim::SeedRange seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--seed" || arg == "--seeds") && i + 1 < argc) {
      const absl::Status parsed = sluice::sim::ParseSeedFlag(arg, argv[++i], seeds);
      if (!parsed.ok()) return Usage(std::string(parsed.message()).c_str());
    } else {
      return Usage(("unknown or incomplete argument: " + arg).c_str());
    }
  }
  if (!seeds.given) return Usage("give --seed or --seeds");
  int exit_code = 0;
  for (uint64_t seed = seeds.first;; ++seed) {
    const sluice::sim::JournalClusterRunResult result = sluice::sim::RunJournalClusterSeed(seed);
    std::printf("seed=%llu digest=%s committed=%llu crashes=%llu corruptions=%llu wipes=%llu failed=%d\n",
                static_cast<unsigned long long>(seed), result.digest.c_str(),
                static_cast<unsigned long long>(result.committed), static_cast<unsigned long long>(result.crashes),
                static_cast<unsigned long long>(result.corruptions), static_cast<unsigned long long>(result.wipes),
                result.failure.empty() ? 0 : 1);
    if (!result.failure.empty()) {
      std::fprintf(stderr, "%s\n", result.failure.c_str());
      exit_code = 1;
    }
    if (seed == seeds.last) break;
  }
  return exit_code;
}
