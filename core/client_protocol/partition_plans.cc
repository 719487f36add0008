#include "core/client_protocol/partition_plans.h"

#include <xxhash.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/client_protocol/message_payloads.h"
#include "core/client_protocol/rejection.h"
#include "core/metadata/lookup.h"

namespace sluice::client_protocol {
namespace {

using metadata::MetadataState;

// A resolved stream and topic, or the Iggy error naming what is missing.
struct TopicRef {
  IggyError error = IggyError::kOk;
  uint32_t stream_id = 0;
  uint32_t topic_id = 0;
  const metadata::Topic* topic = nullptr;
};

TopicRef ResolveTopic(const MetadataState& state, const Identifier& stream,
                      const Identifier& topic) {
  const std::optional<uint32_t> stream_id = metadata::ResolveId(state.streams, stream);
  if (!stream_id.has_value()) return {.error = IggyError::kStreamIdNotFound};
  const metadata::Stream& found = state.streams.at(*stream_id);
  const std::optional<uint32_t> topic_id = metadata::ResolveId(found.topics, topic);
  if (!topic_id.has_value()) return {.error = IggyError::kTopicIdNotFound};
  return {.stream_id = *stream_id, .topic_id = *topic_id, .topic = &found.topics.at(*topic_id)};
}

// The target of an existing partition of `ref`. Ids in a committed state always fit
// the namespace widths (rule B9, checked at apply), so packing cannot fail.
PartitionTarget TargetOf(const MetadataState& state, const TopicRef& ref, uint32_t partition) {
  const metadata::PartitionKey key{ref.stream_id, ref.topic_id, partition};
  const absl::StatusOr<uint64_t> namespace_id = metadata::PackNamespace(state.config.widths, key);
  SLUICE_ASSERT(namespace_id.ok(), namespace_id.status().ToString());
  return {.key = key,
          .namespace_id = *namespace_id,
          .incarnation = ref.topic->partitions[partition].incarnation};
}

absl::Status NotFound(absl::string_view what) {
  return StatusReply(IggyError::kResourceNotFound, what);
}

// The group a consumer names in `ref`'s topic, or nullopt.
std::optional<uint32_t> GroupId(const TopicRef& ref, const Consumer& consumer) {
  return metadata::ResolveId(ref.topic->groups, consumer.id);
}

bool MemberOwns(const metadata::ConsumerGroup& group, uint64_t member, uint32_t partition) {
  if (member == 0) return false;
  const auto found = group.members.find(member);
  if (found == group.members.end()) return false;
  const std::vector<uint32_t>& owned = found->second;
  return std::find(owned.begin(), owned.end(), partition) != owned.end();
}

partition::ConsumerKey SingleConsumerKey(const Identifier& id) {
  if (id.kind == Identifier::Kind::kNumeric) {
    return {partition::ConsumerKind::kConsumer, id.numeric};
  }
  return {partition::ConsumerKind::kConsumer, Xxh32(base::AsBytes(id.name))};
}

// The shared routing of Store/DeleteConsumerOffset: status 20 for anything missing.
struct OffsetWriteRoute {
  PartitionTarget target;
  partition::ConsumerKey consumer;
};

absl::StatusOr<OffsetWriteRoute> RouteOffsetWrite(const MetadataState& state,
                                                  const Consumer& consumer,
                                                  const Identifier& stream, const Identifier& topic,
                                                  std::optional<uint32_t> partition,
                                                  uint64_t member_session) {
  const TopicRef ref = ResolveTopic(state, stream, topic);
  if (ref.error != IggyError::kOk) return NotFound("consumer offset: no such stream or topic");
  if (consumer.kind == Consumer::Kind::kConsumer) {
    const uint32_t id = partition.value_or(0);
    if (id >= ref.topic->partitions.size()) return NotFound("consumer offset: no such partition");
    return OffsetWriteRoute{TargetOf(state, ref, id), SingleConsumerKey(consumer.id)};
  }
  const std::optional<uint32_t> group_id = GroupId(ref, consumer);
  if (!group_id.has_value()) return NotFound("consumer offset: no such consumer group");
  if (!partition.has_value() || *partition >= ref.topic->partitions.size() ||
      !MemberOwns(ref.topic->groups.at(*group_id), member_session, *partition)) {
    return NotFound("consumer offset: the partition is not the calling member's");
  }
  return OffsetWriteRoute{TargetOf(state, ref, *partition),
                          {partition::ConsumerKind::kGroup, *group_id}};
}

ReadAnswer Status(IggyError error) { return {.status = error}; }
ReadAnswer Head(uint32_t partition) { return {.payload = EncodePollHead(partition, 0)}; }

std::variant<PollPlan, ReadAnswer> PlanGroupPoll(const MetadataState& state, const TopicRef& ref,
                                                 const PollMessagesRequest& request,
                                                 uint64_t member_session) {
  const std::optional<uint32_t> group_id = GroupId(ref, request.consumer);
  if (!group_id.has_value()) return Status(IggyError::kConsumerGroupIdNotFound);
  if (!request.partition.has_value() || *request.partition >= ref.topic->partitions.size()) {
    return Head(0);
  }
  if (!MemberOwns(ref.topic->groups.at(*group_id), member_session, *request.partition)) {
    return Head(kResyncPartitionSentinel);
  }
  if (request.count == 0) return Head(*request.partition);
  return PollPlan{.target = TargetOf(state, ref, *request.partition),
                  .consumer = {partition::ConsumerKind::kGroup, *group_id},
                  .strategy = request.strategy,
                  .count = request.count,
                  .auto_commit = request.auto_commit};
}

}  // namespace

uint32_t Xxh32(ByteSpan bytes) { return XXH32(bytes.data(), bytes.size(), 0); }

absl::StatusOr<PartitionTarget> PlanSendMessages(const MetadataState& state,
                                                 const SendMessagesRequest& request,
                                                 uint64_t balanced_counter) {
  const TopicRef ref = ResolveTopic(state, request.stream, request.topic);
  if (ref.error != IggyError::kOk) return NotFound("send_messages: no such stream or topic");
  const size_t count = ref.topic->partitions.size();
  if (count == 0) return NotFound("send_messages: the topic has no partitions");
  uint64_t partition = 0;
  switch (request.partitioning.kind) {
    case Partitioning::Kind::kPartitionId:
      partition = request.partitioning.partition_id;
      if (partition >= count) return NotFound("send_messages: no such partition");
      break;
    case Partitioning::Kind::kBalanced:
      partition = balanced_counter % count;
      break;
    case Partitioning::Kind::kMessagesKey:
      partition = Xxh32(request.partitioning.key) % count;
      break;
  }
  return TargetOf(state, ref, static_cast<uint32_t>(partition));
}

absl::StatusOr<PartitionWrite> PlanStoreConsumerOffset(const MetadataState& state,
                                                       const StoreConsumerOffsetRequest& request,
                                                       uint64_t member_session) {
  absl::StatusOr<OffsetWriteRoute> route = RouteOffsetWrite(
      state, request.consumer, request.stream, request.topic, request.partition, member_session);
  if (!route.ok()) return route.status();
  return PartitionWrite{.target = route->target,
                        .operation = wire::Operation::kStoreConsumerOffset,
                        .consumer = route->consumer,
                        .offset = request.offset,
                        .body = partition::EncodeStoreOffset(
                            {.consumer = route->consumer, .offset = request.offset})};
}

absl::StatusOr<PartitionWrite> PlanDeleteConsumerOffset(const MetadataState& state,
                                                        const DeleteConsumerOffsetRequest& request,
                                                        uint64_t member_session) {
  absl::StatusOr<OffsetWriteRoute> route = RouteOffsetWrite(
      state, request.consumer, request.stream, request.topic, request.partition, member_session);
  if (!route.ok()) return route.status();
  return PartitionWrite{.target = route->target,
                        .operation = wire::Operation::kDeleteConsumerOffset,
                        .consumer = route->consumer,
                        .body = partition::EncodeDeleteOffset(route->consumer)};
}

std::variant<PollPlan, ReadAnswer> PlanPoll(const MetadataState& state,
                                            const PollMessagesRequest& request,
                                            uint64_t member_session) {
  const TopicRef ref = ResolveTopic(state, request.stream, request.topic);
  if (ref.error != IggyError::kOk) return Status(ref.error);
  if (request.consumer.kind == Consumer::Kind::kGroup) {
    return PlanGroupPoll(state, ref, request, member_session);
  }
  const uint32_t partition = request.partition.value_or(0);
  if (partition >= ref.topic->partitions.size()) return Status(IggyError::kPartitionNotFound);
  if (request.count == 0) return Head(partition);
  return PollPlan{.target = TargetOf(state, ref, partition),
                  .consumer = SingleConsumerKey(request.consumer.id),
                  .strategy = request.strategy,
                  .count = request.count,
                  .auto_commit = request.auto_commit};
}

PartitionWrite AutoCommitWrite(const PollPlan& plan, uint64_t last_offset) {
  return {.target = plan.target,
          .operation = wire::Operation::kStoreConsumerOffset,
          .consumer = plan.consumer,
          .offset = last_offset,
          .body = partition::EncodeStoreOffset({.consumer = plan.consumer, .offset = last_offset})};
}

std::variant<OffsetReadPlan, ReadAnswer> PlanGetConsumerOffset(
    const MetadataState& state, const GetConsumerOffsetRequest& request) {
  const TopicRef ref = ResolveTopic(state, request.stream, request.topic);
  if (ref.error != IggyError::kOk) return Status(ref.error);
  partition::ConsumerKey consumer = SingleConsumerKey(request.consumer.id);
  if (request.consumer.kind == Consumer::Kind::kGroup) {
    const std::optional<uint32_t> group_id = GroupId(ref, request.consumer);
    if (!group_id.has_value()) return Status(IggyError::kConsumerGroupIdNotFound);
    consumer = {partition::ConsumerKind::kGroup, *group_id};
  }
  const uint32_t partition = request.partition.value_or(0);
  if (partition >= ref.topic->partitions.size()) return Status(IggyError::kPartitionNotFound);
  return OffsetReadPlan{TargetOf(state, ref, partition), consumer};
}

}  // namespace sluice::client_protocol
