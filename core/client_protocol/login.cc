#include "core/client_protocol/login.h"

#include "core/client_protocol/protocol_version.h"
#include "core/client_protocol/rejection.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/credentials.h"
#include "core/metadata/lookup.h"

namespace sluice::client_protocol {
namespace {

using metadata::ErrorCode;

// The salt an unknown user's attempt is hashed with (its result never matches). The
// size of a real salt (metadata::kPasswordSaltBytes, password_kdf.h, not a dependency
// of this package: the KDF is the primary's).
ByteSpan DummySalt() {
  static const uint8_t kSalt[16] = {};
  return ByteSpan(kSalt, sizeof(kSalt));
}

absl::Status LoginFailure(ErrorCode error) {
  switch (error) {
    case ErrorCode::kUserInactive:
      return Evict(EvictionReason::kUserInactive, "login: the user is inactive");
    case ErrorCode::kInvalidPersonalAccessToken:
      return Evict(EvictionReason::kInvalidToken, "login: unknown or expired token");
    default:
      return Evict(EvictionReason::kInvalidCredentials, "login: invalid credentials");
  }
}

MetadataSubmission RegisterOp(uint32_t user_id, metadata::LoginKind kind, ByteSpan proof) {
  return {wire::Operation::kRegister,
          metadata::Encode(metadata::RegisterBody{
              .user_id = user_id, .kind = kind, .proof = Bytes(proof.begin(), proof.end())})};
}

}  // namespace

absl::StatusOr<LoginHashInput> PlanLogin(const metadata::MetadataState& state,
                                         const RegisterRequest& request) {
  if (absl::Status status = CheckClientProtocolVersion(request.protocol_version); !status.ok()) {
    return status;
  }
  if (const auto* token = std::get_if<TokenCredentials>(&request.credentials)) {
    return TokenHashInput{token->token};
  }
  const auto& password = std::get<PasswordCredentials>(request.credentials);
  PasswordHashInput input{.salt = DummySalt(), .password = password.password};
  input.user_id = metadata::ResolveId(state.users, metadata::Identifier::Named(password.username));
  if (input.user_id.has_value()) input.salt = state.users.at(*input.user_id).password.salt;
  return input;
}

absl::StatusOr<MetadataSubmission> RegisterSubmission(const metadata::MetadataState& state,
                                                      const LoginHashInput& input,
                                                      ByteSpan kdf_output, uint64_t now_us) {
  if (std::holds_alternative<TokenHashInput>(input)) {
    const metadata::LoginCheck check = metadata::VerifyToken(state, kdf_output, now_us);
    if (check.error != ErrorCode::kOk) return LoginFailure(check.error);
    return RegisterOp(check.user_id, metadata::LoginKind::kToken, kdf_output);
  }
  const auto& password = std::get<PasswordHashInput>(input);
  if (!password.user_id.has_value()) return LoginFailure(ErrorCode::kInvalidCredentials);
  const metadata::LoginCheck check = metadata::VerifyPassword(state, *password.user_id, kdf_output);
  if (check.error != ErrorCode::kOk) return LoginFailure(check.error);
  return RegisterOp(check.user_id, metadata::LoginKind::kPassword, kdf_output);
}

}  // namespace sluice::client_protocol
