#include "core/io/storage.h"

#include <gtest/gtest.h>

namespace sluice::io {
namespace {

TEST(StoragePathTest, AcceptsRelativePaths) {
  EXPECT_TRUE(ValidatePath("").ok());
  EXPECT_TRUE(ValidatePath("metadata").ok());
  EXPECT_TRUE(ValidatePath("streams/0/topics/1/partitions/2-17/00000000000000000000.log").ok());
}

TEST(StoragePathTest, RejectsEscapesAndEmptyComponents) {
  for (const char* path : {"/abs", "a//b", "a/", "./a", "a/../b", "..", "."}) {
    const absl::Status status = ValidatePath(path);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
  }
}

TEST(StoragePathTest, SplitsAndJoins) {
  EXPECT_EQ(ParentOf("a/b/c"), "a/b");
  EXPECT_EQ(ParentOf("c"), "");
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("c"), "c");
  EXPECT_EQ(JoinPath("", "x"), "x");
  EXPECT_EQ(JoinPath("a/b", "x"), "a/b/x");
}

}  // namespace
}  // namespace sluice::io
