#include "core/client_protocol/iggy_error.h"

#include "core/base/assert.h"

namespace sluice::client_protocol {

absl::string_view IggyErrorName(IggyError error) {
  switch (error) {
    case IggyError::kOk:
      return "ok";
    case IggyError::kError:
      return "error";
    case IggyError::kInvalidCommand:
      return "invalid_command";
    case IggyError::kInvalidFormat:
      return "invalid_format";
    case IggyError::kFeatureUnavailable:
      return "feature_unavailable";
    case IggyError::kInvalidIdentifier:
      return "invalid_identifier";
    case IggyError::kResourceNotFound:
      return "resource_not_found";
    case IggyError::kStaleClient:
      return "stale_client";
    case IggyError::kUnauthenticated:
      return "unauthenticated";
    case IggyError::kUnauthorized:
      return "unauthorized";
    case IggyError::kInvalidCredentials:
      return "invalid_credentials";
    case IggyError::kInvalidUsername:
      return "invalid_username";
    case IggyError::kUserAlreadyExists:
      return "user_already_exists";
    case IggyError::kUserInactive:
      return "user_inactive";
    case IggyError::kCannotDeleteUser:
      return "cannot_delete_user";
    case IggyError::kPersonalAccessTokenAlreadyExists:
      return "personal_access_token_already_exists";
    case IggyError::kPersonalAccessTokenLimitReached:
      return "personal_access_token_limit_reached";
    case IggyError::kInvalidPersonalAccessToken:
      return "invalid_personal_access_token";
    case IggyError::kInvalidPersonalAccessTokenExpiry:
      return "invalid_personal_access_token_expiry";
    case IggyError::kTransientNotCommitted:
      return "transient_not_committed";
    case IggyError::kTransientNotAccepted:
      return "transient_not_accepted";
    case IggyError::kStreamIdNotFound:
      return "stream_id_not_found";
    case IggyError::kStreamNameNotFound:
      return "stream_name_not_found";
    case IggyError::kStreamNameAlreadyExists:
      return "stream_name_already_exists";
    case IggyError::kInvalidTopicSize:
      return "invalid_topic_size";
    case IggyError::kTooManyStreams:
      return "too_many_streams";
    case IggyError::kTopicIdNotFound:
      return "topic_id_not_found";
    case IggyError::kTopicNameAlreadyExists:
      return "topic_name_already_exists";
    case IggyError::kTooManyPartitions:
      return "too_many_partitions";
    case IggyError::kInvalidPartitionsCount:
      return "invalid_partitions_count";
    case IggyError::kTooManyTopics:
      return "too_many_topics";
    case IggyError::kPartitionNotFound:
      return "partition_not_found";
    case IggyError::kPartitionIdSpaceExhausted:
      return "partition_id_space_exhausted";
    case IggyError::kConsumerOffsetNotFound:
      return "consumer_offset_not_found";
    case IggyError::kInvalidMessageChecksum:
      return "invalid_message_checksum";
    case IggyError::kInvalidBatchChecksum:
      return "invalid_batch_checksum";
    case IggyError::kUnsupportedOptionKey:
      return "unsupported_option_key";
    case IggyError::kInvalidOptionValue:
      return "invalid_option_value";
    case IggyError::kOptionsBlockTooLarge:
      return "options_block_too_large";
    case IggyError::kInvalidOffset:
      return "invalid_offset";
    case IggyError::kConsumerGroupIdNotFound:
      return "consumer_group_id_not_found";
    case IggyError::kConsumerGroupNameAlreadyExists:
      return "consumer_group_name_already_exists";
    case IggyError::kConsumerGroupMemberNotFound:
      return "consumer_group_member_not_found";
    case IggyError::kConsumerGroupPartitionNotOwned:
      return "consumer_group_partition_not_owned";
    case IggyError::kIncompatibleProtocolVersion:
      return "incompatible_protocol_version";
  }
  return "unknown";
}

IggyError FromMetadataError(metadata::ErrorCode code) {
  using metadata::ErrorCode;
  // Spelled out rather than cast, so a metadata code without an Iggy twin here fails
  // to map loudly instead of sending a number the SDK does not know.
  switch (code) {
    case ErrorCode::kOk:
      return IggyError::kOk;
    case ErrorCode::kError:
      return IggyError::kError;
    case ErrorCode::kInvalidCommand:
      return IggyError::kInvalidCommand;
    case ErrorCode::kResourceNotFound:
      return IggyError::kResourceNotFound;
    case ErrorCode::kStaleClient:
      return IggyError::kStaleClient;
    case ErrorCode::kUnauthenticated:
      return IggyError::kUnauthenticated;
    case ErrorCode::kInvalidCredentials:
      return IggyError::kInvalidCredentials;
    case ErrorCode::kInvalidUsername:
      return IggyError::kInvalidUsername;
    case ErrorCode::kUserAlreadyExists:
      return IggyError::kUserAlreadyExists;
    case ErrorCode::kUserInactive:
      return IggyError::kUserInactive;
    case ErrorCode::kCannotDeleteUser:
      return IggyError::kCannotDeleteUser;
    case ErrorCode::kPersonalAccessTokenAlreadyExists:
      return IggyError::kPersonalAccessTokenAlreadyExists;
    case ErrorCode::kPersonalAccessTokenLimitReached:
      return IggyError::kPersonalAccessTokenLimitReached;
    case ErrorCode::kInvalidPersonalAccessToken:
      return IggyError::kInvalidPersonalAccessToken;
    case ErrorCode::kInvalidPersonalAccessTokenExpiry:
      return IggyError::kInvalidPersonalAccessTokenExpiry;
    case ErrorCode::kStreamIdNotFound:
      return IggyError::kStreamIdNotFound;
    case ErrorCode::kStreamNameAlreadyExists:
      return IggyError::kStreamNameAlreadyExists;
    case ErrorCode::kInvalidTopicSize:
      return IggyError::kInvalidTopicSize;
    case ErrorCode::kTooManyStreams:
      return IggyError::kTooManyStreams;
    case ErrorCode::kTopicIdNotFound:
      return IggyError::kTopicIdNotFound;
    case ErrorCode::kTopicNameAlreadyExists:
      return IggyError::kTopicNameAlreadyExists;
    case ErrorCode::kTooManyPartitions:
      return IggyError::kTooManyPartitions;
    case ErrorCode::kInvalidPartitionsCount:
      return IggyError::kInvalidPartitionsCount;
    case ErrorCode::kTooManyTopics:
      return IggyError::kTooManyTopics;
    case ErrorCode::kPartitionIdSpaceExhausted:
      return IggyError::kPartitionIdSpaceExhausted;
    case ErrorCode::kInvalidOptionValue:
      return IggyError::kInvalidOptionValue;
    case ErrorCode::kConsumerGroupIdNotFound:
      return IggyError::kConsumerGroupIdNotFound;
    case ErrorCode::kConsumerGroupNameAlreadyExists:
      return IggyError::kConsumerGroupNameAlreadyExists;
    case ErrorCode::kConsumerGroupMemberNotFound:
      return IggyError::kConsumerGroupMemberNotFound;
  }
  SLUICE_UNREACHABLE("metadata error code ", static_cast<uint32_t>(code), " has no Iggy code");
}

}  // namespace sluice::client_protocol
