// The replicated replica (core/replica/cluster_replica.h) in a simulated 3-replica
// cluster: metadata ops applied identically everywhere, partition groups created and
// removed with them, messages acknowledged by a quorum surviving the primary's crash
// (rule B4: the restarted replica's groups come from what recovery found), and a
// deleted topic's partitions removed on every replica (their directories once a
// checkpoint covers the deletion, rule B5).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/journal/journal_layout.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/layout.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/replica_cluster.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using metadata::Identifier;
using wire::Operation;

using Topic = testing::ClusterTopic;
constexpr uint64_t kMaxTicks = testing::kClusterMaxTicks;

class ClusterReplicaTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    options_.seed = 7;
    options_.replica_count = 3;
    options_.checkpoint_interval_ops = 2;  // deleted partitions' directories go once a checkpoint covers the op
    StartCluster();
  }

  // Sends message `id` to the partition, retrying (as an SDK does) until acknowledged.
  void Send(const Topic& topic, uint32_t partition, uint64_t id) {
    ASSERT_TRUE(SubmitPartitionUntilAcknowledged(Namespace(topic, partition), topic.incarnations[partition],
                                                 Operation::kSendMessages, BatchOf(id), kMaxTicks));
    acked_[{Namespace(topic, partition), topic.incarnations[partition]}].push_back(id);
  }

  // Every replica serves exactly the acknowledged messages, in the order acknowledged.
  void ExpectEveryReplicaServesTheAcknowledged() {
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      for (const auto& [group, ids] : acked_) {
        EXPECT_EQ(Poll(index, group.first, group.second), ids)
            << "replica " << int{index} << " partition group " << group.first << "/" << group.second;
      }
    }
  }

  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint64_t>> acked_;
};

TEST_F(ClusterReplicaTest, MetadataAndPartitionsAreAppliedOnEveryReplica) {
  const Topic topic = CreateTopic(2);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    replica::ClusterReplica& replica = *cluster_->replica(index);
    EXPECT_EQ(replica.metadata().streams.size(), 1u);
    for (uint32_t p = 0; p < 2; ++p) {
      EXPECT_TRUE(replica.Partition(Namespace(topic, p), topic.incarnations[p]).ok()) << "replica " << int{index};
      // Rule B10: another incarnation of the same namespace is never served.
      EXPECT_FALSE(replica.Partition(Namespace(topic, p), topic.incarnations[p] + 1).ok());
    }
  }
  for (uint64_t id = 1; id <= 12; ++id) Send(topic, id % 2, id);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  ExpectEveryReplicaServesTheAcknowledged();
  EXPECT_EQ(cluster_->violation(), "");
}

// Rule B4: the old primary restarts with its groups built from what its recovery
// found; nothing a quorum acknowledged is lost, nothing is duplicated.
TEST_F(ClusterReplicaTest, AcknowledgedMessagesSurviveThePrimarysCrash) {
  const Topic topic = CreateTopic(1);
  for (uint64_t id = 1; id <= 10; ++id) Send(topic, 0, id);
  const std::optional<uint8_t> primary = cluster_->Primary();
  ASSERT_TRUE(primary.has_value());
  cluster_->Crash(*primary);
  for (uint64_t id = 11; id <= 20; ++id) Send(topic, 0, id);
  cluster_->Restart(*primary);
  for (uint64_t id = 21; id <= 25; ++id) Send(topic, 0, id);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  ExpectEveryReplicaServesTheAcknowledged();
  EXPECT_EQ(cluster_->violation(), "");
}

// A topic created while a backup is down: the backup creates its partition when it
// applies the op after its restart, and catches up on the partition's entries.
TEST_F(ClusterReplicaTest, ABackupDownDuringCreationCatchesUp) {
  const uint8_t backup = (*cluster_->Primary() + 1) % options_.replica_count;
  cluster_->Crash(backup);
  const Topic topic = CreateTopic(2);
  for (uint64_t id = 1; id <= 8; ++id) Send(topic, id % 2, id);
  cluster_->Restart(backup);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  ExpectEveryReplicaServesTheAcknowledged();
  EXPECT_EQ(cluster_->violation(), "");
}

TEST_F(ClusterReplicaTest, DeletingATopicRemovesItsPartitionsEverywhere) {
  const Topic topic = CreateTopic(2);
  for (uint64_t id = 1; id <= 4; ++id) Send(topic, id % 2, id);
  const metadata_store::CommittedResult deleted = Metadata(
      Operation::kDeleteTopic,
      metadata::Encode(metadata::TopicBody{Identifier::Numeric(topic.stream), Identifier::Numeric(topic.topic)}));
  ASSERT_TRUE(deleted.result.ok());
  // The primary marks the deletion steps done once its copies are gone.
  ASSERT_TRUE(cluster_->RunUntil(
      [&] {
        if (!cluster_->Converged()) return false;
        for (uint8_t index = 0; index < options_.replica_count; ++index) {
          if (!cluster_->replica(index)->metadata().pending_steps.empty()) return false;
          for (uint32_t p = 0; p < 2; ++p) {
            const std::string directory =
                partition::PartitionDirectory({topic.stream, topic.topic, p, topic.incarnations[p]});
            if (cluster_->storage(index).file_system().List(directory).ok()) return false;
          }
        }
        return true;
      },
      kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    replica::ClusterReplica& replica = *cluster_->replica(index);
    EXPECT_EQ(replica.consensus().groups().size(), 1u) << "only the metadata group is left";
    for (uint32_t p = 0; p < 2; ++p) {
      EXPECT_FALSE(replica.Partition(Namespace(topic, p), topic.incarnations[p]).ok());
      const std::string directory = partition::PartitionDirectory({topic.stream, topic.topic, p, topic.incarnations[p]});
      EXPECT_FALSE(cluster_->storage(index).file_system().List(directory).ok()) << directory << " on replica " << int{index};
    }
  }
  EXPECT_EQ(cluster_->violation(), "");
}

// Rule B16 (directed): a DeleteStream that reached only one backup's WAL — durable
// there, never committed — is not applied when that backup boots, and the view change
// that the other two replicas make without it discards it: the stream and its
// acknowledged messages survive on every replica, and the backup, restarted, serves
// them too (the applied-state checker also requires its metadata at every op to equal
// the others').
TEST_F(ClusterReplicaTest, AnUncommittedDeleteOnACrashedBackupIsDiscardedAndTheDataSurvives_B16) {
  const Topic topic = CreateTopic(1);
  for (uint64_t id = 1; id <= 6; ++id) Send(topic, 0, id);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  const uint8_t primary = *cluster_->Primary();
  const uint8_t holder = (primary + 1) % 3;  // the backup whose WAL gets the delete
  const uint8_t other = (primary + 2) % 3;   // the backup that never sees it
  // The primary's own copy never becomes durable (its WAL sync fails: it stops), the
  // other backup never receives the prepare, and the holder's acknowledgement never
  // reaches the primary.
  cluster_->ExpectFailStop(primary);
  cluster_->storage(primary).InjectSyncFailure(std::string(journal::kJournalPath));
  cluster_->packets().Clog(primary, other, 1'000'000'000'000);
  cluster_->packets().Clog(holder, primary, 1'000'000'000'000);
  const uint64_t delete_op = cluster_->replica(primary)->consensus().head_op(replica::kMetadataGroup) + 1;
  ASSERT_TRUE(cluster_->replica(primary)
                  ->SubmitMetadata({.operation = Operation::kDeleteStream,
                                    .body = metadata::Encode(metadata::StreamBody{Identifier::Numeric(topic.stream)})},
                                   [](absl::StatusOr<metadata_store::CommittedResult>) {})
                  .ok());
  // Until the holder has the delete durably (its log's durable op reaches it).
  ASSERT_TRUE(cluster_->RunUntil(
      [&] { return cluster_->replica(holder)->consensus().log(replica::kMetadataGroup).durable_op() >= delete_op; },
      kMaxTicks))
      << cluster_->Describe();
  cluster_->Crash(holder);
  // The primary's unsynced tail (the delete) is lost; a crash drops the frames queued
  // on the clogged paths with it.
  cluster_->Crash(primary, base::Ratio::Never());
  cluster_->packets().Heal();
  cluster_->Restart(primary);
  // The two replicas without the delete make a view and commit another op at its number.
  const metadata_store::CommittedResult other_stream =
      Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"after-the-view-change"}));
  EXPECT_EQ(other_stream.op, delete_op) << "the view change discarded the uncommitted delete";
  // The holder boots (B16: the delete is beyond its commit watermark, not applied) and
  // follows the new view, which truncates its copy.
  cluster_->Restart(holder);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  for (uint8_t index = 0; index < 3; ++index) {
    EXPECT_TRUE(cluster_->replica(index)->metadata().streams.contains(topic.stream)) << "replica " << int{index};
  }
  ExpectEveryReplicaServesTheAcknowledged();
  EXPECT_EQ(cluster_->violation(), "");
}

}  // namespace
}  // namespace sluice::sim
