// Users, logins and personal access tokens: each case with the Iggy error code it
// must commit (PROTOCOL.md §1.9, §5.8). Secrets reach the state machine only as the
// hashes TestPrimary computes (DESIGN.md "Secrets never enter the log").
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/credentials.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

using testing::IdOf;
using testing::MetadataDriver;
using testing::TestPrimary;
using wire::Operation;

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ApplyResult root =
        driver_.Run(Operation::kCreateUser, primary_.CreateUser("iggy", "iggy"));
    ASSERT_TRUE(root.ok());
    ASSERT_EQ(IdOf(root), kRootUserId);
  }

  ApplyResult CreateUser(absl::string_view name, absl::string_view password) {
    return driver_.Run(Operation::kCreateUser, primary_.CreateUser(name, password));
  }
  ApplyResult Login(absl::uint128 client, uint32_t user, absl::string_view password) {
    return driver_.Run(Operation::kRegister,
                       primary_.LoginWithPassword(driver_.state, user, password), client);
  }
  ApplyResult DeleteUser(Identifier user) {
    return driver_.Run(Operation::kDeleteUser, Encode(UserBody{std::move(user)}));
  }

  TestPrimary primary_;
  MetadataDriver driver_;
};

TEST_F(UsersTest, RootUserIsIdZeroAndUserIdsTakeTheLowestFreeSlot) {
  EXPECT_EQ(IdOf(CreateUser("alice", "a-pass")), 1u);
  EXPECT_EQ(IdOf(CreateUser("bob", "b-pass")), 2u);
  ASSERT_TRUE(DeleteUser(Identifier::Numeric(1)).ok());
  EXPECT_EQ(IdOf(CreateUser("carol", "c-pass")), 1u);
  EXPECT_EQ(driver_.state.users.at(0).name, "iggy");
}

TEST_F(UsersTest, DuplicateUsernameIsError46UserAlreadyExists) {
  ASSERT_TRUE(CreateUser("alice", "x").ok());
  EXPECT_EQ(CreateUser("alice", "y").error, ErrorCode::kUserAlreadyExists);
  EXPECT_EQ(static_cast<uint32_t>(ErrorCode::kUserAlreadyExists), 46u);
}

TEST_F(UsersTest, UsernameOutsideIggyBoundsIsError43InvalidUsername) {
  EXPECT_EQ(CreateUser("ab", "x").error, ErrorCode::kInvalidUsername);
  EXPECT_EQ(CreateUser(std::string(51, 'u'), "x").error, ErrorCode::kInvalidUsername);
  EXPECT_TRUE(CreateUser(std::string(50, 'u'), "x").ok());
}

TEST_F(UsersTest, VerifyPasswordComparesTheSaltedHash) {
  const uint32_t alice = IdOf(CreateUser("alice", "correct horse"));
  const Bytes* salt = PasswordSalt(driver_.state, alice);
  ASSERT_NE(salt, nullptr);
  EXPECT_EQ(VerifyPassword(driver_.state, alice, TestPrimary::HashPassword(*salt, "correct horse"))
                .error,
            ErrorCode::kOk);
  EXPECT_EQ(VerifyPassword(driver_.state, alice, TestPrimary::HashPassword(*salt, "wrong")).error,
            ErrorCode::kInvalidCredentials);
  // The same password under another salt is a different hash.
  EXPECT_EQ(VerifyPassword(driver_.state, alice, TestPrimary::HashPassword({}, "correct horse"))
                .error,
            ErrorCode::kInvalidCredentials);
  EXPECT_EQ(VerifyPassword(driver_.state, 77, Bytes(16, 1)).error,
            ErrorCode::kInvalidCredentials);
}

TEST_F(UsersTest, LoginOpensASessionAndAWrongPasswordIsError42) {
  const uint32_t alice = IdOf(CreateUser("alice", "secret-a"));
  EXPECT_EQ(Login(7, alice, "nope").error, ErrorCode::kInvalidCredentials);
  EXPECT_FALSE(driver_.state.clients.contains(7));
  const ApplyResult login = Login(7, alice, "secret-a");
  ASSERT_TRUE(login.ok());
  ASSERT_EQ(login.payload.size(), 12u);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(login.payload, 0), alice);
  const uint64_t session = base::LoadLittleEndian<uint64_t>(login.payload, 4);
  EXPECT_EQ(session, driver_.state.last_applied_op);  // the session is the Register's op
  EXPECT_EQ(driver_.state.clients.at(7).user_id, alice);
  EXPECT_EQ(driver_.state.clients.at(7).registered_at_us, driver_.timestamp_us);
}

TEST_F(UsersTest, InactiveUserCannotLogInError47) {
  ASSERT_TRUE(driver_
                  .Run(Operation::kCreateUser,
                       primary_.CreateUser("idle", "pw", UserStatus::kInactive))
                  .ok());
  EXPECT_EQ(Login(9, 1, "pw").error, ErrorCode::kUserInactive);
}

TEST_F(UsersTest, ChangePasswordWithAWrongCurrentPasswordIsCommittedError42) {
  const uint32_t alice = IdOf(CreateUser("alice", "old"));
  const MetadataState before = driver_.state;
  const ApplyResult wrong =
      driver_.Run(Operation::kChangePassword,
                  primary_.ChangePassword(driver_.state, alice, "not-old", "new"));
  EXPECT_EQ(wrong.error, ErrorCode::kInvalidCredentials);
  EXPECT_EQ(driver_.state.users, before.users);
}

TEST_F(UsersTest, ChangePasswordReplacesSaltAndHash) {
  const uint32_t alice = IdOf(CreateUser("alice", "old"));
  ASSERT_TRUE(driver_
                  .Run(Operation::kChangePassword,
                       primary_.ChangePassword(driver_.state, alice, "old", "new"))
                  .ok());
  EXPECT_EQ(Login(3, alice, "old").error, ErrorCode::kInvalidCredentials);
  EXPECT_TRUE(Login(4, alice, "new").ok());
  EXPECT_EQ(driver_
                .Run(Operation::kChangePassword,
                     primary_.ChangePassword(driver_.state, 42, "a", "b"))
                .error,
            ErrorCode::kResourceNotFound);
}

TEST_F(UsersTest, UpdatePermissionsStoresTheOpaqueBlobAndUnknownUserIsError20) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  const Bytes permissions = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0};
  ASSERT_TRUE(driver_
                  .Run(Operation::kUpdatePermissions,
                       Encode(UpdatePermissionsBody{Identifier::Named("alice"), permissions}))
                  .ok());
  EXPECT_EQ(driver_.state.users.at(alice).permissions, permissions);
  ASSERT_TRUE(driver_
                  .Run(Operation::kUpdatePermissions,
                       Encode(UpdatePermissionsBody{Identifier::Numeric(alice), std::nullopt}))
                  .ok());
  EXPECT_FALSE(driver_.state.users.at(alice).permissions.has_value());
  EXPECT_EQ(driver_
                .Run(Operation::kUpdatePermissions,
                     Encode(UpdatePermissionsBody{Identifier::Named("nobody"), permissions}))
                .error,
            ErrorCode::kResourceNotFound);
}

TEST_F(UsersTest, UpdateUserRenamesAndDeactivatesAndANameClashIsError46) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  ASSERT_TRUE(CreateUser("bobby", "pw").ok());
  EXPECT_EQ(driver_
                .Run(Operation::kUpdateUser,
                     Encode(UpdateUserBody{Identifier::Numeric(alice), "bobby", std::nullopt}))
                .error,
            ErrorCode::kUserAlreadyExists);
  ASSERT_TRUE(driver_
                  .Run(Operation::kUpdateUser, Encode(UpdateUserBody{Identifier::Numeric(alice),
                                                                     "alicia",
                                                                     UserStatus::kInactive}))
                  .ok());
  EXPECT_EQ(driver_.state.users.at(alice).name, "alicia");
  EXPECT_EQ(driver_.state.users.at(alice).status, UserStatus::kInactive);
}

TEST_F(UsersTest, RootCannotBeDeletedError48AndUnknownUserIsError20) {
  EXPECT_EQ(DeleteUser(Identifier::Numeric(kRootUserId)).error, ErrorCode::kCannotDeleteUser);
  EXPECT_EQ(DeleteUser(Identifier::Named("iggy")).error, ErrorCode::kCannotDeleteUser);
  EXPECT_EQ(static_cast<uint32_t>(ErrorCode::kCannotDeleteUser), 48u);
  EXPECT_EQ(DeleteUser(Identifier::Numeric(5)).error, ErrorCode::kResourceNotFound);
  EXPECT_TRUE(driver_.state.users.contains(kRootUserId));
}

TEST_F(UsersTest, DeletingAUserEndsItsSessions) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  ASSERT_TRUE(Login(11, alice, "pw").ok());
  ASSERT_TRUE(Login(12, kRootUserId, "iggy").ok());
  ASSERT_TRUE(DeleteUser(Identifier::Numeric(alice)).ok());
  EXPECT_FALSE(driver_.state.clients.contains(11));
  EXPECT_TRUE(driver_.state.clients.contains(12));
}

TEST_F(UsersTest, TokenCreateUseAndDelete) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  const ApplyResult created = driver_.Run(
      Operation::kCreatePersonalAccessToken, TestPrimary::CreateToken(alice, "ci", "tok-1", 0));
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created.payload.empty()) << "the raw token exists only at the primary";
  const LoginCheck check =
      VerifyToken(driver_.state, TestPrimary::HashToken("tok-1"), driver_.timestamp_us);
  EXPECT_EQ(check.error, ErrorCode::kOk);
  EXPECT_EQ(check.user_id, alice);
  EXPECT_TRUE(driver_.Run(Operation::kRegister, TestPrimary::LoginWithToken(alice, "tok-1"), 21)
                  .ok());
  EXPECT_EQ(driver_.Run(Operation::kRegister, TestPrimary::LoginWithToken(alice, "tok-2"), 22)
                .error,
            ErrorCode::kInvalidPersonalAccessToken);
  ASSERT_TRUE(driver_
                  .Run(Operation::kDeletePersonalAccessToken,
                       Encode(DeleteTokenBody{alice, "ci"}))
                  .ok());
  EXPECT_EQ(driver_.Run(Operation::kRegister, TestPrimary::LoginWithToken(alice, "tok-1"), 23)
                .error,
            ErrorCode::kInvalidPersonalAccessToken);
  EXPECT_EQ(driver_
                .Run(Operation::kDeletePersonalAccessToken,
                     Encode(DeleteTokenBody{alice, "ci"}))
                .error,
            ErrorCode::kResourceNotFound);
}

TEST_F(UsersTest, DuplicateTokenNameIsError51AndTheLimitIsError52) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  ASSERT_TRUE(driver_
                  .Run(Operation::kCreatePersonalAccessToken,
                       TestPrimary::CreateToken(alice, "t", "secret-t", 0))
                  .ok());
  EXPECT_EQ(driver_
                .Run(Operation::kCreatePersonalAccessToken,
                     TestPrimary::CreateToken(alice, "t", "other", 0))
                .error,
            ErrorCode::kPersonalAccessTokenAlreadyExists);
  for (uint32_t i = 1; i < kTokensPerUserMax; ++i) {
    ASSERT_TRUE(driver_
                    .Run(Operation::kCreatePersonalAccessToken,
                         TestPrimary::CreateToken(alice, absl::StrCat("t", i),
                                                  absl::StrCat("secret-", i), 0))
                    .ok());
  }
  EXPECT_EQ(driver_
                .Run(Operation::kCreatePersonalAccessToken,
                     TestPrimary::CreateToken(alice, "one-more", "secret-x", 0))
                .error,
            ErrorCode::kPersonalAccessTokenLimitReached);
}

TEST_F(UsersTest, ExpiredTokenIsError53AndAPastExpiryIsError56) {
  const uint32_t alice = IdOf(CreateUser("alice", "pw"));
  EXPECT_EQ(driver_
                .Run(Operation::kCreatePersonalAccessToken,
                     TestPrimary::CreateToken(alice, "old", "s-old", driver_.timestamp_us))
                .error,
            ErrorCode::kInvalidPersonalAccessTokenExpiry);
  const uint64_t expiry = driver_.timestamp_us + 5'000'000;
  ASSERT_TRUE(driver_
                  .Run(Operation::kCreatePersonalAccessToken,
                       TestPrimary::CreateToken(alice, "short", "s-short", expiry))
                  .ok());
  EXPECT_TRUE(
      driver_.Run(Operation::kRegister, TestPrimary::LoginWithToken(alice, "s-short"), 31).ok());
  driver_.AdvanceTimeUs(10'000'000);
  EXPECT_EQ(
      driver_.Run(Operation::kRegister, TestPrimary::LoginWithToken(alice, "s-short"), 32).error,
      ErrorCode::kInvalidPersonalAccessToken);
}

TEST_F(UsersTest, TokenForAnUnknownUserIsError20) {
  EXPECT_EQ(driver_
                .Run(Operation::kCreatePersonalAccessToken,
                     TestPrimary::CreateToken(99, "t", "s", 0))
                .error,
            ErrorCode::kResourceNotFound);
}

}  // namespace
}  // namespace sluice::metadata
