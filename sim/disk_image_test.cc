#include "sim/disk_image.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/io/testing/blocking_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::sim {
namespace {

std::string TempDirectory(const char* label) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/" + label + "-XXXXXX";
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

// A small data directory with nested directories, empty and binary files.
void Populate(SimStorage& storage, SimLoop& loop) {
  io::testing::BlockingStorage disk(storage, loop);
  ASSERT_TRUE(disk.CreateDirectory("streams").ok());
  ASSERT_TRUE(disk.CreateDirectory("streams/0").ok());
  ASSERT_TRUE(disk.CreateDirectory("empty").ok());
  Bytes binary(5000);
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<uint8_t>(i * 17 + 3);
  ASSERT_TRUE(disk.WriteDurably("streams/0/00000000000000000000.log", binary).ok());
  ASSERT_TRUE(disk.WriteDurably("superblock", Bytes{0, 1, 0, 255}).ok());
  ASSERT_TRUE(disk.WriteDurably("empty.file", Bytes{}).ok());
}

TEST(DiskImageTest, SavedAndLoadedDirectoryIsByteIdentical) {
  SimLoop loop;
  SimStorage original(loop, {.seed = 1});
  Populate(original, loop);
  const std::string first = TempDirectory("first");
  ASSERT_TRUE(SaveToDirectory(original.file_system(), first).ok());

  SimFileSystem loaded;
  ASSERT_TRUE(LoadFromDirectory(first, loaded).ok());
  EXPECT_EQ(loaded.Tree(), original.file_system().Tree());
  EXPECT_EQ(loaded.DurableTree(), loaded.Tree());  // everything loaded is durable

  // And on the real file system, a second save reproduces the first byte for byte.
  const std::string second = TempDirectory("second");
  ASSERT_TRUE(SaveToDirectory(loaded, second).ok());
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(first)) {
    const auto relative = std::filesystem::relative(entry.path(), first);
    paths.push_back(relative.string());
    ASSERT_TRUE(std::filesystem::exists(std::filesystem::path(second) / relative)) << relative;
    if (entry.is_regular_file()) {
      std::ifstream a(entry.path(), std::ios::binary), b(std::filesystem::path(second) / relative, std::ios::binary);
      EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
                std::string(std::istreambuf_iterator<char>(b), {})) << relative;
    }
  }
  EXPECT_EQ(paths.size(), 6u);  // streams, streams/0, the log, empty, superblock, empty.file
  std::filesystem::remove_all(first);
  std::filesystem::remove_all(second);
}

TEST(DiskImageTest, SaveRefusesANonEmptyDirectory) {
  SimFileSystem file_system;
  const std::string directory = TempDirectory("busy");
  { std::ofstream(directory + "/existing") << "x"; }
  const absl::Status status = SaveToDirectory(file_system, directory);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(directory);
}

TEST(DiskImageTest, LoadRefusesSymlinksAndMissingDirectories) {
  SimFileSystem file_system;
  EXPECT_EQ(LoadFromDirectory("/nonexistent/sluice", file_system).code(), absl::StatusCode::kNotFound);
  const std::string directory = TempDirectory("links");
  std::filesystem::create_symlink("/etc/hostname", directory + "/link");
  const absl::Status status = LoadFromDirectory(directory, file_system);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("link"), absl::string_view::npos);
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace sluice::sim
