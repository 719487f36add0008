// `sluice inspect` on the damaged cases of the bootstrap contract: for each, inspect
// prints the decision that bootstrap itself logs for the same directory, with the
// documented exit code (0 healthy, 1 repairable, 2 refused), and changes nothing.
//
// The directory is the one the replica writes for the bootstrap fuzz target
// (fuzz/bootstrap_image.h: five partitions, one of them with three segments,
// consumer offsets, a wrapped WAL), written out by //fuzz:write_base_image and then
// damaged with plain file operations, as an operator's disk would be. "What
// bootstrap logs" is BootSingleNode run in this process on a simulated disk loaded
// from the damaged directory, with the replica's own options.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "fuzz/bootstrap_image.h"
#include "sim/disk_image.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
namespace image = fuzz::bootstrap_image;
using testing::ProcessOutcome;
using testing::RunToEnd;

constexpr int kHealthy = 0, kRepairable = 1, kRefused = 2;

std::map<std::string, std::string> ReadTree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[fs::relative(entry.path(), root).string()] =
        entry.is_directory() ? "<dir>" : std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

void FlipByte(const fs::path& file, uint64_t position) {
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(static_cast<std::streamoff>(position));
  const char byte = static_cast<char>(stream.get());
  stream.seekp(static_cast<std::streamoff>(position));
  stream.put(static_cast<char>(byte ^ 0x20));
  ASSERT_TRUE(stream.good()) << file;
}

// What bootstrap decides for `directory`: its error, or its decisions and warnings.
struct BootResult {
  absl::Status status;
  std::vector<std::string> lines;
};

BootResult BootInProcess(const std::string& directory) {
  image::Machine machine(/*seed=*/3);
  BootResult result;
  result.status = sim::LoadFromDirectory(directory, machine.storage.file_system());
  if (!result.status.ok()) return result;
  absl::StatusOr<bootstrap::BootedSingleNode> booted =
      machine.Run(bootstrap::BootSingleNode(machine.storage, image::BootOptions(false)));
  result.status = booted.status();
  if (!booted.ok()) return result;
  result.lines = booted->log.decisions;
  result.lines.insert(result.lines.end(), booted->log.warnings.begin(), booted->log.warnings.end());
  for (auto& [ns, log] : booted->partitions) EXPECT_TRUE(machine.Run(log->Drain()).ok());
  EXPECT_TRUE(machine.Run(booted->metadata->Close()).ok());
  return result;
}

class InspectContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* temp = std::getenv("TEST_TMPDIR");
    base_dir_ = new std::string(absl::StrCat(temp != nullptr ? temp : "/tmp", "/inspect_contract/base"));
    fs::remove_all(*base_dir_);
    const ProcessOutcome written =
        RunToEnd(absl::StrCat(testing::RunfilesBinary("fuzz/write_base_image"), " ", *base_dir_));
    ASSERT_EQ(written.exit_code, 0) << written.output;
  }

  // A fresh copy of the base directory named for the case.
  std::string Copy(const std::string& name) {
    const std::string directory = fs::path(*base_dir_).parent_path() / name;
    fs::remove_all(directory);
    fs::copy(*base_dir_, directory, fs::copy_options::recursive);
    return directory;
  }

  // Runs inspect and bootstrap on `directory` and checks they agree, with `exit_code`.
  // Returns inspect's output for case-specific checks.
  std::string InspectAgreesWithBoot(const std::string& directory, int exit_code) {
    const std::map<std::string, std::string> before = ReadTree(directory);
    const ProcessOutcome inspected =
        RunToEnd(absl::StrCat(testing::RunfilesBinary("sim/sluice_inspect"), " ", directory, " --wal-slots ",
                              image::kWalSlots, " --wal-message-size ", image::kWalMessageSizeMax));
    EXPECT_EQ(inspected.exit_code, exit_code) << inspected.output;
    EXPECT_EQ(ReadTree(directory), before) << "inspect changed " << directory;
    const BootResult boot = BootInProcess(directory);
    if (exit_code == kRefused) {
      EXPECT_FALSE(boot.status.ok());
      EXPECT_TRUE(absl::StrContains(inspected.output, absl::StrCat("refused: ", boot.status.ToString())))
          << "boot said: " << boot.status << "\ninspect said:\n" << inspected.output;
    } else {
      EXPECT_TRUE(boot.status.ok()) << boot.status;
      for (const std::string& line : boot.lines) {
        EXPECT_TRUE(absl::StrContains(inspected.output, line))
            << "boot logged \"" << line << "\"; inspect said:\n" << inspected.output;
      }
    }
    return inspected.output;
  }

  // The partition with the most segments (three: two sealed, one active).
  static const image::BasePartition& Segmented() {
    const image::BaseImage& base = image::Base();
    const image::BasePartition* best = &base.partitions.front();
    for (const image::BasePartition& partition : base.partitions) {
      if (partition.segment_files.size() > best->segment_files.size()) best = &partition;
    }
    return *best;
  }

  static std::string* base_dir_;
};

std::string* InspectContractTest::base_dir_ = nullptr;

TEST_F(InspectContractTest, HealthyDirectoryExitsZero) {
  ASSERT_GE(Segmented().segment_files.size(), 3u);
  const std::string output = InspectAgreesWithBoot(Copy("healthy"), kHealthy);
  EXPECT_TRUE(absl::StrContains(output, "healthy: boot would repair nothing")) << output;
  EXPECT_TRUE(absl::StrContains(output, "re-sync streams/")) << output;
}

TEST_F(InspectContractTest, B2_AMissingIndexIsRebuiltFromTheLog) {
  const image::BaseFile& sealed = image::Base().files[Segmented().segment_files.front()];
  const std::string directory = Copy("b2_index_removed");
  std::string index = sealed.path;
  index.replace(index.size() - 4, 4, ".index");
  ASSERT_TRUE(fs::remove(fs::path(directory) / index));
  const std::string output = InspectAgreesWithBoot(directory, kRepairable);
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("boot would create ", index))) << output;
}

TEST_F(InspectContractTest, B7_ATornTailOfTheActiveSegmentIsCutWithAWarning) {
  const image::BaseFile& active = image::Base().files[Segmented().segment_files.back()];
  const std::string directory = Copy("b7_torn_tail");
  {
    std::ofstream out(fs::path(directory) / active.path, std::ios::binary | std::ios::app);
    out << std::string(300, '\xAB');
  }
  const std::string output = InspectAgreesWithBoot(directory, kRepairable);
  EXPECT_TRUE(absl::StrContains(output, "warnings:")) << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("boot would rewrite ", active.path))) << output;
}

TEST_F(InspectContractTest, B5_AMissingActiveSegmentIsRefused) {
  const image::BaseFile& active = image::Base().files[Segmented().segment_files.back()];
  const std::string directory = Copy("b5_active_removed");
  ASSERT_TRUE(fs::remove(fs::path(directory) / active.path));
  const std::string output = InspectAgreesWithBoot(directory, kRefused);
  EXPECT_TRUE(absl::StrContains(output, "rule B5")) << output;
}

TEST_F(InspectContractTest, B7_ACorruptEntryInASealedSegmentIsRefused) {
  const image::BaseFile& sealed = image::Base().files[Segmented().segment_files.front()];
  ASSERT_GE(sealed.entries.size(), 3u);
  const image::SegmentEntry& middle = sealed.entries[sealed.entries.size() / 2];
  const std::string directory = Copy("b7_sealed_corrupt");
  FlipByte(fs::path(directory) / sealed.path, middle.position + 256 + middle.size / 4);
  const std::string output = InspectAgreesWithBoot(directory, kRefused);
  EXPECT_TRUE(absl::StrContains(output, "rule B7")) << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("op ", middle.op))) << output;
}

TEST_F(InspectContractTest, B3_AnotherPartitionsOffsetsCheckpointIsRefused) {
  const image::BaseImage& base = image::Base();
  ASSERT_GE(base.partitions.size(), 2u);
  const std::string directory = Copy("b3_foreign_offsets");
  fs::copy_file(fs::path(directory) / base.partitions[0].directory / "consumer_offsets",
                fs::path(directory) / base.partitions[1].directory / "consumer_offsets",
                fs::copy_options::overwrite_existing);
  const std::string output = InspectAgreesWithBoot(directory, kRefused);
  EXPECT_TRUE(absl::StrContains(output, "rule B3")) << output;
  EXPECT_TRUE(absl::StrContains(output, base.partitions[1].directory)) << output;
}

TEST_F(InspectContractTest, AStaleIncarnationDirectoryWouldBeRemoved) {
  const image::BasePartition& partition = Segmented();
  ASSERT_GT(partition.incarnation, 1u);
  const std::string directory = Copy("stale_incarnation");
  std::string stale = partition.directory;
  stale = stale.substr(0, stale.rfind('-')) + "-1";  // incarnation 1: an op the metadata has no partition of
  fs::copy(fs::path(directory) / partition.directory, fs::path(directory) / stale, fs::copy_options::recursive);
  const std::string output = InspectAgreesWithBoot(directory, kRepairable);
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("boot would remove ", stale))) << output;
}

}  // namespace
}  // namespace sluice
