// Operations spanning groups on a replicated cluster (issue #6, DESIGN.md
// "Operations spanning groups"): a DeleteTopic commits once in the metadata group
// with one pending step per partition; the primary drives each step (its partition
// group removed, drained, then CompletePartitionStep). A primary that crashes halfway
// leaves the steps in the replicated state, so the next primary finishes them: every
// replica ends with the same partitions, no pending step and no orphaned directory.
// A PurgeTopic's and a DeleteConsumerGroup's steps go through each partition's group
// the same way (a purge entry, the group's offsets deleted).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/partition/entry_body.h"
#include "core/partition/layout.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using testing::ClusterTopic;
using testing::kClusterMaxTicks;
using wire::Operation;

class ClusterStepsTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    options_.seed = 13;
    options_.replica_count = 3;
    options_.checkpoint_interval_ops = 2;  // deleted partitions' directories go once a checkpoint covers the op
    StartCluster();
  }

  void SendOne(const ClusterTopic& topic, uint32_t partition, uint64_t id) {
    ASSERT_TRUE(SubmitPartitionUntilAcknowledged(Namespace(topic, partition), topic.incarnations[partition],
                                                 Operation::kSendMessages, BatchOf(id)));
  }

  // Submits the topic's DeleteTopic or PurgeTopic to the primary; `*applied` turns true
  // once it is applied there (it must outlive the reply).
  bool SubmitTopicOperation(Operation operation, const ClusterTopic& topic, bool* applied) {
    return cluster_
        ->SubmitMetadata(operation,
                         metadata::Encode(metadata::TopicBody{metadata::Identifier::Numeric(topic.stream),
                                                              metadata::Identifier::Numeric(topic.topic)}),
                         [applied](absl::StatusOr<metadata_store::CommittedResult> result) {
                           *applied = result.ok() && result->result.ok();
                         })
        .ok();
  }

  // Submits the topic's `operation` to the primary, crashes the primary `round` ticks
  // after it applied it (before, during or after its steps), restarts it once another
  // one leads, and waits until `done`. Counts in `unfinished` a crash that left steps.
  void CrashThePrimaryDuringTheSteps(Operation operation, const ClusterTopic& topic, uint64_t round,
                                     const std::function<bool()>& done, uint64_t& unfinished) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    ASSERT_TRUE(primary.has_value());
    bool applied = false;
    ASSERT_TRUE(SubmitTopicOperation(operation, topic, &applied));
    ASSERT_TRUE(cluster_->RunUntil([&] { return applied; }, kClusterMaxTicks)) << cluster_->Describe();
    cluster_->RunTicks(round);
    if (!cluster_->replica(*primary)->metadata().pending_steps.empty()) ++unfinished;
    cluster_->Crash(*primary);
    // The others elect a primary, which finishes the steps; then the old one returns.
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Primary().has_value(); }, kClusterMaxTicks));
    cluster_->Restart(*primary);
    ASSERT_TRUE(cluster_->RunUntil(done, kClusterMaxTicks))
        << "round " << round << "\n" << cluster_->violation() << "\n" << cluster_->Describe();
  }

  // Converged, with no pending step on any replica.
  bool StepsDone() {
    if (!cluster_->Converged()) return false;
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      if (!cluster_->replica(index)->metadata().pending_steps.empty()) return false;
    }
    return true;
  }

  bool Finished(const ClusterTopic& topic) {
    if (!StepsDone()) return false;
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      for (uint32_t p = 0; p < topic.incarnations.size(); ++p) {
        const std::string directory =
            partition::PartitionDirectory({topic.stream, topic.topic, p, topic.incarnations[p]});
        if (cluster_->storage(index).file_system().List(directory).ok()) return false;
      }
    }
    return true;
  }
};

// The primary crashes right after the delete is applied on it — before, during or
// after its own removals and its CompletePartitionStep ops — at a different point
// each round.
TEST_F(ClusterStepsTest, APrimaryCrashingHalfwayThroughADeleteTopicLeavesTheNextPrimaryToFinishIt) {
  uint64_t id = 0;
  uint64_t unfinished_at_crash = 0;
  for (uint64_t round = 0; round < 6; ++round) {
    const ClusterTopic topic = CreateTopic(4);
    for (uint32_t p = 0; p < 4; ++p) SendOne(topic, p, ++id);
    ASSERT_NO_FATAL_FAILURE(CrashThePrimaryDuringTheSteps(  // 0..5 ticks into the steps
        Operation::kDeleteTopic, topic, round, [&] { return Finished(topic); }, unfinished_at_crash));
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      replica::ClusterReplica& replica = *cluster_->replica(index);
      EXPECT_EQ(replica.consensus().groups().size(), 1u) << "only the metadata group is left on " << int{index};
      EXPECT_EQ(replica.metadata().streams.at(topic.stream).topics.count(topic.topic), 0u);
    }
  }
  EXPECT_GT(unfinished_at_crash, 0u) << "the primary always finished before its crash: nothing was left to resume";
  EXPECT_EQ(cluster_->violation(), "");
}

// A PurgeTopic's steps go through each partition's group (a purge entry, then
// CompletePartitionStep) — decided by a primary only once the group holds no
// uncommitted op, so a step an earlier primary carried out is never carried out
// twice. The primary crashes 0..5 ticks into them; the next one finishes: every
// replica serves none of the purged messages, and what is sent afterwards starts at
// offset 0 (the fixture's Poll checks offsets are contiguous from 0).
TEST_F(ClusterStepsTest, APrimaryCrashingHalfwayThroughAPurgeTopicLeavesTheNextPrimaryToFinishIt) {
  uint64_t id = 0;
  uint64_t unfinished_at_crash = 0;
  for (uint64_t round = 0; round < 6; ++round) {
    const ClusterTopic topic = CreateTopic(3);
    for (uint32_t p = 0; p < 3; ++p) SendOne(topic, p, ++id);
    ASSERT_NO_FATAL_FAILURE(CrashThePrimaryDuringTheSteps(Operation::kPurgeTopic, topic, round,
                                                          [&] { return StepsDone(); }, unfinished_at_crash));
    std::vector<uint64_t> sent_after;
    for (uint32_t p = 0; p < 3; ++p) {
      sent_after.push_back(++id);
      SendOne(topic, p, id);
    }
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks));
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      for (uint32_t p = 0; p < 3; ++p) {
        EXPECT_EQ(Poll(index, Namespace(topic, p), topic.incarnations[p]), std::vector<uint64_t>{sent_after[p]})
            << "round " << round << ", replica " << int{index} << ", partition " << p;
      }
    }
  }
  EXPECT_GT(unfinished_at_crash, 0u) << "the primary always finished before its crash: nothing was left to resume";
  EXPECT_EQ(cluster_->violation(), "");
}

// DeleteConsumerGroup: the group's stored offsets are deleted through each partition's
// group on every replica, and the steps are marked done.
TEST_F(ClusterStepsTest, DeletingAConsumerGroupDeletesItsOffsetsOnEveryReplica) {
  const ClusterTopic topic = CreateTopic(2);
  const metadata_store::CommittedResult created = Metadata(
      Operation::kCreateConsumerGroup,
      metadata::Encode(metadata::CreateGroupBody{.stream = metadata::Identifier::Numeric(topic.stream),
                                                 .topic = metadata::Identifier::Numeric(topic.topic),
                                                 .name = "g"}));
  ASSERT_TRUE(created.result.ok());
  const uint32_t group = base::LoadLittleEndian<uint32_t>(created.result.payload, 0);
  const partition::ConsumerKey key{partition::ConsumerKind::kGroup, group};
  for (uint32_t p = 0; p < 2; ++p) {
    SendOne(topic, p, 100 + p);
    bool stored = false;
    bool pending = false;
    ASSERT_TRUE(cluster_->RunUntil(
        [&] {
          if (stored) return true;
          if (!pending) {
            pending = cluster_
                          ->SubmitPartition(Namespace(topic, p), topic.incarnations[p], Operation::kStoreConsumerOffset,
                                            partition::EncodeStoreOffset({.consumer = key, .offset = 0}),
                                            [&](absl::StatusOr<uint64_t> op) {
                                              pending = false;
                                              stored = op.ok();
                                            })
                          .ok();
          }
          return stored;
        },
        kClusterMaxTicks));
  }
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks));
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    for (uint32_t p = 0; p < 2; ++p) {
      ASSERT_TRUE((*cluster_->replica(index)->Partition(Namespace(topic, p), topic.incarnations[p]))
                      ->ConsumerOffset(key)
                      .has_value());
    }
  }
  const metadata_store::CommittedResult deleted = Metadata(
      Operation::kDeleteConsumerGroup,
      metadata::Encode(metadata::GroupBody{.stream = metadata::Identifier::Numeric(topic.stream),
                                           .topic = metadata::Identifier::Numeric(topic.topic),
                                           .group = metadata::Identifier::Numeric(group)}));
  ASSERT_TRUE(deleted.result.ok());
  ASSERT_TRUE(cluster_->RunUntil(
      [&] { return StepsDone(); },
      kClusterMaxTicks))
      << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    for (uint32_t p = 0; p < 2; ++p) {
      EXPECT_FALSE((*cluster_->replica(index)->Partition(Namespace(topic, p), topic.incarnations[p]))
                       ->ConsumerOffset(key)
                       .has_value())
          << "replica " << int{index} << " partition " << p;
    }
  }
  EXPECT_EQ(cluster_->violation(), "");
}

// A poll reads its partition's log across many storage reads; a backup applying the
// topic's deletion meanwhile removes that partition group. The removal waits for
// the reads (PartitionLog::Drain waits for reads in flight): each poll ends — with
// what it read, or an error — and never runs on a destroyed log (ASan checks that).
TEST_F(ClusterStepsTest, PollsInFlightOnABackupWhenItsTopicIsDeletedEndSafely) {
  const ClusterTopic topic = CreateTopic(1);
  for (uint64_t id = 1; id <= 600; ++id) SendOne(topic, 0, id);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks));
  const uint8_t backup = (*cluster_->Primary() + 1) % options_.replica_count;
  bool applied = false;
  ASSERT_TRUE(SubmitTopicOperation(Operation::kDeleteTopic, topic, &applied));
  // A new poll on the backup every tick while it hosts the partition.
  auto in_flight = std::make_shared<int>(0);
  bool removed_during_poll = false;
  ASSERT_TRUE(cluster_->RunUntil(
      [&] {
        absl::StatusOr<partition::PartitionLog*> log =
            cluster_->replica(backup)->Partition(Namespace(topic, 0), topic.incarnations[0]);
        if (log.ok()) {
          ++*in_flight;
          io::Spawn((*log)->PollFirst(1'000'000), [in_flight](absl::StatusOr<partition::PollResult>) { --*in_flight; });
        } else if (*in_flight > 0) {
          removed_during_poll = true;
        }
        return *in_flight == 0 && applied && Finished(topic);
      },
      kClusterMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  EXPECT_TRUE(removed_during_poll) << "no poll was in flight when the backup removed the partition";
  EXPECT_EQ(cluster_->violation(), "");
}

}  // namespace
}  // namespace sluice::sim
