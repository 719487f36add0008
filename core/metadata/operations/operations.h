#pragma once
// Internal to Apply: one function per operation family, each decoding its body and
// applying it. Each returns the result; none touches the client table's
// de-duplication fields (apply.cc owns those).

#include "core/base/bytes.h"
#include "core/metadata/apply.h"
#include "core/metadata/identifier.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata::operations {

ApplyResult CreateStream(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult UpdateStream(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeleteStream(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult PurgeStream(MetadataState& state, const OpContext& context, ByteSpan body);

ApplyResult CreateTopic(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult UpdateTopic(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeleteTopic(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult PurgeTopic(MetadataState& state, const OpContext& context, ByteSpan body);

ApplyResult CreatePartitions(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeletePartitions(MetadataState& state, const OpContext& context, ByteSpan body);

ApplyResult CreateConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeleteConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult JoinConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult LeaveConsumerGroup(MetadataState& state, const OpContext& context, ByteSpan body);

ApplyResult CreateUser(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult UpdateUser(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeleteUser(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult ChangePassword(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult UpdatePermissions(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult CreateToken(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult DeleteToken(MetadataState& state, const OpContext& context, ByteSpan body);

ApplyResult Register(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult Logout(MetadataState& state, const OpContext& context, ByteSpan body);
ApplyResult CompletePartitionStep(MetadataState& state, const OpContext& context, ByteSpan body);

// Shared helpers.

// A topic named by two identifiers: error is kStreamIdNotFound / kTopicIdNotFound,
// or kOk with `topic` set.
struct TopicRef {
  ErrorCode error = ErrorCode::kOk;
  uint32_t stream_id = 0;
  uint32_t topic_id = 0;
  Topic* topic = nullptr;
};
TopicRef ResolveTopic(MetadataState& state, const Identifier& stream, const Identifier& topic);

ApplyResult Error(ErrorCode code);
ApplyResult Ok();
ApplyResult OkWithId(uint32_t id);  // payload [id:u32]

// Recomputes a group's assignment (partition p -> the (p mod m)-th member by id) and
// bumps its generation.
void Rebalance(ConsumerGroup& group, uint32_t partitions_count);

// Ends `client`'s session: removes its entry and its group memberships.
void EndSession(MetadataState& state, absl::uint128 client);

// Queues one pending step per partition of `topic` (in partition order).
void QueueTopicSteps(MetadataState& state, StepKind kind, uint32_t stream_id, uint32_t topic_id,
                     const Topic& topic, uint32_t group = 0);

}  // namespace sluice::metadata::operations
