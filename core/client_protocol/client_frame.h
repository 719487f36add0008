#pragma once
// DecodeClientFrame: the one place a client request frame is validated (rule B13).
//
// A frame is checked once where it enters — header (request_header.h), command code,
// then the command's body — and comes out as a typed ClientRequest, or as a
// rejection (rejection.h) saying how to answer it. Never crashes and never reads out
// of bounds on any input; allocates at most a few names of <= 255 bytes (and a login's
// context, bounded by the frame); the only loop over input (options, batch frames)
// is bounded by the frame's length.
//
// Command code: for NonReplicated (operation 2) the code in header bytes 196..199,
// else the one the operation stands for (command_code.h). Then:
//   unknown code                                              status 3 InvalidCommand
//   a login code (38, 40, 44, 45) sent as NonReplicated       eviction 15 MalformedLogin
//   another replicated code sent as NonReplicated             status 3 InvalidCommand
//   a known code Sluice does not serve (users, tokens, GetMe,
//   clients, snapshots, DeleteSegments, FlushUnsavedBuffers…) status 5 FeatureUnavailable
// Body faults: status 3 (structure), 6 (identifier), 2015 (partition counts), 4039 /
// 4027 (batch / message checksum), 4041 / 4042 / 4043 (options), 4042 / 1019
// (topic bounds); a login body that parses as neither shape: eviction 15.
//
// The session gate (which commands a connection may send before login) depends on
// the connection, so it is separate: CheckSessionGate (session_gate.h).

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client_protocol/request_header.h"
#include "core/client_protocol/requests.h"

namespace sluice::client_protocol {

// Decodes one whole request frame (exactly one: `size` must equal frame.size()).
// On success the request views `frame` (SendMessagesRequest::batch): keep it alive.
absl::StatusOr<ClientRequest> DecodeClientFrame(ByteSpan frame, const ClientLimits& limits = {});

// True for the codes DecodeClientFrame turns into a request (requests.h).
bool IsSupportedCommandCode(CommandCode code);

}  // namespace sluice::client_protocol
