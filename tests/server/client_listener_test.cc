// sluice-server's client port end to end, as an Iggy SDK uses it: a separate server
// process on a loopback port, blocking clients speaking PROTOCOL.md's frames.
//   - the session flow and every command family: login as iggy/iggy, streams,
//     topics, partitions, sends (each partitioning kind), polls (each strategy,
//     auto-commit), consumer offsets, stats, the roster, logout;
//   - what a client may do before login (§2.2) and a refused login (§1.6);
//   - SIGTERM then restart: everything acknowledged is still there, byte for byte.
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "core/client_protocol/protocol_version.h"
#include "core/client_protocol/request_encoder.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

using client_protocol::Consumer;
using client_protocol::Partitioning;
using client_protocol::PollingStrategy;

const Identifier kStream = Identifier::Named("orders");
const Identifier kTopic = Identifier::Named("events");

class ClientListenerTest : public ServerFixture {
 protected:
  // Creates stream "orders" and its topic "events" with `partitions` partitions.
  void CreateStreamAndTopic(server::BlockingClient& client, uint32_t partitions) {
    const server::ServerFrame stream = Call(client, client_protocol::CreateStreamRequest{"orders"});
    ASSERT_EQ(stream.decoded.Error(), IggyError::kOk);
    ASSERT_EQ(base::LoadLittleEndian<uint32_t>(stream.decoded.payload, 0), 0u) << "stream id 0";
    const server::ServerFrame topic = Call(
        client, client_protocol::CreateTopicRequest{.stream = kStream,
                                                    .partitions_count = partitions,
                                                    .name = "events"});
    ASSERT_EQ(topic.decoded.Error(), IggyError::kOk);
    ASSERT_EQ(base::LoadLittleEndian<uint32_t>(topic.decoded.payload, 12), partitions);
  }

  // Sends messages first..first+count-1 to `partition`; the acknowledged base offset.
  uint64_t Send(server::BlockingClient& client, uint64_t first, uint32_t count,
                const Partitioning& partitioning, uint32_t* partition_out = nullptr) {
    batches_.push_back(NumberedBatch(first, count));
    const server::ServerFrame reply =
        Call(client, SendOf(kStream, kTopic, partitioning, batches_.back()));
    SLUICE_ASSERT(reply.decoded.Error() == IggyError::kOk, "send refused: ",
                  static_cast<uint32_t>(reply.decoded.Error()));
    SLUICE_ASSERT(reply.decoded.payload.size() == 24, "confirmation of ", reply.decoded.payload.size());
    if (partition_out != nullptr) *partition_out = base::LoadLittleEndian<uint32_t>(reply.decoded.payload, 12);
    return base::LoadLittleEndian<uint64_t>(reply.decoded.payload, 16);
  }

  PolledMessages Poll(server::BlockingClient& client, const client_protocol::PollMessagesRequest& poll) {
    const server::ServerFrame reply = Call(client, poll);
    SLUICE_ASSERT(reply.decoded.Error() == IggyError::kOk, "poll refused: ",
                  static_cast<uint32_t>(reply.decoded.Error()));
    return ParsePoll(reply.decoded.payload);
  }

  std::vector<Bytes> batches_;  // alive while requests view them
};

TEST_F(ClientListenerTest, SessionStreamsTopicsSendPollOffsetsStatsRosterLogout) {
  StartServer();
  auto client = LoggedIn();
  EXPECT_GT(client->session(), 0u);
  CreateStreamAndTopic(*client, 3);

  // Duplicate names are committed rejections (result section).
  EXPECT_EQ(Call(*client, client_protocol::CreateStreamRequest{"orders"}).decoded.Error(),
            IggyError::kStreamNameAlreadyExists);
  const server::ServerFrame streams = Call(*client, client_protocol::GetStreamsRequest{});
  EXPECT_EQ(streams.decoded.Error(), IggyError::kOk);
  EXPECT_EQ(streams.decoded.payload[32], 6) << "one stream header named orders";
  const server::ServerFrame topic =
      Call(*client, client_protocol::GetTopicRequest{kStream, Identifier::Numeric(0)});
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(topic.decoded.payload, 12), 3u);
  EXPECT_EQ(Call(*client, client_protocol::CreatePartitionsRequest{kStream, kTopic, 1}).decoded.Error(),
            IggyError::kOk);
  EXPECT_TRUE(Call(*client, client_protocol::GetStreamRequest{Identifier::Named("none")})
                  .decoded.payload.empty())
      << "a missing stream is an empty payload (§1.8)";

  // Numbered messages to partition 1, in three batches; offsets contiguous from 0.
  EXPECT_EQ(Send(*client, 1, 10, ToPartition(1)), 0u);
  EXPECT_EQ(Send(*client, 11, 5, ToPartition(1)), 10u);
  EXPECT_EQ(Send(*client, 16, 1, ToPartition(1)), 15u);
  Bytes sent_frames;
  for (const Bytes& batch : batches_) {
    const Bytes frames = FramesOf(batch);
    sent_frames.insert(sent_frames.end(), frames.begin(), frames.end());
  }
  const PolledMessages all = Poll(*client, PollOf(kStream, kTopic, 1, 0, 100));
  EXPECT_EQ(all.partition_id, 1u);
  EXPECT_EQ(all.current_offset, 15u);
  ASSERT_EQ(all.messages.size(), 16u);
  Bytes polled_frames;
  for (size_t i = 0; i < all.messages.size(); ++i) {
    EXPECT_EQ(all.messages[i].offset, i);
    EXPECT_EQ(all.messages[i].id, absl::uint128(i + 1));
    EXPECT_EQ(all.messages[i].payload, absl::StrCat("message-", i + 1));
    polled_frames.insert(polled_frames.end(), all.messages[i].frame.begin(), all.messages[i].frame.end());
  }
  EXPECT_EQ(polled_frames, sent_frames) << "messages come back byte-identical";

  // A poll starting inside a batch and ending inside another (sliced records).
  const PolledMessages middle = Poll(*client, PollOf(kStream, kTopic, 1, 8, 4));
  ASSERT_EQ(middle.messages.size(), 4u);
  EXPECT_EQ(middle.messages.front().offset, 8u);
  EXPECT_EQ(middle.messages.back().payload, "message-12");
  EXPECT_TRUE(Poll(*client, PollOf(kStream, kTopic, 1, 16, 10)).messages.empty()) << "past the end";

  // The other strategies.
  auto strategy = [&](PollingStrategy::Kind kind, uint64_t value, uint32_t count) {
    client_protocol::PollMessagesRequest poll = PollOf(kStream, kTopic, 1, 0, count);
    poll.strategy = {kind, value};
    return Poll(*client, poll);
  };
  EXPECT_EQ(strategy(PollingStrategy::Kind::kFirst, 0, 2).messages.back().offset, 1u);
  EXPECT_EQ(strategy(PollingStrategy::Kind::kLast, 0, 3).messages.front().offset, 13u);
  EXPECT_EQ(strategy(PollingStrategy::Kind::kTimestamp, 0, 100).messages.size(), 16u);
  // Next with auto-commit: 0..4, then 5..9 (the stored offset moved to 4, then 9).
  client_protocol::PollMessagesRequest next = PollOf(kStream, kTopic, 1, 0, 5, true, 42);
  next.strategy = {PollingStrategy::Kind::kNext, 0};
  EXPECT_EQ(Poll(*client, next).messages.front().offset, 0u);
  const Consumer consumer42{Consumer::Kind::kConsumer, Identifier::Numeric(42)};
  // The auto-commit is asynchronous: its store is in the partition's queue ahead of
  // the next poll, which a bounded wait on GetConsumerOffset observes.
  server::ServerFrame stored42;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    stored42 = Call(*client, client_protocol::GetConsumerOffsetRequest{consumer42, kStream, kTopic, 1});
    if (!stored42.decoded.payload.empty()) break;
  }
  ASSERT_EQ(stored42.decoded.payload.size(), 20u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(stored42.decoded.payload, 12), 4u);
  EXPECT_EQ(Poll(*client, next).messages.front().offset, 5u);

  // Consumer offsets: store, get, bounds, delete.
  const Consumer consumer{Consumer::Kind::kConsumer, Identifier::Named("reader")};
  EXPECT_EQ(Call(*client, client_protocol::StoreConsumerOffsetRequest{consumer, kStream, kTopic, 1, 7})
                .decoded.Error(),
            IggyError::kOk);
  const server::ServerFrame offset =
      Call(*client, client_protocol::GetConsumerOffsetRequest{consumer, kStream, kTopic, 1});
  ASSERT_EQ(offset.decoded.payload.size(), 20u);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(offset.decoded.payload, 0), 1u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(offset.decoded.payload, 4), 15u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(offset.decoded.payload, 12), 7u);
  EXPECT_EQ(Call(*client, client_protocol::StoreConsumerOffsetRequest{consumer, kStream, kTopic, 1, 16})
                .decoded.status,
            4100u)
      << "past the last committed offset";
  EXPECT_EQ(Call(*client, client_protocol::DeleteConsumerOffsetRequest{consumer, kStream, kTopic, 1})
                .decoded.Error(),
            IggyError::kOk);
  EXPECT_EQ(Call(*client, client_protocol::DeleteConsumerOffsetRequest{consumer, kStream, kTopic, 1})
                .decoded.status,
            3021u);
  EXPECT_TRUE(Call(*client, client_protocol::GetConsumerOffsetRequest{consumer, kStream, kTopic, 1})
                  .decoded.payload.empty());
  // Every partitioning kind: balanced round-robins over the 4 partitions, a key
  // always lands on the same partition.
  std::map<uint32_t, int> balanced;
  for (uint64_t i = 0; i < 4; ++i) {
    uint32_t partition = 99;
    Send(*client, 100 + i, 1, Partitioning{}, &partition);
    ++balanced[partition];
  }
  EXPECT_EQ(balanced.size(), 4u) << "balanced sends visit every partition";
  uint32_t keyed_first = 99, keyed_second = 98;
  const Partitioning keyed{.kind = Partitioning::Kind::kMessagesKey, .key = {'k', 'e', 'y'}};
  Send(*client, 200, 1, keyed, &keyed_first);
  Send(*client, 201, 1, keyed, &keyed_second);
  EXPECT_EQ(keyed_first, keyed_second);

  EXPECT_EQ(Call(*client, PollOf(kStream, Identifier::Named("nope"), 0, 0, 1)).decoded.status, 2010u);

  // Stats: the metadata counts and the messages the logs hold (16 + 4 + 2).
  const server::ServerFrame stats = Call(*client, client_protocol::GetStatsRequest{});
  ASSERT_GE(stats.decoded.payload.size(), 108u);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(stats.decoded.payload, 76), 1u) << "streams";
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(stats.decoded.payload, 80), 1u) << "topics";
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(stats.decoded.payload, 84), 4u) << "partitions";
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(stats.decoded.payload, 92), 22u) << "messages";
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(stats.decoded.payload, 100), 1u) << "clients";

  // The roster: one node, this port, leader, healthy.
  const server::ServerFrame roster = Call(*client, client_protocol::GetClusterMetadataRequest{});
  ByteSpan payload = roster.decoded.payload;
  const uint32_t name_length = base::LoadLittleEndian<uint32_t>(payload, 0);
  ASSERT_EQ(base::LoadLittleEndian<uint32_t>(payload, 4 + name_length), 1u) << "one node";
  size_t at = 8 + name_length;
  at += 4 + base::LoadLittleEndian<uint32_t>(payload, at);  // node name
  const uint32_t ip_length = base::LoadLittleEndian<uint32_t>(payload, at);
  EXPECT_EQ(std::string(payload.begin() + at + 4, payload.begin() + at + 4 + ip_length), "127.0.0.1");
  at += 4 + ip_length;
  EXPECT_EQ(base::LoadLittleEndian<uint16_t>(payload, at), port_);
  EXPECT_EQ(payload[at + 8], 0) << "leader";
  EXPECT_EQ(payload[at + 9], 0) << "healthy";

  // Topic and stream deletion.
  EXPECT_EQ(Call(*client, client_protocol::DeleteTopicRequest{kStream, kTopic}).decoded.Error(), IggyError::kOk);
  EXPECT_EQ(Call(*client, client_protocol::DeleteTopicRequest{kStream, kTopic}).decoded.Error(),
            IggyError::kTopicIdNotFound);
  EXPECT_EQ(Call(*client, client_protocol::DeleteStreamRequest{kStream}).decoded.Error(), IggyError::kOk);
  EXPECT_TRUE(Call(*client, client_protocol::GetStreamsRequest{}).decoded.payload.empty());

  // Logout: the session is gone, reads need a login again.
  ASSERT_TRUE(client->Logout().ok());
  EXPECT_EQ(Call(*client, client_protocol::GetStreamsRequest{}).decoded.status, 40u);
  // A re-login on the same connection (a new client id) works.
  ASSERT_TRUE(client->Login("iggy", "iggy").ok());
  EXPECT_EQ(Call(*client, client_protocol::GetStreamsRequest{}).decoded.Error(), IggyError::kOk);
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

TEST_F(ClientListenerTest, BeforeLoginOnlyPingIsServedAndBadCredentialsAreEvicted) {
  StartServer();
  auto client = Connect();
  // Ping: allowed before login.
  const server::ServerFrame ping = Call(*client, client_protocol::PingRequest{});
  EXPECT_FALSE(ping.decoded.eviction);
  EXPECT_EQ(ping.decoded.status, 0u);
  // Another NonReplicated command: status 40, a reply (§2.2).
  const server::ServerFrame streams = Call(*client, client_protocol::GetStreamsRequest{});
  EXPECT_FALSE(streams.decoded.eviction);
  EXPECT_EQ(streams.decoded.status, 40u);
  EXPECT_EQ(Call(*client, client_protocol::GetClusterMetadataRequest{}).decoded.status, 40u);
  // A replicated op with a session this connection never bound: Eviction(NoSession).
  const Bytes create = client_protocol::EncodeClientFrame(
      {.client = 5, .request = 1, .session = 77}, client_protocol::CreateStreamRequest{"x"});
  ASSERT_TRUE(client->SendBytes(create).ok());
  absl::StatusOr<server::ServerFrame> evicted = client->ReadFrame();
  ASSERT_TRUE(evicted.ok()) << evicted.status();
  EXPECT_TRUE(evicted->decoded.eviction);
  EXPECT_EQ(evicted->decoded.reason, 1) << "NoSession";
  // The socket stays usable: a wrong password is Eviction(InvalidCredentials)...
  EXPECT_FALSE(client->Login("iggy", "wrong").ok());
  const server::ServerFrame ping_again = Call(*client, client_protocol::PingRequest{});
  EXPECT_EQ(ping_again.decoded.status, 0u);
  client_protocol::RegisterRequest bad;
  bad.protocol_version = client_protocol::kServerProtocolVersion;
  bad.credentials = client_protocol::PasswordCredentials{"nobody", "iggy"};
  const server::ServerFrame unknown_user = Call(*client, bad);
  EXPECT_TRUE(unknown_user.decoded.eviction);
  EXPECT_EQ(unknown_user.decoded.reason, 9) << "InvalidCredentials";
  // ... and the right one logs in on the same connection; nothing was created.
  ASSERT_TRUE(client->Login("iggy", "iggy").ok());
  EXPECT_TRUE(Call(*client, client_protocol::GetStreamsRequest{}).decoded.payload.empty());
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

TEST_F(ClientListenerTest, EverythingAcknowledgedSurvivesSigtermAndRestart) {
  StartServer();
  uint64_t acknowledged = 0;
  {
    auto client = LoggedIn();
    CreateStreamAndTopic(*client, 2);
    for (uint64_t batch = 0; batch < 20; ++batch) {
      Send(*client, 1 + batch * 5, 5, ToPartition(static_cast<uint32_t>(batch % 2)));
      acknowledged += 5;
    }
    const Consumer consumer{Consumer::Kind::kConsumer, Identifier::Numeric(3)};
    ASSERT_EQ(Call(*client, client_protocol::StoreConsumerOffsetRequest{consumer, kStream, kTopic, 0, 42})
                  .decoded.Error(),
              IggyError::kOk);
  }
  ASSERT_EQ(StopServer(), 0) << server_->output();
  EXPECT_TRUE(absl::StrContains(server_->output(), "stopped cleanly")) << server_->output();

  StartServer();
  auto client = LoggedIn();
  uint64_t found = 0;
  for (uint32_t partition = 0; partition < 2; ++partition) {
    const PolledMessages polled = Poll(*client, PollOf(kStream, kTopic, partition, 0, 1000));
    ASSERT_EQ(polled.messages.size(), 50u) << "partition " << partition;
    for (size_t i = 0; i < polled.messages.size(); ++i) {
      // Batch b (5 messages, ids 1+5b..) went to partition b % 2.
      const uint64_t batch = 2 * (i / 5) + partition;
      const uint64_t id = 1 + batch * 5 + i % 5;
      EXPECT_EQ(polled.messages[i].offset, i);
      EXPECT_EQ(polled.messages[i].id, absl::uint128(id));
      EXPECT_EQ(polled.messages[i].payload, absl::StrCat("message-", id));
      ++found;
    }
  }
  EXPECT_EQ(found, acknowledged);
  const Consumer consumer{Consumer::Kind::kConsumer, Identifier::Numeric(3)};
  const server::ServerFrame offset =
      Call(*client, client_protocol::GetConsumerOffsetRequest{consumer, kStream, kTopic, 0});
  ASSERT_EQ(offset.decoded.payload.size(), 20u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(offset.decoded.payload, 12), 42u);
  // Writes continue at the next offset.
  EXPECT_EQ(Send(*client, 1000, 1, ToPartition(0)), 50u);
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

TEST_F(ClientListenerTest, PollsRacingTopicDeletionsAreAllAnsweredAndTheServerSurvives) {
  StartServer();
  auto reader = LoggedIn();
  auto admin = LoggedIn();
  ASSERT_EQ(Call(*admin, client_protocol::CreateStreamRequest{"orders"}).decoded.Error(), IggyError::kOk);
  for (int round = 0; round < 10; ++round) {
    ASSERT_EQ(Call(*admin, client_protocol::CreateTopicRequest{.stream = kStream,
                                                               .partitions_count = 1,
                                                               .name = "events"})
                  .decoded.Error(),
              IggyError::kOk);
    for (uint64_t batch = 0; batch < 20; ++batch) Send(*admin, 1 + batch * 50, 50, ToPartition(0));
    // Polls pipelined on one connection, then the topic deleted from another: the
    // polls read the log across I/O while the delete would remove it.
    constexpr int kPolls = 8;
    for (int i = 0; i < kPolls; ++i) {
      const Bytes poll = client_protocol::EncodeClientFrame(
          {.client = reader->client_id(), .request = 1, .session = reader->session()},
          PollOf(kStream, kTopic, 0, static_cast<uint64_t>(i) * 100, 1000));
      ASSERT_TRUE(reader->SendBytes(poll).ok());
    }
    ASSERT_EQ(Call(*admin, client_protocol::DeleteTopicRequest{kStream, kTopic}).decoded.Error(), IggyError::kOk);
    for (int i = 0; i < kPolls; ++i) {
      absl::StatusOr<server::ServerFrame> reply = reader->ReadFrame();
      ASSERT_TRUE(reply.ok()) << reply.status() << "\n" << server_->output();
      // Served before the deletion (every message from its start) or after it (2010).
      if (reply->decoded.status == 0) {
        EXPECT_EQ(ParsePoll(reply->decoded.payload).messages.size(), 1000u - i * 100) << "poll " << i;
      } else {
        EXPECT_EQ(reply->decoded.status, 2010u) << "poll " << i;
      }
    }
    batches_.clear();
  }
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

}  // namespace
}  // namespace sluice::testing
