#pragma once
// Iggy's classic command codes (PROTOCOL.md §4) and which header `operation` each
// travels under (§1.4). A NonReplicated request (operation 2) carries its code in
// request header bytes 196..199; every other operation identifies its command by
// itself, so the code of a replicated request is derived from its operation.

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

enum class CommandCode : uint32_t {
  kPing = 1,
  kGetStats = 10,
  kGetSnapshot = 11,
  kGetClusterMetadata = 12,
  kDescribeOptions = 13,
  kGetMe = 20,
  kGetClient = 21,
  kGetClients = 22,
  kGetUser = 31,
  kGetUsers = 32,
  kCreateUser = 33,
  kDeleteUser = 34,
  kUpdateUser = 35,
  kUpdatePermissions = 36,
  kChangePassword = 37,
  kLoginUser = 38,  // classic login: the SDK rewrites it into a Register (40)
  kLogoutUser = 39,
  kLoginRegister = 40,
  kGetAccessTokens = 41,
  kCreateAccessToken = 42,
  kDeleteAccessToken = 43,
  kLoginWithAccessToken = 44,  // classic PAT login: rewritten into 45
  kLoginRegisterWithAccessToken = 45,
  kPollMessages = 100,
  kSendMessages = 101,
  kFlushUnsavedBuffers = 102,
  kGetConsumerOffset = 120,
  kStoreConsumerOffset = 121,
  kDeleteConsumerOffset = 122,
  kGetStream = 200,
  kGetStreams = 201,
  kCreateStream = 202,
  kDeleteStream = 203,
  kUpdateStream = 204,
  kPurgeStream = 205,
  kGetTopic = 300,
  kGetTopics = 301,
  kCreateTopic = 302,
  kDeleteTopic = 303,
  kUpdateTopic = 304,
  kPurgeTopic = 305,
  kCreatePartitions = 402,
  kDeletePartitions = 403,
  kDeleteSegments = 503,
  kGetConsumerGroup = 600,
  kGetConsumerGroups = 601,
  kCreateConsumerGroup = 602,
  kDeleteConsumerGroup = 603,
  kJoinConsumerGroup = 604,
  kLeaveConsumerGroup = 605,
  kSyncConsumerGroup = 606,
};

// True for every code declared above.
bool IsKnownCommandCode(uint32_t code);

// The header operation the SDK sends `code` under (§4's "op" column): Register for
// the login codes, Logout for 39, the metadata/partition operation for writes,
// NonReplicated for everything else.
wire::Operation OperationForCode(CommandCode code);

// The command a non-NonReplicated request operation carries: kLoginRegister for
// Register (the body tells password and token apart), kLogoutUser for Logout, the
// write for 128..149 and 160..162. nullopt for Reserved, NonReplicated and every
// operation no client sends (64..68, Sluice's own 163..).
std::optional<CommandCode> CodeForOperation(wire::Operation operation);

// "create_stream", ...; "unknown" for an undeclared value.
absl::string_view CommandCodeName(CommandCode code);

}  // namespace sluice::client_protocol
