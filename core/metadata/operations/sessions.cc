// Register (login), Logout and session expiry, and the completion of pending
// partition steps: the operations about the client table and the primary's duties.
#include "core/metadata/body_codec.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/credentials.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

LoginCheck CheckLogin(const MetadataState& state, const RegisterBody& body, uint64_t now_us) {
  if (body.kind == LoginKind::kPassword) return VerifyPassword(state, body.user_id, body.proof);
  LoginCheck check = VerifyToken(state, body.proof, now_us);
  if (check.error == ErrorCode::kOk && check.user_id != body.user_id) {
    return {ErrorCode::kInvalidPersonalAccessToken, 0};
  }
  return check;
}

// Makes room for one more session: the table is bounded (DESIGN.md "Bounds"), and
// the client whose last request is oldest is the one least likely to come back.
void EvictIfFull(MetadataState& state) {
  while (!state.clients.empty() && state.clients.size() >= state.config.clients_max) {
    auto oldest = state.clients.begin();
    for (auto entry = state.clients.begin(); entry != state.clients.end(); ++entry) {
      if (entry->second.last_op < oldest->second.last_op) oldest = entry;
    }
    EndSession(state, oldest->first);
  }
}

}  // namespace

ApplyResult Register(MetadataState& state, const OpContext& context, ByteSpan body) {
  if (context.client == 0) return Error(ErrorCode::kInvalidCommand);
  const absl::StatusOr<RegisterBody> decoded = DecodeRegister(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const LoginCheck check = CheckLogin(state, *decoded, context.timestamp_us);
  if (check.error != ErrorCode::kOk) return Error(check.error);
  EndSession(state, context.client);  // a client id registering again starts afresh
  EvictIfFull(state);
  ByteWriter payload;
  payload.U32(check.user_id);
  payload.U64(context.op);  // the session number: unique, as ops are
  ApplyResult result{.error = ErrorCode::kOk, .payload = std::move(payload).Take()};
  state.clients[context.client] = ClientEntry{
      .session = context.op,
      .user_id = check.user_id,
      .registered_at_us = context.timestamp_us,
      .last_request = context.request,
      .last_op = context.op,
      .last_result = result,
  };
  return result;
}

ApplyResult Logout(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<LogoutBody> decoded = DecodeLogout(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  // Only the primary (client 0) expires another client's session: its decision,
  // taken from its clock, replicated as this op (DESIGN.md "Time-driven decisions").
  if (decoded->expired_client.has_value() && context.client != 0) {
    return Error(ErrorCode::kInvalidCommand);
  }
  EndSession(state, decoded->expired_client.value_or(context.client));
  return Ok();  // Iggy answers OK even when nothing was bound
}

ApplyResult CompletePartitionStep(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<CompleteStepBody> decoded = DecodeCompleteStep(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  if (state.pending_steps.erase(decoded->step_id) == 0) {
    return Error(ErrorCode::kResourceNotFound);
  }
  return Ok();
}

}  // namespace sluice::metadata::operations
