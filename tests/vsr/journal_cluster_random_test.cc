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

// Known failures beyond the default seed range (found with journal_cluster_main
// --seeds 201..1500; each run also had a `format --recover`): after faults stop the
// cluster never converges. Seed 313, traced: replica 2 crashes with its unsynced
// sectors landing, holding ops 78..84 that no other replica has (replica 1 then
// crashes losing its unsynced ones, so neither 0 nor 1 ever acknowledged them: they
// were never committed); a bit flip in the prepare of op 80 (its slot, 80 mod 32)
// makes replica 2's ops 80..84 faulty. Replicas 0 and 1, both without faulty entries,
// form a nack quorum for 80..84, yet view 21 starts with head op 84: every replica
// normal, commit 77, and nobody holds ops 80..84 intact to repair them. Suspect: the
// view change's nack count (core/vsr/replica_view_change.cc), not this harness — the
// damage is on one replica only. Seeds 449 and 1157: the view change never
// completes (not analysed). Disabled until fixed; run with
// --test_arg=--gtest_also_run_disabled_tests. Since the VSR changes of the replicated
// replica (joining groups, start_view naming the decided heads), seeds 313 and 1157
// converge; 449 still does not (issue #5 tracks it).
TEST(JournalClusterRandomTest, DISABLED_KnownNonConvergingSeedsWithFormatRecover) {
  for (uint64_t seed : {313, 449, 1157}) {
    const JournalClusterRunResult result = RunJournalClusterSeed(seed);
    EXPECT_TRUE(result.failure.empty()) << result.failure;
  }
}

}  // namespace
}  // namespace sluice::sim
