// A replica far behind becomes primary (rule B4; issue #5): a backup is down while
// the others commit many partition ops, restarts, and before it has caught up the
// primary crashes, so the view change may elect the lagging replica. The new view's
// log is the most complete one in the quorum; the new primary repairs what it lacks
// from its peer before it prepares anything new — and then it must accept writes
// again (liveness), with every acknowledged message served everywhere.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using testing::ClusterTopic;
using testing::kClusterMaxTicks;
using wire::Operation;

class ClusterLaggingPrimaryTest : public testing::ClusterFixture,
                                  public ::testing::WithParamInterface<uint64_t> {
 protected:
  void SetUp() override {
    options_.seed = GetParam();
    options_.replica_count = 3;
    StartCluster();
  }

  // Sends until `count` more messages are acknowledged, several in flight at once.
  void SendMany(const ClusterTopic& topic, uint64_t count) {
    const uint64_t target = acked_.size() + count;
    ASSERT_TRUE(cluster_->RunUntil(
        [&] {
          for (int i = 0; i < 4 && next_id_ < target + 16; ++i) {
            const uint64_t id = next_id_ + 1;
            if (!cluster_
                     ->SubmitPartition(Namespace(topic, 0), topic.incarnations[0], Operation::kSendMessages,
                                       BatchOf(id),
                                       [this, id](absl::StatusOr<uint64_t> op) {
                                         if (op.ok()) acked_.push_back(id);
                                       })
                     .ok()) {
              break;
            }
            ++next_id_;
          }
          return acked_.size() >= target;
        },
        kClusterMaxTicks * 10))
        << cluster_->Describe();
  }

  std::vector<uint64_t> acked_;
  uint64_t next_id_ = 0;
};

TEST_P(ClusterLaggingPrimaryTest, AReplicaFarBehindThatBecomesPrimaryRepairsAndAcceptsWritesAgain_B4) {
  const ClusterTopic topic = CreateTopic(1);
  const uint8_t first_primary = *cluster_->Primary();
  const uint8_t lagging = (first_primary + 1 + GetParam() % 2) % 3;
  cluster_->Crash(lagging);
  SendMany(topic, 1500);  // far more than one repair request or header window
  cluster_->Restart(lagging);
  cluster_->RunTicks(GetParam() % 7);  // it has barely started repairing
  const std::optional<uint8_t> primary = cluster_->Primary();
  ASSERT_TRUE(primary.has_value());
  cluster_->Crash(*primary);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Primary().has_value(); }, kClusterMaxTicks))
      << cluster_->Describe();
  // Writes are accepted again (whoever is primary now).
  SendMany(topic, 20);
  cluster_->Restart(*primary);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks * 10))
      << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const std::vector<uint64_t> ids = Poll(index, Namespace(topic, 0), topic.incarnations[0]);
    std::vector<uint64_t> missing;
    for (uint64_t id : acked_) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) missing.push_back(id);
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged messages missing on replica " << int{index};
  }
  EXPECT_EQ(cluster_->violation(), "");
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClusterLaggingPrimaryTest, ::testing::Range<uint64_t>(1, 9));

}  // namespace
}  // namespace sluice::sim
