#pragma once
// A one-replica cluster's replica on the simulator's disk, for tests: format, open,
// crash and reopen, metadata ops and partition writes run to completion.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/batch_encoder.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::replica::testing {

using metadata::Identifier;
using metadata_store::testing::StoreFixture;
using wire::Operation;

class ReplicaTest : public ::testing::Test {
 protected:
  ReplicaTest() { fixture_->FormatDisk(); }

  SingleNodeReplicaOptions Options() const {
    SingleNodeReplicaOptions options;
    options.boot.metadata = fixture_->options_;
    options.boot.partitions.single_node = true;
    options.boot.partitions.index_entries_reserved = 64;
    options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
    return options;
  }

  void Open() {
    absl::StatusOr<std::unique_ptr<SingleNodeReplica>> opened = fixture_->machine_.Run(
        SingleNodeReplica::Open(fixture_->machine_.interrupting_, Options(),
                                [this] { return Bytes(metadata::kPasswordSaltBytes, ++salts_); }));
    ASSERT_TRUE(opened.ok()) << opened.status();
    replica_ = *std::move(opened);
  }

  void CrashAndReopen() {
    ASSERT_TRUE(fixture_->machine_.Run(replica_->Drain()).ok());
    replica_.reset();
    fixture_->machine_.storage_.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
    Open();
  }

  metadata::ApplyResult Metadata(Operation operation, Bytes body) {
    std::optional<absl::StatusOr<metadata::ApplyResult>> reply;
    EXPECT_TRUE(replica_
                    ->SubmitMetadata({.operation = operation, .body = std::move(body)},
                                     [&](absl::StatusOr<metadata::ApplyResult> r) { reply = r; })
                    .ok());
    EXPECT_TRUE(fixture_->machine_.Run(replica_->Drain()).ok());
    SLUICE_ASSERT(reply.has_value() && reply->ok(), "no reply");
    return **reply;
  }

  uint64_t Namespace(uint32_t s, uint32_t t, uint32_t p) const {
    return *metadata::PackNamespace(fixture_->config_.widths, {s, t, p});
  }
  uint64_t Incarnation(uint32_t s, uint32_t t, uint32_t p) const {
    return replica_->metadata().streams.at(s).topics.at(t).partitions.at(p).incarnation;
  }

  absl::StatusOr<uint64_t> Send(uint32_t s, uint32_t t, uint32_t p, absl::string_view payload,
                                uint64_t timestamp_us = 1'700'000'000'000'000) {
    const wire::MessageToSend message{.id = ++message_id_, .payload = base::AsBytes(payload)};
    const absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok());
    std::optional<absl::StatusOr<uint64_t>> reply;
    const absl::Status submitted =
        replica_->SubmitPartition(Namespace(s, t, p), Incarnation(s, t, p), Operation::kSendMessages,
                                  *batch, timestamp_us,
                                  [&](absl::StatusOr<uint64_t> r) { reply = r; });
    if (!submitted.ok()) return submitted;
    SLUICE_ASSERT(fixture_->machine_.Run(replica_->Drain()).ok());
    SLUICE_ASSERT(reply.has_value());
    return *reply;
  }

  uint64_t CommittedMessages(uint32_t s, uint32_t t, uint32_t p) {
    absl::StatusOr<partition::PartitionLog*> log =
        replica_->Partition(Namespace(s, t, p), Incarnation(s, t, p));
    SLUICE_ASSERT(log.ok(), log.status().ToString());
    return (*log)->committed_next_offset();
  }

  // Stream 0 "orders" with topic 0 "events" of `partitions` partitions (settings as
  // CreateTopic's body carries them: 0 = the default).
  void CreateTopic(uint32_t partitions, metadata::TopicSettings settings = metadata::CreateTopicBody{}.settings) {
    ASSERT_TRUE(Metadata(Operation::kCreateStream,
                         metadata::Encode(metadata::CreateStreamBody{"orders"}))
                    .ok());
    metadata::CreateTopicBody topic{.stream = Identifier::Numeric(0), .partitions_count = partitions,
                                    .name = "events"};
    topic.settings = settings;
    ASSERT_TRUE(Metadata(Operation::kCreateTopic, metadata::Encode(topic)).ok());
  }

  // A fresh formatted disk (and no replica), for tests that run several machines.
  void ResetDisk(uint64_t disk_seed) {
    replica_.reset();
    fixture_ = std::make_unique<StoreFixture>(disk_seed, /*slot_count=*/8);
    fixture_->FormatDisk();
  }

  std::unique_ptr<StoreFixture> fixture_ = std::make_unique<StoreFixture>(/*disk_seed=*/31, /*slot_count=*/8);
  std::unique_ptr<SingleNodeReplica> replica_;
  uint8_t salts_ = 0;
  uint64_t message_id_ = 0;
};

}  // namespace sluice::replica::testing
