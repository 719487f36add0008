// Reply payload layouts of PROTOCOL.md §5 and §6, checked byte by byte against the
// offsets the spec's tables give.
#include <gtest/gtest.h>

#include "core/base/checksum.h"
#include "core/client_protocol/message_payloads.h"
#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/system_payloads.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using base::LoadLittleEndian;
using metadata::PartitionKey;

metadata::Topic SampleTopic() {
  metadata::Topic topic{.name = "events",
                        .created_at_us = 1000,
                        .settings = {.compression_algorithm = 2,
                                     .message_expiry_us = metadata::kNever,
                                     .max_topic_size_bytes = 5 << 20,
                                     .segment_size_bytes = 1 << 20}};
  topic.partitions = {{.incarnation = 7, .created_at_us = 1001},
                      {.incarnation = 7, .created_at_us = 1002}};
  return topic;
}

PartitionStats Stats(const PartitionKey& key, const metadata::Partition&) {
  return {.segments_count = 2,
          .current_offset = 10 + key.partition,
          .size_bytes = 100 + key.partition,
          .messages_count = 11 + key.partition};
}

TEST(PayloadsTest, TopicDetailsFollowTheTopicHeaderAndPartitionTables) {
  const Bytes bytes = EncodeTopicDetails(3, 4, SampleTopic(), Stats);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 0), 4u);           // id
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 4), 1000u);        // created_at
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 12), 2u);          // partitions_count
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 16), UINT64_MAX);  // message_expiry
  EXPECT_EQ(bytes[24], 2);                                       // compression
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 25), uint64_t{5} << 20);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 33), 201u);  // size_bytes: 100 + 101
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 41), 23u);   // messages_count: 11 + 12
  EXPECT_EQ(bytes[49], 6);
  EXPECT_EQ(std::string(bytes.begin() + 50, bytes.begin() + 56), "events");
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 56), 0u);  // explicit options: none
  const uint32_t derived = LoadLittleEndian<uint32_t>(bytes, 60);
  // TLV pairs of 5-byte prefixes: compression_algorithm (21) "gzip" (4), then
  // message_expiry (14), max_topic_size (14) and segment_size (12) with u64 values.
  EXPECT_EQ(derived, (10 + 21 + 4) + (10 + 14 + 8) + (10 + 14 + 8) + (10 + 12 + 8));
  size_t at = 64 + derived;
  ASSERT_EQ(bytes.size(), at + 2 * 40);
  for (uint32_t id = 0; id < 2; ++id, at += 40) {
    EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, at), id);
    EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, at + 4), 1001u + id);
    EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, at + 12), 2u);
    EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, at + 16), 10u + id);
    EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, at + 24), 100u + id);
    EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, at + 32), 11u + id);
  }
}

TEST(PayloadsTest, TopicDerivedOptionsParseAsTheStoredSettings) {
  const Bytes bytes = EncodeTopicDetails(0, 0, SampleTopic());
  const uint32_t derived = LoadLittleEndian<uint32_t>(bytes, 60);
  const absl::StatusOr<TopicOptions> options =
      DecodeOptions(ByteSpan(bytes).subspan(64, derived), OptionsCatalog::kTopicCreate);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->compression_algorithm, 2);
  EXPECT_EQ(options->message_expiry_us, metadata::kNever);
  EXPECT_EQ(options->max_topic_size_bytes, uint64_t{5} << 20);
  EXPECT_EQ(options->segment_size_bytes, uint64_t{1} << 20);
}

TEST(PayloadsTest, StreamDetailsAreTheHeaderThenItsTopicHeaders) {
  metadata::Stream stream{.name = "s", .created_at_us = 77};
  stream.topics[4] = SampleTopic();
  const Bytes bytes = EncodeStreamDetails(9, stream, Stats);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 0), 9u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 4), 77u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 12), 1u);    // topics_count
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 16), 201u);  // size_bytes
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 24), 23u);   // messages_count
  EXPECT_EQ(bytes[32], 1);
  EXPECT_EQ(bytes[33], 's');
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 34), 0u);  // options
  const Bytes topic_header = EncodeTopicHeaders(9, stream, Stats);
  // GetTopics = [count] + headers; StreamDetails = stream header (38 bytes) + headers.
  EXPECT_EQ(Bytes(bytes.begin() + 38, bytes.end()),
            Bytes(topic_header.begin() + 4, topic_header.end()));
  EXPECT_EQ(LoadLittleEndian<uint32_t>(topic_header, 0), 1u);
}

TEST(PayloadsTest, StreamHeadersListEveryStreamWithoutACount) {
  metadata::MetadataState state;
  EXPECT_TRUE(EncodeStreamHeaders(state).empty());
  state.streams[0] = {.name = "a"};
  state.streams[2] = {.name = "bc"};
  const Bytes bytes = EncodeStreamHeaders(state);
  ASSERT_EQ(bytes.size(), (33 + 1 + 4) + (33 + 2 + 4));
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 38), 2u);
}

TEST(PayloadsTest, GroupDetailsListMembersAndTheirPartitions) {
  metadata::ConsumerGroup group{.name = "g", .generation = 3};
  group.members[5] = {0, 2};
  group.members[(uint64_t{1} << 32) + 6] = {1};
  const Bytes bytes = EncodeGroupDetails(7, group, 3);
  EXPECT_EQ(ToHex(bytes), ToHex(Concat({U32Le(7),
                                        U32Le(3),
                                        U32Le(2),
                                        {1},
                                        Text("g"),
                                        U32Le(5),
                                        U32Le(2),
                                        U32Le(0),
                                        U32Le(2),
                                        U32Le(6),
                                        U32Le(1),
                                        U32Le(1)})));
  metadata::Topic topic = SampleTopic();
  topic.groups[7] = group;
  EXPECT_EQ(ToHex(EncodeGroupHeaders(topic)),
            ToHex(Concat({U32Le(7), U32Le(2), U32Le(2), {1}, Text("g")})));
  EXPECT_EQ(ToHex(EncodeAssignment(3, {0, 2})),
            ToHex(Concat({U64Le(3), U32Le(2), U32Le(0), U32Le(2)})));
}

TEST(PayloadsTest, ClusterMetadataListsNodesWithPortsRoleAndStatus) {
  const ClusterMetadata cluster{
      .name = "c",
      .nodes = {
          {"n0", "127.0.0.1", 8090, 8080, 3000, 8092, NodeRole::kLeader, NodeStatus::kHealthy},
          {"n1", "10.0.0.2", 8091, 0, 0, 0, NodeRole::kFollower, NodeStatus::kStarting}}};
  EXPECT_EQ(
      ToHex(EncodeClusterMetadata(cluster)),
      ToHex(Concat({U32Le(1), Text("c"), U32Le(2), U32Le(2), Text("n0"), U32Le(9),
                    Text("127.0.0.1"), FromHex("9a1f 901f b80b 9c1f 00 00"), U32Le(2), Text("n1"),
                    U32Le(8), Text("10.0.0.2"), FromHex("9b1f 0000 0000 0000 01 01")})));
}

TEST(PayloadsTest, StatsFixedFieldsSitAtTheTablesOffsets) {
  ServerStats stats{.process_id = 1,
                    .cpu_usage = 0.5f,
                    .total_cpu_usage = 1.5f,
                    .memory_usage = 2,
                    .total_memory = 3,
                    .available_memory = 4,
                    .run_time_us = 5,
                    .start_time_us = 6,
                    .read_bytes = 7,
                    .written_bytes = 8,
                    .messages_size_bytes = 9,
                    .streams_count = 10,
                    .topics_count = 11,
                    .partitions_count = 12,
                    .segments_count = 13,
                    .messages_count = 14,
                    .clients_count = 15,
                    .consumer_groups_count = 16,
                    .hostname = "h",
                    .os_name = "linux",
                    .os_version = "12",
                    .kernel_version = "6.1",
                    .server_version = "v",
                    .server_semver = 17,
                    .threads_count = 18,
                    .free_disk_space = 19,
                    .total_disk_space = 20};
  const Bytes bytes = EncodeStats(stats);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 0), 1u);
  EXPECT_EQ(LoadLittleEndian<float>(bytes, 4), 0.5f);
  EXPECT_EQ(LoadLittleEndian<float>(bytes, 8), 1.5f);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 12), 2u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 36), 5u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 68), 9u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 76), 10u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 88), 13u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(bytes, 92), 14u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 100), 15u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(bytes, 104), 16u);
  EXPECT_EQ(ToHex(ByteSpan(bytes).subspan(108)),
            ToHex(Concat({U32Le(1), Text("h"), U32Le(5), Text("linux"), U32Le(2), Text("12"),
                          U32Le(3), Text("6.1"), U32Le(1), Text("v"), U32Le(17), U32Le(0),
                          U32Le(18), U64Le(19), U64Le(20)})));
}

TEST(PayloadsTest, MetadataCountsComeFromTheState) {
  metadata::MetadataState state;
  state.streams[0].topics[0] = SampleTopic();
  state.streams[0].topics[0].groups[0] = {.name = "g"};
  state.streams[1].topics[3] = SampleTopic();
  state.clients[5] = {};
  ServerStats stats;
  FillMetadataCounts(state, stats);
  EXPECT_EQ(stats.streams_count, 2u);
  EXPECT_EQ(stats.topics_count, 2u);
  EXPECT_EQ(stats.partitions_count, 4u);
  EXPECT_EQ(stats.consumer_groups_count, 1u);
  EXPECT_EQ(stats.clients_count, 1u);
}

TEST(PayloadsTest, SendConfirmationIsOneTwentyByteEntry) {
  EXPECT_EQ(ToHex(EncodeSendConfirmation({1, 2, 3}, 40)),
            ToHex(Concat({U32Le(1), U32Le(1), U32Le(2), U32Le(3), U64Le(40)})));
}

TEST(PayloadsTest, ConsumerOffsetIsPartitionCurrentStored) {
  EXPECT_EQ(ToHex(EncodeConsumerOffset(2, 9, 5)), ToHex(Concat({U32Le(2), U64Le(9), U64Le(5)})));
}

TEST(PayloadsTest, PollHeadIsSixteenBytes) {
  EXPECT_EQ(ToHex(EncodePollHead(kResyncPartitionSentinel, 0)),
            ToHex(Concat({U32Le(0xFFFFFFFF), U64Le(0), U32Le(0)})));
}

// A stored (stamped) batch of `count` messages.
Bytes StoredBatch(uint32_t count, uint64_t base_offset) {
  const ByteSpan produced = SampleBatch(count).bytes();
  Bytes batch(produced.begin(), produced.end());
  const absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(batch);
  SLUICE_ASSERT(validated.ok(), validated.status().ToString());
  wire::StampBatch(*validated, batch,
                   {.partition_id = 1, .base_offset = base_offset, .base_timestamp = 5});
  return batch;
}

TEST(PayloadsTest, PollReplyCarriesWholeStoredBatchesAsStored) {
  const Bytes first = StoredBatch(2, 0);
  const Bytes second = StoredBatch(3, 2);
  partition::PollResult result;
  result.batches = {{first, 0, 2}, {second, 0, 3}};
  result.message_count = 5;
  result.committed_offset = 4;
  const absl::StatusOr<Bytes> reply = EncodePollReply(1, result);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(ToHex(*reply), ToHex(Concat({U32Le(1), U64Le(4), U32Le(5), first, second})));
}

TEST(PayloadsTest, PollReplyOfNothingIsTheHeadWithCurrentOffset) {
  partition::PollResult result;
  result.committed_offset = 9;
  const absl::StatusOr<Bytes> reply = EncodePollReply(3, result);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(ToHex(*reply), ToHex(EncodePollHead(3, 9)));
  EXPECT_EQ(ToHex(*EncodePollReply(3, partition::PollResult{})), ToHex(EncodePollHead(3, 0)));
}

// Independent oracle for a record's checksum (PROTOCOL.md §6.4).
uint64_t OracleChecksum(ByteSpan record) {
  Bytes covered(record.begin(), record.begin() + 40);
  covered.insert(covered.end(), record.begin() + 48, record.begin() + 52);
  const uint32_t count = LoadLittleEndian<uint32_t>(record, 48);
  size_t at = 256;
  for (uint32_t i = 0; i < count; ++i) {
    covered.insert(covered.end(), record.begin() + at, record.begin() + at + 8);
    at += 48 + LoadLittleEndian<uint32_t>(record, at + 36) +
          LoadLittleEndian<uint32_t>(record, at + 32);
  }
  EXPECT_EQ(at, record.size());
  return base::Checksum64(covered);
}

TEST(PayloadsTest, PollReplySliceRewritesCountLengthAndChecksum) {
  const Bytes stored = StoredBatch(4, 10);
  partition::PollResult result;
  result.batches = {{stored, 1, 2}};  // offsets 11 and 12
  result.committed_offset = 13;
  const absl::StatusOr<Bytes> reply = EncodePollReply(1, result);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(LoadLittleEndian<uint32_t>(*reply, 12), 2u);
  const ByteSpan record = ByteSpan(*reply).subspan(kPollHeadBytes);
  const size_t frame_size = (stored.size() - 256) / 4;
  ASSERT_EQ(record.size(), 256 + 2 * frame_size);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(record, 32), record.size());  // batch_length
  EXPECT_EQ(LoadLittleEndian<uint32_t>(record, 48), 2u);             // message_count
  EXPECT_EQ(LoadLittleEndian<uint64_t>(record, 8), 10u);             // base_offset kept
  EXPECT_EQ(LoadLittleEndian<uint32_t>(record, 256 + 24), 1u);       // offset_delta kept
  EXPECT_EQ(LoadLittleEndian<uint64_t>(record, 40), OracleChecksum(record));
  EXPECT_EQ(Bytes(record.begin() + 256, record.end()),
            Bytes(stored.begin() + 256 + frame_size, stored.begin() + 256 + 3 * frame_size));
}

TEST(PayloadsTest, PollReplyPrefixSliceIsAValidBatch) {
  const Bytes stored = StoredBatch(3, 0);
  partition::PollResult result;
  result.batches = {{stored, 0, 2}};
  const absl::StatusOr<Bytes> reply = EncodePollReply(1, result);
  ASSERT_TRUE(reply.ok()) << reply.status();
  const absl::StatusOr<wire::ValidatedBatch> batch =
      wire::DecodeBatch(ByteSpan(*reply).subspan(kPollHeadBytes));
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->message_count(), 2u);
}

TEST(PayloadsTest, PollReplyOfAnInconsistentStoredBatchIsDataLoss) {
  const Bytes stored = StoredBatch(2, 0);
  partition::PollResult result;
  result.batches = {{stored, 1, 2}};  // past its end
  EXPECT_EQ(EncodePollReply(1, result).status().code(), absl::StatusCode::kDataLoss);
  result.batches = {{Bytes(stored.begin(), stored.end() - 1), 0, 2}};
  EXPECT_EQ(EncodePollReply(1, result).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sluice::client_protocol
