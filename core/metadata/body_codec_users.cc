// Bodies of the user, token and session operations. Every secret here is a hash
// computed by the primary (body_codec.h).
#include "core/metadata/body_codec.h"
#include "absl/strings/str_cat.h"
#include "core/metadata/body_codec_internal.h"

namespace sluice::metadata {

using body_internal::DecodeWith;
using body_internal::ReadHash;
using body_internal::ReadId;
using body_internal::ReadPermissions;
using body_internal::WriteHash;
using body_internal::WriteId;
using body_internal::WritePermissions;

namespace {

UserStatus ReadStatus(ByteReader& in) {
  const uint8_t status = in.U8();
  if (status != static_cast<uint8_t>(UserStatus::kActive) &&
      status != static_cast<uint8_t>(UserStatus::kInactive)) {
    in.Fail("user status must be 1 (active) or 2 (inactive)");
    return UserStatus::kActive;
  }
  return static_cast<UserStatus>(status);
}

// A [has:u8] flag: 0 or 1.
bool ReadFlag(ByteReader& in, absl::string_view field) {
  const uint8_t flag = in.U8();
  if (flag > 1) in.Fail(absl::StrCat(field, " flag must be 0 or 1"));
  return flag == 1;
}

}  // namespace

Bytes Encode(const CreateUserBody& body) {
  ByteWriter out;
  out.Name(body.name);
  WriteHash(out, body.password.salt);
  WriteHash(out, body.password.hash);
  out.U8(static_cast<uint8_t>(body.status));
  WritePermissions(out, body.permissions);
  return std::move(out).Take();
}

Bytes Encode(const UpdateUserBody& body) {
  ByteWriter out;
  WriteId(out, body.user);
  out.U8(body.name.has_value() ? 1 : 0);
  if (body.name.has_value()) out.Name(*body.name);
  out.U8(body.status.has_value() ? 1 : 0);
  if (body.status.has_value()) out.U8(static_cast<uint8_t>(*body.status));
  return std::move(out).Take();
}

Bytes Encode(const UserBody& body) {
  ByteWriter out;
  WriteId(out, body.user);
  return std::move(out).Take();
}

Bytes Encode(const ChangePasswordBody& body) {
  ByteWriter out;
  WriteId(out, body.user);
  WriteHash(out, body.current_hash);
  WriteHash(out, body.next.salt);
  WriteHash(out, body.next.hash);
  return std::move(out).Take();
}

Bytes Encode(const UpdatePermissionsBody& body) {
  ByteWriter out;
  WriteId(out, body.user);
  WritePermissions(out, body.permissions);
  return std::move(out).Take();
}

Bytes Encode(const CreateTokenBody& body) {
  ByteWriter out;
  out.U32(body.user_id);
  out.Name(body.name);
  WriteHash(out, body.token_hash);
  out.U64(body.expiry_at_us);
  return std::move(out).Take();
}

Bytes Encode(const DeleteTokenBody& body) {
  ByteWriter out;
  out.U32(body.user_id);
  out.Name(body.name);
  return std::move(out).Take();
}

Bytes Encode(const RegisterBody& body) {
  ByteWriter out;
  out.U32(body.user_id);
  out.U8(static_cast<uint8_t>(body.kind));
  WriteHash(out, body.proof);
  return std::move(out).Take();
}

Bytes Encode(const LogoutBody& body) {
  ByteWriter out;
  if (body.expired_client.has_value()) out.U128(*body.expired_client);
  return std::move(out).Take();
}

Bytes Encode(const CompleteStepBody& body) {
  ByteWriter out;
  out.U64(body.step_id);
  return std::move(out).Take();
}

absl::StatusOr<CreateUserBody> DecodeCreateUser(ByteSpan bytes) {
  return DecodeWith<CreateUserBody>(bytes, "create_user body", [](ByteReader& in) {
    CreateUserBody body;
    body.name = in.Name();
    body.password.salt = ReadHash(in);
    body.password.hash = ReadHash(in);
    body.status = ReadStatus(in);
    body.permissions = ReadPermissions(in);
    return body;
  });
}

absl::StatusOr<UpdateUserBody> DecodeUpdateUser(ByteSpan bytes) {
  return DecodeWith<UpdateUserBody>(bytes, "update_user body", [](ByteReader& in) {
    UpdateUserBody body;
    body.user = ReadId(in);
    if (ReadFlag(in, "has_name")) body.name = in.Name();
    if (ReadFlag(in, "has_status")) body.status = ReadStatus(in);
    return body;
  });
}

absl::StatusOr<UserBody> DecodeUserBody(ByteSpan bytes) {
  return DecodeWith<UserBody>(bytes, "user body",
                              [](ByteReader& in) { return UserBody{ReadId(in)}; });
}

absl::StatusOr<ChangePasswordBody> DecodeChangePassword(ByteSpan bytes) {
  return DecodeWith<ChangePasswordBody>(bytes, "change_password body", [](ByteReader& in) {
    ChangePasswordBody body;
    body.user = ReadId(in);
    body.current_hash = ReadHash(in);
    body.next.salt = ReadHash(in);
    body.next.hash = ReadHash(in);
    return body;
  });
}

absl::StatusOr<UpdatePermissionsBody> DecodeUpdatePermissions(ByteSpan bytes) {
  return DecodeWith<UpdatePermissionsBody>(bytes, "update_permissions body", [](ByteReader& in) {
    UpdatePermissionsBody body;
    body.user = ReadId(in);
    body.permissions = ReadPermissions(in);
    return body;
  });
}

absl::StatusOr<CreateTokenBody> DecodeCreateToken(ByteSpan bytes) {
  return DecodeWith<CreateTokenBody>(bytes, "create_access_token body", [](ByteReader& in) {
    CreateTokenBody body;
    body.user_id = in.U32();
    body.name = in.Name();
    body.token_hash = ReadHash(in);
    body.expiry_at_us = in.U64();
    return body;
  });
}

absl::StatusOr<DeleteTokenBody> DecodeDeleteToken(ByteSpan bytes) {
  return DecodeWith<DeleteTokenBody>(bytes, "delete_access_token body", [](ByteReader& in) {
    DeleteTokenBody body;
    body.user_id = in.U32();
    body.name = in.Name();
    return body;
  });
}

absl::StatusOr<RegisterBody> DecodeRegister(ByteSpan bytes) {
  return DecodeWith<RegisterBody>(bytes, "register body", [](ByteReader& in) {
    RegisterBody body;
    body.user_id = in.U32();
    const uint8_t kind = in.U8();
    if (kind != static_cast<uint8_t>(LoginKind::kPassword) &&
        kind != static_cast<uint8_t>(LoginKind::kToken)) {
      in.Fail("login kind must be 1 (password) or 2 (token)");
    }
    body.kind = kind == 2 ? LoginKind::kToken : LoginKind::kPassword;
    body.proof = ReadHash(in);
    return body;
  });
}

absl::StatusOr<LogoutBody> DecodeLogout(ByteSpan bytes) {
  return DecodeWith<LogoutBody>(bytes, "logout body", [](ByteReader& in) {
    LogoutBody body;
    if (in.remaining() > 0) body.expired_client = in.U128();
    return body;
  });
}

absl::StatusOr<CompleteStepBody> DecodeCompleteStep(ByteSpan bytes) {
  return DecodeWith<CompleteStepBody>(bytes, "complete_partition_step body",
                                      [](ByteReader& in) { return CompleteStepBody{in.U64()}; });
}

}  // namespace sluice::metadata
