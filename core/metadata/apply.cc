// Apply's dispatch and the client table's de-duplication (apply.h).
#include "core/metadata/apply.h"

#include "core/base/assert.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata {
namespace {

using Handler = ApplyResult (*)(MetadataState&, const OpContext&, ByteSpan);
using wire::Operation;

Handler HandlerFor(Operation operation) {
  namespace ops = operations;
  if (operation == kCompletePartitionStep) return &ops::CompletePartitionStep;
  switch (operation) {
    case Operation::kRegister: return &ops::Register;
    case Operation::kLogout: return &ops::Logout;
    case Operation::kCreateStream: return &ops::CreateStream;
    case Operation::kUpdateStream: return &ops::UpdateStream;
    case Operation::kDeleteStream: return &ops::DeleteStream;
    case Operation::kPurgeStream: return &ops::PurgeStream;
    case Operation::kCreateTopic: return &ops::CreateTopic;
    case Operation::kUpdateTopic: return &ops::UpdateTopic;
    case Operation::kDeleteTopic: return &ops::DeleteTopic;
    case Operation::kPurgeTopic: return &ops::PurgeTopic;
    case Operation::kCreatePartitions: return &ops::CreatePartitions;
    case Operation::kDeletePartitions: return &ops::DeletePartitions;
    case Operation::kCreateConsumerGroup: return &ops::CreateConsumerGroup;
    case Operation::kDeleteConsumerGroup: return &ops::DeleteConsumerGroup;
    case Operation::kJoinConsumerGroup: return &ops::JoinConsumerGroup;
    case Operation::kLeaveConsumerGroup: return &ops::LeaveConsumerGroup;
    case Operation::kCreateUser: return &ops::CreateUser;
    case Operation::kUpdateUser: return &ops::UpdateUser;
    case Operation::kDeleteUser: return &ops::DeleteUser;
    case Operation::kChangePassword: return &ops::ChangePassword;
    case Operation::kUpdatePermissions: return &ops::UpdatePermissions;
    case Operation::kCreatePersonalAccessToken: return &ops::CreateToken;
    case Operation::kDeletePersonalAccessToken: return &ops::DeleteToken;
    default: return nullptr;  // partition operations, DeleteSegments, Iggy-internal ones
  }
}

// A client request (client != 0, not Register): session check, de-duplication,
// apply, record.
ApplyResult ApplyClientRequest(MetadataState& state, const OpContext& context, ByteSpan body,
                               Handler handler) {
  const auto entry = state.clients.find(context.client);
  if (entry == state.clients.end()) return operations::Error(ErrorCode::kUnauthenticated);
  if (context.request == entry->second.last_request) return entry->second.last_result;
  if (context.request < entry->second.last_request) {
    return operations::Error(ErrorCode::kStaleClient);
  }
  ApplyResult result = handler(state, context, body);
  // The op may have ended this very session (Logout, deleting its own user): then
  // there is nothing left to record.
  const auto still = state.clients.find(context.client);
  if (still != state.clients.end()) {
    still->second.last_request = context.request;
    still->second.last_op = context.op;
    still->second.last_result = result;
  }
  return result;
}

}  // namespace

bool IsMetadataOperation(wire::Operation operation) { return HandlerFor(operation) != nullptr; }

ApplyResult Apply(MetadataState& state, const OpContext& context, ByteSpan body) {
  SLUICE_ASSERT(context.op > state.last_applied_op, "op ", context.op,
                " applied after op ", state.last_applied_op);
  state.last_applied_op = context.op;
  const Handler handler = HandlerFor(context.operation);
  if (handler == nullptr) return operations::Error(ErrorCode::kInvalidCommand);
  // Register creates the session that ApplyClientRequest would look for.
  if (context.client == 0 || context.operation == Operation::kRegister) {
    return handler(state, context, body);
  }
  return ApplyClientRequest(state, context, body, handler);
}

ApplyResult Apply(MetadataState& state, uint64_t op, wire::Operation operation, ByteSpan body,
                  uint64_t timestamp_us) {
  return Apply(state,
               OpContext{.op = op, .operation = operation, .timestamp_us = timestamp_us},
               body);
}

}  // namespace sluice::metadata
