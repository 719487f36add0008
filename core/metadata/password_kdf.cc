#include "core/metadata/password_kdf.h"

#include <argon2.h>

#include "absl/strings/str_cat.h"

namespace sluice::metadata {
namespace {

// HashToken's salt: tokens are random, so one fixed salt per purpose suffices.
constexpr absl::string_view kTokenSalt = "sluice-token-v1!";

}  // namespace

absl::StatusOr<Bytes> Argon2id(ByteSpan salt, absl::string_view secret, const Argon2Cost& cost,
                               size_t output_bytes) {
  Bytes output(output_bytes);
  const int result =
      argon2id_hash_raw(cost.passes, cost.memory_kib, cost.lanes, secret.data(), secret.size(),
                        salt.data(), salt.size(), output.data(), output.size());
  if (result == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return absl::InternalError(absl::StrCat("argon2id: ", argon2_error_message(result)));
  }
  if (result != ARGON2_OK) {
    return absl::InvalidArgumentError(absl::StrCat("argon2id: ", argon2_error_message(result)));
  }
  return output;
}

absl::StatusOr<Bytes> HashPassword(ByteSpan salt, absl::string_view password,
                                   const Argon2Cost& cost) {
  if (salt.size() != kPasswordSaltBytes) {
    return absl::InvalidArgumentError(absl::StrCat("password salt of ", salt.size(),
                                                   " bytes; expected ", kPasswordSaltBytes));
  }
  return Argon2id(salt, password, cost, kPasswordHashBytes);
}

absl::StatusOr<Bytes> HashToken(absl::string_view token) {
  return Argon2id(base::AsBytes(kTokenSalt), token,
                  Argon2Cost{.passes = 1, .memory_kib = 64, .lanes = 1}, kPasswordHashBytes);
}

}  // namespace sluice::metadata
