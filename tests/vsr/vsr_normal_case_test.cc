// The normal case: requests become prepares, prepare_oks and commits on every
// replica, for one and for many groups, with 3 and 5 replicas.
#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

class NormalCase : public ::testing::TestWithParam<uint8_t> {};

TEST_P(NormalCase, EveryAcceptedRequestCommitsOnEveryReplica) {
  sim::VsrCluster cluster(ScenarioOptions(GetParam(), 1, 4));
  cluster.Start();
  // A new cluster starts with a view change away from the restored primary of view 0.
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 500));
  const uint64_t accepted = SubmitRequests(cluster, 200);
  EXPECT_GT(accepted, 150u);
  ExpectConverges(cluster, 500);
  EXPECT_EQ(TotalCommitted(cluster), accepted);
}

TEST_P(NormalCase, ABackupThatMissedPreparesRepairsThem) {
  sim::VsrCluster cluster(ScenarioOptions(GetParam(), 2, 2));
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 500));
  const uint8_t primary = *cluster.Primary();
  const uint8_t lagging = (primary + 1) % GetParam();
  // Cut one backup off while the others commit; a quorum remains.
  cluster.packets().Partition({lagging}, sim::PartitionMode::kSymmetric);
  const uint64_t accepted = SubmitAccepted(cluster, 40, 400);
  ASSERT_EQ(accepted, 40u);
  cluster.packets().Heal();
  ExpectConverges(cluster, 1000);
  EXPECT_EQ(TotalCommitted(cluster), 40u);
}

INSTANTIATE_TEST_SUITE_P(Replicas, NormalCase, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr::testing
