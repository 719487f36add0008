// Runs the cluster workload (cluster_workload.h) over a seed range and prints one
// line per seed: seed, digest, verdict.
// `--seeds A..B [--replicas N] [--operations N] [--trace] [--no-check-promises]`
// (the promise check, ReplicaClusterOptions::check_promises, is on by default, as in
// `./sluice sim --replicas N`; turning it off isolates the other checkers).
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sim/replica_cluster/cluster_workload.h"

int main(int argc, char** argv) {
  uint64_t first = 0, last = 9;
  sluice::sim::ClusterWorkloadOptions options;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--trace") {
      // Unbuffered: the lines before an assertion's abort are the ones that matter.
      options.trace = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
      --i;
      continue;
    }
    if (flag == "--no-check-promises") {  // ReplicaClusterOptions::check_promises
      options.check_promises = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[i + 1];
    if (flag == "--seeds") {
      const std::vector<std::string> range = absl::StrSplit(value, "..");
      if (range.size() != 2 || !absl::SimpleAtoi(range[0], &first) || !absl::SimpleAtoi(range[1], &last)) {
        std::fprintf(stderr, "--seeds takes A..B\n");
        return 2;
      }
    } else if (flag == "--operations") {  // `./sluice sim` runs 300
      if (!absl::SimpleAtoi(value, &options.operations) || options.operations == 0) {
        std::fprintf(stderr, "--operations takes a positive number\n");
        return 2;
      }
    } else if (flag == "--replicas") {
      uint32_t replicas = 0;
      if (!absl::SimpleAtoi(value, &replicas) || (replicas != 3 && replicas != 5)) {
        std::fprintf(stderr, "--replicas takes 3 or 5\n");
        return 2;
      }
      options.replicas = static_cast<uint8_t>(replicas);
    } else {
      std::fprintf(stderr, "usage: %s --seeds A..B [--replicas 3|5] [--operations N] [--trace] [--no-check-promises]\n", argv[0]);
      return 2;
    }
  }
  int failed = 0;
  sluice::sim::ClusterFaultCounts total;
  unsigned long long offset_stores = 0, joins = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    const sluice::sim::ClusterWorkloadResult result = sluice::sim::RunClusterWorkload(seed, options);
    const bool ok = result.violations.empty() && result.liveness_failures.empty();
    failed += !ok;
    std::printf("%llu %s %s\n", static_cast<unsigned long long>(seed), result.digest.c_str(),
                ok ? "passed"
                   : (result.violations.empty() ? result.liveness_failures[0] : result.violations[0]).c_str());
    std::fflush(stdout);  // a later seed's abort must not swallow this line
    const sluice::sim::ClusterFaultCounts& faults = result.faults;
    total.sync_failures += faults.sync_failures;
    total.fail_stops += faults.fail_stops;
    total.fail_stop_restarts += faults.fail_stop_restarts;
    total.torn_crashes += faults.torn_crashes;
    total.wal_corruptions += faults.wal_corruptions;
    total.segment_corruptions += faults.segment_corruptions;
    total.state_record_corruptions += faults.state_record_corruptions;
    total.faulty_ops += faults.faulty_ops;
    total.wipes += faults.wipes;
    total.voters_restored += faults.voters_restored;
    total.boot_crashes += faults.boot_crashes;
    total.state_syncs += faults.state_syncs;
    total.sync_crashes += faults.sync_crashes;
    offset_stores += result.consumers.stores_acknowledged;
    joins += result.consumers.joins;
  }
  std::printf(
      "%d failed; faults: %llu sync failures, %llu fail-stops, %llu fail-stop restarts, %llu torn crashes, "
      "%llu WAL / %llu segment / %llu state-record corruptions, %llu faulty entries found by recoveries, %llu wipes, %llu voters restored, "
      "%llu boot crashes, %llu state syncs, %llu state-sync crashes; consumers: %llu offset stores acknowledged, "
      "%llu group joins\n",
      failed, static_cast<unsigned long long>(total.sync_failures), static_cast<unsigned long long>(total.fail_stops),
      static_cast<unsigned long long>(total.fail_stop_restarts), static_cast<unsigned long long>(total.torn_crashes),
      static_cast<unsigned long long>(total.wal_corruptions), static_cast<unsigned long long>(total.segment_corruptions),
      static_cast<unsigned long long>(total.state_record_corruptions),
      static_cast<unsigned long long>(total.faulty_ops), static_cast<unsigned long long>(total.wipes),
      static_cast<unsigned long long>(total.voters_restored), static_cast<unsigned long long>(total.boot_crashes),
      static_cast<unsigned long long>(total.state_syncs), static_cast<unsigned long long>(total.sync_crashes),
      offset_stores, joins);
  return failed == 0 ? 0 : 1;
}
