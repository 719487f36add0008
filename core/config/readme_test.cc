// core/config/README.md documents every key in one table; this keeps that table and
// the code's key table equal: one row per key, in order, with its environment
// variable, default and accepted values exactly as the loader reports them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/config/config.h"

namespace sluice::config {
namespace {

std::string ReadReadme() {
  const char* runfiles = std::getenv("TEST_SRCDIR");
  const std::string path =
      absl::StrCat(runfiles != nullptr ? runfiles : ".", "/sluice/core/config/README.md");
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << path;
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// The row README.md must have for `key`.
std::string Row(const KeyDescription& key) {
  return absl::StrCat("| `", key.path, "` | `", key.environment_variable, "` | `",
                      key.default_value, "` | ", key.expected, " | ", key.description, " |");
}

TEST(ReadmeTest, TheKeyTableListsEveryKeyInOrder_B11) {
  std::vector<std::string> rows;
  for (absl::string_view line : absl::StrSplit(ReadReadme(), '\n')) {
    if (absl::StartsWith(line, "| `")) rows.emplace_back(line);
  }
  const std::vector<KeyDescription> keys = DescribeKeys();
  std::string expected;
  for (const KeyDescription& key : keys) absl::StrAppend(&expected, Row(key), "\n");
  ASSERT_EQ(rows.size(), keys.size()) << "expected rows:\n" << expected;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(rows[i], Row(keys[i])) << "expected rows:\n" << expected;
  }
}

}  // namespace
}  // namespace sluice::config
