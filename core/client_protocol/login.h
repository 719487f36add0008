#pragma once
// A login (Register, PROTOCOL.md §5.2) as the primary runs it, in two steps around
// the KDF — which is deliberately slow (Argon2id, core/metadata/password_kdf.h) and
// the primary's to run, possibly off the loop; this package never hashes:
//
//   1. PlanLogin: the protocol version gate (eviction 14), then what to hash — the
//      password with the named user's stored salt, or the token. An unknown user
//      still gets a (fixed dummy) salt, so the KDF runs either way and the reply's
//      timing does not tell which usernames exist; step 2 then refuses it.
//   2. RegisterSubmission(kdf_output): checks the hash against the state
//      (metadata/credentials.h) and builds the Register op the primary submits:
//      body [user_id][kind][proof = the hash], never the secret. Failures are the
//      evictions Iggy sends: InvalidCredentials (9) for an unknown user or a wrong
//      password, InvalidToken (10), UserInactive (11).
//
// The primary computes the hook's output as:
//   password: metadata::HashPassword(input.salt, input.password, cost)
//   token:    metadata::HashToken(input.token)

#include <cstdint>
#include <optional>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"
#include "core/client_protocol/submissions.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol {

struct PasswordHashInput {
  std::optional<uint32_t> user_id;  // nullopt: no such user (the salt is a dummy)
  ByteSpan salt;                    // views the state (or a static dummy)
  absl::string_view password;       // views the request
};

struct TokenHashInput {
  absl::string_view token;  // views the request
};

using LoginHashInput = std::variant<PasswordHashInput, TokenHashInput>;

// Step 1. Views `state` and `request`: use the result before either changes.
absl::StatusOr<LoginHashInput> PlanLogin(const metadata::MetadataState& state,
                                         const RegisterRequest& request);

// Step 2. `kdf_output` is the hash of the presented secret; `now_us` the primary's
// clock (token expiry).
absl::StatusOr<MetadataSubmission> RegisterSubmission(const metadata::MetadataState& state,
                                                      const LoginHashInput& input,
                                                      ByteSpan kdf_output, uint64_t now_us);

}  // namespace sluice::client_protocol
