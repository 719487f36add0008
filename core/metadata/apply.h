#pragma once
// Apply: the metadata state machine's one transition (DESIGN.md "Deterministic
// apply"). Its only inputs are the committed op's bytes (the prepare header fields in
// OpContext, and the body) and the state; it reads no clock, no randomness, no
// configuration and no hash-map order. So every replica applying the same ops in op
// order reaches the same state and returns the same results.
//
// Results: a business rejection (stream not found, name already exists, ...) is not
// a failure of Apply: it is an ApplyResult carrying Iggy's error code, committed like
// a success, so the client listener answers it as a result section 1:1
// (PROTOCOL.md §1.7). A body that does not decode is ErrorCode::kInvalidCommand and
// changes nothing. Apply itself only asserts the caller's contract (ops applied once,
// in increasing order).
//
// Success payloads (little-endian; the client listener renders Iggy's reply from
// them and the state):
//   CreateStream [stream_id:u32]   CreateTopic [topic_id:u32]
//   CreateConsumerGroup [group_id:u32]   CreateUser [user_id:u32]
//   Register [user_id:u32][session:u64]   every other operation: empty.
// CreateAccessToken's payload is empty on purpose: the raw token exists only at the
// primary, which adds it to the reply it sends; the cached result (and so the
// snapshot) never holds it.
//
// Clients (the client table, DESIGN.md "Clients"):
//  - context.client == 0: an op made by the primary (root user creation, session
//    expiry, step completion) or a test: no session is needed or recorded.
//  - Register opens a session for context.client: its number is the Register's op.
//    A full table evicts the entry whose last applied request is oldest.
//  - Any other op with context.client != 0 needs that client's session (else
//    kUnauthenticated, nothing changes). A request number equal to the client's last
//    returns the cached result without applying again (the de-duplication by
//    (client, request)); a lower one is kStaleClient. Otherwise the op is applied and
//    its (request, result) recorded — unless the op ended the session (Logout).
//  - JoinConsumerGroup / LeaveConsumerGroup: the member is the session of
//    context.client; without one (client 0 included) they are kUnauthenticated.
//  - Ending a session (Logout, expiry, eviction, deleting its user) removes its
//    consumer-group memberships and rebalances those groups.

#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"
#include "core/wire/operation.h"

namespace sluice::metadata {

// The prepare header fields Apply reads (core/wire/header.h).
struct OpContext {
  uint64_t op = 0;  // > state.last_applied_op
  wire::Operation operation = wire::Operation::kReserved;
  uint64_t timestamp_us = 0;  // stamped by the primary
  absl::uint128 client = 0;   // the request's client; 0 for primary-made ops
  uint64_t request = 0;       // the client's request number
};

ApplyResult Apply(MetadataState& state, const OpContext& context, ByteSpan body);

// The same for an op made by the primary (client 0, request 0).
ApplyResult Apply(MetadataState& state, uint64_t op, wire::Operation operation, ByteSpan body,
                  uint64_t timestamp_us);

// True for the operations Apply knows; anything else is kInvalidCommand.
bool IsMetadataOperation(wire::Operation operation);

}  // namespace sluice::metadata
