// Consumer groups through sluice-server's client port, as the Node SDK's group
// polling uses them (PROTOCOL.md §5.7, §6.5): create, join, sync the assignment,
// poll owned partitions with auto-commit, the re-sync sentinel for a partition not
// owned, rebalancing when a second member joins and when it disconnects (its session
// is logged out), leave, delete.
#include <gtest/gtest.h>

#include <set>

#include "absl/time/clock.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

using client_protocol::Consumer;

const Identifier kStream = Identifier::Named("s");
const Identifier kTopic = Identifier::Named("t");
const Identifier kGroup = Identifier::Named("g");
const client_protocol::GroupRequestBody kBody{kStream, kTopic, kGroup};

struct ParsedHead {
  uint32_t partition = 0;
  uint32_t count = 0;
};
ParsedHead Head(ByteSpan payload) {
  SLUICE_ASSERT(payload.size() >= 16, "a poll reply without its head");
  return {base::LoadLittleEndian<uint32_t>(payload, 0), base::LoadLittleEndian<uint32_t>(payload, 12)};
}

class ConsumerGroupTest : public ServerFixture {
 protected:
  std::set<uint32_t> Assignment(server::BlockingClient& client) {
    const server::ServerFrame reply = Call(client, client_protocol::SyncConsumerGroupRequest{kBody});
    SLUICE_ASSERT(reply.decoded.Error() == IggyError::kOk, "sync refused");
    std::set<uint32_t> partitions;
    if (reply.decoded.payload.empty()) return partitions;  // not a member
    const uint32_t count = base::LoadLittleEndian<uint32_t>(reply.decoded.payload, 8);
    for (uint32_t i = 0; i < count; ++i) {
      partitions.insert(base::LoadLittleEndian<uint32_t>(reply.decoded.payload, 12 + 4 * i));
    }
    return partitions;
  }

  client_protocol::PollMessagesRequest GroupPoll(uint32_t partition) {
    client_protocol::PollMessagesRequest poll = PollOf(kStream, kTopic, partition, 0, 100, true);
    poll.consumer = {Consumer::Kind::kGroup, kGroup};
    poll.strategy = {client_protocol::PollingStrategy::Kind::kNext, 0};
    return poll;
  }

  std::vector<Bytes> batches_;
};

TEST_F(ConsumerGroupTest, JoinSyncPollRebalanceLeaveDelete) {
  StartServer();
  auto first = LoggedIn();
  ASSERT_EQ(Call(*first, client_protocol::CreateStreamRequest{"s"}).decoded.Error(), IggyError::kOk);
  ASSERT_EQ(Call(*first, client_protocol::CreateTopicRequest{.stream = kStream, .partitions_count = 3, .name = "t"})
                .decoded.Error(),
            IggyError::kOk);
  for (uint32_t partition = 0; partition < 3; ++partition) {
    batches_.push_back(NumberedBatch(1 + 10 * partition, 3));
    ASSERT_EQ(Call(*first, SendOf(kStream, kTopic, ToPartition(partition), batches_.back())).decoded.Error(),
              IggyError::kOk);
  }
  const server::ServerFrame created =
      Call(*first, client_protocol::CreateConsumerGroupRequest{kStream, kTopic, "g"});
  ASSERT_EQ(created.decoded.Error(), IggyError::kOk);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(created.decoded.payload, 4), 3u) << "partitions_count";
  EXPECT_TRUE(Assignment(*first).empty()) << "not a member yet: empty sync (§5.7)";

  ASSERT_EQ(Call(*first, client_protocol::JoinConsumerGroupRequest{kBody}).decoded.Error(), IggyError::kOk);
  EXPECT_EQ(Assignment(*first), (std::set<uint32_t>{0, 1, 2}));
  // Group polls of owned partitions, auto-committed: Next moves on.
  const PolledMessages polled = ParsePoll(Call(*first, GroupPoll(1)).decoded.payload);
  ASSERT_EQ(polled.messages.size(), 3u);
  EXPECT_EQ(polled.messages.front().payload, "message-11");

  // A second member: the partitions are split between the two.
  auto second = LoggedIn();
  ASSERT_EQ(Call(*second, client_protocol::JoinConsumerGroupRequest{kBody}).decoded.Error(), IggyError::kOk);
  const std::set<uint32_t> mine = Assignment(*first), theirs = Assignment(*second);
  EXPECT_FALSE(mine.empty());
  EXPECT_FALSE(theirs.empty());
  std::set<uint32_t> all = mine;
  all.insert(theirs.begin(), theirs.end());
  EXPECT_EQ(all, (std::set<uint32_t>{0, 1, 2}));
  EXPECT_EQ(mine.size() + theirs.size(), 3u) << "disjoint";
  // Polling a partition the member does not own: the re-sync sentinel, no messages.
  const ParsedHead head = Head(Call(*second, GroupPoll(*mine.begin())).decoded.payload);
  EXPECT_EQ(head.partition, 0xFFFFFFFFu);
  EXPECT_EQ(head.count, 0u);

  // The second member disconnects: its session is logged out, the first owns all again.
  second.reset();
  std::set<uint32_t> after;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    after = Assignment(*first);
    if (after.size() == 3) break;
  }
  EXPECT_EQ(after, (std::set<uint32_t>{0, 1, 2}));

  // The group's offset for partition 1 was auto-committed at its last message.
  const server::ServerFrame offset = Call(
      *first, client_protocol::GetConsumerOffsetRequest{{Consumer::Kind::kGroup, kGroup}, kStream, kTopic, 1});
  ASSERT_EQ(offset.decoded.payload.size(), 20u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(offset.decoded.payload, 12), 2u);

  ASSERT_EQ(Call(*first, client_protocol::LeaveConsumerGroupRequest{kBody}).decoded.Error(), IggyError::kOk);
  EXPECT_EQ(Call(*first, client_protocol::LeaveConsumerGroupRequest{kBody}).decoded.Error(),
            IggyError::kConsumerGroupMemberNotFound);
  EXPECT_FALSE(Call(*first, client_protocol::GetConsumerGroupRequest{kBody}).decoded.payload.empty());
  ASSERT_EQ(Call(*first, client_protocol::DeleteConsumerGroupRequest{kBody}).decoded.Error(), IggyError::kOk);
  EXPECT_TRUE(Call(*first, client_protocol::GetConsumerGroupRequest{kBody}).decoded.payload.empty());
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

}  // namespace
}  // namespace sluice::testing
