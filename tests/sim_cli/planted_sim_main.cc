// Test-only: `./sluice sim` (the same sim_cli library: flags, seed loop, reports, exit
// codes) with one planted failure, so that tests/sim_cli can prove each documented
// exit code is produced by the failure it documents. Not part of the production
// binary.
//
//   planted_sim --plant KIND@SEED [any ./sluice sim flags]
//
// KIND: safety (a checker violation in the one-replica workload's result), liveness
// (a liveness failure there), crash (an assertion fails while the seed runs).
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "sim/sim_cli.h"

int main(int argc, char** argv) {
  std::vector<char*> rest = {argv[0]};
  std::string kind;
  uint64_t planted_seed = UINT64_MAX;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--plant") == 0 && i + 1 < argc) {
      const std::vector<std::string> parts = absl::StrSplit(argv[++i], '@');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &planted_seed)) return 2;
      kind = parts[0];
    } else {
      rest.push_back(argv[i]);
    }
  }
  sluice::sim::SimCliHooks hooks;
  hooks.after_replica_run = [&](uint64_t seed, sluice::sim::ReplicaWorkloadResult& result) {
    if (seed != planted_seed) return;
    if (kind == "safety") {
      // Quotes, a backslash and a newline: the JSON output must escape them.
      result.violations.push_back("planted violation: \"acknowledged\" message 7 lost\\\n(test)");
    } else if (kind == "liveness") {
      result.liveness_failures.push_back("planted: drain did not finish");
    } else if (kind == "crash") {
      SLUICE_ASSERT(false, "planted assertion failure");
    }
  };
  return sluice::sim::SimCliMain(static_cast<int>(rest.size()), rest.data(), hooks);
}
