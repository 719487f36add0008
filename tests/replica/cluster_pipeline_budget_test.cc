// The pipeline's share of a replica's memory budget (issue #6, DESIGN.md "Bounds",
// core/replica/pipeline_budget.h). VSR bounds each group's pipeline, but a primary
// leads every partition group at once: a burst of writes over many partitions would
// hold pipeline_max x groups prepares. With a budget the primary refuses what does
// not fit with Unavailable (the client retries) and never holds more; every write it
// accepted commits, the bytes come back with the replies, and the refused writes go
// through when retried.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using testing::ClusterTopic;
using testing::kClusterMaxTicks;

constexpr uint32_t kPartitions = 16;
constexpr uint32_t kWritesPerPartition = 8;  // vsr::ReplicaOptions::pipeline_max
constexpr uint64_t kBudgetBytes = 64 * 1024;

// A batch of one message `id` with a 4 KiB payload.
Bytes LargeBatchOf(uint64_t id) {
  const std::string payload = absl::StrCat(id, ":", std::string(4096, 'x'));
  const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *std::move(batch);
}

class ClusterPipelineBudgetTest : public testing::ClusterFixture {
 protected:
  struct Write {
    uint32_t partition = 0;
    uint64_t id = 0;
    std::shared_ptr<std::optional<absl::StatusOr<uint64_t>>> reply;
  };

  void Start(uint64_t pipeline_bytes_max) {
    options_.seed = 5;
    options_.replica_count = 3;
    options_.pipeline_bytes_max = pipeline_bytes_max;
    StartCluster();
    topic_ = CreateTopic(kPartitions);
  }

  // Submits every write to the primary at one instant (nothing commits in between):
  // the accepted ones, and the number refused for the budget.
  std::vector<Write> Burst(const std::vector<Write>& writes, uint64_t& refused) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    EXPECT_TRUE(primary.has_value());
    std::vector<Write> accepted;
    if (!primary.has_value()) return accepted;
    replica::ClusterReplica& replica = *cluster_->replica(*primary);
    for (Write write : writes) {
      write.reply = std::make_shared<std::optional<absl::StatusOr<uint64_t>>>();
      const absl::Status submitted = replica.SubmitPartition(
          Namespace(topic_, write.partition), topic_.incarnations[write.partition], wire::Operation::kSendMessages,
          LargeBatchOf(write.id), [reply = write.reply](absl::StatusOr<uint64_t> op) { *reply = std::move(op); });
      if (submitted.ok()) {
        accepted.push_back(write);
      } else {
        EXPECT_TRUE(absl::IsUnavailable(submitted)) << submitted;
        ++refused;
      }
      EXPECT_LE(replica.pipeline_memory().used_bytes(), replica.pipeline_memory().limit_bytes());
    }
    high_water_ = replica.pipeline_memory().high_water_bytes();
    return accepted;
  }

  // Runs until every accepted write is answered; each must be acknowledged.
  void AwaitReplies(const std::vector<Write>& accepted) {
    ASSERT_TRUE(cluster_->RunUntil(
        [&] {
          for (const Write& write : accepted) {
            if (!write.reply->has_value()) return false;
          }
          return true;
        },
        kClusterMaxTicks))
        << cluster_->Describe();
    for (const Write& write : accepted) {
      EXPECT_TRUE(write.reply->value().ok()) << write.reply->value().status();
    }
  }

  static std::vector<Write> AllWrites() {
    std::vector<Write> writes;
    for (uint32_t round = 0; round < kWritesPerPartition; ++round) {
      for (uint32_t partition = 0; partition < kPartitions; ++partition) {
        writes.push_back({.partition = partition, .id = 1 + writes.size()});
      }
    }
    return writes;
  }

  ClusterTopic topic_;
  uint64_t high_water_ = 0;
};

TEST_F(ClusterPipelineBudgetTest, ABurstOverManyPartitionsStaysWithinTheBudgetAndRefusedWritesGoThroughOnRetry) {
  Start(kBudgetBytes);
  std::vector<Write> pending = AllWrites();
  std::map<uint32_t, std::vector<uint64_t>> acknowledged;  // partition -> ids, in order
  uint64_t first_refused = 0;
  for (int burst = 0; !pending.empty(); ++burst) {
    ASSERT_LT(burst, 100) << "writes refused forever";
    uint64_t refused = 0;
    const std::vector<Write> accepted = Burst(pending, refused);
    if (burst == 0) first_refused = refused;
    EXPECT_LE(high_water_, kBudgetBytes);
    EXPECT_FALSE(accepted.empty()) << "an idle pipeline must take a write";
    ASSERT_NO_FATAL_FAILURE(AwaitReplies(accepted));
    const std::optional<uint8_t> primary = cluster_->Primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_EQ(cluster_->replica(*primary)->pipeline_memory().used_bytes(), 0u)
        << "every reply gives its bytes back";
    std::vector<Write> next;
    for (const Write& write : pending) {
      bool taken = false;
      for (const Write& done : accepted) taken = taken || done.id == write.id;
      if (taken) {
        acknowledged[write.partition].push_back(write.id);
      } else {
        next.push_back(write);
      }
    }
    pending = std::move(next);
  }
  EXPECT_GT(first_refused, 0u) << "the burst fit the budget: the test proves nothing";
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  for (uint8_t replica = 0; replica < 3; ++replica) {
    for (uint32_t partition = 0; partition < kPartitions; ++partition) {
      EXPECT_EQ(Poll(replica, Namespace(topic_, partition), topic_.incarnations[partition]), acknowledged[partition])
          << "replica " << int{replica} << " partition " << partition;
    }
  }
}

// The control: without a budget the same burst is taken whole, holding more than
// the budget above allows.
TEST_F(ClusterPipelineBudgetTest, WithoutABudgetTheSameBurstHoldsMoreThanTheBudget) {
  Start(base::MemoryPool::kUnbounded);
  uint64_t refused = 0;
  const std::vector<Write> accepted = Burst(AllWrites(), refused);
  EXPECT_EQ(refused, 0u);
  EXPECT_EQ(accepted.size(), kPartitions * kWritesPerPartition);
  EXPECT_GT(high_water_, kBudgetBytes);
  ASSERT_NO_FATAL_FAILURE(AwaitReplies(accepted));
}

}  // namespace
}  // namespace sluice::sim
