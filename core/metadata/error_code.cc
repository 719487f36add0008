#include "core/metadata/error_code.h"

namespace sluice::metadata {

absl::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kError: return "error";
    case ErrorCode::kInvalidCommand: return "invalid_command";
    case ErrorCode::kResourceNotFound: return "resource_not_found";
    case ErrorCode::kStaleClient: return "stale_client";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kInvalidCredentials: return "invalid_credentials";
    case ErrorCode::kInvalidUsername: return "invalid_username";
    case ErrorCode::kUserAlreadyExists: return "user_already_exists";
    case ErrorCode::kUserInactive: return "user_inactive";
    case ErrorCode::kCannotDeleteUser: return "cannot_delete_user";
    case ErrorCode::kPersonalAccessTokenAlreadyExists:
      return "personal_access_token_already_exists";
    case ErrorCode::kPersonalAccessTokenLimitReached: return "personal_access_token_limit_reached";
    case ErrorCode::kInvalidPersonalAccessToken: return "invalid_personal_access_token";
    case ErrorCode::kInvalidPersonalAccessTokenExpiry:
      return "invalid_personal_access_token_expiry";
    case ErrorCode::kStreamIdNotFound: return "stream_id_not_found";
    case ErrorCode::kStreamNameAlreadyExists: return "stream_name_already_exists";
    case ErrorCode::kInvalidTopicSize: return "invalid_topic_size";
    case ErrorCode::kTooManyStreams: return "too_many_streams";
    case ErrorCode::kTopicIdNotFound: return "topic_id_not_found";
    case ErrorCode::kTopicNameAlreadyExists: return "topic_name_already_exists";
    case ErrorCode::kTooManyPartitions: return "too_many_partitions";
    case ErrorCode::kInvalidPartitionsCount: return "invalid_partitions_count";
    case ErrorCode::kTooManyTopics: return "too_many_topics";
    case ErrorCode::kPartitionIdSpaceExhausted: return "partition_id_space_exhausted";
    case ErrorCode::kInvalidOptionValue: return "invalid_option_value";
    case ErrorCode::kConsumerGroupIdNotFound: return "consumer_group_id_not_found";
    case ErrorCode::kConsumerGroupNameAlreadyExists: return "consumer_group_name_already_exists";
    case ErrorCode::kConsumerGroupMemberNotFound: return "consumer_group_member_not_found";
  }
  return "unknown";
}

}  // namespace sluice::metadata
