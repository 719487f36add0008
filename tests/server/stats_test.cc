// GetStats from the counters (rule B14, server/server_counters.h): after N messages
// sent in batches across partitions, the stats count exactly N messages, one
// segment per partition, the streams, topics, partitions, groups and connections
// there are; polls change nothing; a purge and a delete bring the figures back down.
// The process figures come from /proc (memory, threads: the login hasher's worker
// is one).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

const Identifier kStream = Identifier::Named("orders");
const Identifier kTopic = Identifier::Named("events");

// The Stats payload (PROTOCOL.md §5.1), the fields this test reads.
struct Stats {
  float cpu_usage = 0;
  uint64_t memory_usage = 0;
  uint64_t messages_size_bytes = 0;
  uint32_t streams = 0, topics = 0, partitions = 0, segments = 0;
  uint64_t messages = 0;
  uint32_t clients = 0, consumer_groups = 0;
  uint32_t threads = 0;
};

Stats ParseStats(ByteSpan payload) {
  Stats stats;
  SLUICE_ASSERT(payload.size() >= 108, "a stats payload of ", payload.size(), " bytes");
  uint32_t cpu_bits = base::LoadLittleEndian<uint32_t>(payload, 4);
  std::memcpy(&stats.cpu_usage, &cpu_bits, sizeof(float));
  stats.memory_usage = base::LoadLittleEndian<uint64_t>(payload, 12);
  stats.messages_size_bytes = base::LoadLittleEndian<uint64_t>(payload, 68);
  stats.streams = base::LoadLittleEndian<uint32_t>(payload, 76);
  stats.topics = base::LoadLittleEndian<uint32_t>(payload, 80);
  stats.partitions = base::LoadLittleEndian<uint32_t>(payload, 84);
  stats.segments = base::LoadLittleEndian<uint32_t>(payload, 88);
  stats.messages = base::LoadLittleEndian<uint64_t>(payload, 92);
  stats.clients = base::LoadLittleEndian<uint32_t>(payload, 100);
  stats.consumer_groups = base::LoadLittleEndian<uint32_t>(payload, 104);
  size_t at = 108;
  for (int text = 0; text < 5; ++text) at += 4 + base::LoadLittleEndian<uint32_t>(payload, at);
  at += 4;                                                             // semver
  at += 4 + 32 * size_t{base::LoadLittleEndian<uint32_t>(payload, at)};  // cache metrics
  stats.threads = base::LoadLittleEndian<uint32_t>(payload, at);
  return stats;
}

class StatsTest : public ServerFixture {
 protected:
  Stats GetStats(server::BlockingClient& client) {
    const server::ServerFrame reply = Call(client, client_protocol::GetStatsRequest{});
    SLUICE_ASSERT(reply.decoded.Error() == IggyError::kOk, "GetStats refused");
    return ParseStats(reply.decoded.payload);
  }
};

TEST_F(StatsTest, CountsWhatWasSentAndWhatExists_B14) {
  StartServer();
  auto client = LoggedIn();
  ASSERT_EQ(Call(*client, client_protocol::CreateStreamRequest{"orders"}).decoded.Error(), IggyError::kOk);
  ASSERT_EQ(Call(*client, client_protocol::CreateTopicRequest{
                              .stream = kStream, .partitions_count = 3, .name = "events"})
                .decoded.Error(),
            IggyError::kOk);
  const Stats empty = GetStats(*client);
  EXPECT_EQ(empty.streams, 1u);
  EXPECT_EQ(empty.topics, 1u);
  EXPECT_EQ(empty.partitions, 3u);
  EXPECT_EQ(empty.segments, 3u) << "one (empty) segment per partition";
  EXPECT_EQ(empty.messages, 0u);
  EXPECT_EQ(empty.messages_size_bytes, 0u);

  // N messages in batches of different sizes, across the partitions.
  const std::vector<uint32_t> batch_sizes = {1, 10, 7, 64, 3, 15, 100, 2};
  uint64_t sent = 0;
  uint64_t sent_bytes = 0;
  for (size_t i = 0; i < batch_sizes.size(); ++i) {
    const Bytes batch = NumberedBatch(sent + 1, batch_sizes[i]);
    ASSERT_EQ(Call(*client, SendOf(kStream, kTopic, ToPartition(static_cast<uint32_t>(i % 3)), batch))
                  .decoded.Error(),
              IggyError::kOk);
    sent += batch_sizes[i];
    sent_bytes += batch.size() - 256;  // the message frames; the stored entry adds headers
  }
  const Stats after_sends = GetStats(*client);
  EXPECT_EQ(after_sends.messages, sent);
  EXPECT_EQ(after_sends.segments, 3u);
  EXPECT_EQ(after_sends.partitions, 3u);
  EXPECT_GE(after_sends.messages_size_bytes, sent_bytes);
  EXPECT_EQ(after_sends.clients, 1u);
  EXPECT_EQ(after_sends.consumer_groups, 0u);
  EXPECT_GT(after_sends.memory_usage, 0u);
  EXPECT_GE(after_sends.threads, 2u) << "the loop and the login hasher's worker";
  EXPECT_TRUE(std::isfinite(after_sends.cpu_usage) && after_sends.cpu_usage >= 0);

  // Polls read; they count nothing. A second connection and a group are counted.
  ASSERT_EQ(Call(*client, PollOf(kStream, kTopic, 0, 0, 1000)).decoded.Error(), IggyError::kOk);
  auto second = LoggedIn();
  ASSERT_EQ(Call(*client, client_protocol::CreateConsumerGroupRequest{kStream, kTopic, "workers"})
                .decoded.Error(),
            IggyError::kOk);
  const Stats more = GetStats(*second);
  EXPECT_EQ(more.messages, sent);
  EXPECT_EQ(more.clients, 2u);
  EXPECT_EQ(more.consumer_groups, 1u);
  second.reset();

  // A purge empties the partitions; a delete removes them.
  ASSERT_EQ(Call(*client, client_protocol::PurgeTopicRequest{kStream, kTopic}).decoded.Error(),
            IggyError::kOk);
  const Stats purged = GetStats(*client);
  EXPECT_EQ(purged.messages, 0u);
  EXPECT_EQ(purged.partitions, 3u);
  ASSERT_EQ(Call(*client, client_protocol::DeleteStreamRequest{kStream}).decoded.Error(), IggyError::kOk);
  const Stats deleted = GetStats(*client);
  EXPECT_EQ(deleted.streams, 0u);
  EXPECT_EQ(deleted.topics, 0u);
  EXPECT_EQ(deleted.partitions, 0u);
  EXPECT_EQ(deleted.segments, 0u);
  EXPECT_EQ(deleted.messages, 0u);
  EXPECT_EQ(deleted.messages_size_bytes, 0u);
  EXPECT_EQ(deleted.consumer_groups, 0u);

  client.reset();
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

TEST_F(StatsTest, ARestartCountsWhatTheLogsHold) {
  StartServer();
  {
    auto client = LoggedIn();
    ASSERT_EQ(Call(*client, client_protocol::CreateStreamRequest{"orders"}).decoded.Error(), IggyError::kOk);
    ASSERT_EQ(Call(*client, client_protocol::CreateTopicRequest{
                                .stream = kStream, .partitions_count = 2, .name = "events"})
                  .decoded.Error(),
              IggyError::kOk);
    for (uint32_t p = 0; p < 2; ++p) {
      const Bytes batch = NumberedBatch(100 * p + 1, 25);
      ASSERT_EQ(Call(*client, SendOf(kStream, kTopic, ToPartition(p), batch)).decoded.Error(), IggyError::kOk);
    }
  }
  ASSERT_EQ(StopServer(), 0) << server_->output();
  StartServer();
  auto client = LoggedIn();
  const Stats stats = GetStats(*client);
  EXPECT_EQ(stats.messages, 50u);
  EXPECT_EQ(stats.partitions, 2u);
  EXPECT_EQ(stats.segments, 2u);
  EXPECT_EQ(stats.streams, 1u);
}

}  // namespace
}  // namespace sluice::testing
