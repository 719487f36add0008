// Issue #6, end to end through sluice-server: a consumer-group member that stops
// heartbeating is removed by the primary's replicated expiry and its partitions go
// to the member that keeps heartbeating — whose pings and syncs reach only a backup,
// which answers them itself and reports the activity to the primary (the listener's
// NoteClientActivity, the backups' session_activity reports). Without those, the
// heartbeating member would be expired too. The simulator test
// (tests/replica/cluster_session_expiry_test) covers faults and view changes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "gtest/gtest.h"
#include "tests/server/client_fixture.h"
#include "tests/server/process_cluster.h"

namespace sluice::testing {
namespace {

using client_protocol::IggyError;

constexpr uint32_t kPartitions = 2;
constexpr int kMemberDeadMs = 3000;
const Identifier kStream = Identifier::Named("s");
const Identifier kTopic = Identifier::Named("t");
const Identifier kGroup = Identifier::Named("g");
const client_protocol::GroupRequestBody kBody{kStream, kTopic, kGroup};

// The partitions SyncConsumerGroup assigns to `client`'s session (served by the
// replica the client is connected to); nullopt if it cannot answer.
std::optional<std::set<uint32_t>> Assignment(server::BlockingClient& client) {
  const absl::StatusOr<server::ServerFrame> reply = client.Call(client_protocol::SyncConsumerGroupRequest{kBody});
  if (!reply.ok() || reply->decoded.Error() != IggyError::kOk) return std::nullopt;
  std::set<uint32_t> partitions;
  if (reply->decoded.payload.empty()) return partitions;  // not a member
  const uint32_t count = base::LoadLittleEndian<uint32_t>(reply->decoded.payload, 8);
  for (uint32_t i = 0; i < count; ++i) {
    partitions.insert(base::LoadLittleEndian<uint32_t>(reply->decoded.payload, 12 + 4 * i));
  }
  return partitions;
}

// The group's member count as `client`'s replica serves it; nullopt if it cannot.
std::optional<uint32_t> MemberCount(server::BlockingClient& client) {
  const absl::StatusOr<server::ServerFrame> reply = client.Call(client_protocol::GetConsumerGroupRequest{kBody});
  if (!reply.ok() || reply->decoded.Error() != IggyError::kOk || reply->decoded.payload.size() < 12) {
    return std::nullopt;
  }
  return base::LoadLittleEndian<uint32_t>(reply->decoded.payload, 8);
}

// One heartbeat: a ping, as the SDKs send every few seconds.
void Ping(server::BlockingClient& client) {
  const absl::StatusOr<server::ServerFrame> reply = client.Call(client_protocol::PingRequest{});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->decoded.Error(), IggyError::kOk);
}

TEST(ClusterSessionExpiryServerTest, ASilentMemberIsRemovedAndAMemberPingingABackupKeepsAllPartitions) {
  const std::string root = FreshTestRoot("cluster_session_expiry_server_test");
  ServerCluster cluster(root, absl::StrCat("\n[timeouts]\nconsumer_group_member_dead_ms = ", kMemberDeadMs, "\n"));
  ASSERT_NO_FATAL_FAILURE(cluster.FormatAndStartAll());
  const std::optional<int> leader = AgreedLeader(cluster, {0, 1, 2});
  ASSERT_TRUE(leader.has_value()) << "the replicas' rosters never agreed on one leader\n" << cluster.Logs();
  const int silent_backup = (*leader + 1) % kReplicas;
  const int live_backup = (*leader + 2) % kReplicas;

  std::unique_ptr<server::BlockingClient> silent = LoggedInTo(cluster.client_port(silent_backup));
  ASSERT_NE(silent, nullptr) << cluster.Logs();
  ASSERT_EQ(silent->Call(client_protocol::CreateStreamRequest{"s"})->decoded.Error(), IggyError::kOk);
  ASSERT_EQ(silent->Call(client_protocol::CreateTopicRequest{.stream = kStream, .partitions_count = kPartitions,
                                                             .name = "t"})
                ->decoded.Error(),
            IggyError::kOk);
  ASSERT_EQ(silent->Call(client_protocol::CreateConsumerGroupRequest{kStream, kTopic, "g"})->decoded.Error(),
            IggyError::kOk);
  // The silent member's last request: the primary executes it after this moment, and
  // its timeout runs on the primary's ticks, which never run ahead of real time.
  const absl::Time silent_since = absl::Now();
  ASSERT_EQ(silent->Call(client_protocol::JoinConsumerGroupRequest{kBody})->decoded.Error(), IggyError::kOk);
  std::unique_ptr<server::BlockingClient> live = LoggedInTo(cluster.client_port(live_backup));
  ASSERT_NE(live, nullptr) << cluster.Logs();
  ASSERT_EQ(live->Call(client_protocol::JoinConsumerGroupRequest{kBody})->decoded.Error(), IggyError::kOk);

  // The live member's backup applies both joins (the replies came from the primary).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::optional<uint32_t> members;
  while (true) {
    ASSERT_NO_FATAL_FAILURE(Ping(*live));
    members = MemberCount(*live);
    if (members.has_value() && *members == 2) break;
    ASSERT_LT(absl::Now(), deadline) << "the backup never showed both members\n" << cluster.Logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling for the apply, bounded above
  }
  const std::optional<std::set<uint32_t>> shared = Assignment(*live);
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->size(), 1u) << "two members share two partitions";

  // The live member pings its backup every 200 ms; the silent one sends nothing. The
  // silent one's removal must come, as a committed op the live member's backup has
  // applied: then the live member holds every partition.
  while (true) {
    ASSERT_NO_FATAL_FAILURE(Ping(*live));
    members = MemberCount(*live);
    if (members.has_value() && *members == 1) break;
    ASSERT_LT(absl::Now(), deadline) << "the silent member was never removed\n" << cluster.Logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the heartbeat's pace
  }
  EXPECT_GE(absl::Now() - silent_since, absl::Milliseconds(kMemberDeadMs)) << "removed before its timeout";
  const std::set<uint32_t> all = {0, 1};
  EXPECT_EQ(Assignment(*live), std::optional<std::set<uint32_t>>(all));

  // Three more timeouts of heartbeats through the backup only: the live member stays.
  const absl::Time hold_until = absl::Now() + absl::Milliseconds(3 * kMemberDeadMs);
  while (absl::Now() < hold_until) {
    ASSERT_NO_FATAL_FAILURE(Ping(*live));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the heartbeat's pace
  }
  EXPECT_EQ(MemberCount(*live), std::optional<uint32_t>(1));
  EXPECT_EQ(Assignment(*live), std::optional<std::set<uint32_t>>(all))
      << "a member heartbeating through a backup was expired\n" << cluster.Logs();
  // Every replica agrees once it has applied the removal.
  for (int replica = 0; replica < kReplicas; ++replica) {
    std::unique_ptr<server::BlockingClient> reader = LoggedInTo(cluster.client_port(replica));
    ASSERT_NE(reader, nullptr) << cluster.Logs();
    EXPECT_EQ(MemberCount(*reader), std::optional<uint32_t>(1)) << "replica " << replica;
  }
  for (int i = 0; i < kReplicas; ++i) EXPECT_EQ(cluster.Terminate(i), 0) << cluster.Logs();
}

}  // namespace
}  // namespace sluice::testing
