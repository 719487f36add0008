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
  EXPECT_TRUE(io::IsEnoent(fixture_.machine_.disk_.List(old_directory).status()));

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

}  // namespace
}  // namespace sluice::replica
