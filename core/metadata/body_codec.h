#pragma once
// The bodies of metadata prepares: what the primary writes into the log for each
// operation, and what Apply decodes. These are Sluice's own layouts, derived from
// Iggy's client bodies (PROTOCOL.md §4–5) by the primary, which
//  - replaces every secret by its hash (a password by the salted hash, a token by its
//    hash: DESIGN.md "Secrets never enter the log"),
//  - resolves Iggy's request options into fixed fields and stamps absolute times,
//  - and otherwise keeps Iggy's shapes, identifiers unresolved.
//
// Encoding (little-endian): Id = `[kind:u8][len:u8][value]` (identifier.h);
// Name = `[len:u8][1..255 bytes]`; Hash = `[len:u8][1..64 bytes]`;
// Perms = `[has:u8]` then, if has = 1, `[len:u32][0..65536 bytes]` (Iggy's blob).
//
//   op  operation              body
//    1  Register               [user_id:u32][kind:u8 1 password, 2 token][proof Hash]
//    3  Logout                 empty (the header's client), or [client:u128] when the
//                              primary expires that client's idle session
//  128  CreateStream           [name Name]
//  129  UpdateStream           [stream Id][name Name]
//  130  DeleteStream           [stream Id]
//  131  PurgeStream            [stream Id]
//  132  CreateTopic            [stream Id][partitions_count:u32][name Name]
//                              [compression:u8][message_expiry_us:u64]
//                              [max_topic_size_bytes:u64][segment_size_bytes:u64]
//                              (0 expiry / size / segment = Iggy's default)
//  133  UpdateTopic            [stream Id][topic Id][name Name][present:u8]
//                              [compression:u8][message_expiry_us:u64]
//                              [max_topic_size_bytes:u64]; `present` bit 0, 1, 2 say
//                              which of the three apply (absent keys keep their value)
//  134  DeleteTopic            [stream Id][topic Id]
//  135  PurgeTopic             [stream Id][topic Id]
//  136  CreatePartitions       [stream Id][topic Id][count:u32]
//  137  DeletePartitions       [stream Id][topic Id][count:u32]
//  139  CreateConsumerGroup    [stream Id][topic Id][name Name]
//  140  DeleteConsumerGroup    [stream Id][topic Id][group Id]
//  148  JoinConsumerGroup      [stream Id][topic Id][group Id] (member: header client)
//  149  LeaveConsumerGroup     [stream Id][topic Id][group Id]
//  141  CreateUser             [name Name][salt Hash][password_hash Hash][status:u8 1|2]
//                              [Perms]
//  142  UpdateUser             [user Id][has_name:u8][Name if 1][has_status:u8]
//                              [status:u8 if 1]
//  143  DeleteUser             [user Id]
//  144  ChangePassword         [user Id][current_hash Hash][new_salt Hash][new_hash Hash]
//                              (current_hash: the current password hashed with the
//                              stored salt; a mismatch at apply is error 42, as Iggy)
//  145  UpdatePermissions      [user Id][Perms]
//  146  CreateAccessToken      [user_id:u32][name Name][token_hash Hash]
//                              [expiry_at_us:u64, 0 = never]
//  147  DeleteAccessToken      [user_id:u32][name Name]
//  166  CompletePartitionStep  [step_id:u64] (Sluice's; see kCompletePartitionStep)
//
// Every decoder is total: any byte string yields a body or an InvalidArgument
// naming the operation and the offending field (it is fuzzed). Trailing bytes are an
// error: the primary re-encodes, so an exact length is always known. Encoders assert
// their preconditions (names 1..255 bytes, hashes 1..64 bytes): the primary validated
// the client's request before building a body.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/identifier.h"
#include "core/metadata/metadata_state.h"
#include "core/wire/operation.h"

namespace sluice::metadata {

// Sluice's operation marking a pending partition step done (core/wire/operation.h).
inline constexpr wire::Operation kCompletePartitionStep = wire::Operation::kCompletePartitionStep;
inline constexpr uint8_t kCompletePartitionStepCode = static_cast<uint8_t>(kCompletePartitionStep);

inline constexpr size_t kHashBytesMin = 1;

struct CreateStreamBody {
  std::string name;
  friend bool operator==(const CreateStreamBody&, const CreateStreamBody&) = default;
};
struct UpdateStreamBody {
  Identifier stream;
  std::string name;
  friend bool operator==(const UpdateStreamBody&, const UpdateStreamBody&) = default;
};
struct StreamBody {  // DeleteStream, PurgeStream
  Identifier stream;
  friend bool operator==(const StreamBody&, const StreamBody&) = default;
};
struct CreateTopicBody {
  Identifier stream;
  uint32_t partitions_count = 0;
  std::string name;
  // 0 in message_expiry_us / max_topic_size_bytes / segment_size_bytes = default.
  TopicSettings settings{.message_expiry_us = 0, .max_topic_size_bytes = 0,
                         .segment_size_bytes = 0};
  friend bool operator==(const CreateTopicBody&, const CreateTopicBody&) = default;
};
inline constexpr uint8_t kUpdateCompression = 1;
inline constexpr uint8_t kUpdateMessageExpiry = 2;
inline constexpr uint8_t kUpdateMaxTopicSize = 4;
struct UpdateTopicBody {
  Identifier stream;
  Identifier topic;
  std::string name;
  uint8_t present = 0;  // kUpdate* bits
  uint8_t compression_algorithm = kCompressionNone;
  uint64_t message_expiry_us = 0;
  uint64_t max_topic_size_bytes = 0;
  friend bool operator==(const UpdateTopicBody&, const UpdateTopicBody&) = default;
};
struct TopicBody {  // DeleteTopic, PurgeTopic
  Identifier stream;
  Identifier topic;
  friend bool operator==(const TopicBody&, const TopicBody&) = default;
};
struct PartitionsBody {  // CreatePartitions, DeletePartitions
  Identifier stream;
  Identifier topic;
  uint32_t count = 0;
  friend bool operator==(const PartitionsBody&, const PartitionsBody&) = default;
};
struct CreateGroupBody {
  Identifier stream;
  Identifier topic;
  std::string name;
  friend bool operator==(const CreateGroupBody&, const CreateGroupBody&) = default;
};
struct GroupBody {  // DeleteConsumerGroup, JoinConsumerGroup, LeaveConsumerGroup
  Identifier stream;
  Identifier topic;
  Identifier group;
  friend bool operator==(const GroupBody&, const GroupBody&) = default;
};
struct CreateUserBody {
  std::string name;
  PasswordCredential password;  // salt and salted hash, never the password
  UserStatus status = UserStatus::kActive;
  std::optional<Bytes> permissions;
  friend bool operator==(const CreateUserBody&, const CreateUserBody&) = default;
};
struct UpdateUserBody {
  Identifier user;
  std::optional<std::string> name;
  std::optional<UserStatus> status;
  friend bool operator==(const UpdateUserBody&, const UpdateUserBody&) = default;
};
struct UserBody {  // DeleteUser
  Identifier user;
  friend bool operator==(const UserBody&, const UserBody&) = default;
};
struct ChangePasswordBody {
  Identifier user;
  Bytes current_hash;  // the current password hashed with the stored salt
  PasswordCredential next;
  friend bool operator==(const ChangePasswordBody&, const ChangePasswordBody&) = default;
};
struct UpdatePermissionsBody {
  Identifier user;
  std::optional<Bytes> permissions;
  friend bool operator==(const UpdatePermissionsBody&, const UpdatePermissionsBody&) = default;
};
struct CreateTokenBody {
  uint32_t user_id = 0;
  std::string name;
  Bytes token_hash;  // never the token
  uint64_t expiry_at_us = 0;
  friend bool operator==(const CreateTokenBody&, const CreateTokenBody&) = default;
};
struct DeleteTokenBody {
  uint32_t user_id = 0;
  std::string name;
  friend bool operator==(const DeleteTokenBody&, const DeleteTokenBody&) = default;
};
enum class LoginKind : uint8_t { kPassword = 1, kToken = 2 };
struct RegisterBody {
  uint32_t user_id = 0;
  LoginKind kind = LoginKind::kPassword;
  // kPassword: the presented password hashed with the user's salt; kToken: the
  // presented token's hash. Apply checks it again against the state it applies to.
  Bytes proof;
  friend bool operator==(const RegisterBody&, const RegisterBody&) = default;
};
struct LogoutBody {
  std::optional<absl::uint128> expired_client;  // nullopt: the header's client
  friend bool operator==(const LogoutBody&, const LogoutBody&) = default;
};
struct CompleteStepBody {
  uint64_t step_id = 0;
  friend bool operator==(const CompleteStepBody&, const CompleteStepBody&) = default;
};

Bytes Encode(const CreateStreamBody& body);
Bytes Encode(const UpdateStreamBody& body);
Bytes Encode(const StreamBody& body);
Bytes Encode(const CreateTopicBody& body);
Bytes Encode(const UpdateTopicBody& body);
Bytes Encode(const TopicBody& body);
Bytes Encode(const PartitionsBody& body);
Bytes Encode(const CreateGroupBody& body);
Bytes Encode(const GroupBody& body);
Bytes Encode(const CreateUserBody& body);
Bytes Encode(const UpdateUserBody& body);
Bytes Encode(const UserBody& body);
Bytes Encode(const ChangePasswordBody& body);
Bytes Encode(const UpdatePermissionsBody& body);
Bytes Encode(const CreateTokenBody& body);
Bytes Encode(const DeleteTokenBody& body);
Bytes Encode(const RegisterBody& body);
Bytes Encode(const LogoutBody& body);
Bytes Encode(const CompleteStepBody& body);

absl::StatusOr<CreateStreamBody> DecodeCreateStream(ByteSpan bytes);
absl::StatusOr<UpdateStreamBody> DecodeUpdateStream(ByteSpan bytes);
absl::StatusOr<StreamBody> DecodeStreamBody(ByteSpan bytes);
absl::StatusOr<CreateTopicBody> DecodeCreateTopic(ByteSpan bytes);
absl::StatusOr<UpdateTopicBody> DecodeUpdateTopic(ByteSpan bytes);
absl::StatusOr<TopicBody> DecodeTopicBody(ByteSpan bytes);
absl::StatusOr<PartitionsBody> DecodePartitions(ByteSpan bytes);
absl::StatusOr<CreateGroupBody> DecodeCreateGroup(ByteSpan bytes);
absl::StatusOr<GroupBody> DecodeGroupBody(ByteSpan bytes);
absl::StatusOr<CreateUserBody> DecodeCreateUser(ByteSpan bytes);
absl::StatusOr<UpdateUserBody> DecodeUpdateUser(ByteSpan bytes);
absl::StatusOr<UserBody> DecodeUserBody(ByteSpan bytes);
absl::StatusOr<ChangePasswordBody> DecodeChangePassword(ByteSpan bytes);
absl::StatusOr<UpdatePermissionsBody> DecodeUpdatePermissions(ByteSpan bytes);
absl::StatusOr<CreateTokenBody> DecodeCreateToken(ByteSpan bytes);
absl::StatusOr<DeleteTokenBody> DecodeDeleteToken(ByteSpan bytes);
absl::StatusOr<RegisterBody> DecodeRegister(ByteSpan bytes);
absl::StatusOr<LogoutBody> DecodeLogout(ByteSpan bytes);
absl::StatusOr<CompleteStepBody> DecodeCompleteStep(ByteSpan bytes);

}  // namespace sluice::metadata
