// Helpers shared by the operation families (operations.h).
#include "core/base/assert.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/lookup.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {

ApplyResult Error(ErrorCode code) {
  SLUICE_ASSERT(code != ErrorCode::kOk);
  return ApplyResult{.error = code, .payload = {}};
}

ApplyResult Ok() { return ApplyResult{}; }

ApplyResult OkWithId(uint32_t id) {
  ByteWriter out;
  out.U32(id);
  return ApplyResult{.error = ErrorCode::kOk, .payload = std::move(out).Take()};
}

void Rebalance(ConsumerGroup& group, uint32_t partitions_count) {
  for (auto& [member, partitions] : group.members) partitions.clear();
  if (!group.members.empty()) {
    // Members in id order (the map's), partitions round-robin over them: every
    // replica computes the same assignment from the same membership.
    std::vector<std::vector<uint32_t>*> ordered;
    ordered.reserve(group.members.size());
    for (auto& [member, partitions] : group.members) ordered.push_back(&partitions);
    for (uint32_t partition = 0; partition < partitions_count; ++partition) {
      ordered[partition % ordered.size()]->push_back(partition);
    }
  }
  ++group.generation;
}

void EndSession(MetadataState& state, absl::uint128 client) {
  const auto entry = state.clients.find(client);
  if (entry == state.clients.end()) return;
  const uint64_t member = entry->second.session;
  state.clients.erase(entry);
  for (auto& [stream_id, stream] : state.streams) {
    for (auto& [topic_id, topic] : stream.topics) {
      for (auto& [group_id, group] : topic.groups) {
        if (group.members.erase(member) > 0) {
          Rebalance(group, static_cast<uint32_t>(topic.partitions.size()));
        }
      }
    }
  }
}

void QueueTopicSteps(MetadataState& state, StepKind kind, uint32_t stream_id, uint32_t topic_id,
                     const Topic& topic, uint32_t group) {
  for (uint32_t partition = 0; partition < topic.partitions.size(); ++partition) {
    state.pending_steps[state.next_step_id++] = PendingStep{
        .kind = kind,
        .stream = stream_id,
        .topic = topic_id,
        .partition = partition,
        .incarnation = topic.partitions[partition].incarnation,
        .group = group,
    };
  }
}

}  // namespace sluice::metadata::operations

namespace sluice::metadata::operations {

TopicRef ResolveTopic(MetadataState& state, const Identifier& stream, const Identifier& topic) {
  const std::optional<uint32_t> stream_id = ResolveId(state.streams, stream);
  if (!stream_id.has_value()) return {.error = ErrorCode::kStreamIdNotFound};
  Stream& found = state.streams.at(*stream_id);
  const std::optional<uint32_t> topic_id = ResolveId(found.topics, topic);
  if (!topic_id.has_value()) return {.error = ErrorCode::kTopicIdNotFound};
  return {.error = ErrorCode::kOk,
          .stream_id = *stream_id,
          .topic_id = *topic_id,
          .topic = &found.topics.at(*topic_id)};
}

}  // namespace sluice::metadata::operations
