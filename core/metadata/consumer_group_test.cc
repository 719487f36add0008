// Consumer groups: membership is a session; joining and leaving rebalance
// deterministically (partition p goes to the (p mod m)-th member by id), the
// generation moves with every rebalance, and ending a session leaves its groups.
#include <gtest/gtest.h>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/lookup.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

using testing::MetadataDriver;
using testing::TestPrimary;
using wire::Operation;
using Partitions = std::vector<uint32_t>;

class ConsumerGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(driver_.Run(Operation::kCreateUser, primary_.CreateUser("iggy", "iggy")).ok());
    ASSERT_TRUE(driver_.Run(Operation::kCreateStream, Encode(CreateStreamBody{"s"})).ok());
    ASSERT_TRUE(driver_
                    .Run(Operation::kCreateTopic,
                         Encode(CreateTopicBody{.stream = Identifier::Numeric(0),
                                                .partitions_count = 5,
                                                .name = "t"}))
                    .ok());
    ASSERT_TRUE(driver_
                    .Run(Operation::kCreateConsumerGroup,
                         Encode(CreateGroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                                "g"}))
                    .ok());
  }

  // Logs `client` in as root; returns its session (the member id).
  uint64_t Login(absl::uint128 client) {
    const ApplyResult result = driver_.Run(
        Operation::kRegister, primary_.LoginWithPassword(driver_.state, 0, "iggy"), client);
    SLUICE_ASSERT(result.ok());
    return driver_.state.clients.at(client).session;
  }
  ApplyResult Group(Operation operation, absl::uint128 client) {
    return driver_.Run(operation, Encode(GroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                                   Identifier::Named("g")}),
                       client);
  }
  const ConsumerGroup& TheGroup() const {
    return driver_.state.streams.at(0).topics.at(0).groups.at(0);
  }

  TestPrimary primary_;
  MetadataDriver driver_;
};

TEST_F(ConsumerGroupTest, JoinAssignsPartitionsRoundRobinOverMembersSortedById) {
  const uint64_t first = Login(100);
  const uint64_t second = Login(50);  // a smaller client id, but a later session
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 50).ok());
  EXPECT_EQ(AssignedPartitions(TheGroup(), second), (Partitions{0, 1, 2, 3, 4}));
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 100).ok());
  EXPECT_EQ(AssignedPartitions(TheGroup(), first), (Partitions{0, 2, 4}));
  EXPECT_EQ(AssignedPartitions(TheGroup(), second), (Partitions{1, 3}));
  EXPECT_EQ(TheGroup().generation, 2u);
}

TEST_F(ConsumerGroupTest, TheAssignmentDoesNotDependOnJoinOrder) {
  const uint64_t a = Login(1);
  const uint64_t b = Login(2);
  const uint64_t c = Login(3);
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 3).ok());
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 2).ok());
  EXPECT_EQ(AssignedPartitions(TheGroup(), a), (Partitions{0, 3}));
  EXPECT_EQ(AssignedPartitions(TheGroup(), b), (Partitions{1, 4}));
  EXPECT_EQ(AssignedPartitions(TheGroup(), c), (Partitions{2}));
}

TEST_F(ConsumerGroupTest, LeaveRebalancesAndANonMemberLeavingIsError5006) {
  const uint64_t a = Login(1);
  const uint64_t b = Login(2);
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 2).ok());
  ASSERT_TRUE(Group(Operation::kLeaveConsumerGroup, 1).ok());
  EXPECT_TRUE(AssignedPartitions(TheGroup(), a).empty());
  EXPECT_EQ(AssignedPartitions(TheGroup(), b), (Partitions{0, 1, 2, 3, 4}));
  EXPECT_EQ(Group(Operation::kLeaveConsumerGroup, 1).error,
            ErrorCode::kConsumerGroupMemberNotFound);
}

TEST_F(ConsumerGroupTest, JoiningTwiceIsIdempotent) {
  Login(1);
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  const ConsumerGroup before = TheGroup();
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  EXPECT_EQ(TheGroup(), before);
}

TEST_F(ConsumerGroupTest, JoinWithoutASessionIsError40) {
  EXPECT_EQ(Group(Operation::kJoinConsumerGroup, 9).error, ErrorCode::kUnauthenticated);
  EXPECT_EQ(Group(Operation::kJoinConsumerGroup, 0).error, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(TheGroup().members.empty());
}

TEST_F(ConsumerGroupTest, PartitionCountChangesRebalance) {
  const uint64_t a = Login(1);
  const uint64_t b = Login(2);
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 2).ok());
  const PartitionsBody body{Identifier::Numeric(0), Identifier::Numeric(0), 3};
  ASSERT_TRUE(driver_.Run(Operation::kDeletePartitions, Encode(body)).ok());
  EXPECT_EQ(AssignedPartitions(TheGroup(), a), (Partitions{0}));
  EXPECT_EQ(AssignedPartitions(TheGroup(), b), (Partitions{1}));
  ASSERT_TRUE(driver_.Run(Operation::kCreatePartitions, Encode(body)).ok());
  EXPECT_EQ(AssignedPartitions(TheGroup(), a), (Partitions{0, 2, 4}));
  EXPECT_EQ(AssignedPartitions(TheGroup(), b), (Partitions{1, 3}));
}

TEST_F(ConsumerGroupTest, LogoutAndSessionExpiryLeaveEveryGroup) {
  Login(1);
  const uint64_t b = Login(2);
  Login(3);
  for (absl::uint128 client : {1, 2, 3}) {
    ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, client).ok());
  }
  ASSERT_TRUE(driver_.Run(Operation::kLogout, {}, 1).ok());
  EXPECT_FALSE(driver_.state.clients.contains(1));
  // The primary expires client 3's idle session: a replicated op, client 0.
  ASSERT_TRUE(driver_.Run(Operation::kLogout, Encode(LogoutBody{absl::uint128(3)})).ok());
  EXPECT_FALSE(driver_.state.clients.contains(3));
  ASSERT_EQ(TheGroup().members.size(), 1u);
  EXPECT_EQ(AssignedPartitions(TheGroup(), b), (Partitions{0, 1, 2, 3, 4}));
  // A client may not expire another client's session.
  EXPECT_EQ(driver_.Run(Operation::kLogout, Encode(LogoutBody{absl::uint128(2)}), 2).error,
            ErrorCode::kInvalidCommand);
}

TEST_F(ConsumerGroupTest, DeletingTheTopicTakesItsGroups) {
  Login(1);
  ASSERT_TRUE(Group(Operation::kJoinConsumerGroup, 1).ok());
  ASSERT_TRUE(driver_
                  .Run(Operation::kDeleteTopic,
                       Encode(TopicBody{Identifier::Numeric(0), Identifier::Numeric(0)}))
                  .ok());
  EXPECT_EQ(Group(Operation::kJoinConsumerGroup, 1).error, ErrorCode::kTopicIdNotFound);
}

}  // namespace
}  // namespace sluice::metadata
