#pragma once
// The campaign CLI behind `./sluice sim` (sim/sluice_sim_main.cc is its main), as a
// library so that test binaries can link the very same flag parsing, seed loop,
// reports and exit codes with a planted failure (tests/sim_cli). The production
// binary passes no hooks.
//
// Exit codes: kExitPassed 0, kExitSafety 1 (an invariant, determinism included,
// failed), kExitUsage 2, kExitLiveness 3 (the workload stopped making progress),
// kExitCrash 4 (the simulator aborted: an assertion, or a fatal signal).

#include <cstdint>
#include <functional>

#include "sim/replica_workload.h"

namespace sluice::sim {

inline constexpr int kExitPassed = 0;
inline constexpr int kExitSafety = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitLiveness = 3;
inline constexpr int kExitCrash = 4;

// Test-only seams. Production leaves them empty.
struct SimCliHooks {
  // Runs after the first run of a seed's one-replica workload; may add violations
  // or liveness failures to `result`, or abort.
  std::function<void(uint64_t seed, ReplicaWorkloadResult& result)> after_replica_run;
};

// Parses argv (argv[0] is the program name), runs, and returns the exit code.
int SimCliMain(int argc, char** argv, const SimCliHooks& hooks = {});

}  // namespace sluice::sim
