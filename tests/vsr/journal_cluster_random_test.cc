// Randomized VSR runs on the real metadata WAL, one per seed (TigerBeetle's VOPR
// style): network faults, machine crashes tearing the WAL, bit flips in a down
// replica's WAL slots, lost directories re-created with `format --recover`, long
// outages caught up by state sync — the run and its fault model are
// sim/cluster/journal_cluster_run.h's; the checkers are sim/cluster/journal_cluster.h's.
//
// Replay one seed:  bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEED=<seed>
//              or:  bazel run //sim/cluster:journal_cluster_main -- --seed <seed>
// More seeds:       bazel test //tests/vsr:journal_cluster_random_test --test_env=VSR_SEEDS=500
#include <iostream>

#include "gtest/gtest.h"
#include "sim/cluster/journal_cluster_run.h"
#include "sim/cluster/random_runs.h"

namespace sluice::sim {
namespace {

#ifdef SLUICE_SANITIZED
// ASan/UBSan (--config=asan) run about ten times slower; they look for memory
// errors, not rare schedules.
constexpr uint64_t kSeedsDefault = 50;
#else
constexpr uint64_t kSeedsDefault = 200;
#endif

TEST(JournalClusterRandomTest, EverySeedIsSafeConvergesAndKeepsCommittedOpsOnDisk_B4_B7_B15_B17) {
  const SeedPlan plan = SeedsFromEnvironment(kSeedsDefault);
  JournalClusterRunResult total;
  ConvergenceSummary convergence;
  uint64_t failures = 0;
  for (uint64_t seed : plan.seeds) {
    const JournalClusterRunResult result = RunJournalClusterSeed(seed);
    total.committed += result.committed;
    total.view_changes += result.view_changes;
    total.crashes += result.crashes;
    total.tearing_crashes += result.tearing_crashes;
    total.faulty_ops += result.faulty_ops;
    total.uncertain_tails += result.uncertain_tails;
    total.outages += result.outages;
    total.corruptions += result.corruptions;
    total.wipes += result.wipes;
    total.voters_restored += result.voters_restored;
    total.checkpoints += result.checkpoints;
    total.state_syncs += result.state_syncs;
    convergence.Add(result.convergence_ticks, result.bound_ticks);
    if (!result.failure.empty()) {
      ADD_FAILURE() << result.failure;
      if (++failures >= 3) break;
    }
  }
  // The runs must exercise what they claim to.
  const uint64_t count = plan.count;
  EXPECT_GT(total.committed, count * 100);
  EXPECT_GT(total.view_changes, count);
  if (count >= 10) {
    EXPECT_GT(total.crashes, count);
    EXPECT_GT(total.tearing_crashes, 0u);
    EXPECT_GT(total.corruptions, 0u);
    EXPECT_GT(total.wipes, 0u);
  }
  if (count >= 100) {
    EXPECT_GT(total.uncertain_tails, count / 20);
    EXPECT_GT(total.outages, count / 10);
    EXPECT_GT(total.state_syncs, count / 10);
    EXPECT_GT(total.corruptions, count / 10);
    EXPECT_GT(total.wipes, count / 10);
    EXPECT_GT(total.voters_restored, count / 10);
  }
  std::cout << count << " seeds from " << plan.first << ": " << total.committed << " metadata ops committed, "
            << total.view_changes << " views started, " << total.crashes << " machine crashes ("
            << total.tearing_crashes << " tearing the WAL's unsynced tail), " << total.corruptions
            << " WAL sectors corrupted, " << total.wipes << " directories lost and re-created with --recover ("
            << total.voters_restored << " became voters again), " << total.uncertain_tails << " uncertain tails and "
            << total.faulty_ops << " faulty ops found by WAL recovery and resolved by VSR, " << total.checkpoints
            << " checkpoints, " << total.outages << " long outages, " << total.state_syncs
            << " snapshots installed by state sync; " << convergence.Describe() << "\n";
}

// Seeds beyond the default range that each lost a directory (`format --recover`) and
// once failed (found with journal_cluster_main --seeds 1..3000); each must pass.
//  - 449 never converged: replica 2 was wiped and still recovering (a non-voter) when
//    the primary of view 9 crashed right after the header copy of its op 87 was
//    written and before the prepare's write completed. Recovery found a header
//    without its prepare — faulty, and for all it can tell acknowledged before a
//    bit flip — so no view change could get a nack quorum for op 87 (the
//    recovering replica never votes), and without a view the recovering replica
//    could never become a voter. Such a crash tears the journal's group commit
//    (prepares and header copies are written at once), so the harness now counts
//    it as damage, like tearing, allowed only while no other WAL may be damaged.
//  - 1638, 1775, 2416 and 2617 tripped the view change's safety assertion (a
//    committed op above the new head): a wiped replica rejoined the very view its
//    lost incarnation had acknowledged ops in and became a voter once caught up to
//    that view's start_view commit point, below those ops; when their other holder
//    was wiped in turn, a quorum of replicas without them decided the next view.
//    A recovering replica now becomes a voter only in a view above every view its
//    lost incarnation may have acknowledged in (B17, core/vsr/replica.h). 2093, with
//    two wipes, committed two different ops at one position; the same change fixed
//    it.
//  - 960 (with the harness change above) aborted when a recovering replica that had
//    lost its primary took its own view's start_view again, having committed past
//    that view's start head: committed ops are canonical there, so its head is kept.
//  - 2691 (with the changes above) aborted on a hash-chain divergence: a primary
//    installing a state sync had its log's base moved past its commit point before
//    the install reported back, and its heartbeat named that commit point with an
//    unknown (zero) checksum, which a backup took as canonical.
//  - 313 and 1157 did not converge before the VSR changes of the replicated replica.
TEST(JournalClusterRandomTest, SeedsThatOnceFailedAfterFormatRecoverConverge_B15_B17) {
  for (uint64_t seed : {313, 449, 960, 1157, 1638, 1775, 2093, 2416, 2617, 2691}) {
    const JournalClusterRunResult result = RunJournalClusterSeed(seed);
    EXPECT_TRUE(result.failure.empty()) << result.failure;
    EXPECT_GT(result.wipes, 0u) << "seed " << seed;
  }
}

// Known non-converging seeds beyond 1..3000 (found with journal_cluster_main --seeds
// 3001..6000 after the fixes above; both passed before them, on other schedules).
// Same shape as 449: a recovering replica (a non-voter) and ops above the best log
// view's head that a voter holds only as faulty or unverified entries leave the view
// change without a nack quorum, and the recovering replica without a view.
//  - 3334 (3 replicas, ring 32): stuck in log view 6; replica 1 recovering (never
//    installed a view), replica 2's faulty head is 141 (entries kept above a snapshot
//    it installed), replica 0 nacks 125.. alone.
//  - 5323 (5 replicas, 2 wipes, no crashes): stuck in log view 8; replica 1
//    recovering (installed, commit 66 of its target 108), replicas 0 and 3 hold ops
//    109..116 unverified (heads 108, faulty heads 116), replicas 2 and 4 nack 115: 2
//    of the 3 nacks needed.
// Run with --test_arg=--gtest_also_run_disabled_tests.
TEST(JournalClusterRandomTest, DISABLED_KnownNonConvergingSeedsWithARecoveringReplica_B15_B17) {
  for (uint64_t seed : {3334, 5323}) {
    const JournalClusterRunResult result = RunJournalClusterSeed(seed);
    EXPECT_TRUE(result.failure.empty()) << result.failure;
  }
}

}  // namespace
}  // namespace sluice::sim
