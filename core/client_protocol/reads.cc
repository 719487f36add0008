#include "core/client_protocol/reads.h"

#include "core/metadata/lookup.h"

namespace sluice::client_protocol {
namespace {

using metadata::FindStream;
using metadata::FindTopic;

ReadAnswer Payload(Bytes payload) { return {.payload = std::move(payload)}; }
ReadAnswer Status(IggyError error) { return {.status = error}; }

// Resolves stream and topic; the ids and the entities, or the Iggy error naming the
// missing one.
struct TopicLookup {
  IggyError error = IggyError::kOk;
  uint32_t stream_id = 0;
  uint32_t topic_id = 0;
  const metadata::Topic* topic = nullptr;
};

TopicLookup LookupTopic(const metadata::MetadataState& state, const Identifier& stream,
                        const Identifier& topic) {
  const std::optional<uint32_t> stream_id = metadata::ResolveId(state.streams, stream);
  if (!stream_id.has_value()) return {.error = IggyError::kStreamIdNotFound};
  const metadata::Stream& found = state.streams.at(*stream_id);
  const std::optional<uint32_t> topic_id = metadata::ResolveId(found.topics, topic);
  if (!topic_id.has_value()) return {.error = IggyError::kTopicIdNotFound};
  return {.stream_id = *stream_id, .topic_id = *topic_id, .topic = &found.topics.at(*topic_id)};
}

ReadAnswer GetStream(const metadata::MetadataState& state, const GetStreamRequest& request,
                     PartitionStatsLookup stats) {
  const std::optional<uint32_t> id = metadata::ResolveId(state.streams, request.stream);
  if (!id.has_value()) return {};
  return Payload(EncodeStreamDetails(*id, state.streams.at(*id), stats));
}

ReadAnswer GetTopic(const metadata::MetadataState& state, const GetTopicRequest& request,
                    PartitionStatsLookup stats) {
  const TopicLookup lookup = LookupTopic(state, request.stream, request.topic);
  if (lookup.error != IggyError::kOk) return {};
  return Payload(EncodeTopicDetails(lookup.stream_id, lookup.topic_id, *lookup.topic, stats));
}

ReadAnswer GetTopics(const metadata::MetadataState& state, const GetTopicsRequest& request,
                     PartitionStatsLookup stats) {
  const std::optional<uint32_t> id = metadata::ResolveId(state.streams, request.stream);
  if (!id.has_value()) return Payload(Bytes(4, 0));  // count 0: the SDK reads it
  return Payload(EncodeTopicHeaders(*id, state.streams.at(*id), stats));
}

ReadAnswer GetGroup(const metadata::MetadataState& state, const GroupRequestBody& request) {
  const TopicLookup lookup = LookupTopic(state, request.stream, request.topic);
  if (lookup.error != IggyError::kOk) return Status(lookup.error);
  const std::optional<uint32_t> id = metadata::ResolveId(lookup.topic->groups, request.group);
  if (!id.has_value()) return {};
  return Payload(EncodeGroupDetails(*id, lookup.topic->groups.at(*id),
                                    static_cast<uint32_t>(lookup.topic->partitions.size())));
}

ReadAnswer GetGroups(const metadata::MetadataState& state,
                     const GetConsumerGroupsRequest& request) {
  const TopicLookup lookup = LookupTopic(state, request.stream, request.topic);
  if (lookup.error != IggyError::kOk) return Status(lookup.error);
  return Payload(EncodeGroupHeaders(*lookup.topic));
}

ReadAnswer SyncGroup(const metadata::MetadataState& state, const GroupRequestBody& request,
                     uint64_t member_session) {
  const TopicLookup lookup = LookupTopic(state, request.stream, request.topic);
  if (lookup.error != IggyError::kOk) return Status(lookup.error);
  const std::optional<uint32_t> id = metadata::ResolveId(lookup.topic->groups, request.group);
  if (!id.has_value()) return Status(IggyError::kConsumerGroupIdNotFound);
  const metadata::ConsumerGroup& group = lookup.topic->groups.at(*id);
  const auto member = group.members.find(member_session);
  if (member_session == 0 || member == group.members.end()) return {};
  return Payload(EncodeAssignment(group.generation, member->second));
}

}  // namespace

std::optional<ReadAnswer> AnswerMetadataRead(const metadata::MetadataState& state,
                                             const Command& command, uint64_t member_session,
                                             PartitionStatsLookup stats) {
  if (const auto* request = std::get_if<GetStreamRequest>(&command)) {
    return GetStream(state, *request, stats);
  }
  if (std::holds_alternative<GetStreamsRequest>(command)) {
    return Payload(EncodeStreamHeaders(state, stats));
  }
  if (const auto* request = std::get_if<GetTopicRequest>(&command)) {
    return GetTopic(state, *request, stats);
  }
  if (const auto* request = std::get_if<GetTopicsRequest>(&command)) {
    return GetTopics(state, *request, stats);
  }
  if (const auto* request = std::get_if<GetConsumerGroupRequest>(&command)) {
    return GetGroup(state, *request);
  }
  if (const auto* request = std::get_if<GetConsumerGroupsRequest>(&command)) {
    return GetGroups(state, *request);
  }
  if (const auto* request = std::get_if<SyncConsumerGroupRequest>(&command)) {
    return SyncGroup(state, *request, member_session);
  }
  return std::nullopt;
}

Bytes EncodeReadReply(const RequestHeader& request, const ReadAnswer& answer,
                      const ReplyStamp& stamp) {
  if (answer.status != IggyError::kOk) return EncodeStatusReply(request, answer.status, stamp);
  return EncodeReply(request, answer.payload, stamp);
}

}  // namespace sluice::client_protocol
