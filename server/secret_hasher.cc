#include "server/secret_hasher.h"

#include <variant>

namespace sluice::server {

SecretToHash SecretOf(const client_protocol::LoginHashInput& input, const metadata::Argon2Cost& cost) {
  if (const auto* password = std::get_if<client_protocol::PasswordHashInput>(&input)) {
    return {.is_token = false,
            .salt = Bytes(password->salt.begin(), password->salt.end()),
            .secret = std::string(password->password),
            .cost = cost};
  }
  return {.is_token = true,
          .salt = {},
          .secret = std::string(std::get<client_protocol::TokenHashInput>(input).token),
          .cost = cost};
}

absl::StatusOr<Bytes> HashSecret(const SecretToHash& secret) {
  if (secret.is_token) return metadata::HashToken(secret.secret);
  return metadata::HashPassword(secret.salt, secret.secret, secret.cost);
}

}  // namespace sluice::server
