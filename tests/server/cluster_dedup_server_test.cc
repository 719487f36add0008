// Issue #6, end to end through sluice-server: a SendMessages resent unchanged on the
// same connection — what Iggy's SDKs do after a transient error — is appended once on
// a 3-replica cluster, even with balanced partitioning, where the primary's
// round-robin would route the resend to another partition; its confirmation names
// the first copy. A resend on a new connection carries a new client id and is
// appended again: Iggy's semantics are at-least-once across reconnects (DESIGN.md
// "Clients"). Both through a backup (relayed to the primary) and at the primary.
// The simulator tests (tests/replica/cluster_dedup_test) cover crashes and view
// changes; this one covers the server's planning and relaying.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "gtest/gtest.h"
#include "tests/server/client_fixture.h"
#include "tests/server/process_cluster.h"

namespace sluice::testing {
namespace {

using client_protocol::IggyError;
using client_protocol::Partitioning;

constexpr uint32_t kPartitions = 3;

struct Confirmation {
  uint32_t partition = 0;
  uint64_t base_offset = 0;
  friend bool operator==(const Confirmation&, const Confirmation&) = default;
};

// Sends `batch` balanced over orders/events; the confirmation, or a failure.
// A send refused before it ran (58, e.g. a new topic's groups still joining the view)
// is sent again after a pause, as the SDKs do.
Confirmation SendBalanced(server::BlockingClient& client, const Bytes& batch) {
  absl::StatusOr<server::ServerFrame> reply;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    reply = client.Call(SendOf(Identifier::Named("orders"), Identifier::Named("events"), Partitioning{}, batch));
    if (!reply.ok() || reply->decoded.Error() != IggyError::kTransientNotAccepted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the SDK's retry pause, bounded by the deadline
  } while (absl::Now() < deadline);
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok()) return {};
  EXPECT_EQ(reply->decoded.Error(), IggyError::kOk);
  EXPECT_EQ(reply->decoded.payload.size(), 24u);
  if (reply->decoded.payload.size() != 24) return {};
  return {.partition = base::LoadLittleEndian<uint32_t>(reply->decoded.payload, 12),
          .base_offset = base::LoadLittleEndian<uint64_t>(reply->decoded.payload, 16)};
}

// Every message of every partition as the replica at `port` serves it, by partition;
// nullopt if it cannot be read now.
std::optional<std::map<uint32_t, std::vector<PolledMessage>>> ReadTopic(uint16_t port) {
  std::unique_ptr<server::BlockingClient> client = LoggedInTo(port);
  if (client == nullptr) return std::nullopt;
  std::map<uint32_t, std::vector<PolledMessage>> logs;
  for (uint32_t partition = 0; partition < kPartitions; ++partition) {
    std::vector<PolledMessage>& log = logs[partition];
    while (true) {
      const absl::StatusOr<server::ServerFrame> reply = client->Call(
          PollOf(Identifier::Named("orders"), Identifier::Named("events"), partition, log.size(), 1000));
      if (!reply.ok() || reply->decoded.Error() != IggyError::kOk) return std::nullopt;
      const PolledMessages polled = ParsePoll(reply->decoded.payload);
      if (polled.messages.empty()) break;
      for (const PolledMessage& message : polled.messages) log.push_back(message);
    }
  }
  return logs;
}

size_t MessageCount(const std::map<uint32_t, std::vector<PolledMessage>>& logs) {
  size_t count = 0;
  for (const auto& entry : logs) count += entry.second.size();
  return count;
}

TEST(ClusterDedupServerTest, AResentBalancedSendIsAppendedOnceAndANewConnectionAppendsAgain) {
  const std::string root = FreshTestRoot("cluster_dedup_server_test");
  ServerCluster cluster(root);
  ASSERT_NO_FATAL_FAILURE(cluster.FormatAndStartAll());
  const std::optional<int> leader = AgreedLeader(cluster, {0, 1, 2});
  ASSERT_TRUE(leader.has_value()) << "the replicas' rosters never agreed on one leader\n" << cluster.Logs();
  const int backup = (*leader + 1) % kReplicas;

  std::unique_ptr<server::BlockingClient> via_backup = LoggedInTo(cluster.client_port(backup));
  ASSERT_NE(via_backup, nullptr) << cluster.Logs();
  const absl::StatusOr<server::ServerFrame> stream = via_backup->Call(client_protocol::CreateStreamRequest{"orders"});
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_EQ(stream->decoded.Error(), IggyError::kOk);
  const absl::StatusOr<server::ServerFrame> topic = via_backup->Call(client_protocol::CreateTopicRequest{
      .stream = Identifier::Named("orders"), .partitions_count = kPartitions, .name = "events"});
  ASSERT_TRUE(topic.ok()) << topic.status();
  ASSERT_EQ(topic->decoded.Error(), IggyError::kOk);

  // Through the backup: the first send and its unchanged resend, then a distinct
  // batch, which must move the round-robin on (so the resend's window hit is what
  // kept it on the first copy's partition, not the counter standing still).
  const Bytes batch = NumberedBatch(1, 3);
  const Confirmation first = SendBalanced(*via_backup, batch);
  const Confirmation resent = SendBalanced(*via_backup, batch);
  EXPECT_EQ(resent, first) << "the resend's confirmation must name the first copy";
  const Confirmation other = SendBalanced(*via_backup, NumberedBatch(100, 2));
  EXPECT_FALSE(other == first);

  // At the primary, on a new connection (a new client id): the same bytes are a new
  // write — appended again — and that connection's own resend is not.
  std::unique_ptr<server::BlockingClient> at_leader = LoggedInTo(cluster.client_port(*leader));
  ASSERT_NE(at_leader, nullptr) << cluster.Logs();
  const Confirmation again = SendBalanced(*at_leader, batch);
  EXPECT_FALSE(again == first) << "a new client id's send was taken for a resend";
  EXPECT_EQ(SendBalanced(*at_leader, batch), again);

  // Every replica serves ids 1..3 exactly twice (the first copy and the new client's)
  // and 100..101 once, each copy at its confirmed offsets.
  constexpr size_t kExpected = 3 + 2 + 3;
  for (int replica = 0; replica < kReplicas; ++replica) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::optional<std::map<uint32_t, std::vector<PolledMessage>>> logs;
    while (true) {
      logs = ReadTopic(cluster.client_port(replica));
      if (logs.has_value() && MessageCount(*logs) >= kExpected) break;
      ASSERT_LT(absl::Now(), deadline) << "replica " << replica << " never served " << kExpected << " messages\n"
                                       << cluster.Logs();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling for the apply, bounded above
    }
    EXPECT_EQ(MessageCount(*logs), kExpected) << "replica " << replica;
    std::map<uint64_t, int> copies;  // id -> times served
    for (const auto& entry : *logs) {
      for (const PolledMessage& message : entry.second) ++copies[static_cast<uint64_t>(message.id)];
    }
    for (uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(copies[id], 2) << "id " << id << " on replica " << replica;
    for (uint64_t id = 100; id <= 101; ++id) EXPECT_EQ(copies[id], 1) << "id " << id << " on replica " << replica;
    for (const Confirmation& copy : {first, again}) {
      const std::vector<PolledMessage>& log = (*logs)[copy.partition];
      ASSERT_GE(log.size(), copy.base_offset + 3) << "replica " << replica;
      for (uint64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(log[copy.base_offset + i].offset, copy.base_offset + i);
        EXPECT_EQ(static_cast<uint64_t>(log[copy.base_offset + i].id), 1 + i) << "replica " << replica;
      }
    }
  }
  for (int i = 0; i < kReplicas; ++i) EXPECT_EQ(cluster.Terminate(i), 0) << cluster.Logs();
}

}  // namespace
}  // namespace sluice::testing
