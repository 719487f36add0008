// `format --recover` (rule B17), in the simulator with 3 and 5 replicas: a backup
// whose data directory is lost forgot the prepares it acknowledged. Re-created with
// the recovering flag, it must not vote — in view changes or commit quorums — until
// it has caught up with the cluster, since with an empty log its vote would nack
// committed ops.
//
// The setup makes that vote decisive: ops are committed by a bare quorum (the
// primary and f backups, the other backups cut off); one of those backups is wiped
// and the other holders crash, so the live replicas are the f that never got the ops
// plus the wiped one — a quorum in number. It restarts during their view change: no
// view may start and nothing may commit until a holder returns; then the cluster
// converges with every committed op, the wiped replica state-syncs (the ops it lacks
// are behind the peers' checkpoints), clears its flag durably and counts as a voter.
#include "core/wire/operation.h"
#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

class Recover : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t n() const { return GetParam(); }
  uint8_t f() const { return (n() - 1) / 2; }
  uint8_t Other(uint8_t replica, uint8_t step) const { return (replica + step) % n(); }
};

TEST_P(Recover, WipedBackupReformattedWithRecoverDuringAViewChangeLosesNoCommittedOp_B17) {
  sim::VsrClusterOptions options = ScenarioOptions(n(), 51);
  options.checkpoint_interval_ops = 16;
  options.checkpoint_lag_ops = 4;
  options.replica.sync_chunk_size_max_bytes = 512;
  sim::VsrCluster cluster(options);
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000));
  ASSERT_EQ(SubmitAccepted(cluster, 10, 1000), 10u);
  ExpectConverges(cluster, 1000);

  // Ops 11..40 are committed by the primary and backups 1..f only.
  const uint8_t primary = *cluster.Primary();
  std::set<sim::NodeId> cut;
  for (uint8_t step = f() + 1; step < n(); ++step) cut.insert(Other(primary, step));
  cluster.packets().Partition(cut, sim::PartitionMode::kSymmetric);
  ASSERT_EQ(SubmitAccepted(cluster, 30, 2000, 1), 30u);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == 40; }, 1000)) << cluster.Describe();

  // The first of those backups loses its directory; the other holders crash.
  const uint8_t wiped = Other(primary, 1);
  cluster.Wipe(wiped);
  cluster.Crash(primary);
  for (uint8_t step = 2; step <= f(); ++step) cluster.Crash(Other(primary, step));
  cluster.packets().Heal();
  // The survivors lose the primary and start a view change; the wiped replica,
  // re-created with --recover, restarts in the middle of it.
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(*cut.begin())->status() == Status::kViewChange; }, 500));
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.formatting(wiped); }, 100));
  cluster.Restart(wiped);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(wiped) != nullptr; }, 100));
  EXPECT_TRUE(cluster.replica(wiped)->recovering());

  // f survivors without the ops + the recovering replica: no view, no commit.
  uint64_t accepted = 0;
  for (uint64_t tick = 0; tick < 800; ++tick) {
    accepted += cluster.Submit(0, base::AsBytes(absl::StrCat("after the wipe ", tick))).ok();
    cluster.RunTicks(1);
  }
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  EXPECT_EQ(accepted, 0u) << cluster.Describe();
  EXPECT_FALSE(cluster.Primary().has_value()) << cluster.Describe();
  EXPECT_EQ(cluster.committed(0), 40u);
  EXPECT_TRUE(cluster.replica(wiped)->recovering());
  EXPECT_EQ(cluster.replica(wiped)->durable_state().view, 0u) << "it never persisted a view it learned alone";

  // A holder returns: the view change completes with every committed op.
  cluster.Restart(primary);
  for (uint8_t step = 2; step <= f(); ++step) cluster.Restart(Other(primary, step));
  ExpectConverges(cluster, 4000);
  EXPECT_EQ(cluster.committed(0), 40u);
  const Replica& recovered = *cluster.replica(wiped);
  EXPECT_FALSE(recovered.recovering());
  EXPECT_FALSE(recovered.durable_state().recovering);
  EXPECT_GE(recovered.counters().syncs_installed, 1u) << "its ops were behind the peers' checkpoints";
  EXPECT_EQ(cluster.voters_restored(), 1u);

  // It votes now: with f others down, every quorum needs it.
  std::vector<uint8_t> down;
  for (uint8_t step = 1; down.size() < f(); ++step) {
    const uint8_t r = Other(wiped, step);
    down.push_back(r);
    cluster.Crash(r);
  }
  EXPECT_EQ(SubmitAccepted(cluster, 5, 3000, 2), 5u) << cluster.Describe();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == 45; }, 2000)) << cluster.Describe();
  for (uint8_t r : down) cluster.Restart(r);
  ExpectConverges(cluster, 3000);
}

// Why a recovering replica learns its view from a quorum of the others: a stale
// primary (cut off with f - 1 backups while the other f + 1 replicas moved to a new
// view and committed ops in it) still runs its old view in normal status, and would
// answer the wiped replica — which voted for the new view before it lost its
// directory — with that old view. Joining it, the wiped replica would complete the
// stale side's quorum and commit other ops at positions the new view has committed.
// Reaching only the stale side (f of the others), it never learns enough to join a
// view: nothing commits there, and once the partition heals it joins the real view.
TEST_P(Recover, StalePrimaryCannotRecruitARecoveringReplica_B17) {
  sim::VsrClusterOptions options = ScenarioOptions(n(), 53);
  sim::VsrCluster cluster(options);
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000));
  ASSERT_EQ(SubmitAccepted(cluster, 10, 1000), 10u);
  ExpectConverges(cluster, 1000);

  const uint8_t stale_primary = *cluster.Primary();
  const uint32_t stale_view = cluster.replica(stale_primary)->view();
  std::set<sim::NodeId> stale = {stale_primary}, fresh;
  for (uint8_t step = 1; step < n(); ++step) {
    (stale.size() < f() ? stale : fresh).insert(Other(stale_primary, step));
  }
  cluster.packets().Partition(stale, sim::PartitionMode::kSymmetric);
  ASSERT_TRUE(cluster.RunUntil(
      [&] {
        for (sim::NodeId r : fresh) {
          const Replica* replica = cluster.replica(static_cast<uint8_t>(r));
          if (replica->is_primary() && replica->status() == Status::kNormal && replica->view() > stale_view) {
            return true;
          }
        }
        return false;
      },
      2000))
      << cluster.Describe();
  // The new view commits ops 11..20 on the fresh side.
  uint64_t accepted = 0;
  for (uint64_t tick = 0; tick < 1000 && accepted < 10; ++tick) {
    for (sim::NodeId r : fresh) {
      accepted += cluster.replica(static_cast<uint8_t>(r))
                      ->SubmitRequest(cluster.groups()[0], wire::Operation::kSendMessages,
                                      base::AsBytes(absl::StrCat("new view ", accepted)))
                      .ok();
    }
    cluster.RunTicks(1);
  }
  ASSERT_EQ(accepted, 10u);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == 20; }, 1000)) << cluster.Describe();
  EXPECT_EQ(cluster.replica(stale_primary)->view(), stale_view);
  EXPECT_TRUE(cluster.replica(stale_primary)->is_primary());

  // A fresh replica loses its directory and comes back on the stale side only.
  const uint8_t wiped = static_cast<uint8_t>(*fresh.begin());
  cluster.Wipe(wiped);
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.formatting(wiped); }, 100));
  std::set<sim::NodeId> others = fresh;
  others.erase(wiped);
  cluster.packets().Heal();
  cluster.packets().Partition(others, sim::PartitionMode::kSymmetric);
  cluster.Restart(wiped);
  for (uint64_t tick = 0; tick < 600; ++tick) {
    (void)cluster.replica(stale_primary)
        ->SubmitRequest(cluster.groups()[0], wire::Operation::kSendMessages,
                        base::AsBytes(absl::StrCat("stale view ", tick)));
    cluster.RunTicks(1);
  }
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  EXPECT_EQ(cluster.committed(0), 20u);
  ASSERT_NE(cluster.replica(wiped), nullptr);
  EXPECT_TRUE(cluster.replica(wiped)->recovering());
  EXPECT_NE(cluster.replica(wiped)->status(), Status::kNormal) << cluster.Describe();
  EXPECT_EQ(cluster.replica(wiped)->durable_state().view, 0u);

  cluster.packets().Heal();
  ExpectConverges(cluster, 4000);
  EXPECT_EQ(cluster.committed(0), 20u) << "the stale view's ops are discarded";
  EXPECT_FALSE(cluster.replica(wiped)->recovering());
}

// Why a recovering replica becomes a voter only in a view above every view its lost
// incarnation may have acknowledged in: here a backup acknowledged ops 11..40 of the
// current view, which only the primary and f backups hold, then lost its directory.
// Rejoining that same view, it catches up to the view's start_view commit point (10)
// long before it holds ops 11..40. Voting then, it would nack them in the next view
// change, where a quorum of it and the replicas cut off from the ops (the holders
// down) would decide a view without them. So it asks for a new view once caught up,
// becomes a voter only there, and by then holds every op committed before it.
TEST_P(Recover, WipedBackupVotesOnlyInAViewAboveItsLostAcknowledgements_B17) {
  sim::VsrClusterOptions options = ScenarioOptions(n(), 57);
  sim::VsrCluster cluster(options);
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000));
  ASSERT_EQ(SubmitAccepted(cluster, 10, 1000), 10u);
  ExpectConverges(cluster, 1000);

  // Ops 11..40 are committed by the primary and backups 1..f only.
  const uint8_t primary = *cluster.Primary();
  const uint32_t view = cluster.replica(primary)->view();
  std::set<sim::NodeId> cut;
  for (uint8_t step = f() + 1; step < n(); ++step) cut.insert(Other(primary, step));
  cluster.packets().Partition(cut, sim::PartitionMode::kSymmetric);
  ASSERT_EQ(SubmitAccepted(cluster, 30, 2000, 1), 30u);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == 40; }, 1000)) << cluster.Describe();

  const uint8_t wiped = Other(primary, 1);
  cluster.Wipe(wiped);
  cluster.packets().Heal();
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.formatting(wiped); }, 100));
  cluster.Restart(wiped);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(wiped) != nullptr; }, 100));
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.replica(wiped)->recovering(); }, 3000)) << cluster.Describe();
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  const Replica& voter = *cluster.replica(wiped);
  EXPECT_GT(voter.view(), view) << "it became a voter in the view its lost incarnation acknowledged ops in";
  EXPECT_GE(voter.commit(cluster.groups()[0]), 40u) << cluster.Describe();
  EXPECT_EQ(cluster.voters_restored(), 1u);

  // The holders go down: it and the replicas cut off from ops 11..40 are a quorum,
  // and they keep every committed op.
  cluster.Crash(primary);
  for (uint8_t step = 2; step <= f(); ++step) cluster.Crash(Other(primary, step));
  EXPECT_EQ(SubmitAccepted(cluster, 5, 3000, 2), 5u) << cluster.Describe();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.committed(0) == 45; }, 2000)) << cluster.Describe();
  cluster.Restart(primary);
  for (uint8_t step = 2; step <= f(); ++step) cluster.Restart(Other(primary, step));
  ExpectConverges(cluster, 3000);
  EXPECT_EQ(cluster.committed(0), 45u);
}

// The host's gate (Replica::SetVoterGate): a recovering replica caught up in every
// group it hosts still waits while its host has not added every group the committed
// metadata created — its lost incarnation may have acknowledged ops in one of them.
// (The 3-replica campaign's seed 601: a wiped replica voted before it hosted a
// partition created while it was gone, and a view change dropped that partition's
// 17 acknowledged messages.)
TEST_P(Recover, ARecoveringReplicaVotesOnlyOnceItsHostHostsEveryGroup_B17) {
  sim::VsrClusterOptions options = ScenarioOptions(n(), 61);
  sim::VsrCluster cluster(options);
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000));
  ASSERT_EQ(SubmitAccepted(cluster, 10, 1000), 10u);
  ExpectConverges(cluster, 1000);
  const uint8_t wiped = Other(*cluster.Primary(), 1);
  cluster.Wipe(wiped);
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.formatting(wiped); }, 100));
  cluster.Restart(wiped);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(wiped) != nullptr; }, 100));
  bool hosts_every_group = false;
  cluster.replica(wiped)->SetVoterGate([&hosts_every_group] { return hosts_every_group; });
  EXPECT_EQ(SubmitAccepted(cluster, 10, 2000, 1), 10u) << cluster.Describe();
  cluster.RunTicks(2000);
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  EXPECT_TRUE(cluster.replica(wiped)->recovering()) << cluster.Describe();
  EXPECT_GE(cluster.replica(wiped)->commit(cluster.groups()[0]), 20u) << "caught up meanwhile";
  hosts_every_group = true;
  ASSERT_TRUE(cluster.RunUntil([&] { return !cluster.replica(wiped)->recovering(); }, 3000)) << cluster.Describe();
  EXPECT_EQ(cluster.voters_restored(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Replicas, Recover, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr::testing
