#pragma once
// The `operation` byte: which state-machine operation a request or prepare carries
// (request header offset 176, prepare header offset 208; PROTOCOL.md §1.4, §4 and
// FORMATS.md §1).
//
// Values up to 162 are Iggy's and fixed by its SDKs: a reply must echo a defined
// value or the Node SDK raises error 3. Values from 163 are Sluice's own partition
// steps, which only ever appear in prepares (never on the client port).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sluice::wire {

enum class Operation : uint8_t {
  kReserved = 0,       // Never valid.
  kRegister = 1,       // Login: creates a session (replicated in the metadata group).
  kNonReplicated = 2,  // Reads and other codes served without consensus; never prepared.
  kLogout = 3,

  // Iggy-internal metadata operations (never sent by clients).
  kCreateTopicWithAssignments = 64,
  kCreatePartitionsWithAssignments = 65,
  kRemoveConsumerGroupMember = 66,
  kCompleteConsumerGroupRevocation = 67,
  kTruncatePartition = 68,

  // Metadata mutations (PROTOCOL.md §4).
  kCreateStream = 128,
  kUpdateStream = 129,
  kDeleteStream = 130,
  kPurgeStream = 131,
  kCreateTopic = 132,
  kUpdateTopic = 133,
  kDeleteTopic = 134,
  kPurgeTopic = 135,
  kCreatePartitions = 136,
  kDeletePartitions = 137,
  kDeleteSegments = 138,
  kCreateConsumerGroup = 139,
  kDeleteConsumerGroup = 140,
  kCreateUser = 141,
  kUpdateUser = 142,
  kDeleteUser = 143,
  kChangePassword = 144,
  kUpdatePermissions = 145,
  kCreatePersonalAccessToken = 146,
  kDeletePersonalAccessToken = 147,
  kJoinConsumerGroup = 148,
  kLeaveConsumerGroup = 149,

  // Partition operations (Iggy's).
  kSendMessages = 160,
  kStoreConsumerOffset = 161,
  kDeleteConsumerOffset = 162,

  // Sluice-owned partition steps: placeholders whose bodies are defined by the
  // partition code. Each is decided by the primary (from prepare timestamps or a
  // committed metadata operation) and replicated through the partition group, so
  // every replica drops the same segments at the same op (DESIGN.md "Partition logs").
  kPartitionRetention = 163,       // Drop sealed segments older than a cutoff.
  kPartitionDeleteSegments = 164,  // The partition step of DeleteSegments (138).
  kPartitionPurge = 165,           // The partition step of PurgeStream / PurgeTopic.

  // Sluice-owned metadata operation: marks one pending per-partition step of a
  // cross-group operation (delete/purge topic or stream) done, so a new primary
  // resumes exactly what is left (DESIGN.md "Operations spanning groups").
  kCompletePartitionStep = 166,
};

// True for every value declared above; false for any other byte.
bool IsKnownOperation(uint8_t value);

// True for operations that may appear in a prepare: every known operation except
// Reserved and NonReplicated.
bool IsReplicatedOperation(Operation operation);

// "send_messages", "create_stream", ...; "unknown" for an undeclared value.
absl::string_view OperationName(Operation operation);

}  // namespace sluice::wire
