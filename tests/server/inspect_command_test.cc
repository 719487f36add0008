// `sluice-server inspect DATA_DIR` on directories the server wrote: healthy after a
// clean stop (exit 0, the same verdict as `./sluice inspect`, the simulator's), a
// torn log tail (exit 1, repairable), no valid superblock (exit 2, refused), a
// missing directory (exit 64); and it never changes the directory it inspects.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "core/client_protocol/requests.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

const Identifier kStream = Identifier::Named("orders");
const Identifier kTopic = Identifier::Named("events");

// Every file under `root` with its bytes (directories as "path/").
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string relative = std::filesystem::relative(entry.path(), root).string();
    if (entry.is_directory()) {
      files[relative + "/"] = "";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      files[relative] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return files;
}

class InspectCommandTest : public ServerFixture {
 protected:
  // A small metadata WAL (64 slots): inspect reads the directory whole, twice, and
  // the default 128 MiB WAL would make this test slow under ASan.
  void SetUp() override {
    ServerFixture::SetUp();
    std::filesystem::remove_all(data_);
    std::ofstream(config_, std::ios::app) << "\n[limits]\nwal_slot_count = 64\n";
    const ProcessOutcome formatted = RunToEnd(
        absl::StrCat(ServerBinary(), " format --replica-count 1 --replica-id 0 --config ", config_));
    ASSERT_EQ(formatted.exit_code, 0) << formatted.output;
  }

  // Serves a stream, a topic and 30 messages, then stops cleanly.
  void WriteSomeData() {
    StartServer();
    auto client = LoggedIn();
    ASSERT_EQ(Call(*client, client_protocol::CreateStreamRequest{"orders"}).decoded.Error(),
              IggyError::kOk);
    ASSERT_EQ(Call(*client, client_protocol::CreateTopicRequest{
                                .stream = kStream, .partitions_count = 1, .name = "events"})
                  .decoded.Error(),
              IggyError::kOk);
    for (uint64_t first = 1; first <= 30; first += 10) {
      const Bytes batch = NumberedBatch(first, 10);
      ASSERT_EQ(Call(*client, SendOf(kStream, kTopic, ToPartition(0), batch)).decoded.Error(),
                IggyError::kOk);
    }
    client.reset();
    ASSERT_EQ(StopServer(), 0) << server_->output();
  }

  ProcessOutcome ServerInspect(const std::string& directory) {
    return RunToEnd(absl::StrCat(ServerBinary(), " inspect ", directory));
  }

  // The one segment log of the one partition.
  std::filesystem::path SegmentLog() {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_ + "/streams")) {
      if (entry.path().extension() == ".log") return entry.path();
    }
    ADD_FAILURE() << "no segment log under " << data_;
    return {};
  }
};

TEST_F(InspectCommandTest, ACleanlyStoppedDirectoryIsHealthyAndUnchanged) {
  WriteSomeData();
  const auto before = Snapshot(data_);
  const ProcessOutcome inspected = ServerInspect(data_);
  EXPECT_EQ(inspected.exit_code, 0) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "1 partition(s) recovered")) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "64 slots of")) << "WAL options from the effective config";
  EXPECT_TRUE(absl::StrContains(inspected.output, "\nhealthy: ")) << inspected.output;
  EXPECT_EQ(Snapshot(data_), before) << "inspect must not change the directory";

  // The simulator's inspect, on the same bytes, reaches the same verdict.
  const ProcessOutcome simulated =
      RunToEnd(absl::StrCat(RunfilesBinary("sim/sluice_inspect"), " ", data_));
  EXPECT_EQ(simulated.exit_code, 0) << simulated.output;
}

TEST_F(InspectCommandTest, ATornLogTailIsRepairable_B7) {
  WriteSomeData();
  {
    std::ofstream log(SegmentLog(), std::ios::binary | std::ios::app);
    log << std::string(100, '\x5a');  // less than a batch header: a torn append
  }
  const auto before = Snapshot(data_);
  const ProcessOutcome inspected = ServerInspect(data_);
  EXPECT_EQ(inspected.exit_code, 1) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "cutting the uncertain tail")) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "boot would rewrite streams/")) << inspected.output;
  EXPECT_EQ(Snapshot(data_), before) << "inspect must not repair; boot does";
}

TEST_F(InspectCommandTest, NoValidSuperblockIsRefused_B17) {
  WriteSomeData();
  {
    std::fstream superblock(data_ + "/superblock", std::ios::binary | std::ios::in | std::ios::out);
    superblock << std::string(16384, '\0');
  }
  const ProcessOutcome inspected = ServerInspect(data_);
  EXPECT_EQ(inspected.exit_code, 2) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "refused: no valid superblock")) << inspected.output;
}

TEST_F(InspectCommandTest, AMissingDirectoryIsAUsageError) {
  const ProcessOutcome inspected = ServerInspect(root_ + "/no-such-directory");
  EXPECT_EQ(inspected.exit_code, 64) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "is not a directory")) << inspected.output;
}

}  // namespace
}  // namespace sluice::testing
