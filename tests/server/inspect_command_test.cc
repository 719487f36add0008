// `sluice-server inspect DATA_DIR` on directories the server wrote: healthy after a
// clean stop (exit 0, the same verdict as `./sluice inspect`, the simulator's), a
// torn log tail (exit 1, repairable), no valid superblock (exit 2, refused), a
// missing directory (exit 64); and it never changes the directory it inspects.
//
// Cluster replicas (ClusterInspectTest): every directory of a 3-replica cluster
// stopped cleanly is healthy (exit 0) and printed as its cluster boot opens it
// (replica index and count, view state); a flipped bit in a committed op's WAL
// prepare, or in a partition's segment, is "repairable from peers" (exit 1), naming
// the file, the op and rule B7.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/server/free_ports.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
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

// Flips the lowest bit of the byte at `offset` of `path`.
void FlipBit(const std::filesystem::path& path, uint64_t offset) {
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(file.good()) << path;
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  ASSERT_TRUE(file.get(byte).good()) << path << " has no byte at " << offset;
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(byte ^ 1));
  ASSERT_TRUE(file.good()) << path;
}

constexpr int kReplicas = 3;
// A small metadata WAL, as above; the slot size is given so a test can find a slot.
constexpr uint64_t kWalSlots = 64;
constexpr uint64_t kWalSlotBytes = 65536;

// A 3-replica cluster as child processes on loopback: a stream, a topic and 30
// messages written through it, then every replica stopped with SIGTERM.
class ClusterInspectTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    const std::vector<uint16_t> ports = FreePorts(2 * kReplicas);
    std::vector<std::string> replicas, clients;
    for (int i = 0; i < kReplicas; ++i) {
      clients.push_back(absl::StrCat("\"127.0.0.1:", ports[i], "\""));
      replicas.push_back(absl::StrCat("\"127.0.0.1:", ports[kReplicas + i], "\""));
      client_ports_.push_back(ports[i]);
    }
    for (int i = 0; i < kReplicas; ++i) {
      replica_data_.push_back(absl::StrCat(root_, "/replica-", i));
      configs_.push_back(absl::StrCat(root_, "/replica-", i, ".toml"));
      std::ofstream(configs_[i]) << "[cluster]\nid = \"0x5eed\"\nreplica_count = " << kReplicas
                                 << "\nreplica_index = " << i << "\nreplicas = [" << absl::StrJoin(replicas, ", ")
                                 << "]\nclients = [" << absl::StrJoin(clients, ", ") << "]\n\n[tcp]\naddress = "
                                 << clients[i] << "\nreplica_address = " << replicas[i] << "\n\n[data]\ndirectory = \""
                                 << replica_data_[i] << "\"\n\n[limits]\nwal_slot_count = " << kWalSlots
                                 << "\nwal_slot_size_bytes = " << kWalSlotBytes << "\n";
      const ProcessOutcome formatted = RunToEnd(absl::StrCat(ServerBinary(), " format --config ", configs_[i]));
      ASSERT_EQ(formatted.exit_code, 0) << formatted.output;
    }
    processes_.resize(kReplicas);
    for (int i = 0; i < kReplicas; ++i) {
      processes_[i] = std::make_unique<ServerProcess>(ServerBinary(),
                                                      std::vector<std::string>{"start", "--config", configs_[i]});
      ASSERT_TRUE(processes_[i]->WaitForClientPort().has_value()) << processes_[i]->output();
    }
    ASSERT_NO_FATAL_FAILURE(WriteThroughTheCluster());
    for (int i = 0; i < kReplicas; ++i) ASSERT_EQ(processes_[i]->Terminate(), 0) << processes_[i]->output();
  }

  void TearDown() override {
    for (std::unique_ptr<ServerProcess>& process : processes_) {
      if (process != nullptr) process->Kill();
    }
  }

  // Through replica 0 (a backup relays to the primary). A write refused before it
  // was prepared (58: no primary yet, a view change; 20 / 3007: the partition not
  // hosted yet) is sent again, within a bounded wait (liveness); any other answer
  // must be Ok.
  void WriteThroughTheCluster() {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    std::unique_ptr<server::BlockingClient> client;
    auto call = [&](const client_protocol::Command& command) {
      while (true) {
        ASSERT_LT(absl::Now(), deadline) << "no write accepted within 60 s\n" << processes_[0]->output();
        if (client == nullptr) {
          absl::StatusOr<std::unique_ptr<server::BlockingClient>> connected =
              server::BlockingClient::Connect("127.0.0.1", client_ports_[0], absl::Seconds(1), absl::Seconds(10));
          if (connected.ok() && (*connected)->Login("iggy", "iggy").ok()) client = *std::move(connected);
        }
        if (client != nullptr) {
          absl::StatusOr<server::ServerFrame> reply = client->Call(command);
          ASSERT_TRUE(reply.ok()) << reply.status() << "\n" << processes_[0]->output();
          const IggyError error = reply->decoded.Error();
          if (error != IggyError::kTransientNotAccepted && error != IggyError::kResourceNotFound &&
              error != IggyError::kPartitionNotFound) {
            ASSERT_EQ(error, IggyError::kOk) << processes_[0]->output();
            return;
          }
        }
        absl::SleepFor(absl::Milliseconds(100));
      }
    };
    ASSERT_NO_FATAL_FAILURE(call(client_protocol::CreateStreamRequest{"orders"}));
    ASSERT_NO_FATAL_FAILURE(
        call(client_protocol::CreateTopicRequest{.stream = kStream, .partitions_count = 1, .name = "events"}));
    for (uint64_t first = 1; first <= 30; first += 10) {
      ASSERT_NO_FATAL_FAILURE(call(SendOf(kStream, kTopic, ToPartition(0), NumberedBatch(first, 10))));
    }
    // A barrier: one more metadata op, prepared after the topic's creation committed, so
    // its commit field is every replica's durable evidence of that commit (a backup
    // learns a commit only from the primary's next message; inspect, like a boot,
    // applies only proven-committed ops, rule B16). Every replica must hold it before
    // the cluster stops: each serves the barrier topic's partition from its own state.
    ASSERT_NO_FATAL_FAILURE(
        call(client_protocol::CreateTopicRequest{.stream = kStream, .partitions_count = 1, .name = "barrier"}));
    for (int replica = 0; replica < kReplicas; ++replica) ASSERT_NO_FATAL_FAILURE(WaitUntilItServesTheBarrier(replica));
  }

  // Bounded wait (liveness) until the replica serves a poll of the barrier topic.
  void WaitUntilItServesTheBarrier(int replica) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (true) {
      absl::StatusOr<std::unique_ptr<server::BlockingClient>> client =
          server::BlockingClient::Connect("127.0.0.1", client_ports_[replica], absl::Seconds(1), absl::Seconds(10));
      if (client.ok() && (*client)->Login("iggy", "iggy").ok()) {
        absl::StatusOr<server::ServerFrame> reply =
            (*client)->Call(PollOf(kStream, Identifier::Named("barrier"), 0, 0, 1));
        if (reply.ok() && reply->decoded.Error() == IggyError::kOk) return;
      }
      ASSERT_LT(absl::Now(), deadline) << "replica " << replica << " never served the barrier topic\n"
                                       << processes_[replica]->output();
      absl::SleepFor(absl::Milliseconds(50));  // polling for the apply, bounded above
    }
  }

  // The segment holding the 30 messages (the barrier topic's is empty).
  std::filesystem::path SegmentLog(int replica) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(replica_data_[replica] + "/streams")) {
      if (entry.path().extension() == ".log" && entry.file_size() > 0) return entry.path();
    }
    ADD_FAILURE() << "no segment log under " << replica_data_[replica];
    return {};
  }

  ProcessOutcome ServerInspect(const std::string& directory) {
    return RunToEnd(absl::StrCat(ServerBinary(), " inspect ", directory));
  }

  std::vector<uint16_t> client_ports_;
  std::vector<std::string> replica_data_, configs_;
  std::vector<std::unique_ptr<ServerProcess>> processes_;
};

TEST_F(ClusterInspectTest, EveryCleanlyStoppedReplicaIsHealthyAndUnchanged) {
  for (int i = 0; i < kReplicas; ++i) {
    const auto before = Snapshot(replica_data_[i]);
    const ProcessOutcome inspected = ServerInspect(replica_data_[i]);
    EXPECT_EQ(inspected.exit_code, 0) << "replica " << i << ":\n" << inspected.output;
    EXPECT_TRUE(absl::StrContains(inspected.output, absl::StrCat("cluster: replica ", i, " of 3\n")))
        << inspected.output;
    EXPECT_TRUE(absl::StrContains(inspected.output, "view state: view ")) << inspected.output;
    // (A backup's commit watermark may lag the topic's creation: its partition
    // directory is then kept for VSR to commit that op again, rule B16.)
    EXPECT_TRUE(absl::StrContains(inspected.output, "\npartitions: ")) << inspected.output;
    EXPECT_TRUE(absl::StrContains(inspected.output, "\nhealthy: ")) << inspected.output;
    EXPECT_FALSE(absl::StrContains(inspected.output, "faulty")) << inspected.output;
    EXPECT_EQ(Snapshot(replica_data_[i]), before) << "inspect must not change the directory";

    const ProcessOutcome simulated =
        RunToEnd(absl::StrCat(RunfilesBinary("sim/sluice_inspect"), " ", replica_data_[i]));
    EXPECT_EQ(simulated.exit_code, 0) << simulated.output;
  }
}

TEST_F(ClusterInspectTest, AFlippedBitInACommittedWalPrepareIsRepairableFromPeers_B7) {
  // The first op above the checkpoint, which the healthy inspect names; it is applied
  // (committed), so a byte of its body flipped is damage, not an uncertain tail.
  const ProcessOutcome healthy = ServerInspect(replica_data_[1]);
  ASSERT_EQ(healthy.exit_code, 0) << healthy.output;
  uint64_t checkpoint = 0, watermark = 0, applied = 0;
  const size_t line = healthy.output.find("\nmetadata: checkpoint op ");
  ASSERT_NE(line, std::string::npos) << healthy.output;
  ASSERT_EQ(std::sscanf(healthy.output.c_str() + line,
                        "\nmetadata: checkpoint op %lu, commit watermark %lu, applied through op %lu", &checkpoint,
                        &watermark, &applied),
            3)
      << healthy.output;
  const uint64_t op = checkpoint + 1;
  ASSERT_LE(op, applied) << healthy.output;
  const uint64_t headers_zone = kWalSlots * 256;  // already 4 KiB-aligned
  ASSERT_NO_FATAL_FAILURE(FlipBit(replica_data_[1] + "/metadata/journal.wal",
                                  headers_zone + (op % kWalSlots) * kWalSlotBytes + 256 + 4));
  const auto before = Snapshot(replica_data_[1]);
  const ProcessOutcome inspected = ServerInspect(replica_data_[1]);
  EXPECT_EQ(inspected.exit_code, 1) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, absl::StrCat("faulty (repairable from peers, rule B7):\n  metadata/journal.wal: op ", op, " in slot ",
                                                   op % kWalSlots)))
      << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "\nrepairable from peers: 1 faulty entry")) << inspected.output;
  EXPECT_EQ(Snapshot(replica_data_[1]), before) << "inspect must not repair; VSR does";
}

TEST_F(ClusterInspectTest, AFlippedBitInASegmentIsRepairableFromPeers_B7) {
  const std::filesystem::path log = SegmentLog(2);
  ASSERT_NO_FATAL_FAILURE(FlipBit(log, 300));  // in the first entry's body
  const std::string relative = std::filesystem::relative(log.parent_path(), replica_data_[2]).string();
  const auto before = Snapshot(replica_data_[2]);
  const ProcessOutcome inspected = ServerInspect(replica_data_[2]);
  EXPECT_EQ(inspected.exit_code, 1) << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, absl::StrCat("faulty (repairable from peers, rule B7):\n  ", relative,
                                                               ": op")))
      << inspected.output;
  EXPECT_TRUE(absl::StrContains(inspected.output, "\nrepairable from peers: ")) << inspected.output;
  EXPECT_EQ(Snapshot(replica_data_[2]), before) << "inspect must not repair; VSR does";
}

}  // namespace
}  // namespace sluice::testing
