// `sluice inspect` exit codes and output: a healthy directory (0), a damaged but
// repairable one (1: a corrupt superblock copy boot would rewrite), a refused one (2:
// no superblock, rule B17), and bad usage (64). The directory is never changed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice {
namespace {

using Outcome = testing::ProcessOutcome;
using testing::RunToEnd;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* temp = std::getenv("TEST_TMPDIR");
    root_ = absl::StrCat(temp != nullptr ? temp : "/tmp", "/inspect");
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  std::string Inspect(const std::string& directory) const {
    return absl::StrCat(testing::RunfilesBinary("sim/sluice_inspect"), " ", directory,
                        " --wal-slots 8 --wal-message-size 4096");
  }
  // A healthy one-node directory: formatted, the root user created, crashed cleanly.
  std::string Healthy() const {
    const std::string directory = root_ + "/healthy";
    const Outcome written =
        RunToEnd(absl::StrCat(testing::RunfilesBinary("tests/metadata_store/live_or_restored"),
                         " --mode write --seed 5 --ops 0 --image ", directory));
    EXPECT_EQ(written.exit_code, 0) << written.output;
    return directory;
  }
  std::string root_;
};

TEST_F(InspectTest, AHealthyDirectoryExitsZeroAndIsLeftUnchanged) {
  const std::string directory = Healthy();
  const std::string wal_before = ReadFile(directory + "/metadata/journal.wal");
  const Outcome outcome = RunToEnd(Inspect(directory));
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "healthy")) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "metadata: ")) << outcome.output;
  EXPECT_EQ(ReadFile(directory + "/metadata/journal.wal"), wal_before);
}

TEST_F(InspectTest, ACorruptSuperblockCopyIsRepairableAndNamed) {
  const std::string directory = Healthy();
  {
    std::fstream file(directory + "/superblock", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 + 100);
    file.put('\x5A');
  }
  const std::string before = ReadFile(directory + "/superblock");
  const Outcome outcome = RunToEnd(Inspect(directory));
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "copy 1 (offset 4096): checksum mismatch"))
      << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "boot would rewrite superblock")) << outcome.output;
  EXPECT_EQ(ReadFile(directory + "/superblock"), before) << "inspect must not change anything";
}

TEST_F(InspectTest, ADirectoryWithoutASuperblockIsRefused_B17) {
  std::filesystem::create_directories(root_ + "/empty");
  const Outcome outcome = RunToEnd(Inspect(root_ + "/empty"));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_TRUE(absl::StrContains(outcome.output, "rule B17")) << outcome.output;
}

TEST_F(InspectTest, WithoutFlagsTheWalOptionsComeFromTheEffectiveConfigTheServerWrote) {
  const std::string directory = Healthy();
  const std::string bare = absl::StrCat(testing::RunfilesBinary("sim/sluice_inspect"), " ", directory);
  // Without a recorded config the server's defaults (1024 slots of 128 KiB) do not fit
  // this directory's WAL (8 slots of 4 KiB): a clear refusal naming the mismatch.
  const Outcome defaults = RunToEnd(bare);
  EXPECT_EQ(defaults.exit_code, 2) << defaults.output;
  EXPECT_TRUE(absl::StrContains(defaults.output, "formatted with other options")) << defaults.output;
  std::filesystem::create_directories(directory + "/runtime");
  std::ofstream(directory + "/runtime/current_config.toml")
      << "[limits]\nwal_slot_count = 8\nwal_slot_size_bytes = 4096\n";
  const Outcome recorded = RunToEnd(bare);
  EXPECT_EQ(recorded.exit_code, 0) << recorded.output;
  EXPECT_TRUE(absl::StrContains(recorded.output, "options: from")) << recorded.output;
  // A config that does not load is a usage error naming it, not a guess.
  std::ofstream(directory + "/runtime/current_config.toml") << "[limits]\nwal_slot_count = \"many\"\n";
  const Outcome broken = RunToEnd(bare);
  EXPECT_EQ(broken.exit_code, 64) << broken.output;
  EXPECT_TRUE(absl::StrContains(broken.output, "current_config.toml")) << broken.output;
}

TEST_F(InspectTest, BadUsageExits64) {
  EXPECT_EQ(RunToEnd(Inspect(root_ + "/does-not-exist")).exit_code, 64);
  EXPECT_EQ(RunToEnd(testing::RunfilesBinary("sim/sluice_inspect")).exit_code, 64);
}

}  // namespace
}  // namespace sluice
