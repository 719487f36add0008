// Reads answered from the metadata state, and the partition-plane plans: routing by
// namespace and incarnation, consumer keys, the consumer-group fence, and the
// answers the plans give themselves (PROTOCOL.md §5.6, §5.7, §6).
#include <gtest/gtest.h>

#include "core/client_protocol/message_payloads.h"
#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/partition_plans.h"
#include "core/client_protocol/reads.h"
#include "core/client_protocol/rejection.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"
#include "core/metadata/namespace_packing.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using metadata::PartitionKey;
using partition::ConsumerKey;
using partition::ConsumerKind;

constexpr uint64_t kMember = 40;  // a session that owns partitions 0 and 2
constexpr uint64_t kOther = 41;   // a session that owns partition 1

Identifier N(uint32_t id) { return Identifier::Numeric(id); }
Identifier S(std::string name) { return Identifier::Named(std::move(name)); }

metadata::MetadataState State() {
  metadata::MetadataState state = metadata::NewMetadataState({});
  metadata::Stream& stream = state.streams[1];
  stream.name = "s";
  metadata::Topic& topic = stream.topics[2];
  topic.name = "t";
  for (uint64_t incarnation : {10, 10, 12}) {
    topic.partitions.push_back({.incarnation = incarnation, .created_at_us = 5});
  }
  metadata::ConsumerGroup& group = topic.groups[3];
  group.name = "g";
  group.generation = 7;
  group.members[kMember] = {0, 2};
  group.members[kOther] = {1};
  stream.topics[4].name = "empty";
  return state;
}

PartitionTarget Target(uint32_t partition, uint64_t incarnation) {
  const PartitionKey key{1, 2, partition};
  return {key, *metadata::PackNamespace(metadata::MetadataState{}.config.widths, key), incarnation};
}

// --- metadata reads ---

TEST(ReadsTest, GetStreamOfAMissingStreamIsAnEmptyPayload) {
  const metadata::MetadataState state = State();
  EXPECT_EQ(AnswerMetadataRead(state, GetStreamRequest{N(9)}, 0), ReadAnswer{});
  const std::optional<ReadAnswer> found = AnswerMetadataRead(state, GetStreamRequest{S("s")}, 0);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->payload, EncodeStreamDetails(1, state.streams.at(1)));
}

TEST(ReadsTest, GetStreamsListsHeaders) {
  const metadata::MetadataState state = State();
  EXPECT_EQ(AnswerMetadataRead(state, GetStreamsRequest{}, 0)->payload, EncodeStreamHeaders(state));
  EXPECT_EQ(AnswerMetadataRead(metadata::MetadataState{}, GetStreamsRequest{}, 0), ReadAnswer{});
}

TEST(ReadsTest, GetTopicOfAMissingStreamOrTopicIsAnEmptyPayload) {
  const metadata::MetadataState state = State();
  EXPECT_EQ(AnswerMetadataRead(state, GetTopicRequest{N(9), N(2)}, 0), ReadAnswer{});
  EXPECT_EQ(AnswerMetadataRead(state, GetTopicRequest{N(1), N(9)}, 0), ReadAnswer{});
  EXPECT_EQ(AnswerMetadataRead(state, GetTopicRequest{S("s"), S("t")}, 0)->payload,
            EncodeTopicDetails(1, 2, state.streams.at(1).topics.at(2)));
}

TEST(ReadsTest, GetTopicsOfAMissingStreamIsACountOfZero) {
  const metadata::MetadataState state = State();
  EXPECT_EQ(AnswerMetadataRead(state, GetTopicsRequest{N(9)}, 0)->payload, U32Le(0));
  EXPECT_EQ(AnswerMetadataRead(state, GetTopicsRequest{N(1)}, 0)->payload,
            EncodeTopicHeaders(1, state.streams.at(1)));
}

TEST(ReadsTest, GroupReadsOnAMissingStreamOrTopicAreStatusErrors) {
  const metadata::MetadataState state = State();
  const GetConsumerGroupRequest missing_stream{{N(9), N(2), N(3)}};
  EXPECT_EQ(AnswerMetadataRead(state, missing_stream, 0)->status, IggyError::kStreamIdNotFound);
  const GetConsumerGroupsRequest missing_topic{N(1), N(9)};
  EXPECT_EQ(AnswerMetadataRead(state, missing_topic, 0)->status, IggyError::kTopicIdNotFound);
  // A missing group of an existing topic: empty (the SDK returns null).
  EXPECT_EQ(AnswerMetadataRead(state, GetConsumerGroupRequest{{N(1), N(2), S("x")}}, 0),
            ReadAnswer{});
  EXPECT_EQ(AnswerMetadataRead(state, GetConsumerGroupRequest{{N(1), N(2), S("g")}}, 0)->payload,
            EncodeGroupDetails(3, state.streams.at(1).topics.at(2).groups.at(3), 3));
  EXPECT_EQ(AnswerMetadataRead(state, GetConsumerGroupsRequest{N(1), N(2)}, 0)->payload,
            EncodeGroupHeaders(state.streams.at(1).topics.at(2)));
}

TEST(ReadsTest, SyncGivesTheCallersAssignmentOrNothingForANonMember) {
  const metadata::MetadataState state = State();
  const SyncConsumerGroupRequest sync{{S("s"), S("t"), S("g")}};
  EXPECT_EQ(AnswerMetadataRead(state, sync, kMember)->payload, EncodeAssignment(7, {0, 2}));
  EXPECT_EQ(AnswerMetadataRead(state, sync, kOther)->payload, EncodeAssignment(7, {1}));
  EXPECT_EQ(AnswerMetadataRead(state, sync, 99), ReadAnswer{});
  EXPECT_EQ(AnswerMetadataRead(state, sync, 0), ReadAnswer{});
  EXPECT_EQ(
      AnswerMetadataRead(state, SyncConsumerGroupRequest{{S("s"), S("t"), S("x")}}, 1)->status,
      IggyError::kConsumerGroupIdNotFound);
}

TEST(ReadsTest, NonReadCommandsAreNotAnswered) {
  EXPECT_EQ(AnswerMetadataRead(State(), PingRequest{}, 0), std::nullopt);
  EXPECT_EQ(AnswerMetadataRead(State(), CreateStreamRequest{"x"}, 0), std::nullopt);
}

TEST(ReadsTest, ReadReplyIsAStatusOrThePayload) {
  const RequestHeader header{.client = 1, .operation = wire::Operation::kNonReplicated};
  EXPECT_EQ(EncodeReadReply(header, {.status = IggyError::kTopicIdNotFound}),
            EncodeStatusReply(header, IggyError::kTopicIdNotFound));
  EXPECT_EQ(EncodeReadReply(header, {.payload = {1}}), EncodeReply(header, Bytes{1}));
}

// --- SendMessages ---

SendMessagesRequest Send(Identifier stream, Identifier topic, Partitioning partitioning) {
  return {std::move(stream), std::move(topic), std::move(partitioning), SampleBatch(1)};
}

TEST(PlansTest, SendToAPartitionIdRoutesByNamespaceAndIncarnation) {
  const absl::StatusOr<PartitionTarget> target = PlanSendMessages(
      State(), Send(S("s"), S("t"), {.kind = Partitioning::Kind::kPartitionId, .partition_id = 2}),
      0);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, Target(2, 12));
  EXPECT_EQ(target->namespace_id >> 63, 1u);
}

TEST(PlansTest, BalancedSendRoundRobinsOverThePartitions) {
  for (uint64_t counter = 0; counter < 7; ++counter) {
    const absl::StatusOr<PartitionTarget> target = PlanSendMessages(
        State(), Send(N(1), N(2), {.kind = Partitioning::Kind::kBalanced}), counter);
    ASSERT_TRUE(target.ok());
    EXPECT_EQ(target->key.partition, counter % 3);
  }
}

TEST(PlansTest, MessagesKeySendUsesXxh32OfTheKey) {
  EXPECT_EQ(Xxh32(Text("abc")), 0x32d153ffu);  // PROTOCOL.md §6.4's sanity value
  const Partitioning keyed{.kind = Partitioning::Kind::kMessagesKey, .key = Text("abc")};
  const absl::StatusOr<PartitionTarget> target =
      PlanSendMessages(State(), Send(N(1), N(2), keyed), 0);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->key.partition, 0x32d153ffu % 3);
}

TEST(PlansTest, SendRoutingFailuresAreResourceNotFound) {
  const metadata::MetadataState state = State();
  const Partitioning balanced{.kind = Partitioning::Kind::kBalanced};
  const Partitioning partition_three{.kind = Partitioning::Kind::kPartitionId, .partition_id = 3};
  EXPECT_EQ(RejectionOf(PlanSendMessages(state, Send(N(9), N(2), balanced), 0).status()),
            StatusReplyOf(IggyError::kResourceNotFound));
  EXPECT_EQ(RejectionOf(PlanSendMessages(state, Send(N(1), S("x"), balanced), 0).status()),
            StatusReplyOf(IggyError::kResourceNotFound));
  EXPECT_EQ(RejectionOf(PlanSendMessages(state, Send(N(1), N(2), partition_three), 0).status()),
            StatusReplyOf(IggyError::kResourceNotFound));
  EXPECT_EQ(RejectionOf(PlanSendMessages(state, Send(N(1), S("empty"), balanced), 0).status()),
            StatusReplyOf(IggyError::kResourceNotFound));
}

// --- consumer offsets ---

TEST(PlansTest, StoreOffsetOfANumberedConsumerDefaultsToPartitionZero) {
  const absl::StatusOr<PartitionWrite> write = PlanStoreConsumerOffset(
      State(), {{Consumer::Kind::kConsumer, N(5)}, S("s"), S("t"), std::nullopt, 41}, 0);
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->target, Target(0, 10));
  EXPECT_EQ(write->operation, wire::Operation::kStoreConsumerOffset);
  EXPECT_EQ(write->consumer, (ConsumerKey{ConsumerKind::kConsumer, 5}));
  EXPECT_EQ(write->offset, 41u);
  EXPECT_EQ(write->body, partition::EncodeStoreOffset({write->consumer, 41}));
}

TEST(PlansTest, NamedConsumerIsKeyedByXxh32OfItsName) {
  const absl::StatusOr<PartitionWrite> write =
      PlanDeleteConsumerOffset(State(), {{Consumer::Kind::kConsumer, S("abc")}, N(1), N(2), 1}, 0);
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->consumer, (ConsumerKey{ConsumerKind::kConsumer, 0x32d153ff}));
  EXPECT_EQ(write->operation, wire::Operation::kDeleteConsumerOffset);
  EXPECT_EQ(write->body, partition::EncodeDeleteOffset(write->consumer));
  EXPECT_EQ(write->target, Target(1, 10));
}

TEST(PlansTest, GroupOffsetWriteNeedsThePartitionToBeTheCallersOwn) {
  const metadata::MetadataState state = State();
  const Consumer group{Consumer::Kind::kGroup, S("g")};
  const absl::StatusOr<PartitionWrite> owned =
      PlanStoreConsumerOffset(state, {group, N(1), N(2), 2, 0}, kMember);
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_EQ(owned->consumer, (ConsumerKey{ConsumerKind::kGroup, 3}));
  EXPECT_EQ(owned->target, Target(2, 12));
  for (const auto& [partition, member] : {std::pair<std::optional<uint32_t>, uint64_t>{1, kMember},
                                          {2, kOther},
                                          {2, 0},
                                          {std::nullopt, kMember},
                                          {5, kMember}}) {
    EXPECT_EQ(
        RejectionOf(
            PlanStoreConsumerOffset(state, {group, N(1), N(2), partition, 0}, member).status()),
        StatusReplyOf(IggyError::kResourceNotFound));
  }
  EXPECT_EQ(RejectionOf(PlanDeleteConsumerOffset(
                            state, {{Consumer::Kind::kGroup, S("x")}, N(1), N(2), 0}, kMember)
                            .status()),
            StatusReplyOf(IggyError::kResourceNotFound));
}

TEST(PlansTest, OffsetWriteRoutingFailuresAreResourceNotFound) {
  const metadata::MetadataState state = State();
  const Consumer single{Consumer::Kind::kConsumer, N(0)};
  for (const StoreConsumerOffsetRequest& request :
       {StoreConsumerOffsetRequest{single, N(9), N(2), 0, 0},
        StoreConsumerOffsetRequest{single, N(1), N(9), 0, 0},
        StoreConsumerOffsetRequest{single, N(1), N(2), 3, 0},
        StoreConsumerOffsetRequest{single, N(1), S("empty"), std::nullopt, 0}}) {
    EXPECT_EQ(RejectionOf(PlanStoreConsumerOffset(state, request, 0).status()),
              StatusReplyOf(IggyError::kResourceNotFound));
  }
}

TEST(PlansTest, GetConsumerOffsetPlansALookupOrAnswersTheMissingEntity) {
  const metadata::MetadataState state = State();
  const auto plan = PlanGetConsumerOffset(state, {{Consumer::Kind::kGroup, S("g")}, N(1), N(2), 1});
  ASSERT_TRUE(std::holds_alternative<OffsetReadPlan>(plan));
  EXPECT_EQ(std::get<OffsetReadPlan>(plan).target, Target(1, 10));
  EXPECT_EQ(std::get<OffsetReadPlan>(plan).consumer, (ConsumerKey{ConsumerKind::kGroup, 3}));
  const Consumer single{Consumer::Kind::kConsumer, N(0)};
  const auto status = [&](const GetConsumerOffsetRequest& request) {
    return std::get<ReadAnswer>(PlanGetConsumerOffset(state, request)).status;
  };
  EXPECT_EQ(status({single, N(9), N(2), 0}), IggyError::kStreamIdNotFound);
  EXPECT_EQ(status({single, N(1), N(9), 0}), IggyError::kTopicIdNotFound);
  EXPECT_EQ(status({single, N(1), N(2), 3}), IggyError::kPartitionNotFound);
  EXPECT_EQ(status({{Consumer::Kind::kGroup, S("x")}, N(1), N(2), 0}),
            IggyError::kConsumerGroupIdNotFound);
}

// --- PollMessages ---

PollMessagesRequest Poll(Consumer consumer, std::optional<uint32_t> partition, uint32_t count = 5) {
  return {
      std::move(consumer), N(1), N(2), partition, {PollingStrategy::Kind::kNext, 0}, count, true};
}

TEST(PlansTest, SinglePollDefaultsToPartitionZeroAndKeepsTheRequest) {
  const auto plan = PlanPoll(State(), Poll({Consumer::Kind::kConsumer, N(0)}, std::nullopt), 0);
  ASSERT_TRUE(std::holds_alternative<PollPlan>(plan));
  const PollPlan& poll = std::get<PollPlan>(plan);
  EXPECT_EQ(poll.target, Target(0, 10));
  EXPECT_EQ(poll.consumer, (ConsumerKey{ConsumerKind::kConsumer, 0}));
  EXPECT_EQ(poll.strategy.kind, PollingStrategy::Kind::kNext);
  EXPECT_EQ(poll.count, 5u);
  EXPECT_TRUE(poll.auto_commit);
  const PartitionWrite commit = AutoCommitWrite(poll, 17);
  EXPECT_EQ(commit.target, poll.target);
  EXPECT_EQ(commit.body, partition::EncodeStoreOffset({poll.consumer, 17}));
}

TEST(PlansTest, SinglePollOfMissingEntitiesIsAStatusError) {
  const metadata::MetadataState state = State();
  const Consumer single{Consumer::Kind::kConsumer, N(0)};
  PollMessagesRequest request = Poll(single, 0);
  request.stream = N(9);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, request, 0)).status, IggyError::kStreamIdNotFound);
  request = Poll(single, 0);
  request.topic = N(9);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, request, 0)).status, IggyError::kTopicIdNotFound);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(single, 3), 0)).status,
            IggyError::kPartitionNotFound);
}

TEST(PlansTest, PollOfNoMessagesIsTheEmptyHead) {
  EXPECT_EQ(
      std::get<ReadAnswer>(PlanPoll(State(), Poll({Consumer::Kind::kConsumer, N(0)}, 1, 0), 0)),
      (ReadAnswer{.payload = EncodePollHead(1, 0)}));
}

TEST(PlansTest, GroupPollOfAnOwnedPartitionUsesTheGroupsOffsets) {
  const auto plan = PlanPoll(State(), Poll({Consumer::Kind::kGroup, S("g")}, 2), kMember);
  ASSERT_TRUE(std::holds_alternative<PollPlan>(plan));
  EXPECT_EQ(std::get<PollPlan>(plan).target, Target(2, 12));
  EXPECT_EQ(std::get<PollPlan>(plan).consumer, (ConsumerKey{ConsumerKind::kGroup, 3}));
}

TEST(PlansTest, GroupPollOfAnotherMembersPartitionAsksTheClientToResync) {
  const metadata::MetadataState state = State();
  const Consumer group{Consumer::Kind::kGroup, S("g")};
  const ReadAnswer resync{.payload = EncodePollHead(kResyncPartitionSentinel, 0)};
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(group, 1), kMember)), resync);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(group, 0), 99)), resync);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(group, 0), 0)), resync);
}

TEST(PlansTest, GroupPollWithoutOrPastThePartitionsIsTheEmptyHeadOfPartitionZero) {
  const metadata::MetadataState state = State();
  const Consumer group{Consumer::Kind::kGroup, S("g")};
  const ReadAnswer empty{.payload = EncodePollHead(0, 0)};
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(group, std::nullopt), kMember)), empty);
  EXPECT_EQ(std::get<ReadAnswer>(PlanPoll(state, Poll(group, 7), kMember)), empty);
  EXPECT_EQ(
      std::get<ReadAnswer>(PlanPoll(state, Poll({Consumer::Kind::kGroup, S("x")}, 0), kMember))
          .status,
      IggyError::kConsumerGroupIdNotFound);
}

}  // namespace
}  // namespace sluice::client_protocol
