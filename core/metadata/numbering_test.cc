// Ids and numbering (PROTOCOL.md §7): stream and topic ids take the lowest free slot,
// partitions are dense 0..n-1 with deletion removing the highest, consumer-group ids
// are monotonic and never reused, names are unique per scope and matched as exact
// bytes; and the limits the namespace widths impose (rule B9).
#include <gtest/gtest.h>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

using testing::IdOf;
using testing::MetadataDriver;
using wire::Operation;

class NumberingTest : public ::testing::Test {
 protected:
  explicit NumberingTest(MetadataConfig config = {}) : driver_(config) {}

  ApplyResult CreateStream(absl::string_view name) {
    return driver_.Run(Operation::kCreateStream, Encode(CreateStreamBody{std::string(name)}));
  }
  ApplyResult DeleteStream(Identifier stream) {
    return driver_.Run(Operation::kDeleteStream, Encode(StreamBody{std::move(stream)}));
  }
  ApplyResult CreateTopic(Identifier stream, absl::string_view name, uint32_t partitions) {
    return driver_.Run(Operation::kCreateTopic,
                       Encode(CreateTopicBody{.stream = std::move(stream),
                                              .partitions_count = partitions,
                                              .name = std::string(name)}));
  }
  ApplyResult Partitions(Operation operation, uint32_t count) {
    return driver_.Run(operation, Encode(PartitionsBody{Identifier::Numeric(0),
                                                        Identifier::Numeric(0), count}));
  }
  ApplyResult CreateGroup(absl::string_view name) {
    return driver_.Run(Operation::kCreateConsumerGroup,
                       Encode(CreateGroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                              std::string(name)}));
  }
  ApplyResult DeleteGroup(Identifier group) {
    return driver_.Run(Operation::kDeleteConsumerGroup,
                       Encode(GroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                        std::move(group)}));
  }
  const Topic& Topic00() const { return driver_.state.streams.at(0).topics.at(0); }

  MetadataDriver driver_;
};

TEST_F(NumberingTest, StreamIdsTakeTheLowestFreeSlot) {
  EXPECT_EQ(IdOf(CreateStream("a")), 0u);
  EXPECT_EQ(IdOf(CreateStream("b")), 1u);
  EXPECT_EQ(IdOf(CreateStream("c")), 2u);
  ASSERT_TRUE(DeleteStream(Identifier::Numeric(0)).ok());
  ASSERT_TRUE(DeleteStream(Identifier::Named("c")).ok());
  EXPECT_EQ(IdOf(CreateStream("d")), 0u);
  EXPECT_EQ(IdOf(CreateStream("e")), 2u);
  EXPECT_EQ(IdOf(CreateStream("f")), 3u);
}

TEST_F(NumberingTest, TopicIdsTakeTheLowestFreeSlotPerStream) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateStream("b").ok());
  EXPECT_EQ(IdOf(CreateTopic(Identifier::Numeric(0), "t", 1)), 0u);
  EXPECT_EQ(IdOf(CreateTopic(Identifier::Numeric(0), "u", 1)), 1u);
  EXPECT_EQ(IdOf(CreateTopic(Identifier::Numeric(1), "t", 1)), 0u) << "ids are per stream";
  ASSERT_TRUE(driver_
                  .Run(Operation::kDeleteTopic,
                       Encode(TopicBody{Identifier::Numeric(0), Identifier::Named("t")}))
                  .ok());
  EXPECT_EQ(IdOf(CreateTopic(Identifier::Numeric(0), "v", 1)), 0u);
}

TEST_F(NumberingTest, StreamNamesAreUniqueError1012AndMatchedAsExactBytes) {
  ASSERT_TRUE(CreateStream("orders").ok());
  EXPECT_EQ(CreateStream("orders").error, ErrorCode::kStreamNameAlreadyExists);
  EXPECT_TRUE(CreateStream("Orders").ok()) << "names compare as exact bytes";
  EXPECT_EQ(driver_
                .Run(Operation::kUpdateStream,
                     Encode(UpdateStreamBody{Identifier::Numeric(1), "orders"}))
                .error,
            ErrorCode::kStreamNameAlreadyExists);
  EXPECT_TRUE(driver_
                  .Run(Operation::kUpdateStream,
                       Encode(UpdateStreamBody{Identifier::Numeric(0), "orders"}))
                  .ok())
      << "renaming a stream to its own name is no clash";
  EXPECT_EQ(DeleteStream(Identifier::Named("ORDERS")).error, ErrorCode::kStreamIdNotFound);
}

TEST_F(NumberingTest, TopicNamesAreUniquePerStreamError2013) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 0).ok());
  EXPECT_EQ(CreateTopic(Identifier::Named("a"), "t", 0).error,
            ErrorCode::kTopicNameAlreadyExists);
}

TEST_F(NumberingTest, MissingEntitiesAreErrors1009And2010And5000) {
  EXPECT_EQ(CreateTopic(Identifier::Numeric(0), "t", 1).error, ErrorCode::kStreamIdNotFound);
  ASSERT_TRUE(CreateStream("a").ok());
  EXPECT_EQ(Partitions(Operation::kCreatePartitions, 1).error, ErrorCode::kTopicIdNotFound);
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 1).ok());
  EXPECT_EQ(DeleteGroup(Identifier::Numeric(0)).error, ErrorCode::kConsumerGroupIdNotFound);
  EXPECT_EQ(DeleteGroup(Identifier::Named("g")).error, ErrorCode::kConsumerGroupIdNotFound);
}

TEST_F(NumberingTest, PartitionsAreDenseAndDeletionRemovesTheHighest) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 2).ok());
  const uint64_t created_by = driver_.state.last_applied_op;
  ASSERT_TRUE(Partitions(Operation::kCreatePartitions, 3).ok());
  const uint64_t extended_by = driver_.state.last_applied_op;
  ASSERT_EQ(Topic00().partitions.size(), 5u);
  EXPECT_EQ(Topic00().partitions[1].incarnation, created_by);
  EXPECT_EQ(Topic00().partitions[2].incarnation, extended_by);
  ASSERT_TRUE(Partitions(Operation::kDeletePartitions, 2).ok());
  ASSERT_EQ(Topic00().partitions.size(), 3u);
  // The deleted ones (3 and 4) are pending delete steps, named by incarnation.
  ASSERT_EQ(driver_.state.pending_steps.size(), 2u);
  EXPECT_EQ(driver_.state.pending_steps.begin()->second.partition, 3u);
  EXPECT_EQ(driver_.state.pending_steps.rbegin()->second.partition, 4u);
  EXPECT_EQ(driver_.state.pending_steps.begin()->second.incarnation, extended_by);
  // Recreated ids get the new op as incarnation: never the old partition group.
  ASSERT_TRUE(Partitions(Operation::kCreatePartitions, 1).ok());
  EXPECT_EQ(Topic00().partitions[3].incarnation, driver_.state.last_applied_op);
}

TEST_F(NumberingTest, PartitionCountsOutside1To1000AreError2015AndTooManyDeletedIs2019) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 1).ok());
  EXPECT_EQ(Partitions(Operation::kCreatePartitions, 0).error, ErrorCode::kTooManyPartitions);
  EXPECT_EQ(Partitions(Operation::kCreatePartitions, 1001).error, ErrorCode::kTooManyPartitions);
  EXPECT_EQ(Partitions(Operation::kDeletePartitions, 0).error, ErrorCode::kTooManyPartitions);
  EXPECT_EQ(Partitions(Operation::kDeletePartitions, 2).error,
            ErrorCode::kInvalidPartitionsCount);
  EXPECT_EQ(CreateTopic(Identifier::Numeric(0), "big", 1001).error,
            ErrorCode::kTooManyPartitions);
}

TEST_F(NumberingTest, ConsumerGroupIdsAreMonotonicAndNeverReused) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 1).ok());
  EXPECT_EQ(IdOf(CreateGroup("g0")), 0u);
  EXPECT_EQ(IdOf(CreateGroup("g1")), 1u);
  EXPECT_EQ(CreateGroup("g1").error, ErrorCode::kConsumerGroupNameAlreadyExists);
  ASSERT_TRUE(DeleteGroup(Identifier::Numeric(0)).ok());
  ASSERT_TRUE(DeleteGroup(Identifier::Named("g1")).ok());
  EXPECT_EQ(IdOf(CreateGroup("g0")), 2u);
  // Deleting a group queues the removal of its offsets from each partition.
  ASSERT_EQ(driver_.state.pending_steps.size(), 2u);
  EXPECT_EQ(driver_.state.pending_steps.rbegin()->second.kind, StepKind::kDeleteGroupOffsets);
  EXPECT_EQ(driver_.state.pending_steps.rbegin()->second.group, 1u);
}

TEST_F(NumberingTest, DeleteAndPurgeQueuePendingStepsThatALaterOpMarksDone) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 2).ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "u", 1).ok());
  ASSERT_TRUE(
      driver_.Run(Operation::kPurgeStream, Encode(StreamBody{Identifier::Numeric(0)})).ok());
  ASSERT_EQ(driver_.state.pending_steps.size(), 3u);
  for (const auto& [id, step] : driver_.state.pending_steps) {
    EXPECT_EQ(step.kind, StepKind::kPurgePartition);
  }
  ASSERT_TRUE(DeleteStream(Identifier::Numeric(0)).ok());
  ASSERT_EQ(driver_.state.pending_steps.size(), 6u);
  EXPECT_EQ(driver_.state.pending_steps.at(6).kind, StepKind::kDeletePartition);
  EXPECT_EQ(driver_.state.pending_steps.at(6).topic, 1u);
  ASSERT_TRUE(driver_.Run(kCompletePartitionStep, Encode(CompleteStepBody{4})).ok());
  EXPECT_FALSE(driver_.state.pending_steps.contains(4));
  EXPECT_EQ(driver_.Run(kCompletePartitionStep, Encode(CompleteStepBody{4})).error,
            ErrorCode::kResourceNotFound);
}

TEST_F(NumberingTest, TopicSettingsAreValidatedError4042And1019) {
  ASSERT_TRUE(CreateStream("a").ok());
  CreateTopicBody body{.stream = Identifier::Numeric(0), .partitions_count = 1, .name = "t"};
  body.settings.compression_algorithm = 3;
  EXPECT_EQ(driver_.Run(Operation::kCreateTopic, Encode(body)).error,
            ErrorCode::kInvalidOptionValue);
  body.settings.compression_algorithm = kCompressionGzip;
  body.settings.segment_size_bytes = 1000;  // below 1 MiB
  EXPECT_EQ(driver_.Run(Operation::kCreateTopic, Encode(body)).error,
            ErrorCode::kInvalidOptionValue);
  body.settings.segment_size_bytes = 4 << 20;
  body.settings.max_topic_size_bytes = 1 << 20;
  EXPECT_EQ(driver_.Run(Operation::kCreateTopic, Encode(body)).error,
            ErrorCode::kInvalidTopicSize);
  body.settings.max_topic_size_bytes = 0;
  ASSERT_TRUE(driver_.Run(Operation::kCreateTopic, Encode(body)).ok());
  const TopicSettings& stored = Topic00().settings;
  EXPECT_EQ(stored.compression_algorithm, kCompressionGzip);
  EXPECT_EQ(stored.segment_size_bytes, uint64_t{4} << 20);
  EXPECT_EQ(stored.max_topic_size_bytes, kUnlimited);
  EXPECT_EQ(stored.message_expiry_us, kNever);
}

TEST_F(NumberingTest, UndecodableBodyIsError3AndChangesNothingButTheAppliedOp) {
  ASSERT_TRUE(CreateStream("a").ok());
  MetadataState before = driver_.state;
  EXPECT_EQ(driver_.Run(Operation::kCreateStream, Bytes{0}).error, ErrorCode::kInvalidCommand);
  EXPECT_EQ(driver_.Run(Operation::kCreateTopic, Bytes{1, 4, 0}).error,
            ErrorCode::kInvalidCommand);
  EXPECT_EQ(driver_.Run(Operation::kSendMessages, Bytes{}).error, ErrorCode::kInvalidCommand);
  before.last_applied_op = driver_.state.last_applied_op;
  EXPECT_EQ(driver_.state, before);
}

class SmallWidthsTest : public NumberingTest {
 protected:
  SmallWidthsTest()
      : NumberingTest(MetadataConfig{
            .widths = {.stream_bits = 1, .topic_bits = 1, .partition_bits = 2}}) {}
};

TEST_F(SmallWidthsTest, IdsBeyondTheNamespaceWidthsAreErrors1020And2021And3013_B9) {
  ASSERT_TRUE(CreateStream("a").ok());
  ASSERT_TRUE(CreateStream("b").ok());
  EXPECT_EQ(CreateStream("c").error, ErrorCode::kTooManyStreams);
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "t", 4).ok());
  ASSERT_TRUE(CreateTopic(Identifier::Numeric(0), "u", 0).ok());
  EXPECT_EQ(CreateTopic(Identifier::Numeric(0), "v", 0).error, ErrorCode::kTooManyTopics);
  EXPECT_EQ(CreateTopic(Identifier::Numeric(1), "w", 5).error,
            ErrorCode::kPartitionIdSpaceExhausted);
  EXPECT_EQ(Partitions(Operation::kCreatePartitions, 1).error,
            ErrorCode::kPartitionIdSpaceExhausted);
}

}  // namespace
}  // namespace sluice::metadata
