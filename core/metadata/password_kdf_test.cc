// Argon2id as the primary's password KDF: known answers from the reference
// implementation's test vectors, and the KDF working with the state machine's login
// checks (a password hashed with the stored salt logs in; any other does not).
#include "core/metadata/password_kdf.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "core/metadata/credentials.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

std::string Hex(const absl::StatusOr<Bytes>& bytes) {
  if (!bytes.ok()) return bytes.status().ToString();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
}

// phc-winner-argon2's test vectors (Argon2id, version 0x13, "password"/"somesalt").
TEST(PasswordKdfTest, MatchesTheReferenceVectorAt256KiB) {
  EXPECT_EQ(Hex(Argon2id(base::AsBytes("somesalt"), "password",
                         {.passes = 2, .memory_kib = 256, .lanes = 1}, 32)),
            "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe");
}

TEST(PasswordKdfTest, MatchesTheReferenceVectorAt64MiB) {
  EXPECT_EQ(Hex(Argon2id(base::AsBytes("somesalt"), "password",
                         {.passes = 2, .memory_kib = 1 << 16, .lanes = 1}, 32)),
            "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7");
}

TEST(PasswordKdfTest, SaltAndPasswordEachChangeTheHash) {
  const Argon2Cost cheap{.passes = 1, .memory_kib = 64, .lanes = 1};
  const Bytes salt_a(kPasswordSaltBytes, 1);
  const Bytes salt_b(kPasswordSaltBytes, 2);
  const absl::StatusOr<Bytes> a = HashPassword(salt_a, "secret", cheap);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), kPasswordHashBytes);
  EXPECT_EQ(Hex(HashPassword(salt_a, "secret", cheap)), Hex(a)) << "deterministic";
  EXPECT_NE(Hex(HashPassword(salt_b, "secret", cheap)), Hex(a));
  EXPECT_NE(Hex(HashPassword(salt_a, "secreT", cheap)), Hex(a));
  EXPECT_NE(Hex(HashToken("secret")), Hex(a));
}

TEST(PasswordKdfTest, AShortSaltIsAClearError) {
  const absl::StatusOr<Bytes> hash = HashPassword(Bytes(4, 0), "secret");
  EXPECT_TRUE(absl::IsInvalidArgument(hash.status())) << hash.status();
}

TEST(PasswordKdfTest, APasswordHashedWithTheStoredSaltLogsInAndNoOtherDoes) {
  const Argon2Cost cheap{.passes = 1, .memory_kib = 64, .lanes = 1};
  const Bytes salt(kPasswordSaltBytes, 7);
  testing::MetadataDriver driver;
  const absl::StatusOr<Bytes> stored = HashPassword(salt, "iggy", cheap);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(driver
                  .Run(wire::Operation::kCreateUser,
                       Encode(CreateUserBody{.name = "iggy",
                                             .password = {.salt = salt, .hash = *stored}}))
                  .ok());
  const Bytes* stored_salt = PasswordSalt(driver.state, 0);
  ASSERT_NE(stored_salt, nullptr);
  const absl::StatusOr<Bytes> right = HashPassword(*stored_salt, "iggy", cheap);
  const absl::StatusOr<Bytes> wrong = HashPassword(*stored_salt, "iggz", cheap);
  ASSERT_TRUE(right.ok() && wrong.ok());
  EXPECT_EQ(VerifyPassword(driver.state, 0, *right).error, ErrorCode::kOk);
  EXPECT_EQ(VerifyPassword(driver.state, 0, *wrong).error, ErrorCode::kInvalidCredentials);
}

}  // namespace
}  // namespace sluice::metadata
