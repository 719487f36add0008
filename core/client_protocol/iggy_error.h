#pragma once
// The error codes an Iggy client sees (PROTOCOL.md §1.9): Iggy's `IggyError`
// numbering, the same in its server and its SDKs. They reach the client as a reply's
// header status, as the code of a one-entry result section, or as the code the SDK
// derives from an eviction's reason (§1.6, §1.8).
//
// metadata::ErrorCode (core/metadata/error_code.h) is the subset the metadata state
// machine commits; FromMetadataError maps it 1:1 (same numbers). This enum adds the
// codes only the client edge produces (decode failures, partition-plane denials,
// option validation, transient retries).

#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/metadata/error_code.h"

namespace sluice::client_protocol {

enum class IggyError : uint32_t {
  kOk = 0,
  kError = 1,
  kInvalidCommand = 3,      // undecodable body, unknown code
  kInvalidFormat = 4,       // request_checksum mismatch; what the SDK raises for MalformedLogin
  kFeatureUnavailable = 5,  // a known code Sluice does not serve
  kInvalidIdentifier = 6,
  kResourceNotFound = 20,  // also: any routing failure of partition ops 160..162
  kStaleClient = 30,
  kUnauthenticated = 40,
  kUnauthorized = 41,
  kInvalidCredentials = 42,
  kInvalidUsername = 43,
  kUserAlreadyExists = 46,
  kUserInactive = 47,
  kCannotDeleteUser = 48,
  kPersonalAccessTokenAlreadyExists = 51,
  kPersonalAccessTokenLimitReached = 52,
  kInvalidPersonalAccessToken = 53,
  kInvalidPersonalAccessTokenExpiry = 56,
  kTransientNotCommitted = 57,  // the SDK re-sends the identical frame
  kTransientNotAccepted = 58,   // likewise
  kStreamIdNotFound = 1009,
  kStreamNameNotFound = 1010,
  kStreamNameAlreadyExists = 1012,
  kInvalidTopicSize = 1019,
  kTooManyStreams = 1020,
  kTopicIdNotFound = 2010,
  kTopicNameAlreadyExists = 2013,
  kTooManyPartitions = 2015,
  kInvalidPartitionsCount = 2019,
  kTooManyTopics = 2021,
  kPartitionNotFound = 3007,
  kPartitionIdSpaceExhausted = 3013,
  kConsumerOffsetNotFound = 3021,
  kInvalidMessageChecksum = 4027,
  kInvalidBatchChecksum = 4039,
  kUnsupportedOptionKey = 4041,
  kInvalidOptionValue = 4042,
  kOptionsBlockTooLarge = 4043,
  kInvalidOffset = 4100,
  kConsumerGroupIdNotFound = 5000,
  kConsumerGroupNameAlreadyExists = 5004,
  kConsumerGroupMemberNotFound = 5006,
  kConsumerGroupPartitionNotOwned = 5009,
  kIncompatibleProtocolVersion = 14003,
};

constexpr uint32_t CodeOf(IggyError error) { return static_cast<uint32_t>(error); }

// "invalid_command", ...; "unknown" for a value not listed above.
absl::string_view IggyErrorName(IggyError error);

// The same number: every metadata::ErrorCode is an Iggy code (asserted per value).
IggyError FromMetadataError(metadata::ErrorCode code);

}  // namespace sluice::client_protocol
