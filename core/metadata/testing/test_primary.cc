#include "core/metadata/testing/test_primary.h"

#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/metadata/credentials.h"

namespace sluice::metadata::testing {
namespace {

Bytes Digest(absl::string_view tag, ByteSpan salt, absl::string_view secret) {
  base::Checksum128Builder builder;
  builder.Add(base::AsBytes(tag));
  builder.Add(salt);
  builder.Add(base::AsBytes(secret));
  const absl::uint128 digest = builder.Finish();
  Bytes bytes(16);
  base::StoreU128(MutableByteSpan(bytes), 0, digest);
  return bytes;
}

}  // namespace

Bytes TestPrimary::NextSalt() {
  const uint64_t counter = ++salts_made_;
  Bytes counter_bytes(8);
  base::StoreLittleEndian<uint64_t>(MutableByteSpan(counter_bytes), 0, counter);
  return Digest("salt", counter_bytes, "");
}

Bytes TestPrimary::HashPassword(ByteSpan salt, absl::string_view password) {
  return Digest("password", salt, password);
}

Bytes TestPrimary::HashToken(absl::string_view token) { return Digest("token", {}, token); }

Bytes TestPrimary::CreateUser(absl::string_view name, absl::string_view password,
                              UserStatus status, std::optional<Bytes> permissions) {
  Bytes salt = NextSalt();
  Bytes hash = HashPassword(salt, password);
  return Encode(CreateUserBody{.name = std::string(name),
                               .password = {.salt = std::move(salt), .hash = std::move(hash)},
                               .status = status,
                               .permissions = std::move(permissions)});
}

Bytes TestPrimary::ChangePassword(const MetadataState& state, uint32_t user_id,
                                  absl::string_view current, absl::string_view next) {
  const Bytes* salt = PasswordSalt(state, user_id);
  const Bytes dummy_salt(16, 0);
  Bytes next_salt = NextSalt();
  Bytes next_hash = HashPassword(next_salt, next);
  return Encode(ChangePasswordBody{
      .user = Identifier::Numeric(user_id),
      .current_hash = HashPassword(salt != nullptr ? *salt : dummy_salt, current),
      .next = {.salt = std::move(next_salt), .hash = std::move(next_hash)}});
}

Bytes TestPrimary::LoginWithPassword(const MetadataState& state, uint32_t user_id,
                                     absl::string_view password) {
  const Bytes* salt = PasswordSalt(state, user_id);
  const Bytes dummy_salt(16, 0);
  return Encode(RegisterBody{
      .user_id = user_id,
      .kind = LoginKind::kPassword,
      .proof = HashPassword(salt != nullptr ? *salt : dummy_salt, password)});
}

Bytes TestPrimary::LoginWithToken(uint32_t user_id, absl::string_view token) {
  return Encode(
      RegisterBody{.user_id = user_id, .kind = LoginKind::kToken, .proof = HashToken(token)});
}

Bytes TestPrimary::CreateToken(uint32_t user_id, absl::string_view name, absl::string_view token,
                               uint64_t expiry_at_us) {
  return Encode(CreateTokenBody{.user_id = user_id,
                                .name = std::string(name),
                                .token_hash = HashToken(token),
                                .expiry_at_us = expiry_at_us});
}

OpContext MetadataDriver::NextContext(wire::Operation operation, absl::uint128 client) {
  uint64_t request = 0;
  if (client != 0 && operation != wire::Operation::kRegister) request = ++last_request[client];
  if (client != 0 && operation == wire::Operation::kRegister) last_request[client] = 0;
  timestamp_us += 1'000'000;
  return OpContext{.op = state.last_applied_op + 1,
                   .operation = operation,
                   .timestamp_us = timestamp_us,
                   .client = client,
                   .request = request};
}

ApplyResult MetadataDriver::Run(wire::Operation operation, const Bytes& body,
                                absl::uint128 client) {
  return Apply(state, NextContext(operation, client), body);
}

uint32_t IdOf(const ApplyResult& result) {
  SLUICE_ASSERT(result.ok() && result.payload.size() >= 4, "no id in the result");
  return base::LoadLittleEndian<uint32_t>(result.payload, 0);
}

}  // namespace sluice::metadata::testing
