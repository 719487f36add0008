// Randomized VSR runs, one per seed (TigerBeetle's VOPR style): swarm network faults
// (loss, duplication, reordering, clogging, partitions), crashes and restarts of up
// to f replicas, torn unsynced log tails, client requests throughout. The cluster's
// checker verifies on every commit that all replicas agree on each committed op's
// checksum and commit in order, and that recovered logs keep committed checksums.
// Once faults stop and every replica is up, the cluster must converge (every
// replica normal in one view, every group committed to its head, logs equal to the
// committed checksums) within a bound derived from the configured timeouts.
//
// Replay one seed:  bazel test //tests/vsr:vsr_random_test --test_env=VSR_SEED=<seed>
// More seeds:       bazel test //tests/vsr:vsr_random_test --test_env=VSR_SEEDS=5000
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "core/base/prng.h"
#include "sim/network_fault_profile.h"
#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

constexpr uint64_t kFaultTicks = 2000;
constexpr uint64_t kSeedsDefault = 200;

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  uint64_t number = 0;
  return value != nullptr && absl::SimpleAtoi(value, &number) ? number : fallback;
}

// Convergence bound once faults stop: the primary's silence is noticed, then up to
// replica_count + 1 view changes (each bounded by its timeout) elect a live
// primary, then lagging replicas repair at repair_prepares_max ops per
// repair_retry_ticks (ops_max bounds what any replica can lag by), plus heartbeat
// and prepare-retry rounds.
uint64_t ConvergenceBoundTicks(const ReplicaOptions& options, uint8_t replica_count, uint64_t ops_max) {
  return options.primary_timeout_ticks + (replica_count + 1) * options.view_change_timeout_ticks +
         options.repair_retry_ticks * (ops_max / options.repair_prepares_max + 2) * 2 +
         4 * (options.heartbeat_interval_ticks + options.prepare_retry_ticks);
}

struct SeedResult {
  std::string failure;  // empty: passed
  uint64_t committed = 0;
  uint64_t view_changes = 0;
  uint64_t crashes = 0;
};

SeedResult RunSeed(uint64_t seed) {
  base::Prng prng(base::DeriveSeed(seed, 77));
  sim::VsrClusterOptions options;
  options.seed = seed;
  options.replica_count = prng.UniformBelow(2) == 0 ? 3 : 5;
  options.group_count = 1 + prng.UniformBelow(4);
  options.network = sim::DrawSwarmNetworkProfile(prng);
  options.crash_entry_lands = {prng.UniformBelow(3), 2};  // never, half, always
  options.log_sync_delay_ticks = prng.UniformBelow(3);
  const uint64_t request_odds = 1 + prng.UniformBelow(4);  // per tick, in 4
  const uint64_t crash_odds = prng.UniformBelow(4);        // per 1,000 ticks
  sim::VsrCluster cluster(options);
  cluster.Start();

  SeedResult result;
  const uint8_t f = (options.replica_count - 1) / 2;
  uint64_t request = 0;
  for (uint64_t tick = 0; tick < kFaultTicks && cluster.violation().empty(); ++tick) {
    if (prng.UniformBelow(4) < request_odds) {
      const size_t group = prng.UniformBelow(options.group_count);
      const std::string body = absl::StrCat("seed ", seed, " request ", request++);
      (void)cluster.Submit(group, base::AsBytes(body));
    }
    if (prng.UniformBelow(1000) < crash_odds) {
      const uint8_t victim = static_cast<uint8_t>(prng.UniformBelow(options.replica_count));
      uint8_t down = 0;
      for (uint8_t r = 0; r < options.replica_count; ++r) {
        if (cluster.replica(r) == nullptr) ++down;
      }
      if (cluster.replica(victim) != nullptr && down < f) {
        // The fault model (DESIGN.md): every committed op keeps an intact copy on some
        // replica. A crash that tears a log tail (unsynced entries landing after a lost
        // one: an uncertain tail) is drawn only while no other replica's log is torn,
        // since two overlapping uncertain tails may both hold the only copies of an op.
        bool others_torn = false;
        for (uint8_t r = 0; r < options.replica_count; ++r) {
          if (r != victim && cluster.HasTornLog(r)) others_torn = true;
        }
        std::optional<base::Ratio> lands;
        if (others_torn) lands = prng.UniformBelow(2) == 0 ? base::Ratio::Never() : base::Ratio::Always();
        cluster.Crash(victim, lands);
        ++result.crashes;
      }
    }
    if (prng.UniformBelow(100) == 0) {
      for (uint8_t r = 0; r < options.replica_count; ++r) {
        if (cluster.replica(r) == nullptr && cluster.storage(r).operations_in_flight() == 0 &&
            prng.UniformBelow(2) == 0) {
          cluster.Restart(r);
        }
      }
    }
    cluster.RunTicks(1);
  }
  // Faults stop: heal the network, restart whoever is down.
  cluster.packets().Heal();
  cluster.packets().set_random_faults_enabled(false);
  for (uint8_t r = 0; r < options.replica_count; ++r) {
    if (cluster.replica(r) == nullptr) {
      cluster.RunTicks(1);  // a boot in flight finishes first
      if (cluster.replica(r) == nullptr) cluster.Restart(r);
    }
  }
  const uint64_t bound = ConvergenceBoundTicks(options.replica, options.replica_count, request + 1);
  const bool converged = cluster.RunUntil([&] { return cluster.Converged(); }, bound);
  if (cluster.violation().empty() && converged) cluster.CheckLogs();
  for (size_t group = 0; group < options.group_count; ++group) result.committed += cluster.committed(group);
  for (uint8_t r = 0; r < options.replica_count; ++r) {
    if (cluster.replica(r) != nullptr) result.view_changes += cluster.replica(r)->counters().views_started;
  }
  if (!cluster.violation().empty()) {
    result.failure = absl::StrCat("safety violation: ", cluster.violation());
  } else if (!converged) {
    result.failure = absl::StrCat("no convergence within ", bound, " ticks after faults stopped");
  }
  if (!result.failure.empty()) {
    absl::StrAppend(&result.failure, "\nseed ", seed, ", ", int{options.replica_count}, " replicas, ",
                    options.group_count, " groups, network ", sim::DescribeNetworkProfile(options.network),
                    "\n", cluster.Describe(),
                    "replay: bazel test //tests/vsr:vsr_random_test --test_env=VSR_SEED=", seed);
  }
  return result;
}

TEST(VsrRandomTest, EverySeedIsSafeAndConverges) {
  const uint64_t single = EnvNumber("VSR_SEED", 0);
  const uint64_t first = single != 0 ? single : EnvNumber("VSR_FIRST_SEED", 1);
  const uint64_t count = single != 0 ? 1 : EnvNumber("VSR_SEEDS", kSeedsDefault);
  uint64_t committed = 0, view_changes = 0, crashes = 0, failures = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const SeedResult result = RunSeed(seed);
    committed += result.committed;
    view_changes += result.view_changes;
    crashes += result.crashes;
    if (!result.failure.empty()) {
      ADD_FAILURE() << result.failure;
      if (++failures >= 3) break;
    }
  }
  // The runs must exercise what they claim to.
  EXPECT_GT(committed, count * 100);
  EXPECT_GT(view_changes, count);
  if (count >= 50) {
    EXPECT_GT(crashes, count / 4);
  }
  std::cout << count << " seeds from " << first << ": " << committed << " ops committed, "
            << view_changes << " views started, " << crashes << " crashes\n";
}

}  // namespace
}  // namespace sluice::vsr::testing
