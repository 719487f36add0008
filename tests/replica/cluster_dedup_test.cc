// De-duplication of client writes on a replicated cluster (issue #6, DESIGN.md
// "Clients"): Iggy's SDKs resend an unchanged SendMessages after a transient error,
// with no new request number, possibly to another partition (balanced
// partitioning), possibly to a new primary. The primary keys each client write by
// (client id, checksum of the body as sent) and looks for it in the recent requests
// of every partition of the topic — a window the prepare headers carry, so backups
// keep it as they append, view changes truncate it with the log, and recovery
// rebuilds it from the logs' tails. A retry found there prepares nothing and gets the
// first copy's op.
//
// A retry after a reconnect carries a new client id: the primary cannot tell it from
// a new message, so it is appended again — documented and shown below.
//
// Metadata requests are de-duplicated by the replicated client table (session and
// last request number with its result, core/metadata/apply.h): a request resent with
// its number after a view change executes once and gets the first execution's reply.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/metadata/testing/test_primary.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using testing::ClusterTopic;
using testing::kClusterMaxTicks;
using wire::Operation;

class ClusterDedupTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    options_.seed = 11;
    options_.replica_count = 3;
    StartCluster();
  }

  // Submits the client's write to the primary once; the reply lands in `reply`.
  bool SubmitOnce(const ClusterTopic& topic, uint32_t partition, const Bytes& batch, absl::uint128 client,
                  std::shared_ptr<std::optional<absl::StatusOr<uint64_t>>> reply) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    if (!primary.has_value()) return false;
    return cluster_->replica(*primary)
        ->SubmitPartition(Namespace(topic, partition), topic.incarnations[partition], Operation::kSendMessages, batch,
                          [reply](absl::StatusOr<uint64_t> op) { *reply = std::move(op); }, client)
        .ok();
  }

  // Sends the batch as an SDK does: resent unchanged (same client) until
  // acknowledged. Returns the acknowledged op.
  uint64_t SendUntilAcknowledged(const ClusterTopic& topic, uint32_t partition, const Bytes& batch,
                                 absl::uint128 client) {
    auto reply = std::make_shared<std::optional<absl::StatusOr<uint64_t>>>();
    bool pending = false;
    const bool done = cluster_->RunUntil(
        [&] {
          if (reply->has_value() && reply->value().ok()) return true;
          if (reply->has_value()) {
            reply->reset();  // replaced in a view change: resend
            pending = false;
          }
          if (!pending) pending = SubmitOnce(topic, partition, batch, client, reply);
          return false;
        },
        kClusterMaxTicks);
    EXPECT_TRUE(done) << cluster_->violation() << "\n" << cluster_->Describe();
    return reply->has_value() && reply->value().ok() ? *reply->value() : 0;
  }

  // How many times each id is served by the topic's partitions on replica `index`.
  std::map<uint64_t, int> Copies(uint8_t index, const ClusterTopic& topic) {
    std::map<uint64_t, int> copies;
    for (uint32_t p = 0; p < topic.incarnations.size(); ++p) {
      for (uint64_t id : Poll(index, Namespace(topic, p), topic.incarnations[p])) ++copies[id];
    }
    return copies;
  }

  uint64_t DedupHits() {
    uint64_t hits = 0;
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      if (replica::ClusterReplica* live = cluster_->replica(index)) hits += live->duplicate_writes();
    }
    return hits;
  }

  void Converge() {
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  }
};

TEST_F(ClusterDedupTest, ARetryToAnotherPartitionOfTheTopicIsAppendedOnce) {
  const ClusterTopic topic = CreateTopic(2);
  const absl::uint128 client = 0xC11E47;
  const uint64_t first = SendUntilAcknowledged(topic, 0, BatchOf(1), client);
  // Balanced partitioning sends the retry elsewhere; it is the same request.
  EXPECT_EQ(SendUntilAcknowledged(topic, 1, BatchOf(1), client), first);
  EXPECT_EQ(DedupHits(), 1u);
  // Another body from the same client is a new request.
  SendUntilAcknowledged(topic, 1, BatchOf(2), client);
  Converge();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    EXPECT_EQ(Poll(index, Namespace(topic, 0), topic.incarnations[0]), std::vector<uint64_t>{1}) << int{index};
    EXPECT_EQ(Poll(index, Namespace(topic, 1), topic.incarnations[1]), std::vector<uint64_t>{2}) << int{index};
  }
}

// The primary crashes at a different point after each send: sometimes before any
// backup has the prepare (the retry is appended anew by the next primary), sometimes
// after (the retry finds it in the new primary's window). Either way: once.
TEST_F(ClusterDedupTest, ARetryAfterAViewChangeIsAppendedOnce) {
  const ClusterTopic topic = CreateTopic(2);
  const absl::uint128 client = 0xC11E48;
  uint64_t hits = 0;
  for (uint64_t id = 1; id <= 12; ++id) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    ASSERT_TRUE(primary.has_value());
    auto lost = std::make_shared<std::optional<absl::StatusOr<uint64_t>>>();
    ASSERT_TRUE(SubmitOnce(topic, id % 2, BatchOf(id), client, lost));
    cluster_->RunTicks(id % 6);  // 0..5 ticks: before, during or after replication
    cluster_->Crash(*primary);
    // The SDK never saw a reply (the connection died with the primary): it resends,
    // balanced to the other partition, to whichever replica is primary next.
    const uint64_t before = DedupHits();
    SendUntilAcknowledged(topic, (id + 1) % 2, BatchOf(id), client);
    hits += DedupHits() - before;
    cluster_->Restart(*primary);
    Converge();
  }
  EXPECT_GT(hits, 0u) << "no retry found its first copy: the window across view changes was not exercised";
  EXPECT_LT(hits, 12u) << "every first copy survived: the re-append path was not exercised";
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const std::map<uint64_t, int> copies = Copies(index, topic);
    EXPECT_EQ(copies.size(), 12u) << "replica " << int{index};
    for (const auto& [id, count] : copies) EXPECT_EQ(count, 1) << "message " << id << " on replica " << int{index};
  }
}

// The window is rebuilt from the logs at boot: a retry after every replica restarted
// still finds its first copy.
TEST_F(ClusterDedupTest, ARetryAfterEveryReplicaRestartedIsAppendedOnce) {
  const ClusterTopic topic = CreateTopic(1);
  const absl::uint128 client = 0xC11E49;
  const uint64_t first = SendUntilAcknowledged(topic, 0, BatchOf(1), client);
  for (uint8_t index = 0; index < options_.replica_count; ++index) cluster_->Crash(index);
  for (uint8_t index = 0; index < options_.replica_count; ++index) cluster_->Restart(index);
  Converge();
  EXPECT_EQ(SendUntilAcknowledged(topic, 0, BatchOf(1), client), first);
  EXPECT_EQ(DedupHits(), 1u);
  Converge();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    EXPECT_EQ(Poll(index, Namespace(topic, 0), topic.incarnations[0]), std::vector<uint64_t>{1}) << int{index};
  }
}

// Documented limit: after a reconnect the SDK has a new client id, and its resend is
// indistinguishable from a new message with the same body — it is appended again.
TEST_F(ClusterDedupTest, ARetryWithANewClientIdIsAppendedAgain) {
  const ClusterTopic topic = CreateTopic(1);
  SendUntilAcknowledged(topic, 0, BatchOf(1), /*client=*/0xC11E4A);
  SendUntilAcknowledged(topic, 0, BatchOf(1), /*client=*/0xC11E4B);
  EXPECT_EQ(DedupHits(), 0u);
  Converge();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    EXPECT_EQ(Poll(index, Namespace(topic, 0), topic.incarnations[0]), (std::vector<uint64_t>{1, 1})) << int{index};
  }
}

// The primary crashes at a different point after each CreateStream of a logged-in
// client; the client resends it with the same request number to the next primary.
TEST_F(ClusterDedupTest, AMetadataRequestRetriedAcrossAViewChangeExecutesOnceWithTheSameReply) {
  metadata::testing::TestPrimary hashes;
  ASSERT_TRUE(Metadata(Operation::kCreateUser, hashes.CreateUser("iggy", "iggy")).result.ok());
  const absl::uint128 client = 0xC11E4C;
  const auto submit = [&](metadata_store::MetadataRequest request,
                          std::shared_ptr<std::optional<absl::StatusOr<metadata_store::CommittedResult>>> reply) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    if (!primary.has_value()) return false;
    return cluster_->replica(*primary)
        ->SubmitMetadata(std::move(request), [reply](auto result) { *reply = std::move(result); })
        .ok();
  };
  // Resends (same client, same request number) until a reply comes.
  const auto until_replied = [&](const metadata_store::MetadataRequest& request) {
    auto reply = std::make_shared<std::optional<absl::StatusOr<metadata_store::CommittedResult>>>();
    bool pending = false;
    EXPECT_TRUE(cluster_->RunUntil(
        [&] {
          if (reply->has_value() && reply->value().ok()) return true;
          if (reply->has_value()) {
            reply->reset();
            pending = false;
          }
          if (!pending) pending = submit(request, reply);
          return false;
        },
        kClusterMaxTicks))
        << cluster_->Describe();
    return reply->has_value() && reply->value().ok() ? reply->value()->result : metadata::ApplyResult{};
  };
  const std::optional<uint8_t> primary = cluster_->Primary();
  ASSERT_TRUE(primary.has_value());
  const metadata::ApplyResult login = until_replied(
      {.operation = Operation::kRegister,
       .body = hashes.LoginWithPassword(cluster_->replica(*primary)->metadata(), 0, "iggy"),
       .client = client});
  ASSERT_TRUE(login.ok());

  // Both cases must occur: the first execution survived the view change (the resend
  // is a second op that the client table answers from its cache) or was lost (the
  // resend is the only op).
  uint64_t survived = 0;
  uint64_t lost_first = 0;
  for (uint64_t request = 1; request <= 8; ++request) {
    const metadata_store::MetadataRequest create{
        .operation = Operation::kCreateStream,
        .body = metadata::Encode(metadata::CreateStreamBody{absl::StrCat("retried-", request)}),
        .client = client,
        .request = request};
    const std::optional<uint8_t> primary = cluster_->Primary();
    ASSERT_TRUE(primary.has_value());
    const uint64_t ops_before = cluster_->replica(*primary)->metadata().last_applied_op;
    auto lost = std::make_shared<std::optional<absl::StatusOr<metadata_store::CommittedResult>>>();
    ASSERT_TRUE(submit(create, lost));
    cluster_->RunTicks(request % 5);
    cluster_->Crash(*primary);
    const metadata::ApplyResult reply = until_replied(create);
    EXPECT_TRUE(reply.ok()) << "request " << request << ": a resent create must not fail as a duplicate";
    cluster_->Restart(*primary);
    Converge();
    // The stream exists once, with the id the reply names, on every replica.
    const uint32_t id = reply.payload.size() >= 2 ? reply.payload[0] | (uint32_t{reply.payload[1]} << 8) : 0;
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      int named = 0;
      uint32_t found = 0;
      for (const auto& [stream_id, stream] : cluster_->replica(index)->metadata().streams) {
        if (stream.name == absl::StrCat("retried-", request)) {
          ++named;
          found = stream_id;
        }
      }
      EXPECT_EQ(named, 1) << "request " << request << " on replica " << int{index};
      EXPECT_EQ(found, id) << "request " << request << " on replica " << int{index};
    }
    const uint64_t ops = cluster_->replica(0)->metadata().last_applied_op - ops_before;
    ASSERT_TRUE(ops == 1 || ops == 2) << ops << " ops for request " << request;
    (ops == 2 ? survived : lost_first) += 1;
  }
  EXPECT_GT(survived, 0u) << "no first execution survived: the cached reply was not exercised";
  EXPECT_GT(lost_first, 0u) << "every first execution survived";
}

}  // namespace
}  // namespace sluice::sim
