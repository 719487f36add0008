// CreateStream, UpdateStream, DeleteStream, PurgeStream (PROTOCOL.md §5.3).
#include "core/metadata/body_codec.h"
#include "core/metadata/lookup.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {

ApplyResult CreateStream(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<CreateStreamBody> decoded = DecodeCreateStream(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  if (NameTaken(state.streams, decoded->name)) return Error(ErrorCode::kStreamNameAlreadyExists);
  // The id must fit the namespace's stream width (rule B9): a partition of this
  // stream is addressed by a namespace that packs it.
  const uint64_t id = LowestFreeId(state.streams);
  if (id >= IdLimit(state.config.widths.stream_bits)) return Error(ErrorCode::kTooManyStreams);
  Stream& stream = state.streams[static_cast<uint32_t>(id)];
  stream.name = decoded->name;
  stream.created_at_us = context.timestamp_us;
  return OkWithId(static_cast<uint32_t>(id));
}

ApplyResult UpdateStream(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<UpdateStreamBody> decoded = DecodeUpdateStream(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.streams, decoded->stream);
  if (!id.has_value()) return Error(ErrorCode::kStreamIdNotFound);
  if (NameTaken(state.streams, decoded->name, id)) {
    return Error(ErrorCode::kStreamNameAlreadyExists);
  }
  state.streams.at(*id).name = decoded->name;
  return Ok();
}

ApplyResult DeleteStream(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<StreamBody> decoded = DecodeStreamBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.streams, decoded->stream);
  if (!id.has_value()) return Error(ErrorCode::kStreamIdNotFound);
  // The stream leaves the namespace now (its id and name are free at once); its
  // partition groups are removed by the steps, which name each by incarnation.
  for (const auto& [topic_id, topic] : state.streams.at(*id).topics) {
    QueueTopicSteps(state, StepKind::kDeletePartition, *id, topic_id, topic);
  }
  state.streams.erase(*id);
  return Ok();
}

ApplyResult PurgeStream(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<StreamBody> decoded = DecodeStreamBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.streams, decoded->stream);
  if (!id.has_value()) return Error(ErrorCode::kStreamIdNotFound);
  for (const auto& [topic_id, topic] : state.streams.at(*id).topics) {
    QueueTopicSteps(state, StepKind::kPurgePartition, *id, topic_id, topic);
  }
  return Ok();
}

}  // namespace sluice::metadata::operations
