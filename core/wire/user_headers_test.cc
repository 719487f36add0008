#include "core/wire/user_headers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/bytes.h"

namespace sluice::wire {
namespace {

using ::testing::HasSubstr;

// PROTOCOL.md §3's example: key String "foo", value Int32 42.
const Bytes kFooIs42 = {0x02, 0x03, 0, 0, 0, 'f', 'o', 'o', 0x06, 0x04, 0, 0, 0, 0x2a, 0, 0, 0};

absl::Status Validate(const Bytes& bytes) { return ValidateUserHeaders(bytes); }

TEST(UserHeadersTest, AcceptsTheProtocolExample) { EXPECT_TRUE(Validate(kFooIs42).ok()); }

TEST(UserHeadersTest, AcceptsEmpty) { EXPECT_TRUE(Validate({}).ok()); }

TEST(UserHeadersTest, RejectsKeyWithoutValue) {
  const Bytes key_only(kFooIs42.begin(), kFooIs42.begin() + 8);
  EXPECT_THAT(Validate(key_only).message(), HasSubstr("hold 1 fields: expected key/value pairs"));
}

TEST(UserHeadersTest, RejectsKindZero) {
  Bytes bytes = kFooIs42;
  bytes[8] = 0;
  EXPECT_THAT(Validate(bytes).message(), HasSubstr("user header at byte 8 has unknown kind 0"));
}

TEST(UserHeadersTest, RejectsUndefinedKind) {
  Bytes bytes = kFooIs42;
  bytes[0] = 16;
  EXPECT_THAT(Validate(bytes).message(), HasSubstr("unknown kind 16: expected 1..15"));
}

TEST(UserHeadersTest, RejectsZeroLength) {
  const Bytes bytes = {0x01, 0, 0, 0, 0, 0x01, 1, 0, 0, 0, 'v'};
  EXPECT_THAT(Validate(bytes).message(), HasSubstr("at byte 0 has length 0: expected 1..255"));
}

TEST(UserHeadersTest, RejectsLengthOver255) {
  Bytes bytes = {0x01, 0x00, 0x01, 0, 0};  // length 256
  bytes.resize(5 + 256, 'k');
  EXPECT_THAT(Validate(bytes).message(), HasSubstr("has length 256: expected 1..255"));
}

TEST(UserHeadersTest, RejectsFixedWidthKindWithWrongLength) {
  Bytes bytes = kFooIs42;
  bytes[9] = 3;  // Int32 claimed 3 bytes long.
  bytes.pop_back();
  EXPECT_THAT(Validate(bytes).message(), HasSubstr("at byte 8 of kind 6 has length 3: expected 4"));
}

TEST(UserHeadersTest, RejectsTruncatedPrefix) {
  Bytes bytes = kFooIs42;
  bytes.push_back(0x02);
  bytes.push_back(0x01);
  EXPECT_THAT(Validate(bytes).message(),
              HasSubstr("at byte 17 truncated: expected a 5-byte kind and length, found 2"));
}

TEST(UserHeadersTest, RejectsTruncatedValue) {
  const Bytes bytes(kFooIs42.begin(), kFooIs42.end() - 1);
  EXPECT_THAT(Validate(bytes).message(),
              HasSubstr("at byte 8 truncated: length 4 but only 3 bytes follow"));
}

}  // namespace
}  // namespace sluice::wire
