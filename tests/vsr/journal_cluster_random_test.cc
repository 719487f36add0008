// Randomized VSR runs on the real metadata WAL, one per seed (TigerBeetle's VOPR
// style): 3 or 5 replicas, each with its own SimStorage holding core/journal's WAL
// and its durable VSR state; swarm network faults (loss, duplication, reordering,
// clogging, partitions) from the packet simulator; machine crashes of up to f
// replicas at a time, whose unsynced WAL sectors land, vanish or tear; restarts
// through the real recovery (RecoverJournal in cluster mode, Replica::Restore: B4);
// metadata requests throughout.
//
// On half of the seeds every replica checkpoints its metadata group every few ops
// over a small WAL ring (snapshot, superblock, WAL checkpoint), and some crashes are
// long outages that leave the replica behind every peer's ring: it catches up by state
// sync (B15), possibly crashing in the middle of it.
//
// Fault model (DESIGN.md): a crash may tear a WAL's tail (an uncertain tail, B7) only
// while no other replica may hold one — two overlapping uncertain tails can hold the
// only copies of an op, and VSR rightly stops when it cannot prove such an op
// uncommitted. Otherwise a crash loses or keeps the unsynced sectors whole.
//
// Checkers (sim/cluster/journal_cluster.h): on every commit, hash-chain agreement
// and in-order commits; at every restart, the recovered WAL keeps the committed
// checksums up to its recovered commit; once faults stop, every replica converges
// within a bound derived from the timeouts, every WAL holds the committed ops, and a
// crash of every machine at once (unsynced sectors lost) loses none of them.
//
// Replay one seed:  bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEED=<seed>
// More seeds:       bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEEDS=500
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/prng.h"
#include "gtest/gtest.h"
#include "sim/cluster/journal_cluster.h"
#include "sim/network_fault_profile.h"

namespace sluice::vsr {
namespace {

constexpr uint64_t kFaultTicks = 1500;
#ifdef SLUICE_SANITIZED
// ASan/UBSan (--config=asan) run about ten times slower; they look for memory
// errors, not rare schedules.
constexpr uint64_t kSeedsDefault = 20;
#else
constexpr uint64_t kSeedsDefault = 200;
#endif

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  uint64_t number = 0;
  return value != nullptr && absl::SimpleAtoi(value, &number) ? number : fallback;
}

// Convergence bound once faults stop and every replica is up (tests/vsr's
// vsr_random_test derives it the same way): the primary's silence is noticed, up to
// replica_count + 1 view changes elect a live primary, lagging replicas repair at
// repair_prepares_max ops per repair_retry_ticks, plus heartbeat and retry rounds.
uint64_t ConvergenceBoundTicks(const ReplicaOptions& options, uint8_t replica_count, uint64_t ops_max) {
  const uint64_t view_changes = options.primary_timeout_ticks + (replica_count + 1) * options.view_change_timeout_ticks;
  const uint64_t repair = options.repair_retry_ticks * (ops_max / options.repair_prepares_max + 2) * 2;
  // A state sync: the offer, one snapshot chunk (metadata snapshots here are far below
  // the chunk size) and the install, each within a couple of repair rounds.
  const uint64_t sync = 8 * options.repair_retry_ticks;
  return view_changes + repair + sync + 4 * (options.heartbeat_interval_ticks + options.prepare_retry_ticks);
}

struct SeedResult {
  std::string failure;  // empty: passed
  uint64_t committed = 0;
  uint64_t view_changes = 0;
  uint64_t crashes = 0;
  uint64_t tearing_crashes = 0;
  uint64_t faulty_ops = 0;
  uint64_t uncertain_tails = 0;
  uint64_t outages = 0;
  uint64_t checkpoints = 0;
  uint64_t state_syncs = 0;
  uint64_t convergence_ticks = 0;
  uint64_t bound_ticks = 0;
};

// Whether `victim` may crash now: fewer than f replicas down (counting booting ones),
// and whether its unsynced sectors may tear (no other replica may hold a torn tail).
bool MayCrash(sim::JournalCluster& cluster, uint8_t victim, bool* may_tear) {
  const uint8_t n = cluster.options().replica_count;
  const uint8_t f = (n - 1) / 2;
  uint8_t down = 0;
  for (uint8_t r = 0; r < n; ++r) down += cluster.replica(r) == nullptr;
  if (cluster.replica(victim) == nullptr || down >= f) return false;
  *may_tear = true;
  for (uint8_t r = 0; r < n; ++r) {
    if (r != victim && cluster.MayBeTorn(r)) *may_tear = false;
  }
  return true;
}

SeedResult RunSeed(uint64_t seed) {
  base::Prng prng(base::DeriveSeed(seed, 78));
  sim::JournalClusterOptions options;
  options.seed = seed;
  options.replica_count = prng.UniformBelow(2) == 0 ? 3 : 5;
  options.network = sim::DrawSwarmNetworkProfile(prng);
  // Half of the seeds checkpoint over a small ring; the others keep every op of the
  // run in a large ring (rule B8 refuses appends the checkpoint does not cover).
  const bool checkpoints = prng.UniformBelow(2) == 0;
  options.slot_count = checkpoints ? 32 : 1024;
  options.checkpoint_interval_ops = checkpoints ? 4 + prng.UniformBelow(9) : 0;
  const uint64_t outage_odds = checkpoints ? 1 + prng.UniformBelow(3) : 0;  // per 1,000 ticks
  const uint64_t request_odds = 1 + prng.UniformBelow(2);  // per tick, in 4
  const uint64_t crash_odds = 1 + prng.UniformBelow(5);    // per 1,000 ticks
  const uint64_t tear_odds = prng.UniformBelow(3);          // of a crash's tearing, in 2 (0: never)
  sim::JournalCluster cluster(options);
  cluster.Start();

  SeedResult result;
  uint64_t request = 0;
  std::vector<uint64_t> down_until(options.replica_count, 0);  // a long outage lasts until then
  for (uint64_t tick = 0; tick < kFaultTicks && cluster.violation().empty(); ++tick) {
    if (prng.UniformBelow(4) < request_odds) {
      const std::string body = absl::StrCat("seed ", seed, " create stream ", request++);
      (void)cluster.Submit(base::AsBytes(body));
    }
    if (prng.UniformBelow(1000) < crash_odds + outage_odds) {
      const bool outage = prng.UniformBelow(crash_odds + outage_odds) < outage_odds;
      const uint8_t victim = static_cast<uint8_t>(prng.UniformBelow(options.replica_count));
      bool may_tear = false;
      if (MayCrash(cluster, victim, &may_tear)) {
        const bool tear = may_tear && prng.UniformBelow(2) < tear_odds;
        // Without tearing, the unsynced sectors all land or all vanish.
        base::Ratio lands = tear ? base::Ratio{1, 2} : base::Ratio::Never();
        if (!tear && prng.UniformBelow(2) == 0) lands = base::Ratio::Always();
        // Right after one of the victim's next few storage completions (within the
        // tick): after a WAL write completed and before its sync did, the tail is
        // unsynced and may tear.
        const uint64_t target = cluster.storage(victim).completed_operations() + 1 + prng.UniformBelow(3);
        cluster.loop().RunUntil([&] { return cluster.storage(victim).completed_operations() >= target; },
                                cluster.loop().MonotonicNs() + io::kTickNs);
        if (cluster.replica(victim) != nullptr) {
          cluster.Crash(victim, lands);
          ++result.crashes;
          result.tearing_crashes += tear;
          if (outage) {
            down_until[victim] = tick + 200 + prng.UniformBelow(400);
            ++result.outages;
          }
        }
      }
    }
    if (prng.UniformBelow(50) == 0) {
      for (uint8_t r = 0; r < options.replica_count; ++r) {
        if (cluster.replica(r) == nullptr && !cluster.booting(r) && down_until[r] <= tick &&
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
    if (cluster.replica(r) == nullptr && !cluster.booting(r)) cluster.Restart(r);
  }
  cluster.RunUntil(
      [&] {
        for (uint8_t r = 0; r < options.replica_count; ++r) {
          if (cluster.replica(r) == nullptr) return false;
        }
        return true;
      },
      100);
  const uint64_t bound = ConvergenceBoundTicks(options.replica, options.replica_count, request + 1);
  const uint64_t heal_tick = cluster.loop().MonotonicNs() / io::kTickNs;
  const bool converged = cluster.RunUntil([&] { return cluster.Converged(); }, bound);
  result.convergence_ticks = cluster.loop().MonotonicNs() / io::kTickNs - heal_tick;
  result.bound_ticks = bound;
  // Views the live processes started (counted before the whole-cluster crash below).
  for (uint8_t r = 0; r < options.replica_count; ++r) {
    if (cluster.replica(r) != nullptr) result.view_changes += cluster.replica(r)->counters().views_started;
  }
  if (cluster.violation().empty() && converged) {
    cluster.CheckLogs();
    cluster.CheckDurable(bound);
  }
  result.committed = cluster.committed();
  result.faulty_ops = cluster.recovery_counts().faulty_ops;
  result.checkpoints = cluster.checkpoints();
  result.state_syncs = cluster.state_syncs();
  result.uncertain_tails = cluster.recovery_counts().uncertain_tails;
  if (!cluster.violation().empty()) {
    result.failure = absl::StrCat("safety violation: ", cluster.violation());
  } else if (!converged) {
    result.failure = absl::StrCat("no convergence within ", bound, " ticks after faults stopped");
  }
  if (!result.failure.empty()) {
    absl::StrAppend(&result.failure, "\nseed ", seed, ", ", int{options.replica_count}, " replicas, ", result.crashes,
                    " crashes (", result.tearing_crashes, " tearing, ", result.outages, " long outages), ring ",
                    options.slot_count, ", checkpoints every ", options.checkpoint_interval_ops, " ops, network ",
                    sim::DescribeNetworkProfile(options.network), "\n", cluster.Describe(),
                    "replay: bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEED=", seed);
  }
  return result;
}

TEST(JournalClusterRandomTest, EverySeedIsSafeConvergesAndKeepsCommittedOpsOnDisk_B4_B7_B15) {
  const uint64_t single = EnvNumber("VSR_SEED", 0);
  const uint64_t first = single != 0 ? single : EnvNumber("VSR_FIRST_SEED", 1);
  const uint64_t count = single != 0 ? 1 : EnvNumber("VSR_SEEDS", kSeedsDefault);
  uint64_t committed = 0, view_changes = 0, crashes = 0, tearing = 0, faulty = 0, tails = 0, failures = 0,
           slowest = 0, outages = 0, checkpoints = 0, state_syncs = 0;
  double closest_to_bound = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const SeedResult result = RunSeed(seed);
    committed += result.committed;
    view_changes += result.view_changes;
    crashes += result.crashes;
    tearing += result.tearing_crashes;
    faulty += result.faulty_ops;
    tails += result.uncertain_tails;
    outages += result.outages;
    checkpoints += result.checkpoints;
    state_syncs += result.state_syncs;
    slowest = std::max(slowest, result.convergence_ticks);
    closest_to_bound = std::max(closest_to_bound, static_cast<double>(result.convergence_ticks) /
                                                      static_cast<double>(std::max<uint64_t>(result.bound_ticks, 1)));
    if (!result.failure.empty()) {
      ADD_FAILURE() << result.failure;
      if (++failures >= 3) break;
    }
  }
  // The runs must exercise what they claim to.
  EXPECT_GT(committed, count * 100);
  EXPECT_GT(view_changes, count);
  if (count >= 10) {
    EXPECT_GT(crashes, count);
    EXPECT_GT(tearing, 0u);
  }
  if (count >= 100) {
    EXPECT_GT(tails, count / 20);
    EXPECT_GT(outages, count / 10);
    EXPECT_GT(state_syncs, count / 10);
  }
  std::cout << count << " seeds from " << first << ": " << committed << " metadata ops committed, " << view_changes
            << " views started, " << crashes << " machine crashes (" << tearing << " tearing the WAL's unsynced tail), "
            << tails << " uncertain tails and " << faulty << " faulty ops found by WAL recovery and resolved by VSR, "
            << checkpoints << " checkpoints, " << outages << " long outages, " << state_syncs
            << " snapshots installed by state sync; "
            << "slowest convergence " << slowest << " ticks after faults stopped, at most "
            << static_cast<int>(closest_to_bound * 100) << "% of its seed's bound\n";
}

}  // namespace
}  // namespace sluice::vsr
