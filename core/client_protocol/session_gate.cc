#include "core/client_protocol/session_gate.h"

#include "absl/strings/str_cat.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol {

absl::Status CheckSessionGate(const ClientRequest& request, uint64_t bound_session) {
  using wire::Operation;
  const Operation operation = request.header.operation;
  if (operation == Operation::kRegister || operation == Operation::kLogout) {
    return absl::OkStatus();
  }
  if (operation == Operation::kNonReplicated) {
    if (request.code == CommandCode::kPing || bound_session != 0) return absl::OkStatus();
    return StatusReply(IggyError::kUnauthenticated,
                       absl::StrCat(CommandCodeName(request.code), " before login"));
  }
  if (bound_session == 0) {
    return Evict(EvictionReason::kNoSession,
                 absl::StrCat(wire::OperationName(operation), " on a connection without session"));
  }
  if (request.header.session < bound_session) {
    return Evict(EvictionReason::kSessionTooLow, absl::StrCat("session ", request.header.session,
                                                              " below the bound ", bound_session));
  }
  if (request.header.session != bound_session) {
    return Evict(EvictionReason::kNoSession, absl::StrCat("session ", request.header.session,
                                                          " is not the bound ", bound_session));
  }
  return absl::OkStatus();
}

}  // namespace sluice::client_protocol
