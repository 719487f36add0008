#include "core/wire/operation.h"

namespace sluice::wire {

absl::string_view OperationName(Operation operation) {
  switch (operation) {
    case Operation::kReserved:
      return "reserved";
    case Operation::kRegister:
      return "register";
    case Operation::kNonReplicated:
      return "non_replicated";
    case Operation::kLogout:
      return "logout";
    case Operation::kCreateTopicWithAssignments:
      return "create_topic_with_assignments";
    case Operation::kCreatePartitionsWithAssignments:
      return "create_partitions_with_assignments";
    case Operation::kRemoveConsumerGroupMember:
      return "remove_consumer_group_member";
    case Operation::kCompleteConsumerGroupRevocation:
      return "complete_consumer_group_revocation";
    case Operation::kTruncatePartition:
      return "truncate_partition";
    case Operation::kCreateStream:
      return "create_stream";
    case Operation::kUpdateStream:
      return "update_stream";
    case Operation::kDeleteStream:
      return "delete_stream";
    case Operation::kPurgeStream:
      return "purge_stream";
    case Operation::kCreateTopic:
      return "create_topic";
    case Operation::kUpdateTopic:
      return "update_topic";
    case Operation::kDeleteTopic:
      return "delete_topic";
    case Operation::kPurgeTopic:
      return "purge_topic";
    case Operation::kCreatePartitions:
      return "create_partitions";
    case Operation::kDeletePartitions:
      return "delete_partitions";
    case Operation::kDeleteSegments:
      return "delete_segments";
    case Operation::kCreateConsumerGroup:
      return "create_consumer_group";
    case Operation::kDeleteConsumerGroup:
      return "delete_consumer_group";
    case Operation::kCreateUser:
      return "create_user";
    case Operation::kUpdateUser:
      return "update_user";
    case Operation::kDeleteUser:
      return "delete_user";
    case Operation::kChangePassword:
      return "change_password";
    case Operation::kUpdatePermissions:
      return "update_permissions";
    case Operation::kCreatePersonalAccessToken:
      return "create_personal_access_token";
    case Operation::kDeletePersonalAccessToken:
      return "delete_personal_access_token";
    case Operation::kJoinConsumerGroup:
      return "join_consumer_group";
    case Operation::kLeaveConsumerGroup:
      return "leave_consumer_group";
    case Operation::kSendMessages:
      return "send_messages";
    case Operation::kStoreConsumerOffset:
      return "store_consumer_offset";
    case Operation::kDeleteConsumerOffset:
      return "delete_consumer_offset";
    case Operation::kPartitionRetention:
      return "partition_retention";
    case Operation::kPartitionDeleteSegments:
      return "partition_delete_segments";
    case Operation::kPartitionPurge:
      return "partition_purge";
    case Operation::kCompletePartitionStep:
      return "complete_partition_step";
  }
  // Reached only by a value cast from an unchecked byte; the switch stays
  // exhaustive (-Wswitch) so a new enumerator without a name fails to compile.
  return "unknown";
}

bool IsKnownOperation(uint8_t value) {
  return OperationName(static_cast<Operation>(value)) != "unknown";
}

bool IsReplicatedOperation(Operation operation) {
  return IsKnownOperation(static_cast<uint8_t>(operation)) && operation != Operation::kReserved &&
         operation != Operation::kNonReplicated;
}

}  // namespace sluice::wire
