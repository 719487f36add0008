// CreateUser, UpdateUser, DeleteUser, ChangePassword, UpdatePermissions
// (PROTOCOL.md §5.8). Passwords arrive as the primary's salted hash, never in clear.
#include "core/metadata/body_codec.h"
#include "core/metadata/credentials.h"
#include "core/metadata/lookup.h"
#include "core/metadata/operations/operations.h"

namespace sluice::metadata::operations {
namespace {

bool ValidUsername(absl::string_view name) {
  return name.size() >= kUsernameLengthMin && name.size() <= kUsernameLengthMax;
}

}  // namespace

ApplyResult CreateUser(MetadataState& state, const OpContext& context, ByteSpan body) {
  absl::StatusOr<CreateUserBody> decoded = DecodeCreateUser(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  if (!ValidUsername(decoded->name)) return Error(ErrorCode::kInvalidUsername);
  if (NameTaken(state.users, decoded->name)) return Error(ErrorCode::kUserAlreadyExists);
  if (state.users.size() >= kUsersMax) return Error(ErrorCode::kError);
  // The first user created takes id 0: the root user, made by the first primary's
  // first metadata op from its configured credentials (DESIGN.md).
  const uint32_t id = static_cast<uint32_t>(LowestFreeId(state.users));
  User& user = state.users[id];
  user.name = std::move(decoded->name);
  user.created_at_us = context.timestamp_us;
  user.status = decoded->status;
  user.password = std::move(decoded->password);
  user.permissions = std::move(decoded->permissions);
  return OkWithId(id);
}

ApplyResult UpdateUser(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<UpdateUserBody> decoded = DecodeUpdateUser(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.users, decoded->user);
  if (!id.has_value()) return Error(ErrorCode::kResourceNotFound);
  if (decoded->name.has_value()) {
    if (!ValidUsername(*decoded->name)) return Error(ErrorCode::kInvalidUsername);
    if (NameTaken(state.users, *decoded->name, id)) return Error(ErrorCode::kUserAlreadyExists);
  }
  User& user = state.users.at(*id);
  if (decoded->name.has_value()) user.name = *decoded->name;
  if (decoded->status.has_value()) user.status = *decoded->status;
  return Ok();
}

ApplyResult DeleteUser(MetadataState& state, const OpContext& context, ByteSpan body) {
  const absl::StatusOr<UserBody> decoded = DecodeUserBody(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.users, decoded->user);
  if (!id.has_value()) return Error(ErrorCode::kResourceNotFound);
  if (*id == kRootUserId) return Error(ErrorCode::kCannotDeleteUser);
  // Its sessions end with it (and their group memberships), and its tokens go too.
  std::vector<absl::uint128> sessions;
  for (const auto& [client, entry] : state.clients) {
    if (entry.user_id == *id) sessions.push_back(client);
  }
  for (const absl::uint128 client : sessions) EndSession(state, client);
  state.users.erase(*id);
  return Ok();
}

ApplyResult ChangePassword(MetadataState& state, const OpContext& context, ByteSpan body) {
  absl::StatusOr<ChangePasswordBody> decoded = DecodeChangePassword(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.users, decoded->user);
  if (!id.has_value()) return Error(ErrorCode::kResourceNotFound);
  User& user = state.users.at(*id);
  // Checked here, not only at the primary: a password changed by an earlier op in the
  // same pipeline makes this one a committed 42 on every replica alike (as Iggy).
  if (!ConstantTimeEqual(user.password.hash, decoded->current_hash)) {
    return Error(ErrorCode::kInvalidCredentials);
  }
  user.password = std::move(decoded->next);
  return Ok();
}

ApplyResult UpdatePermissions(MetadataState& state, const OpContext& context, ByteSpan body) {
  absl::StatusOr<UpdatePermissionsBody> decoded = DecodeUpdatePermissions(body);
  if (!decoded.ok()) return Error(ErrorCode::kInvalidCommand);
  const std::optional<uint32_t> id = ResolveId(state.users, decoded->user);
  if (!id.has_value()) return Error(ErrorCode::kResourceNotFound);
  state.users.at(*id).permissions = std::move(decoded->permissions);
  return Ok();
}

}  // namespace sluice::metadata::operations
