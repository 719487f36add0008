// Same formats, same code on both backends (issue 8): a data directory the replica
// wrote in the simulator boots on the real io_uring backend, and one it wrote on the
// real backend boots in the simulator (SimStorage loaded from it) — and both boots of
// each directory recover the same metadata state and, per partition, the same last
// op, offsets, consumer offsets and message bytes.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/testing/blocking_storage.h"
#include "core/metadata/state_codec.h"
#include "core/metadata_store/format_metadata.h"
#include "core/partition/entry_body.h"
#include "fuzz/bootstrap_image.h"
#include "sim/disk_image.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/batch_encoder.h"
#include "tests/metadata_store/store_fixture.h"
#include "tests/testing/uring_temp_backend.h"

namespace sluice {
namespace {

namespace image = fuzz::bootstrap_image;
using io::testing::RunTask;

// What a boot recovered, in a form two boots can be compared by.
struct Recovered {
  Bytes metadata_state;  // encoded
  struct Partition {
    uint64_t last_op = 0;
    uint64_t committed_next_offset = 0;
    std::map<partition::ConsumerKey, uint64_t> consumer_offsets;
    std::vector<Bytes> batches;  // every committed batch from offset 0, as polled
  };
  std::map<uint64_t, Partition> partitions;  // by namespace
};

Recovered Boot(io::Loop& loop, io::Storage& storage, const bootstrap::SingleNodeBootOptions& options) {
  absl::StatusOr<bootstrap::BootedSingleNode> booted = RunTask(loop, bootstrap::BootSingleNode(storage, options));
  SLUICE_ASSERT(booted.ok(), booted.status().ToString());
  Recovered recovered;
  recovered.metadata_state = metadata::EncodeState(booted->metadata->state());
  for (auto& [ns, log] : booted->partitions) {
    Recovered::Partition& partition = recovered.partitions[ns];
    partition.last_op = log->last_op();
    partition.committed_next_offset = log->committed_next_offset();
    partition.consumer_offsets = log->consumer_offsets().offsets;
    uint64_t offset = 0;
    while (offset < log->committed_next_offset()) {
      absl::StatusOr<partition::PollResult> polled = RunTask(loop, log->PollByOffset(offset, 1000));
      SLUICE_ASSERT(polled.ok() && polled->message_count > 0, polled.status().ToString());
      for (partition::PolledBatch& batch : polled->batches) partition.batches.push_back(std::move(batch.batch));
      offset += polled->message_count;
    }
    SLUICE_ASSERT(RunTask(loop, log->Drain()).ok());
  }
  SLUICE_ASSERT(RunTask(loop, booted->metadata->Close()).ok());
  return recovered;
}

// Boots a copy of the real directory `directory` in the simulator.
Recovered BootInSimulator(const std::string& directory, const bootstrap::SingleNodeBootOptions& options) {
  image::Machine machine(/*seed=*/5);
  const absl::Status loaded = sim::LoadFromDirectory(directory, machine.storage.file_system());
  SLUICE_ASSERT(loaded.ok(), loaded.ToString());
  return Boot(machine.loop, machine.storage, options);
}

void ExpectSame(const Recovered& real, const Recovered& simulated) {
  EXPECT_EQ(real.metadata_state, simulated.metadata_state) << "metadata states differ";
  ASSERT_EQ(real.partitions.size(), simulated.partitions.size());
  for (const auto& [ns, partition] : real.partitions) {
    ASSERT_TRUE(simulated.partitions.contains(ns)) << ns;
    const Recovered::Partition& other = simulated.partitions.at(ns);
    EXPECT_EQ(partition.last_op, other.last_op) << ns;
    EXPECT_EQ(partition.committed_next_offset, other.committed_next_offset) << ns;
    EXPECT_EQ(partition.consumer_offsets, other.consumer_offsets) << ns;
    EXPECT_TRUE(partition.batches == other.batches) << ns << ": polled bytes differ";
  }
}

TEST(CrossBackendBootTest, ADirectoryTheSimulatorWroteBootsOnIoUringToTheSameState) {
  testing::UringTempBackend uring("sim-written");
  ASSERT_TRUE(image::WriteBase(uring.directory()).ok());
  // The simulator's boot reads the directory before the real one repairs anything.
  const Recovered simulated = BootInSimulator(uring.directory(), image::BootOptions(false));
  const Recovered real = Boot(uring.loop(), uring.storage(), image::BootOptions(false));
  ASSERT_GE(real.partitions.size(), 5u);
  uint64_t messages = 0;
  for (const auto& [ns, partition] : real.partitions) messages += partition.committed_next_offset;
  EXPECT_GT(messages, 300u);
  ExpectSame(real, simulated);
}

TEST(CrossBackendBootTest, ADirectoryIoUringWroteBootsInTheSimulatorToTheSameState) {
  testing::UringTempBackend uring("real-written");
  // The replica's own options, as the one-replica tests use them, on the real disk.
  metadata_store::testing::StoreFixture settings(/*disk_seed=*/1, /*slot_count=*/8);
  ASSERT_TRUE(RunTask(uring.loop(), metadata_store::FormatMetadata(uring.storage(), settings.Format())).ok());
  replica::SingleNodeReplicaOptions options;
  options.boot.metadata = settings.options_;
  options.boot.partitions.single_node = true;
  options.boot.partitions.index_entries_reserved = 64;
  options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
  {
    uint8_t salt = 0;
    absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>> opened = RunTask(
        uring.loop(), replica::SingleNodeReplica::Open(uring.storage(), options,
                                                       [&salt] { return Bytes(metadata::kPasswordSaltBytes, ++salt); }));
    ASSERT_TRUE(opened.ok()) << opened.status();
    replica::SingleNodeReplica& node = **opened;
    auto metadata_op = [&](wire::Operation operation, Bytes body) {
      std::optional<absl::StatusOr<metadata::ApplyResult>> reply;
      ASSERT_TRUE(node.SubmitMetadata({.operation = operation, .body = std::move(body)},
                                      [&](absl::StatusOr<metadata::ApplyResult> r) { reply = r; })
                      .ok());
      ASSERT_TRUE(RunTask(uring.loop(), node.Drain()).ok());
      ASSERT_TRUE(reply.has_value() && reply->ok() && (*reply)->ok());
    };
    metadata_op(wire::Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"orders"}));
    metadata::CreateTopicBody topic{.stream = metadata::Identifier::Numeric(0), .partitions_count = 3,
                                    .name = "events"};
    metadata_op(wire::Operation::kCreateTopic, metadata::Encode(topic));
    const metadata::Topic& created = node.metadata().streams.at(0).topics.at(0);
    uint64_t id = 0;
    for (uint32_t p = 0; p < 3; ++p) {
      const uint64_t ns = *metadata::PackNamespace(node.metadata().config.widths, {0, 0, p});
      for (int batch = 0; batch < 20; ++batch) {
        std::vector<std::string> payloads;
        std::vector<wire::MessageToSend> messages;
        for (int i = 0; i < 5; ++i) payloads.push_back(absl::StrCat("p", p, "-m", id + i, std::string(100 * i, 'x')));
        for (int i = 0; i < 5; ++i) messages.push_back({.id = ++id, .payload = base::AsBytes(payloads[i])});
        ASSERT_TRUE(node.SubmitPartition(ns, created.partitions[p].incarnation, wire::Operation::kSendMessages,
                                         *wire::EncodeBatch(messages), 1'700'000'000'000'000 + id,
                                         [](absl::StatusOr<uint64_t> op) { ASSERT_TRUE(op.ok()); })
                        .ok());
      }
      ASSERT_TRUE(node.SubmitPartition(ns, created.partitions[p].incarnation, wire::Operation::kStoreConsumerOffset,
                                       partition::EncodeStoreOffset({{partition::ConsumerKind::kConsumer, 7}, 40 + p}),
                                       1'800'000'000'000'000, [](absl::StatusOr<uint64_t> op) { ASSERT_TRUE(op.ok()); })
                      .ok());
    }
    ASSERT_TRUE(RunTask(uring.loop(), node.Close()).ok());
  }
  const Recovered simulated = BootInSimulator(uring.directory(), options.boot);
  const Recovered real = Boot(uring.loop(), uring.storage(), options.boot);
  ASSERT_EQ(real.partitions.size(), 3u);
  for (const auto& [ns, partition] : real.partitions) {
    EXPECT_EQ(partition.committed_next_offset, 100u);
    EXPECT_EQ(partition.consumer_offsets.size(), 1u);
  }
  ExpectSame(real, simulated);
}

}  // namespace
}  // namespace sluice
