// Ping, GetStats, GetClusterMetadata, Logout (empty bodies) and Register (§5.2).
#include "core/base/status_macros.h"
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol::internal {
namespace {

// The password shape: [username Name][password_len:u8][password][context_len:u32]
// [context], exactly filling `credentials`.
std::optional<RegisterRequest> TryPassword(ByteSpan credentials, RegisterRequest request) {
  BodyReader in(credentials, "register password credentials");
  PasswordCredentials password;
  password.username = in.Name("username");
  password.password = in.ShortString("password", 0);
  const uint32_t context_length = in.U32("context length");
  const ByteSpan context = in.Take(context_length, "context");
  if (!in.Finish(Trailing::kRefuse).ok()) return std::nullopt;
  request.credentials = std::move(password);
  request.context.assign(context.begin(), context.end());
  return request;
}

// The token shape: [token_len:u8][token][context_len:u32][context].
std::optional<RegisterRequest> TryToken(ByteSpan credentials, RegisterRequest request) {
  BodyReader in(credentials, "register token credentials");
  TokenCredentials token;
  token.token = in.Name("token");
  const uint32_t context_length = in.U32("context length");
  const ByteSpan context = in.Take(context_length, "context");
  if (!in.Finish(Trailing::kRefuse).ok()) return std::nullopt;
  request.credentials = std::move(token);
  request.context.assign(context.begin(), context.end());
  return request;
}

}  // namespace

absl::StatusOr<Command> DecodeEmptyBody(CommandCode code, ByteSpan body) {
  switch (code) {
    case CommandCode::kPing:
      return PingRequest{};
    case CommandCode::kGetStats:
      return GetStatsRequest{};
    case CommandCode::kGetClusterMetadata:
      return GetClusterMetadataRequest{};
    case CommandCode::kLogoutUser:
      return LogoutRequest{};
    case CommandCode::kGetStreams:
      return GetStreamsRequest{};
    default:
      break;
  }
  SLUICE_UNREACHABLE("command ", CommandCodeName(code), " has a body");
}

absl::StatusOr<RegisterRequest> DecodeRegister(ByteSpan body) {
  BodyReader in(body, "register body");
  RegisterRequest request;
  request.protocol_version = in.U32("protocol version");
  // Iggy's Name is 1..255 bytes; an empty SDK name or version is harmless, so the
  // version prefix accepts it rather than evicting the client.
  request.sdk_name = in.ShortString("sdk name", 0);
  request.sdk_version = in.ShortString("sdk version", 0);
  if (!in.ok()) return Evict(EvictionReason::kMalformedLogin, in.message());
  const ByteSpan credentials = in.Rest();
  // Iggy's server tries the password shape first, then the token shape (§5.2): a
  // token body never parses as a password one (its 4-byte context length would be
  // read as a 1-byte password length followed by a 4-byte context length), so the
  // order only matters for bodies no SDK sends.
  if (std::optional<RegisterRequest> parsed = TryPassword(credentials, request)) {
    return *std::move(parsed);
  }
  if (std::optional<RegisterRequest> parsed = TryToken(credentials, std::move(request))) {
    return *std::move(parsed);
  }
  return Evict(EvictionReason::kMalformedLogin,
               "register body: credentials parse as neither a password nor a token login");
}

}  // namespace sluice::client_protocol::internal
