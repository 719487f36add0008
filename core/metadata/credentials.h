#pragma once
// Login checks against the replicated credentials. The primary runs them before it
// prepares a Register (and Apply runs them again against the state the op applies
// to, so a password changed in between is caught on every replica alike).
//
// The KDF is the primary's: it hashes a presented password with the user's stored
// salt (PasswordSalt) and a presented token with its token hash, then asks here.
// Hashes are compared in constant time (no early exit on the first differing byte).

#include <cstdint>

#include "core/base/bytes.h"
#include "core/metadata/error_code.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

struct LoginCheck {
  // kOk, kInvalidCredentials, kUserInactive or kInvalidPersonalAccessToken.
  ErrorCode error = ErrorCode::kOk;
  uint32_t user_id = 0;              // on kOk
};

// The salt to hash a login attempt for `user_id` with; nullptr if there is no such user.
const Bytes* PasswordSalt(const MetadataState& state, uint32_t user_id);

// kOk if the user exists, is active and `password_hash` is its stored hash;
// kInvalidCredentials for an unknown user or a wrong hash; kUserInactive otherwise.
LoginCheck VerifyPassword(const MetadataState& state, uint32_t user_id, ByteSpan password_hash);

// The active user owning a token with hash `token_hash` that has not expired at
// `now_us`; kInvalidPersonalAccessToken if none (unknown or expired), kUserInactive if
// its owner is inactive.
LoginCheck VerifyToken(const MetadataState& state, ByteSpan token_hash, uint64_t now_us);

// True if a token expiring at `expiry_at_us` (0 = never) is expired at `now_us`.
bool TokenExpired(uint64_t expiry_at_us, uint64_t now_us);

bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

}  // namespace sluice::metadata
