#include "core/client_protocol/command_code.h"

namespace sluice::client_protocol {
namespace {

using wire::Operation;

struct CodeInfo {
  CommandCode code;
  Operation operation;
  absl::string_view name;
};

// PROTOCOL.md §4, in code order.
constexpr CodeInfo kCodes[] = {
    {CommandCode::kPing, Operation::kNonReplicated, "ping"},
    {CommandCode::kGetStats, Operation::kNonReplicated, "get_stats"},
    {CommandCode::kGetSnapshot, Operation::kNonReplicated, "get_snapshot"},
    {CommandCode::kGetClusterMetadata, Operation::kNonReplicated, "get_cluster_metadata"},
    {CommandCode::kDescribeOptions, Operation::kNonReplicated, "describe_options"},
    {CommandCode::kGetMe, Operation::kNonReplicated, "get_me"},
    {CommandCode::kGetClient, Operation::kNonReplicated, "get_client"},
    {CommandCode::kGetClients, Operation::kNonReplicated, "get_clients"},
    {CommandCode::kGetUser, Operation::kNonReplicated, "get_user"},
    {CommandCode::kGetUsers, Operation::kNonReplicated, "get_users"},
    {CommandCode::kCreateUser, Operation::kCreateUser, "create_user"},
    {CommandCode::kDeleteUser, Operation::kDeleteUser, "delete_user"},
    {CommandCode::kUpdateUser, Operation::kUpdateUser, "update_user"},
    {CommandCode::kUpdatePermissions, Operation::kUpdatePermissions, "update_permissions"},
    {CommandCode::kChangePassword, Operation::kChangePassword, "change_password"},
    {CommandCode::kLoginUser, Operation::kRegister, "login_user"},
    {CommandCode::kLogoutUser, Operation::kLogout, "logout_user"},
    {CommandCode::kLoginRegister, Operation::kRegister, "login_register"},
    {CommandCode::kGetAccessTokens, Operation::kNonReplicated, "get_access_tokens"},
    {CommandCode::kCreateAccessToken, Operation::kCreatePersonalAccessToken, "create_access_token"},
    {CommandCode::kDeleteAccessToken, Operation::kDeletePersonalAccessToken, "delete_access_token"},
    {CommandCode::kLoginWithAccessToken, Operation::kRegister, "login_with_access_token"},
    {CommandCode::kLoginRegisterWithAccessToken, Operation::kRegister,
     "login_register_with_access_token"},
    {CommandCode::kPollMessages, Operation::kNonReplicated, "poll_messages"},
    {CommandCode::kSendMessages, Operation::kSendMessages, "send_messages"},
    {CommandCode::kFlushUnsavedBuffers, Operation::kNonReplicated, "flush_unsaved_buffers"},
    {CommandCode::kGetConsumerOffset, Operation::kNonReplicated, "get_consumer_offset"},
    {CommandCode::kStoreConsumerOffset, Operation::kStoreConsumerOffset, "store_consumer_offset"},
    {CommandCode::kDeleteConsumerOffset, Operation::kDeleteConsumerOffset,
     "delete_consumer_offset"},
    {CommandCode::kGetStream, Operation::kNonReplicated, "get_stream"},
    {CommandCode::kGetStreams, Operation::kNonReplicated, "get_streams"},
    {CommandCode::kCreateStream, Operation::kCreateStream, "create_stream"},
    {CommandCode::kDeleteStream, Operation::kDeleteStream, "delete_stream"},
    {CommandCode::kUpdateStream, Operation::kUpdateStream, "update_stream"},
    {CommandCode::kPurgeStream, Operation::kPurgeStream, "purge_stream"},
    {CommandCode::kGetTopic, Operation::kNonReplicated, "get_topic"},
    {CommandCode::kGetTopics, Operation::kNonReplicated, "get_topics"},
    {CommandCode::kCreateTopic, Operation::kCreateTopic, "create_topic"},
    {CommandCode::kDeleteTopic, Operation::kDeleteTopic, "delete_topic"},
    {CommandCode::kUpdateTopic, Operation::kUpdateTopic, "update_topic"},
    {CommandCode::kPurgeTopic, Operation::kPurgeTopic, "purge_topic"},
    {CommandCode::kCreatePartitions, Operation::kCreatePartitions, "create_partitions"},
    {CommandCode::kDeletePartitions, Operation::kDeletePartitions, "delete_partitions"},
    {CommandCode::kDeleteSegments, Operation::kDeleteSegments, "delete_segments"},
    {CommandCode::kGetConsumerGroup, Operation::kNonReplicated, "get_consumer_group"},
    {CommandCode::kGetConsumerGroups, Operation::kNonReplicated, "get_consumer_groups"},
    {CommandCode::kCreateConsumerGroup, Operation::kCreateConsumerGroup, "create_consumer_group"},
    {CommandCode::kDeleteConsumerGroup, Operation::kDeleteConsumerGroup, "delete_consumer_group"},
    {CommandCode::kJoinConsumerGroup, Operation::kJoinConsumerGroup, "join_consumer_group"},
    {CommandCode::kLeaveConsumerGroup, Operation::kLeaveConsumerGroup, "leave_consumer_group"},
    {CommandCode::kSyncConsumerGroup, Operation::kNonReplicated, "sync_consumer_group"},
};

const CodeInfo* Find(uint32_t code) {
  for (const CodeInfo& info : kCodes) {
    if (static_cast<uint32_t>(info.code) == code) return &info;
  }
  return nullptr;
}

}  // namespace

bool IsKnownCommandCode(uint32_t code) { return Find(code) != nullptr; }

wire::Operation OperationForCode(CommandCode code) {
  const CodeInfo* info = Find(static_cast<uint32_t>(code));
  return info == nullptr ? Operation::kNonReplicated : info->operation;
}

std::optional<CommandCode> CodeForOperation(wire::Operation operation) {
  switch (operation) {
    case Operation::kRegister:
      return CommandCode::kLoginRegister;
    case Operation::kLogout:
      return CommandCode::kLogoutUser;
    case Operation::kReserved:
    case Operation::kNonReplicated:
      return std::nullopt;
    default:
      break;
  }
  // The first code sent under this operation; login codes were handled above.
  for (const CodeInfo& info : kCodes) {
    if (info.operation == operation) return info.code;
  }
  return std::nullopt;
}

absl::string_view CommandCodeName(CommandCode code) {
  const CodeInfo* info = Find(static_cast<uint32_t>(code));
  return info == nullptr ? "unknown" : info->name;
}

}  // namespace sluice::client_protocol
