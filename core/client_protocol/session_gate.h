#pragma once
// Which requests a connection may send in its session state (PROTOCOL.md §2, §1.6).
// DecodeClientFrame validates a frame on its own; this adds what depends on the
// connection: the session it has bound (0 = none: not logged in, or logged out).
//
//   Register                      always (a re-login on the same connection included)
//   Logout                        always (Iggy answers OK even if nothing is bound)
//   Ping                          always, the only command allowed before login
//   other NonReplicated           status 40 Unauthenticated without a session
//   replicated (metadata, partition writes)
//                                 eviction NoSession without a session; a header
//                                 session below the bound one: eviction SessionTooLow;
//                                 another one: eviction NoSession (the client
//                                 believes in a session this connection does not hold)

#include <cstdint>

#include "absl/status/status.h"
#include "core/client_protocol/requests.h"

namespace sluice::client_protocol {

absl::Status CheckSessionGate(const ClientRequest& request, uint64_t bound_session);

}  // namespace sluice::client_protocol
