// CreateTopic, UpdateTopic, DeleteTopic, PurgeTopic (PROTOCOL.md §5.4).
#include "core/metadata/body_codec.h"
#include "core/metadata/lookup.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

constexpr uint64_t kSegmentSizeAlignment = 512;

bool ValidCompression(uint8_t compression) {
  return compression == kCompressionNone || compression == kCompressionGzip;
}

// Resolves Iggy's "0 = server default" sentinels into the stored settings.
TopicSettings ResolveDefaults(TopicSettings settings) {
  if (settings.message_expiry_us == 0) settings.message_expiry_us = kNever;
  if (settings.max_topic_size_bytes == 0) settings.max_topic_size_bytes = kUnlimited;
  if (settings.segment_size_bytes == 0) settings.segment_size_bytes = kSegmentSizeDefault;
  return settings;
}

ErrorCode ValidateSettings(const TopicSettings& settings) {
  if (!ValidCompression(settings.compression_algorithm)) return ErrorCode::kInvalidOptionValue;
  const uint64_t segment = settings.segment_size_bytes;
  if (segment < kSegmentSizeMin || segment > kSegmentSizeDefault ||
      segment % kSegmentSizeAlignment != 0) {
    return ErrorCode::kInvalidOptionValue;
  }
  if (settings.max_topic_size_bytes < segment) return ErrorCode::kInvalidTopicSize;
  return ErrorCode::kOk;
}

}  // namespace

ApplyResult CreateTopic(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<CreateTopicBody> decoded = DecodeCreateTopic(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> stream_id = ResolveId(state.streams, decoded->stream);
  if (!stream_id.has_value()) return Error(ErrorCode::kStreamIdNotFound);
  Stream& stream = state.streams.at(*stream_id);
  if (NameTaken(stream.topics, decoded->name)) return Error(ErrorCode::kTopicNameAlreadyExists);
  if (decoded->partitions_count > kPartitionsPerRequestMax) {
    return Error(ErrorCode::kTooManyPartitions);
  }
  if (decoded->partitions_count > IdLimit(state.config.widths.partition_bits)) {
    return Error(ErrorCode::kPartitionIdSpaceExhausted);
  }
  const TopicSettings settings = ResolveDefaults(decoded->settings);
  if (const ErrorCode invalid = ValidateSettings(settings); invalid != ErrorCode::kOk) {
    return Error(invalid);
  }
  const uint64_t id = LowestFreeId(stream.topics);
  if (id >= IdLimit(state.config.widths.topic_bits)) return Error(ErrorCode::kTooManyTopics);
  Topic& topic = stream.topics[static_cast<uint32_t>(id)];
  topic.name = decoded->name;
  topic.created_at_us = context.timestamp_us;
  topic.settings = settings;
  // Every partition created by this op has this op as its incarnation.
  topic.partitions.assign(decoded->partitions_count,
                          Partition{.incarnation = context.op,
                                    .created_at_us = context.timestamp_us});
  return OkWithId(static_cast<uint32_t>(id));
}

ApplyResult UpdateTopic(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<UpdateTopicBody> decoded = DecodeUpdateTopic(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  if (NameTaken(state.streams.at(ref.stream_id).topics, decoded->name, ref.topic_id)) {
    return Error(ErrorCode::kTopicNameAlreadyExists);
  }
  TopicSettings settings = ref.topic->settings;
  if (decoded->present & kUpdateCompression) {
    settings.compression_algorithm = decoded->compression_algorithm;
  }
  if (decoded->present & kUpdateMessageExpiry) {
    settings.message_expiry_us = decoded->message_expiry_us == 0 ? kNever
                                                                 : decoded->message_expiry_us;
  }
  if (decoded->present & kUpdateMaxTopicSize) {
    settings.max_topic_size_bytes =
        decoded->max_topic_size_bytes == 0 ? kUnlimited : decoded->max_topic_size_bytes;
  }
  if (const ErrorCode invalid = ValidateSettings(settings); invalid != ErrorCode::kOk) {
    return Error(invalid);
  }
  ref.topic->name = decoded->name;
  ref.topic->settings = settings;
  return Ok();
}

ApplyResult DeleteTopic(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<TopicBody> decoded = DecodeTopicBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  // Its consumer groups go with it: their offsets live in the partitions' directories,
  // which the delete steps remove.
  QueueTopicSteps(state, StepKind::kDeletePartition, ref.stream_id, ref.topic_id, *ref.topic);
  state.streams.at(ref.stream_id).topics.erase(ref.topic_id);
  return Ok();
}

ApplyResult PurgeTopic(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<TopicBody> decoded = DecodeTopicBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  QueueTopicSteps(state, StepKind::kPurgePartition, ref.stream_id, ref.topic_id, *ref.topic);
  return Ok();
}

}  // namespace sluice::metadata::operations
