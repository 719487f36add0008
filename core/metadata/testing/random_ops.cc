#include "core/metadata/testing/random_ops.h"

#include "absl/strings/str_cat.h"
#include "core/metadata/body_codec.h"

namespace sluice::metadata::testing {
namespace {

using wire::Operation;

// A stream named by id or by name, alternating on one bit.
Identifier StreamId(uint8_t value) {
  if (value & 0x80) return Identifier::Named(absl::StrCat("s", value % 4));
  return Identifier::Numeric(value % 5);
}
Identifier TopicId(uint8_t value) {
  if (value & 0x80) return Identifier::Named(absl::StrCat("t", value % 3));
  return Identifier::Numeric(value % 3);
}
Identifier GroupId(uint8_t value) {
  if (value & 0x80) return Identifier::Named(absl::StrCat("g", value % 2));
  return Identifier::Numeric(value % 3);
}
Identifier UserId(uint8_t value) {
  if (value & 0x80) return Identifier::Named(absl::StrCat("user", value % 4));
  return Identifier::Numeric(value % 5);
}
absl::uint128 Client(uint8_t value) { return 1 + value % 3; }

// Every user's password is derived from its name, so the test primary can log in
// with the right one (or, on purpose, a wrong one) knowing only the state.
std::string PasswordOf(absl::string_view name) { return absl::StrCat("pw-", name); }
std::string PasswordOf(const MetadataState& state, uint32_t user_id) {
  const auto user = state.users.find(user_id);
  return user == state.users.end() ? "pw-nobody" : PasswordOf(user->second.name);
}

// Operation kinds weighted so that sequences build up state: creations and logins
// come up more often than deletions.
constexpr uint8_t kKindTable[] = {0,  0,  0,  0,  1,  2,  3,  4,  4,  4,  4,  5,  6,
                                  7,  8,  8,  9,  10, 10, 11, 12, 12, 12, 13, 14, 14,
                                  15, 16, 17, 18, 19, 20, 21, 21, 21, 22, 23, 24, 25};

BuiltOp StreamOrTopicOp(const OpSeed& s) {
  switch (s.kind) {
    case 0: return {Operation::kCreateStream, Encode(CreateStreamBody{absl::StrCat("s", s.a % 4)})};
    case 1:
      return {Operation::kUpdateStream,
              Encode(UpdateStreamBody{StreamId(s.a), absl::StrCat("s", s.b % 4)})};
    case 2: return {Operation::kDeleteStream, Encode(StreamBody{StreamId(s.a)})};
    case 3: return {Operation::kPurgeStream, Encode(StreamBody{StreamId(s.a)})};
    case 4: {
      CreateTopicBody body{.stream = StreamId(s.a), .partitions_count = s.c % 4u,
                           .name = absl::StrCat("t", s.b % 3)};
      return {Operation::kCreateTopic, Encode(body)};
    }
    case 5: {
      UpdateTopicBody body{.stream = StreamId(s.a), .topic = TopicId(s.b),
                           .name = absl::StrCat("t", s.c % 3), .present = kUpdateMessageExpiry,
                           .message_expiry_us = s.c};
      return {Operation::kUpdateTopic, Encode(body)};
    }
    case 6: return {Operation::kDeleteTopic, Encode(TopicBody{StreamId(s.a), TopicId(s.b)})};
    case 7: return {Operation::kPurgeTopic, Encode(TopicBody{StreamId(s.a), TopicId(s.b)})};
    case 8:
      return {Operation::kCreatePartitions,
              Encode(PartitionsBody{StreamId(s.a), TopicId(s.b), s.c % 3u})};
    default:
      return {Operation::kDeletePartitions,
              Encode(PartitionsBody{StreamId(s.a), TopicId(s.b), s.c % 3u})};
  }
}

BuiltOp GroupOp(const OpSeed& s) {
  switch (s.kind) {
    case 10:
      return {Operation::kCreateConsumerGroup,
              Encode(CreateGroupBody{StreamId(s.a), TopicId(s.b), absl::StrCat("g", s.c % 2)})};
    case 11:
      return {Operation::kDeleteConsumerGroup,
              Encode(GroupBody{StreamId(s.a), TopicId(s.b), GroupId(s.c)})};
    case 12:
      return {Operation::kJoinConsumerGroup,
              Encode(GroupBody{StreamId(s.a), TopicId(s.b), GroupId(s.c)}), Client(s.c >> 2)};
    default:
      return {Operation::kLeaveConsumerGroup,
              Encode(GroupBody{StreamId(s.a), TopicId(s.b), GroupId(s.c)}), Client(s.c >> 2)};
  }
}

BuiltOp UserOp(const OpSeed& s, const MetadataState& state, TestPrimary& primary) {
  switch (s.kind) {
    case 14: {
      const std::string name = absl::StrCat("user", s.a % 4);
      return {Operation::kCreateUser, primary.CreateUser(name, PasswordOf(name))};
    }
    case 15: {
      UpdateUserBody body{.user = UserId(s.a)};
      if (s.c & 1) body.name = absl::StrCat("user", s.b % 4);
      if (s.c & 2) body.status = (s.c & 4) ? UserStatus::kInactive : UserStatus::kActive;
      return {Operation::kUpdateUser, Encode(body)};
    }
    case 16: return {Operation::kDeleteUser, Encode(UserBody{UserId(s.a)})};
    case 17: {
      // A new salt for the same (derived) password; sometimes a wrong current one.
      const std::string password = PasswordOf(state, s.a % 5);
      return {Operation::kChangePassword,
              primary.ChangePassword(state, s.a % 5, (s.b & 1) ? "wrong" : password, password)};
    }
    case 18: {
      UpdatePermissionsBody body{.user = UserId(s.a)};
      if (s.b & 1) body.permissions = Bytes(s.c % 8, s.b);
      return {Operation::kUpdatePermissions, Encode(body)};
    }
    case 19:
      return {Operation::kCreatePersonalAccessToken,
              TestPrimary::CreateToken(s.a % 5, absl::StrCat("tok", s.b % 3),
                                       absl::StrCat("secret", s.c), 0)};
    default:
      return {Operation::kDeletePersonalAccessToken,
              Encode(DeleteTokenBody{s.a % 5u, absl::StrCat("tok", s.b % 3)})};
  }
}

BuiltOp SessionOp(const OpSeed& s, const MetadataState& state, TestPrimary& primary) {
  switch (s.kind) {
    case 21:
      if (s.b & 0x80) {
        return {Operation::kRegister,
                TestPrimary::LoginWithToken(s.b % 5, absl::StrCat("secret", s.c)), Client(s.a)};
      }
      return {Operation::kRegister,
              primary.LoginWithPassword(state, s.b % 5,
                                        (s.c & 3) == 0 ? "wrong" : PasswordOf(state, s.b % 5)),
              Client(s.a)};
    case 22: return {Operation::kLogout, {}, Client(s.a)};
    case 23: return {Operation::kLogout, Encode(LogoutBody{Client(s.a)})};
    default: return {kCompletePartitionStep, Encode(CompleteStepBody{1u + s.a % 8u})};
  }
}

BuiltOp GarbageOp(const OpSeed& s) {
  static constexpr Operation kTargets[] = {
      Operation::kCreateStream, Operation::kUpdateStream, Operation::kDeleteStream,
      Operation::kCreateTopic,  Operation::kUpdateTopic,  Operation::kCreatePartitions,
      Operation::kCreateUser,   Operation::kRegister,     Operation::kLogout,
      Operation::kSendMessages, Operation::kJoinConsumerGroup};
  constexpr size_t kCount = sizeof(kTargets) / sizeof(kTargets[0]);
  return {kTargets[s.a % kCount], Bytes{s.b, s.c, static_cast<uint8_t>(s.b ^ s.c)},
          s.a & 0x80 ? Client(s.c) : 0};
}

}  // namespace

bool IsGarbage(const OpSeed& seed) {
  return kKindTable[seed.kind % sizeof(kKindTable)] == kGarbageKind;
}

BuiltOp BuildOp(const OpSeed& seed, const MetadataState& state, TestPrimary& primary) {
  const uint8_t kind = kKindTable[seed.kind % sizeof(kKindTable)];
  const OpSeed s{kind, seed.a, seed.b, seed.c};
  if (kind <= 9) return StreamOrTopicOp(s);
  if (kind <= 13) return GroupOp(s);
  if (kind <= 20) return UserOp(s, state, primary);
  if (kind < kGarbageKind) return SessionOp(s, state, primary);
  return GarbageOp(s);
}

ApplyResult ApplySeed(MetadataDriver& driver, TestPrimary& primary, const OpSeed& seed) {
  const BuiltOp op = BuildOp(seed, driver.state, primary);
  return driver.Run(op.operation, op.body, op.client);
}

Bytes RootUserBody(TestPrimary& primary) {
  return primary.CreateUser("root", PasswordOf("root"));
}

MetadataConfig SmallConfig() {
  return MetadataConfig{
      .widths = {.stream_bits = 2, .topic_bits = 1, .partition_bits = 3},
      .clients_max = 2,
  };
}

}  // namespace sluice::metadata::testing
