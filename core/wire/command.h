#pragma once
// The `command` byte of the 256-byte consensus header (offset 60, FORMATS.md §1).
//
// Values 0..13 are Iggy's and must not change: Iggy's SDKs read 5 (Request),
// 8 (Reply) and 13 (Eviction) on the client port (PROTOCOL.md §1). Values from 32
// are Sluice's own replica-to-replica commands (repair and state sync); Iggy leaves
// 14..31 free, and starting at 32 keeps a gap should Iggy add commands of its own.

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sluice::wire {

enum class Command : uint8_t {
  kReserved = 0,  // Never valid on the wire.
  kPing = 1,
  kPong = 2,
  kPingClient = 3,
  kPongClient = 4,
  kRequest = 5,
  kPrepare = 6,
  kPrepareOk = 7,
  kReply = 8,
  kCommit = 9,
  kStartViewChange = 10,
  kDoViewChange = 11,
  kStartView = 12,
  kEviction = 13,  // Client protocol only (PROTOCOL.md §1.6).

  // Sluice-owned (not Iggy's). Placeholders: their header layouts are defined by the
  // repair and state-sync code that introduces them, each carrying the partition
  // group's incarnation in a reserved u64 of its own layout (FORMATS.md §1).
  kRequestPrepare = 32,  // Repair: ask a peer for one prepare by (namespace, op, checksum).
  kRequestHeaders = 33,  // Repair: ask a peer for the headers of an op range.
  kHeaders = 34,         // Repair: the answer to request_headers.
  kRequestSync = 35,     // State sync: ask for a snapshot or segment chunk.
  kSyncChunk = 36,       // State sync: one bounded chunk of a snapshot or segment.
  // Replica-level (not VSR's): a backup tells the primary which clients were active
  // on it (core/replica/session_activity.h); the replica handles it, VSR never sees it.
  kSessionActivity = 37,
};

// True for every value declared above; false for any other byte.
bool IsKnownCommand(uint8_t value);

// "prepare", "start_view", ...; "unknown" for an undeclared value.
absl::string_view CommandName(Command command);

}  // namespace sluice::wire
