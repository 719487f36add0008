#include "core/metadata/credentials.h"

namespace sluice::metadata {

const Bytes* PasswordSalt(const MetadataState& state, uint32_t user_id) {
  const auto user = state.users.find(user_id);
  return user == state.users.end() ? nullptr : &user->second.password.salt;
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  // Lengths are not secret (every hash of one KDF has the same length).
  if (a.size() != b.size()) return false;
  uint8_t difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<uint8_t>(a[i] ^ b[i]);
  return difference == 0;
}

LoginCheck VerifyPassword(const MetadataState& state, uint32_t user_id, ByteSpan password_hash) {
  const auto user = state.users.find(user_id);
  if (user == state.users.end()) return {ErrorCode::kInvalidCredentials, 0};
  if (!ConstantTimeEqual(user->second.password.hash, password_hash)) {
    return {ErrorCode::kInvalidCredentials, 0};
  }
  if (user->second.status != UserStatus::kActive) return {ErrorCode::kUserInactive, 0};
  return {ErrorCode::kOk, user_id};
}

bool TokenExpired(uint64_t expiry_at_us, uint64_t now_us) {
  return expiry_at_us != 0 && now_us >= expiry_at_us;
}

LoginCheck VerifyToken(const MetadataState& state, ByteSpan token_hash, uint64_t now_us) {
  // Every token is compared (no early exit), in map order: bounded by
  // kUsersMax * kTokensPerUserMax, and login is rare next to messages.
  std::optional<uint32_t> owner;
  for (const auto& [user_id, user] : state.users) {
    for (const auto& [name, token] : user.tokens) {
      if (ConstantTimeEqual(token.token_hash, token_hash) &&
          !TokenExpired(token.expiry_at_us, now_us)) {
        owner = user_id;
      }
    }
  }
  if (!owner.has_value()) return {ErrorCode::kInvalidPersonalAccessToken, 0};
  if (state.users.at(*owner).status != UserStatus::kActive) return {ErrorCode::kUserInactive, 0};
  return {ErrorCode::kOk, *owner};
}

}  // namespace sluice::metadata
