// A one-replica cluster's replica on the simulator's disk: the root user on first
// boot, topics whose partitions exist before the reply, writes routed by namespace
// and incarnation (rule B10), deleted partitions' directories removed by the
// replicated step, and everything back after a machine crash.
#include "core/replica/single_node_replica.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/io/io_error.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/entry_body.h"
#include "core/partition/layout.h"
#include "core/wire/batch_encoder.h"
#include "tests/replica/replica_fixture.h"

namespace sluice::replica {
namespace {

using metadata::Identifier;
using testing::ReplicaTest;
using wire::Operation;

TEST_F(ReplicaTest, TheFirstBootCreatesTheRootUserWithAHashedPassword) {
  Open();
  ASSERT_EQ(replica_->metadata().users.size(), 1u);
  const metadata::User& root = replica_->metadata().users.at(metadata::kRootUserId);
  EXPECT_EQ(root.name, "iggy");
  EXPECT_EQ(root.password.hash.size(), metadata::kPasswordHashBytes);
  EXPECT_NE(std::string(root.password.hash.begin(), root.password.hash.end()), "iggy");
  CrashAndReopen();
  EXPECT_EQ(replica_->metadata().users.size(), 1u) << "the root user is created once";
}

TEST_F(ReplicaTest, ATopicsPartitionsExistWhenItsCreationIsRepliedAndSurviveACrash) {
  Open();
  CreateTopic(3);
  EXPECT_EQ(replica_->partition_count(), 3u);
  ASSERT_TRUE(Send(0, 0, 1, "hello").ok());
  ASSERT_TRUE(Send(0, 0, 1, "world").ok());
  EXPECT_EQ(CommittedMessages(0, 0, 1), 2u);
  CrashAndReopen();
  EXPECT_EQ(replica_->partition_count(), 3u);
  EXPECT_EQ(CommittedMessages(0, 0, 1), 2u);
  EXPECT_EQ(CommittedMessages(0, 0, 0), 0u);
}

TEST_F(ReplicaTest, AWriteForAnUnknownNamespaceOrIncarnationIsRefusedNeverRerouted_B10) {
  Open();
  CreateTopic(1);
  const absl::Status unknown = replica_->SubmitPartition(
      Namespace(0, 0, 5), 1, Operation::kSendMessages, Bytes{}, 1, [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsNotFound(unknown)) << unknown;
  const absl::Status stale = replica_->SubmitPartition(
      Namespace(0, 0, 0), Incarnation(0, 0, 0) + 100, Operation::kSendMessages, Bytes{}, 1,
      [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsFailedPrecondition(stale)) << stale;
  EXPECT_EQ(replica_->router_counters().dropped_no_owner, 1u);
  EXPECT_EQ(replica_->router_counters().dropped_wrong_incarnation, 1u);
}

TEST_F(ReplicaTest, DeletingATopicRemovesItsPartitionsAndARecreatedOneStartsEmpty) {
  Open();
  CreateTopic(2);
  ASSERT_TRUE(Send(0, 0, 0, "old").ok());
  const uint64_t old_incarnation = Incarnation(0, 0, 0);
  const std::string old_directory =
      partition::PartitionDirectory({0, 0, 0, old_incarnation});
  ASSERT_TRUE(Metadata(Operation::kDeleteTopic,
                       metadata::Encode(metadata::TopicBody{Identifier::Numeric(0),
                                                            Identifier::Numeric(0)}))
                  .ok());
  EXPECT_EQ(replica_->partition_count(), 0u);
  EXPECT_TRUE(replica_->metadata().pending_steps.empty()) << "the deletion steps completed";
  EXPECT_TRUE(io::IsEnoent(fixture_->machine_.disk_.List(old_directory).status()));

  ASSERT_TRUE(Metadata(Operation::kCreateTopic,
                       metadata::Encode(metadata::CreateTopicBody{.stream = Identifier::Numeric(0),
                                                                  .partitions_count = 1,
                                                                  .name = "events"}))
                  .ok());
  EXPECT_NE(Incarnation(0, 0, 0), old_incarnation);
  EXPECT_EQ(CommittedMessages(0, 0, 0), 0u) << "a reused id never sees the old data";
  const absl::Status stale = replica_->SubmitPartition(
      Namespace(0, 0, 0), old_incarnation, Operation::kSendMessages, Bytes{}, 1,
      [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsFailedPrecondition(stale)) << stale;
  CrashAndReopen();
  EXPECT_EQ(replica_->partition_count(), 1u);
}

// --- cross-group steps: purge and consumer-group offsets ---------------------------

absl::StatusOr<uint64_t> StoreGroupOffset(SingleNodeReplica& replica, uint64_t ns, uint64_t incarnation,
                                          uint32_t group, uint64_t offset,
                                          metadata::testing::MetadataMachine& machine) {
  const Bytes body = partition::EncodeStoreOffset({{partition::ConsumerKind::kGroup, group}, offset});
  std::optional<absl::StatusOr<uint64_t>> reply;
  const absl::Status submitted =
      replica.SubmitPartition(ns, incarnation, Operation::kStoreConsumerOffset, body, 1'700'000'000'000'000,
                              [&](absl::StatusOr<uint64_t> r) { reply = r; });
  if (!submitted.ok()) return submitted;
  SLUICE_ASSERT(machine.Run(replica.Drain()).ok());
  SLUICE_ASSERT(reply.has_value());
  return *reply;
}

TEST_F(ReplicaTest, PurgeTopicEmptiesEveryPartitionBeforeItsReplyAndOffsetsRestartAtZero) {
  Open();
  CreateTopic(2);
  for (uint32_t p = 0; p < 2; ++p) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Send(0, 0, p, "before").ok());
    ASSERT_TRUE(StoreGroupOffset(*replica_, Namespace(0, 0, p), Incarnation(0, 0, p), 1, 2, fixture_->machine_).ok());
  }
  ASSERT_TRUE(Metadata(Operation::kPurgeTopic,
                       metadata::Encode(metadata::TopicBody{Identifier::Numeric(0), Identifier::Numeric(0)}))
                  .ok());
  EXPECT_TRUE(replica_->metadata().pending_steps.empty()) << "the purge steps completed before the reply";
  for (uint32_t p = 0; p < 2; ++p) {
    EXPECT_EQ(CommittedMessages(0, 0, p), 0u);
    partition::PartitionLog& log = **replica_->Partition(Namespace(0, 0, p), Incarnation(0, 0, p));
    EXPECT_FALSE(log.ConsumerOffset({partition::ConsumerKind::kGroup, 1}).has_value());
    EXPECT_GT(log.purged_through_step(), 0u);
  }
  ASSERT_TRUE(Send(0, 0, 1, "after").ok());
  CrashAndReopen();
  EXPECT_EQ(CommittedMessages(0, 0, 0), 0u);
  EXPECT_EQ(CommittedMessages(0, 0, 1), 1u) << "the message sent after the purge, at offset 0";
}

TEST_F(ReplicaTest, DeletingAConsumerGroupDeletesItsOffsetInEveryPartition) {
  Open();
  CreateTopic(2);
  ASSERT_TRUE(Metadata(Operation::kCreateConsumerGroup,
                       metadata::Encode(metadata::CreateGroupBody{
                           .stream = Identifier::Numeric(0), .topic = Identifier::Numeric(0), .name = "readers"}))
                  .ok());
  const uint32_t group = replica_->metadata().streams.at(0).topics.at(0).groups.begin()->first;
  for (uint32_t p = 0; p < 2; ++p) {
    ASSERT_TRUE(Send(0, 0, p, "m").ok());
    ASSERT_TRUE(StoreGroupOffset(*replica_, Namespace(0, 0, p), Incarnation(0, 0, p), group, 0, fixture_->machine_).ok());
  }
  ASSERT_TRUE(Metadata(Operation::kDeleteConsumerGroup,
                       metadata::Encode(metadata::GroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                                            Identifier::Numeric(group)}))
                  .ok());
  EXPECT_TRUE(replica_->metadata().pending_steps.empty());
  for (uint32_t p = 0; p < 2; ++p) {
    partition::PartitionLog& log = **replica_->Partition(Namespace(0, 0, p), Incarnation(0, 0, p));
    EXPECT_FALSE(log.ConsumerOffset({partition::ConsumerKind::kGroup, group}).has_value());
    EXPECT_EQ(CommittedMessages(0, 0, p), 1u) << "messages stay";
  }
}

// The process dies after every storage operation of a purge while a client keeps
// writing; after the machine restarts, the pending step is finished. A purge found
// done is never redone, which the op numbers show: sends are ops 1-3, the purge op 4,
// a message sent after it op 5 — so with the purge applied exactly once the log ends
// at op 4 plus the messages left (a second purge would add an op and drop them).
TEST_F(ReplicaTest, APurgeStepResumedAfterACrashIsNeverDoneTwice) {
  int resumed_after_purge = 0;
  for (uint64_t k = 0; k < 40; ++k) {
    ResetDisk(/*disk_seed=*/31 + k);
    Open();
    CreateTopic(1);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Send(0, 0, 0, "before").ok());
    const uint64_t ns = Namespace(0, 0, 0);
    const uint64_t incarnation = Incarnation(0, 0, 0);
    partition::PartitionLog* log = *replica_->Partition(ns, incarnation);
    ASSERT_EQ(log->last_op(), 3u);
    // The purge, then a write as soon as the purge is applied (or the process died).
    std::optional<absl::StatusOr<metadata::ApplyResult>> purged;
    ASSERT_TRUE(replica_
                    ->SubmitMetadata({.operation = Operation::kPurgeTopic,
                                      .body = metadata::Encode(metadata::TopicBody{Identifier::Numeric(0),
                                                                                   Identifier::Numeric(0)})},
                                     [&](absl::StatusOr<metadata::ApplyResult> r) { purged = r; })
                    .ok());
    fixture_->machine_.interrupting_.StopAfterCompletions(fixture_->machine_.interrupting_.completions() + k);
    while (log->purged_through_step() == 0 && fixture_->machine_.loop_.RunOnce()) {
    }
    const bool purge_applied = log->purged_through_step() > 0;
    const wire::MessageToSend message{.id = 999, .payload = base::AsBytes(absl::string_view("after"))};
    (void)replica_->SubmitPartition(ns, incarnation, Operation::kSendMessages,
                                    *wire::EncodeBatch(std::span(&message, 1)), 1'700'000'000'000'000,
                                    [](absl::StatusOr<uint64_t>) {});
    while (fixture_->machine_.loop_.RunOnce()) {
    }
    // In memory, a step is done once its CompletePartitionStep is durable and applied.
    if (purge_applied && !replica_->metadata().pending_steps.empty()) ++resumed_after_purge;
    replica_.reset();
    fixture_->machine_.storage_.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
    fixture_->machine_.Resume();
    Open();
    ASSERT_TRUE(fixture_->machine_.Run(replica_->Drain()).ok());
    EXPECT_TRUE(replica_->metadata().pending_steps.empty()) << "k=" << k << ": boot finishes the step";
    log = *replica_->Partition(ns, incarnation);
    const uint64_t left = CommittedMessages(0, 0, 0);
    if (log->purged_through_step() > 0) {
      EXPECT_EQ(log->last_op(), 4 + left) << "k=" << k << ": purged more than once, or a message came back";
      EXPECT_LE(left, 1u) << "k=" << k;
    } else {
      EXPECT_FALSE(purged.has_value() && purged->ok()) << "k=" << k << ": a replied purge was not applied";
      EXPECT_EQ(log->last_op(), left) << "k=" << k;
    }
    replica_.reset();
  }
  // The window that matters was hit: the purge applied, its step not yet done.
  EXPECT_GT(resumed_after_purge, 0);
}

}  // namespace
}  // namespace sluice::replica
