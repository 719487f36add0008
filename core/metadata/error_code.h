#pragma once
// The result code of an applied metadata operation: Iggy's `IggyError` numbering
// (PROTOCOL.md §1.9), so the client listener maps a committed result 1:1 onto the
// reply's result section (`[1][0][code]`, PROTOCOL.md §1.7). 0 means success.
//
// Only the codes the metadata state machine can produce are listed. A code is part
// of the replicated state (the client table caches results), so values never change.

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sluice::metadata {

enum class ErrorCode : uint32_t {
  kOk = 0,
  kError = 1,           // a limit with no Iggy code of its own (e.g. too many users)
  kInvalidCommand = 3,  // undecodable body, unknown operation
  kResourceNotFound = 20,  // user or personal access token not found
  kStaleClient = 30,       // a request number older than the client's last one
  kUnauthenticated = 40,   // no session for the request's client
  kInvalidCredentials = 42,
  kInvalidUsername = 43,
  kUserAlreadyExists = 46,
  kUserInactive = 47,
  kCannotDeleteUser = 48,  // the root user (id 0)
  kPersonalAccessTokenAlreadyExists = 51,
  kPersonalAccessTokenLimitReached = 52,
  kInvalidPersonalAccessToken = 53,
  kInvalidPersonalAccessTokenExpiry = 56,
  kStreamIdNotFound = 1009,  // Iggy's HEAD server uses it for names too
  kStreamNameAlreadyExists = 1012,
  kInvalidTopicSize = 1019,  // max topic size below the segment size
  kTooManyStreams = 1020,
  kTopicIdNotFound = 2010,  // names too
  kTopicNameAlreadyExists = 2013,
  kTooManyPartitions = 2015,  // also a count of 0 or above 1000 per request
  kInvalidPartitionsCount = 2019,  // deleting more partitions than exist
  kTooManyTopics = 2021,
  kPartitionIdSpaceExhausted = 3013,
  kInvalidOptionValue = 4042,
  kConsumerGroupIdNotFound = 5000,  // names too
  kConsumerGroupNameAlreadyExists = 5004,
  kConsumerGroupMemberNotFound = 5006,
};

// "stream_name_already_exists", ...; "unknown" for a value not listed above.
absl::string_view ErrorCodeName(ErrorCode code);

}  // namespace sluice::metadata
