#include "core/client_protocol/testing/sample_requests.h"

#include <map>
#include <memory>
#include <string>

#include "core/base/assert.h"
#include "core/wire/batch_encoder.h"

namespace sluice::client_protocol::testing {
namespace {

Identifier N(uint32_t id) { return Identifier::Numeric(id); }
Identifier S(std::string name) { return Identifier::Named(std::move(name)); }

}  // namespace

wire::ValidatedBatch SampleBatch(uint32_t count) {
  // Batches are built once per count and kept for the binary's lifetime, so the
  // ValidatedBatch views stay valid.
  static auto* batches = new std::map<uint32_t, std::unique_ptr<Bytes>>();
  auto& stored = (*batches)[count];
  if (stored == nullptr) {
    static const Bytes payload = {'h', 'e', 'l', 'l', 'o'};
    std::vector<wire::MessageToSend> messages;
    for (uint32_t i = 0; i < count; ++i) {
      messages.push_back({.id = absl::uint128{i} + 1,
                          .origin_timestamp = uint64_t{1'700'000'000'000'000} + i,
                          .payload = payload});
    }
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    stored = std::make_unique<Bytes>(*std::move(batch));
  }
  absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(*stored);
  SLUICE_ASSERT(validated.ok(), validated.status().ToString());
  return *validated;
}

std::vector<Command> SampleCommands() {
  const Consumer single{Consumer::Kind::kConsumer, N(0)};
  const Consumer named{Consumer::Kind::kConsumer, S("reader")};
  const Consumer group{Consumer::Kind::kGroup, S("g")};
  TopicOptions all_options{.compression_algorithm = 2,
                           .message_expiry_us = 60'000'000,
                           .max_topic_size_bytes = uint64_t{10} << 30,
                           .segment_size_bytes = uint64_t{16} << 20,
                           .enforce_fsync = true,
                           .messages_required_to_save = 10,
                           .size_of_messages_required_to_save = 4096,
                           .preallocate_segments = false};
  return {
      PingRequest{},
      GetStatsRequest{},
      GetClusterMetadataRequest{},
      RegisterRequest{.protocol_version = 0x2C00,
                      .sdk_name = "node-sdk",
                      .sdk_version = "0.10.0-edge.4",
                      .credentials = PasswordCredentials{"iggy", "iggy"}},
      RegisterRequest{.protocol_version = 0x2C00,
                      .sdk_name = "",
                      .sdk_version = "",
                      .credentials = PasswordCredentials{"u", ""},
                      .context = {1, 2, 3}},
      RegisterRequest{.protocol_version = 0x2C00,
                      .sdk_name = "cli",
                      .sdk_version = "1",
                      .credentials = TokenCredentials{"secret-token"}},
      LogoutRequest{},
      CreateStreamRequest{"orders"},
      GetStreamRequest{N(3)},
      GetStreamRequest{S("orders")},
      GetStreamsRequest{},
      UpdateStreamRequest{N(0), "renamed"},
      DeleteStreamRequest{S("orders")},
      PurgeStreamRequest{N(1)},
      CreateTopicRequest{N(0), 3, "events", {}},
      CreateTopicRequest{S("orders"), 0, "empty", all_options},
      GetTopicRequest{N(0), S("events")},
      GetTopicsRequest{S("orders")},
      UpdateTopicRequest{N(0), N(1), "t2", {.compression_algorithm = 1, .message_expiry_us = 5}},
      DeleteTopicRequest{N(0), N(1)},
      PurgeTopicRequest{S("a"), S("b")},
      CreatePartitionsRequest{N(0), N(0), 1},
      DeletePartitionsRequest{N(0), S("t"), 1000},
      SendMessagesRequest{S("s"), N(0), {.kind = Partitioning::Kind::kBalanced}, SampleBatch(3)},
      SendMessagesRequest{N(1),
                          N(2),
                          {.kind = Partitioning::Kind::kPartitionId, .partition_id = 7},
                          SampleBatch(1)},
      SendMessagesRequest{N(1),
                          S("t"),
                          {.kind = Partitioning::Kind::kMessagesKey, .key = {1, 2, 3, 4}},
                          SampleBatch(2)},
      PollMessagesRequest{single, N(0), N(0), 0, {PollingStrategy::Kind::kOffset, 10}, 100, false},
      PollMessagesRequest{named,
                          S("s"),
                          S("t"),
                          std::nullopt,
                          {PollingStrategy::Kind::kTimestamp, 1'700'000'000'000'000},
                          1,
                          true},
      PollMessagesRequest{group, N(0), N(0), 2, {PollingStrategy::Kind::kFirst, 0}, 10, true},
      PollMessagesRequest{single, N(0), N(0), 0, {PollingStrategy::Kind::kLast, 0}, 10, false},
      PollMessagesRequest{group, N(0), N(0), 1, {PollingStrategy::Kind::kNext, 0}, 10, true},
      GetConsumerOffsetRequest{single, N(0), N(0), 0},
      GetConsumerOffsetRequest{group, S("s"), S("t"), std::nullopt},
      StoreConsumerOffsetRequest{single, N(0), N(0), 0, 41, OffsetAck::kQuorum},
      StoreConsumerOffsetRequest{named, N(0), N(0), 3, 0, OffsetAck::kNoAck},
      DeleteConsumerOffsetRequest{group, N(0), N(0), 1, OffsetAck::kQuorum},
      CreateConsumerGroupRequest{N(0), N(0), "g"},
      GetConsumerGroupRequest{{N(0), N(0), S("g")}},
      GetConsumerGroupsRequest{S("s"), S("t")},
      DeleteConsumerGroupRequest{{N(0), N(0), N(0)}},
      JoinConsumerGroupRequest{{N(0), N(0), S("g")}},
      LeaveConsumerGroupRequest{{N(0), N(0), N(3)}},
      SyncConsumerGroupRequest{{S("s"), S("t"), S("g")}},
  };
}

}  // namespace sluice::client_protocol::testing
