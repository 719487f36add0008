#pragma once
// A test fixture over a simulated cluster of real replicas (sim/replica_cluster):
// metadata requests submitted until a primary accepts them, topics created, messages
// sent and polled back per replica. Test-only.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "gtest/gtest.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::sim::testing {

inline constexpr uint64_t kClusterMaxTicks = 20'000;

struct ClusterTopic {
  uint32_t stream = 0;
  uint32_t topic = 0;
  std::vector<uint64_t> incarnations;  // per partition
};

class ClusterFixture : public ::testing::Test {
 protected:
  // Builds and starts the cluster; call from SetUp after setting options_.
  void StartCluster() {
    cluster_ = std::make_unique<ReplicaCluster>(options_);
    cluster_->Start();
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  }

  // Submits until the request is acknowledged: `submit(reply)` hands it to the cluster
  // (false if refused at once: submitted again next tick), and a request that fails
  // (replaced in a view change) is submitted again, as an SDK retries. The reply, or
  // nullopt with a test failure naming the cluster's state past `max_ticks`.
  template <typename Result>
  std::optional<Result> SubmitUntilAcknowledged(
      const std::function<bool(absl::AnyInvocable<void(absl::StatusOr<Result>)>)>& submit,
      uint64_t max_ticks = kClusterMaxTicks) {
    // Shared with the callback, which may outlive a failed wait.
    auto reply = std::make_shared<std::optional<absl::StatusOr<Result>>>();
    auto pending = std::make_shared<bool>(false);
    const bool done = cluster_->RunUntil(
        [&] {
          if (reply->has_value() && reply->value().ok()) return true;
          if (reply->has_value()) reply->reset();
          if (!*pending) {
            *pending = submit([reply, pending](absl::StatusOr<Result> result) {
              *pending = false;
              *reply = std::move(result);
            });
          }
          return false;
        },
        max_ticks);
    EXPECT_TRUE(done) << cluster_->violation() << "\n" << cluster_->Describe();
    if (!done) return std::nullopt;
    return *std::move(reply->value());
  }

  metadata_store::CommittedResult Metadata(wire::Operation operation, Bytes body) {
    return SubmitUntilAcknowledged<metadata_store::CommittedResult>([&](auto done) {
             return cluster_->SubmitMetadata(operation, body, std::move(done)).ok();
           }).value_or(metadata_store::CommittedResult{});
  }

  // A partition op, submitted until acknowledged. Returns whether it was.
  bool SubmitPartitionUntilAcknowledged(uint64_t ns, uint64_t incarnation, wire::Operation operation,
                                        const Bytes& body, uint64_t max_ticks = kClusterMaxTicks) {
    return SubmitUntilAcknowledged<uint64_t>(
               [&](auto done) { return cluster_->SubmitPartition(ns, incarnation, operation, body, std::move(done)).ok(); },
               max_ticks)
        .has_value();
  }

  ClusterTopic CreateTopic(uint32_t partitions) {
    const metadata_store::CommittedResult stream =
        Metadata(wire::Operation::kCreateStream,
                 metadata::Encode(metadata::CreateStreamBody{absl::StrCat("s", ++names_)}));
    EXPECT_TRUE(stream.result.ok());
    ClusterTopic topic;
    topic.stream = stream.result.payload[0] | (uint32_t{stream.result.payload[1]} << 8);
    const metadata_store::CommittedResult created = Metadata(
        wire::Operation::kCreateTopic,
        metadata::Encode(metadata::CreateTopicBody{.stream = metadata::Identifier::Numeric(topic.stream),
                                                   .partitions_count = partitions,
                                                   .name = "t"}));
    EXPECT_TRUE(created.result.ok());
    topic.topic = created.result.payload[0] | (uint32_t{created.result.payload[1]} << 8);
    for (uint32_t p = 0; p < partitions; ++p) topic.incarnations.push_back(created.op);
    return topic;
  }

  uint64_t Namespace(const ClusterTopic& topic, uint32_t partition) const {
    return *metadata::PackNamespace(metadata::MetadataConfig{}.widths, {topic.stream, topic.topic, partition});
  }

  // A batch holding message `id`.
  static Bytes BatchOf(uint64_t id) {
    const std::string payload = absl::StrCat("message-", id);
    const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    return *std::move(batch);
  }

  // The message ids replica `index` serves from the partition, in offset order.
  std::vector<uint64_t> Poll(uint8_t index, uint64_t ns, uint64_t incarnation) {
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(index)->Partition(ns, incarnation);
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return {};
    std::optional<absl::StatusOr<partition::PollResult>> polled;
    io::Spawn((*log)->PollByOffset(0, 100'000),
              [&](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
    EXPECT_TRUE(cluster_->RunUntil([&] { return polled.has_value(); }, kClusterMaxTicks));
    std::vector<uint64_t> ids;
    if (!polled.has_value() || !polled->ok()) return ids;
    uint64_t offset = 0;
    for (const partition::PolledBatch& stored : (*polled)->batches) {
      const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
      EXPECT_TRUE(batch.ok());
      if (!batch.ok()) continue;
      for (const wire::MessageView message : *batch) {
        EXPECT_EQ(message.offset, offset++) << "offsets are contiguous";
        ids.push_back(absl::Uint128Low64(message.id));
      }
    }
    return ids;
  }

  ReplicaClusterOptions options_;
  std::unique_ptr<ReplicaCluster> cluster_;
  uint32_t names_ = 0;
};

}  // namespace sluice::sim::testing
