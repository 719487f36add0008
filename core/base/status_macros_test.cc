#include "core/base/status_macros.h"

#include <gtest/gtest.h>

#include "core/base/assert.h"

namespace sluice::base {
namespace {

absl::StatusOr<int> Half(int value) {
  if (value % 2 != 0) return absl::InvalidArgumentError("odd");
  return value / 2;
}

absl::StatusOr<int> Quarter(int value) {
  ASSIGN_OR_RETURN(const int half, Half(value), "first halving of ", value);
  ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int value) {
  RETURN_IF_ERROR(Half(value).status(), "checking ", value);
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagatesWithContext) {
  EXPECT_EQ(*Quarter(8), 2);
  const absl::StatusOr<int> odd = Quarter(3);
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(odd.status().message(), "first halving of 3: odd");
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).message(), "checking 5: odd");
}

TEST(AssertDeathTest, FailedAssertionAbortsWithMessage) {
  const int offset = 10;
  EXPECT_DEATH(SLUICE_ASSERT(offset < 5, "offset ", offset), "assertion failed: offset < 5: offset 10");
  EXPECT_DEATH(SLUICE_UNREACHABLE("state ", 3), "unreachable: state 3");
}

}  // namespace
}  // namespace sluice::base
