// CreateAccessToken, DeleteAccessToken (PROTOCOL.md §5.8). The body carries the
// token's hash; the token itself exists only at the primary and in the client.
#include "core/metadata/body_codec.h"
#include "core/metadata/credentials.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

// Token hashes are unique across all users, so a login by token names one owner.
bool TokenHashTaken(const MetadataState& state, const Bytes& token_hash) {
  for (const auto& [user_id, user] : state.users) {
    for (const auto& [name, token] : user.tokens) {
      if (token.token_hash == token_hash) return true;
    }
  }
  return false;
}

}  // namespace

ApplyResult CreateToken(MetadataState& state, const OpContext& context, ByteSpan body) {
  absl::StatusOr<CreateTokenBody> decoded = DecodeCreateToken(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const auto user = state.users.find(decoded->user_id);
  if (user == state.users.end()) return Error(ErrorCode::kResourceNotFound);
  std::map<std::string, PersonalAccessToken>& tokens = user->second.tokens;
  if (tokens.contains(decoded->name) || TokenHashTaken(state, decoded->token_hash)) {
    return Error(ErrorCode::kPersonalAccessTokenAlreadyExists);
  }
  if (tokens.size() >= kTokensPerUserMax) {
    return Error(ErrorCode::kPersonalAccessTokenLimitReached);
  }
  // The primary turned the client's relative expiry into an absolute time; one that is
  // already past at this op's timestamp would make a token that never works.
  if (TokenExpired(decoded->expiry_at_us, context.timestamp_us)) {
    return Error(ErrorCode::kInvalidPersonalAccessTokenExpiry);
  }
  tokens[decoded->name] = PersonalAccessToken{.token_hash = std::move(decoded->token_hash),
                                              .expiry_at_us = decoded->expiry_at_us};
  return Ok();
}

ApplyResult DeleteToken(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<DeleteTokenBody> decoded = DecodeDeleteToken(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const auto user = state.users.find(decoded->user_id);
  if (user == state.users.end()) return Error(ErrorCode::kResourceNotFound);
  if (user->second.tokens.erase(decoded->name) == 0) return Error(ErrorCode::kResourceNotFound);
  return Ok();
}

}  // namespace sluice::metadata::operations
