// Op bodies: every body round-trips, and a body with a byte missing or a byte extra
// is refused (never crashes: the decoders are fuzzed).
#include "core/metadata/body_codec.h"

#include <gtest/gtest.h>

#include <functional>

namespace sluice::metadata {
namespace {

// Round-trips `body`, then checks every strict prefix and one trailing byte fail.
template <typename Body>
void ExpectStrictRoundTrip(const Body& body,
                           const std::function<absl::StatusOr<Body>(ByteSpan)>& decode) {
  const Bytes bytes = Encode(body);
  const absl::StatusOr<Body> decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, body);
  for (size_t length = 0; length < bytes.size(); ++length) {
    // A LogoutBody is empty or 16 bytes: its empty prefix is the other valid form.
    if (length == 0 && std::is_same_v<Body, LogoutBody>) continue;
    EXPECT_FALSE(decode(ByteSpan(bytes).first(length)).ok()) << "prefix " << length;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer).ok());
}

const PasswordCredential kCredential{.salt = Bytes(16, 7), .hash = Bytes(32, 9)};

TEST(BodyCodecTest, StreamTopicAndGroupBodiesRoundTrip) {
  ExpectStrictRoundTrip<CreateStreamBody>({"orders"}, DecodeCreateStream);
  ExpectStrictRoundTrip<UpdateStreamBody>({Identifier::Named("a"), "b"}, DecodeUpdateStream);
  ExpectStrictRoundTrip<StreamBody>({Identifier::Numeric(7)}, DecodeStreamBody);
  CreateTopicBody topic{.stream = Identifier::Numeric(1), .partitions_count = 3, .name = "t"};
  topic.settings = {.compression_algorithm = 2, .message_expiry_us = 5,
                    .max_topic_size_bytes = 6, .segment_size_bytes = 7};
  ExpectStrictRoundTrip<CreateTopicBody>(topic, DecodeCreateTopic);
  ExpectStrictRoundTrip<UpdateTopicBody>({Identifier::Numeric(1), Identifier::Named("t"), "n",
                                          kUpdateMaxTopicSize, 1, 2, 3},
                                         DecodeUpdateTopic);
  ExpectStrictRoundTrip<TopicBody>({Identifier::Numeric(1), Identifier::Numeric(2)},
                                   DecodeTopicBody);
  ExpectStrictRoundTrip<PartitionsBody>({Identifier::Numeric(1), Identifier::Numeric(2), 9},
                                        DecodePartitions);
  ExpectStrictRoundTrip<CreateGroupBody>({Identifier::Numeric(1), Identifier::Numeric(2), "g"},
                                         DecodeCreateGroup);
  ExpectStrictRoundTrip<GroupBody>(
      {Identifier::Numeric(1), Identifier::Numeric(2), Identifier::Named("g")}, DecodeGroupBody);
}

TEST(BodyCodecTest, UserTokenAndSessionBodiesRoundTrip) {
  ExpectStrictRoundTrip<CreateUserBody>({"alice", kCredential, UserStatus::kInactive, Bytes{1}},
                                        DecodeCreateUser);
  ExpectStrictRoundTrip<CreateUserBody>({"bob", kCredential, UserStatus::kActive, std::nullopt},
                                        DecodeCreateUser);
  ExpectStrictRoundTrip<UpdateUserBody>({Identifier::Numeric(1), "x", UserStatus::kActive},
                                        DecodeUpdateUser);
  ExpectStrictRoundTrip<UserBody>({Identifier::Named("alice")}, DecodeUserBody);
  ExpectStrictRoundTrip<ChangePasswordBody>({Identifier::Numeric(1), Bytes(8, 1), kCredential},
                                            DecodeChangePassword);
  ExpectStrictRoundTrip<UpdatePermissionsBody>({Identifier::Numeric(1), Bytes{}},
                                               DecodeUpdatePermissions);
  ExpectStrictRoundTrip<CreateTokenBody>({3, "ci", Bytes(16, 4), 99}, DecodeCreateToken);
  ExpectStrictRoundTrip<DeleteTokenBody>({3, "ci"}, DecodeDeleteToken);
  ExpectStrictRoundTrip<RegisterBody>({3, LoginKind::kToken, Bytes(16, 2)}, DecodeRegister);
  ExpectStrictRoundTrip<LogoutBody>({absl::MakeUint128(1, 2)}, DecodeLogout);
  ExpectStrictRoundTrip<CompleteStepBody>({12}, DecodeCompleteStep);
}

TEST(BodyCodecTest, OutOfRangeEnumsAndLengthsAreRefused) {
  EXPECT_FALSE(DecodeStreamBody(Bytes{1, 3, 0, 0, 0}).ok());     // numeric id of length 3
  EXPECT_FALSE(DecodeStreamBody(Bytes{3, 1, 'a'}).ok());         // identifier kind 3
  EXPECT_FALSE(DecodeStreamBody(Bytes{2, 0}).ok());              // empty name
  EXPECT_FALSE(DecodeRegister(Bytes{0, 0, 0, 0, 3, 1, 0}).ok());  // login kind 3
  EXPECT_FALSE(DecodeLogout(Bytes(15, 0)).ok());
  Bytes user = Encode(UserBody{Identifier::Numeric(1)});
  user.insert(user.end(), {2});  // has_name = 2
  EXPECT_FALSE(DecodeUpdateUser(user).ok());
}

}  // namespace
}  // namespace sluice::metadata
