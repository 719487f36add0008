// Bounded memory toward a lagging replica (issue #6, DESIGN.md "Bounds"): one replica
// of three is down while the others commit many large partition ops; it comes back
// and catches up by repair. What each replica has queued toward its peers — normal-
// case prepares and every repair answer — is charged to its send pool (the packet
// simulator's per-node base::MemoryPool); with the pool bounded to a budget, the
// high-water mark stays within it on every replica throughout, refused frames are
// lost frames that VSR retries, and the lagging replica converges with every
// acknowledged message. The same run with the pools unbounded shows the workload
// goes past the budget — under load, and while serving the catch-up alone — so the
// bounded assertion is one that can fail.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::sim {
namespace {

constexpr uint64_t kMaxTicks = 200'000;
constexpr uint64_t kBudgetBytes = 512 << 10;  // per replica, all peers together
constexpr uint64_t kPayloadBytes = 24 * 1024;
constexpr uint32_t kPartitions = 8;
constexpr uint64_t kMessages = 480;

class LaggingReplicaMemoryTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void StartCluster() {
    ReplicaClusterOptions options;
    options.seed = GetParam();
    options.replica_count = 3;
    cluster_ = std::make_unique<ReplicaCluster>(options);
    cluster_->Start();
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  }

  // Submits until the primary accepts, then waits for the reply.
  metadata_store::CommittedResult Metadata(wire::Operation operation, const Bytes& body) {
    auto reply = std::make_shared<std::optional<absl::StatusOr<metadata_store::CommittedResult>>>();
    auto pending = std::make_shared<bool>(false);
    const bool done = cluster_->RunUntil(
        [&] {
          if (reply->has_value() && reply->value().ok()) return true;
          if (reply->has_value()) reply->reset();
          if (!*pending) {
            *pending = cluster_
                           ->SubmitMetadata(operation, body,
                                            [reply, pending](absl::StatusOr<metadata_store::CommittedResult> result) {
                                              *pending = false;
                                              *reply = std::move(result);
                                            })
                           .ok();
          }
          return false;
        },
        kMaxTicks);
    EXPECT_TRUE(done) << cluster_->violation() << "\n" << cluster_->Describe();
    return reply->has_value() && reply->value().ok() ? *reply->value() : metadata_store::CommittedResult{};
  }

  void CreateTopic() {
    const metadata_store::CommittedResult stream =
        Metadata(wire::Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"s"}));
    ASSERT_TRUE(stream.result.ok());
    stream_ = stream.result.payload[0] | (uint32_t{stream.result.payload[1]} << 8);
    const metadata_store::CommittedResult created = Metadata(
        wire::Operation::kCreateTopic,
        metadata::Encode(metadata::CreateTopicBody{
            .stream = metadata::Identifier::Numeric(stream_), .partitions_count = kPartitions, .name = "t"}));
    ASSERT_TRUE(created.result.ok());
    topic_ = created.result.payload[0] | (uint32_t{created.result.payload[1]} << 8);
    incarnation_ = created.op;
  }

  uint64_t Namespace(uint32_t partition) const {
    return *metadata::PackNamespace(metadata::MetadataConfig{}.widths, {stream_, topic_, partition});
  }

  // A batch of one message `id` with a large payload: prepares of ~kPayloadBytes.
  static Bytes BatchOf(uint64_t id) {
    std::string payload(kPayloadBytes, static_cast<char>('a' + id % 26));
    absl::StrAppend(&payload, id);
    const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    return *std::move(batch);
  }

  // Records every replica's send-pool high-water mark (and checks the bound) now.
  void Observe() {
    for (uint8_t index = 0; index < 3; ++index) {
      const base::MemoryPool& pool = cluster_->packets().send_pool(index);
      high_water_[index] = std::max(high_water_[index], pool.high_water_bytes());
      if (catching_up_) catch_up_[index] = std::max(catch_up_[index], pool.high_water_bytes());
      ASSERT_LE(pool.used_bytes(), pool.limit_bytes()) << "replica " << int{index};
    }
  }

  // Sends kMessages batches round-robin over the partitions, several in flight, and
  // waits for every reply (acknowledged or not).
  void SendMany() {
    ASSERT_TRUE(cluster_->RunUntil(
        [&] {
          Observe();
          for (int i = 0; i < 32 && next_id_ < kMessages; ++i) {
            const uint64_t id = next_id_ + 1;
            const uint32_t partition = id % kPartitions;
            if (!cluster_
                     ->SubmitPartition(Namespace(partition), incarnation_, wire::Operation::kSendMessages,
                                       BatchOf(id),
                                       [this, id, partition](absl::StatusOr<uint64_t> op) {
                                         ++answered_;
                                         if (op.ok()) acked_[partition].push_back(id);
                                       })
                     .ok()) {
              break;  // no primary now, or a full pipeline: submitted again later
            }
            ++next_id_;
          }
          return next_id_ >= kMessages && answered_ == next_id_;
        },
        kMaxTicks))
        << cluster_->Describe();
  }

  // The message ids replica `index` serves from `partition`, in offset order.
  std::vector<uint64_t> Poll(uint8_t index, uint32_t partition) {
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(index)->Partition(Namespace(partition), incarnation_);
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return {};
    std::optional<absl::StatusOr<partition::PollResult>> polled;
    io::Spawn((*log)->PollByOffset(0, 100'000),
              [&](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
    EXPECT_TRUE(cluster_->RunUntil([&] { return polled.has_value(); }, kMaxTicks));
    std::vector<uint64_t> ids;
    if (!polled.has_value() || !polled->ok()) return ids;
    for (const partition::PolledBatch& stored : (*polled)->batches) {
      const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
      EXPECT_TRUE(batch.ok());
      if (!batch.ok()) continue;
      for (const wire::MessageView message : *batch) ids.push_back(absl::Uint128Low64(message.id));
    }
    return ids;
  }

  // The scenario: a backup down, many large ops, the backup back until converged.
  // Returns the lagging replica's index.
  uint8_t RunLaggingReplica(bool bounded) {
    StartCluster();
    CreateTopic();
    // A slow wire keeps what is sent in flight longer: ~5 ms per frame, the latency of
    // a busy link, so a burst of prepares or repair answers piles up on the paths.
    cluster_->packets().SetLatency(5'000'000, 0);
    if (bounded) {
      for (uint8_t index = 0; index < 3; ++index) cluster_->packets().SetSendBytesMax(index, kBudgetBytes);
    }
    const uint8_t lagging = (*cluster_->Primary() + 1 + GetParam() % 2) % 3;
    cluster_->Crash(lagging);
    SendMany();
    cluster_->Restart(lagging);
    catching_up_ = true;
    for (uint8_t index = 0; index < 3; ++index) cluster_->packets().ResetSendHighWater(index);
    EXPECT_TRUE(cluster_->RunUntil(
        [&] {
          Observe();
          return cluster_->Converged();
        },
        kMaxTicks))
        << cluster_->Describe();
    Observe();
    return lagging;
  }

  std::unique_ptr<ReplicaCluster> cluster_;
  uint32_t stream_ = 0;
  uint32_t topic_ = 0;
  uint64_t incarnation_ = 0;
  uint64_t next_id_ = 0;
  uint64_t answered_ = 0;
  std::vector<uint64_t> acked_[kPartitions];
  uint64_t high_water_[3] = {0, 0, 0};
  // The high-water marks since the lagging replica restarted: its catch-up alone.
  bool catching_up_ = false;
  uint64_t catch_up_[3] = {0, 0, 0};
};

TEST_P(LaggingReplicaMemoryTest, EveryReplicaStaysWithinItsSendBudgetAndTheLaggingOneConverges) {
  const uint8_t lagging = RunLaggingReplica(/*bounded=*/true);
  for (uint8_t index = 0; index < 3; ++index) {
    EXPECT_LE(high_water_[index], kBudgetBytes) << "replica " << int{index};
    std::printf("replica %d: send high-water %llu bytes (catching up: %llu) of a %llu-byte budget, "
                "%llu refusals%s\n",
                int{index}, static_cast<unsigned long long>(high_water_[index]),
                static_cast<unsigned long long>(catch_up_[index]), static_cast<unsigned long long>(kBudgetBytes),
                static_cast<unsigned long long>(cluster_->packets().send_pool(index).refusals()),
                index == lagging ? " (lagging)" : "");
  }
  for (uint32_t partition = 0; partition < kPartitions; ++partition) {
    const std::vector<uint64_t> served = Poll(lagging, partition);
    for (const uint64_t id : acked_[partition]) {
      EXPECT_NE(std::find(served.begin(), served.end(), id), served.end())
          << "acknowledged message " << id << " missing on the lagging replica, partition " << partition;
    }
  }
  EXPECT_EQ(cluster_->violation(), "");
}

// The control: the very workload with unbounded pools goes past the budget, so the
// bound above is what holds the high-water mark down.
TEST_P(LaggingReplicaMemoryTest, WithoutTheBoundTheSameWorkloadExceedsTheBudget) {
  RunLaggingReplica(/*bounded=*/false);
  uint64_t highest = 0;
  uint64_t highest_catching_up = 0;
  for (uint8_t index = 0; index < 3; ++index) {
    highest_catching_up = std::max(highest_catching_up, catch_up_[index]);
    std::printf("replica %d: unbounded send high-water %llu bytes (catching up: %llu)\n", int{index},
                static_cast<unsigned long long>(high_water_[index]),
                static_cast<unsigned long long>(catch_up_[index]));
    highest = std::max(highest, high_water_[index]);
  }
  EXPECT_GT(highest, kBudgetBytes);
  EXPECT_GT(highest_catching_up, kBudgetBytes) << "serving the lagging replica's repair alone exceeds it";
  EXPECT_EQ(cluster_->violation(), "");
}

INSTANTIATE_TEST_SUITE_P(Seeds, LaggingReplicaMemoryTest, ::testing::Range<uint64_t>(1, 4));

}  // namespace
}  // namespace sluice::sim
