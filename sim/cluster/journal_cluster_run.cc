#include "sim/cluster/journal_cluster_run.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/prng.h"
#include "sim/cluster/journal_cluster.h"
#include "sim/cluster/random_runs.h"
#include "sim/network_fault_profile.h"

namespace sluice::sim {
namespace {

constexpr uint64_t kFaultTicks = 1500;
// Sub-seed of the run's seed for the fault driver.
constexpr uint64_t kDriverSeed = 78;

// Whether `victim` may crash now: fewer than f replicas down (counting booting ones),
// and whether its unsynced sectors may tear (no other replica's WAL may be damaged).
bool MayCrash(JournalCluster& cluster, uint8_t victim, bool* may_tear) {
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

bool OthersUndamaged(JournalCluster& cluster, uint8_t victim) {
  for (uint8_t r = 0; r < cluster.options().replica_count; ++r) {
    if (r != victim && cluster.MayBeTorn(r)) return false;
  }
  return true;
}

// A directory may be lost only while no other replica's WAL may be damaged, and only
// if every op the victim holds (it may have acknowledged any of them, and a view's head
// may name them) is intact on another live replica: its log extends the victim's, or
// its checkpoint covers the victim's ops.
bool MayWipe(JournalCluster& cluster, uint8_t victim) {
  if (cluster.replica(victim) == nullptr || !OthersUndamaged(cluster, victim) || cluster.MayBeTorn(victim)) {
    return false;
  }
  const vsr::GroupLog& lost = *cluster.log(victim);
  for (uint8_t r = 0; r < cluster.options().replica_count; ++r) {
    if (r == victim || cluster.replica(r) == nullptr) continue;
    const vsr::GroupLog& other = *cluster.log(r);
    if (other.last_op() >= lost.faulty_head_op() &&
        (lost.last_op() <= other.base_op() ||
         other.ChecksumAt(lost.last_op()) == std::optional<absl::uint128>(lost.last_checksum()))) {
      return true;
    }
  }
  return false;
}

// Before a restart of the down `victim`: a bit flip in a sector of a committed op's
// prepare or header copy in its WAL, if no other replica's WAL may be damaged.
void MaybeCorrupt(JournalCluster& cluster, uint8_t victim, base::Prng& prng, JournalClusterRunResult& result) {
  if (cluster.committed() == 0 || !OthersUndamaged(cluster, victim)) return;
  const uint64_t op = 1 + prng.UniformBelow(cluster.committed());
  const bool in_header = prng.UniformBelow(2) == 0;
  const uint64_t byte = prng.UniformBelow(cluster.options().sector_size_bytes);
  const uint8_t bit = static_cast<uint8_t>(prng.UniformBelow(8));
  cluster.CorruptWal(victim, op, in_header, byte, bit);
  ++result.corruptions;
}

// A state sync: the offer, one snapshot chunk (metadata snapshots here are far below
// the chunk size) and the install, each within a couple of repair rounds.
uint64_t StateSyncTicks(const vsr::ReplicaOptions& options) { return 8 * options.repair_retry_ticks; }

}  // namespace

JournalClusterRunResult RunJournalClusterSeed(uint64_t seed) {
  base::Prng prng(base::DeriveSeed(seed, kDriverSeed));
  JournalClusterOptions options;
  options.seed = seed;
  options.replica_count = prng.UniformBelow(2) == 0 ? 3 : 5;
  options.network = DrawSwarmNetworkProfile(prng);
  // Half of the seeds checkpoint over a small ring; the others keep every op of the
  // run in a large ring (rule B8 refuses appends the checkpoint does not cover).
  const bool checkpoints = prng.UniformBelow(2) == 0;
  options.slot_count = checkpoints ? 32 : 1024;
  options.checkpoint_interval_ops = checkpoints ? 4 + prng.UniformBelow(9) : 0;
  const uint64_t outage_odds = checkpoints ? 1 + prng.UniformBelow(3) : 0;  // per 1,000 ticks
  const uint64_t request_odds = 1 + prng.UniformBelow(2);  // per tick, in 4
  const uint64_t crash_odds = 1 + prng.UniformBelow(5);    // per 1,000 ticks
  const uint64_t tear_odds = prng.UniformBelow(3);          // of a crash's tearing, in 2 (0: never)
  const uint64_t corrupt_odds = prng.UniformBelow(4);       // per restart, in 4
  const uint64_t wipe_odds = prng.UniformBelow(3);          // per 1,000 ticks
  JournalCluster cluster(options);
  cluster.Start();

  JournalClusterRunResult result;
  uint64_t request = 0;
  std::vector<uint64_t> down_until(options.replica_count, 0);  // a long outage lasts until then
  for (uint64_t tick = 0; tick < kFaultTicks && cluster.violation().empty(); ++tick) {
    if (prng.UniformBelow(4) < request_odds) {
      const std::string body = absl::StrCat("seed ", seed, " create stream ", request++);
      (void)cluster.Submit(base::AsBytes(body));  // refused while no primary: the workload goes on
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
        // Sectors landing while a write is still in flight tear the group commit (see
        // JournalCluster::Crash): without tearing, the unsynced sectors vanish instead.
        if (!tear && cluster.storage(victim).operations_in_flight() > 0) lands = base::Ratio::Never();
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
    if (prng.UniformBelow(1000) < wipe_odds) {
      const uint8_t victim = static_cast<uint8_t>(prng.UniformBelow(options.replica_count));
      bool may_tear = false;
      if (MayWipe(cluster, victim) && MayCrash(cluster, victim, &may_tear)) {
        cluster.Wipe(victim);
        ++result.wipes;
      }
    }
    if (prng.UniformBelow(50) == 0) {
      for (uint8_t r = 0; r < options.replica_count; ++r) {
        if (cluster.replica(r) == nullptr && !cluster.booting(r) && down_until[r] <= tick &&
            prng.UniformBelow(2) == 0) {
          if (prng.UniformBelow(4) < corrupt_odds) MaybeCorrupt(cluster, r, prng, result);
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
  const uint64_t bound =
      ConvergenceBoundTicks(options.replica, options.replica_count, request + 1, StateSyncTicks(options.replica));
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
  result.digest = cluster.Digest();
  result.committed = cluster.committed();
  result.faulty_ops = cluster.recovery_counts().faulty_ops;
  result.uncertain_tails = cluster.recovery_counts().uncertain_tails;
  result.checkpoints = cluster.checkpoints();
  result.state_syncs = cluster.state_syncs();
  result.voters_restored = cluster.voters_restored();
  result.failure = SeedFailure(cluster.violation(), converged, bound);
  if (!result.failure.empty()) {
    absl::StrAppend(&result.failure, "\nseed ", seed, ", ", int{options.replica_count}, " replicas, ", result.crashes,
                    " crashes (", result.tearing_crashes, " tearing, ", result.outages, " long outages), ",
                    result.corruptions, " WAL sectors corrupted, ", result.wipes, " directories wiped, ring ",
                    options.slot_count, ", checkpoints every ", options.checkpoint_interval_ops, " ops, network ",
                    DescribeNetworkProfile(options.network), "\n", cluster.Describe(),
                    "replay: bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEED=", seed,
                    "\n    or: bazel run //sim/cluster:journal_cluster_main -- --seed ", seed);
  }
  return result;
}

}  // namespace sluice::sim
