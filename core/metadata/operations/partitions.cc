// CreatePartitions, DeletePartitions (PROTOCOL.md §5.5): partition ids stay dense
// 0..n-1; creation appends, deletion removes the highest.
#include "core/metadata/body_codec.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

void RebalanceGroups(Topic& topic) {
  for (auto& [group_id, group] : topic.groups) {
    Rebalance(group, static_cast<uint32_t>(topic.partitions.size()));
  }
}

bool CountValid(uint32_t count) { return count > 0 && count <= kPartitionsPerRequestMax; }

}  // namespace

ApplyResult CreatePartitions(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<PartitionsBody> decoded = DecodePartitions(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  if (!CountValid(decoded->count)) return Error(ErrorCode::kTooManyPartitions);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  std::vector<Partition>& partitions = ref.topic->partitions;
  // The new ids must fit the namespace's partition width (rule B9).
  if (partitions.size() + decoded->count > IdLimit(state.config.widths.partition_bits)) {
    return Error(ErrorCode::kPartitionIdSpaceExhausted);
  }
  partitions.resize(partitions.size() + decoded->count,
                    Partition{.incarnation = context.op, .created_at_us = context.timestamp_us});
  RebalanceGroups(*ref.topic);
  return Ok();
}

ApplyResult DeletePartitions(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<PartitionsBody> decoded = DecodePartitions(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  if (!CountValid(decoded->count)) return Error(ErrorCode::kTooManyPartitions);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  std::vector<Partition>& partitions = ref.topic->partitions;
  if (decoded->count > partitions.size()) return Error(ErrorCode::kInvalidPartitionsCount);
  const uint32_t keep = static_cast<uint32_t>(partitions.size()) - decoded->count;
  for (uint32_t partition = keep; partition < partitions.size(); ++partition) {
    state.pending_steps[state.next_step_id++] = PendingStep{
        .kind = StepKind::kDeletePartition,
        .stream = ref.stream_id,
        .topic = ref.topic_id,
        .partition = partition,
        .incarnation = partitions[partition].incarnation,
    };
  }
  partitions.resize(keep);
  RebalanceGroups(*ref.topic);
  return Ok();
}

}  // namespace sluice::metadata::operations
