// Create, delete, join and leave consumer groups (PROTOCOL.md §5.7). A member is a
// session (its number); joining or leaving rebalances the group deterministically.
#include "core/metadata/body_codec.h"
#include "core/metadata/lookup.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

// The group a GroupBody names, after its topic.
struct GroupRef {
  ErrorCode error = ErrorCode::kOk;
  TopicRef topic;
  uint32_t group_id = 0;
  ConsumerGroup* group = nullptr;
};

GroupRef ResolveGroup(MetadataState& state, const GroupBody& body) {
  GroupRef ref;
  ref.topic = ResolveTopic(state, body.stream, body.topic);
  if (ref.topic.error != ErrorCode::kOk) return {.error = ref.topic.error};
  const std::optional<uint32_t> group_id = ResolveId(ref.topic.topic->groups, body.group);
  if (!group_id.has_value()) return {.error = ErrorCode::kConsumerGroupIdNotFound};
  ref.group_id = *group_id;
  ref.group = &ref.topic.topic->groups.at(*group_id);
  return ref;
}

// The session of the request's client, or nullptr (the primary's own ops have none).
const ClientEntry* SessionOf(const MetadataState& state, const OpContext& context) {
  return context.client == 0 ? nullptr : FindClient(state, context.client);
}

}  // namespace

ApplyResult CreateConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<CreateGroupBody> decoded = DecodeCreateGroup(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const TopicRef ref = ResolveTopic(state, decoded->stream, decoded->topic);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  Topic& topic = *ref.topic;
  if (NameTaken(topic.groups, decoded->name)) {
    return Error(ErrorCode::kConsumerGroupNameAlreadyExists);
  }
  if (topic.next_group_id == UINT32_MAX) return Error(ErrorCode::kError);  // ids exhausted
  // Monotonic, never reused: a deleted group's offsets may still be pending deletion
  // in the partitions, keyed by its id.
  const uint32_t id = topic.next_group_id++;
  topic.groups[id].name = decoded->name;
  return OkWithId(id);
}

ApplyResult DeleteConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<GroupBody> decoded = DecodeGroupBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const GroupRef ref = ResolveGroup(state, *decoded);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  QueueTopicSteps(state, StepKind::kDeleteGroupOffsets, ref.topic.stream_id, ref.topic.topic_id,
                  *ref.topic.topic, ref.group_id);
  ref.topic.topic->groups.erase(ref.group_id);
  return Ok();
}

ApplyResult JoinConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<GroupBody> decoded = DecodeGroupBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const ClientEntry* session = SessionOf(state, context);
  if (session == nullptr) return Error(ErrorCode::kUnauthenticated);
  const GroupRef ref = ResolveGroup(state, *decoded);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  // Idempotent (Iggy): a member joining again changes nothing, not even the generation.
  if (ref.group->members.contains(session->session)) return Ok();
  ref.group->members[session->session];
  Rebalance(*ref.group, static_cast<uint32_t>(ref.topic.topic->partitions.size()));
  return Ok();
}

ApplyResult LeaveConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<GroupBody> decoded = DecodeGroupBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const ClientEntry* session = SessionOf(state, context);
  if (session == nullptr) return Error(ErrorCode::kUnauthenticated);
  const GroupRef ref = ResolveGroup(state, *decoded);
  if (ref.error != ErrorCode::kOk) return Error(ref.error);
  if (ref.group->members.erase(session->session) == 0) {
    return Error(ErrorCode::kConsumerGroupMemberNotFound);
  }
  Rebalance(*ref.group, static_cast<uint32_t>(ref.topic.topic->partitions.size()));
  return Ok();
}

}  // namespace sluice::metadata::operations
