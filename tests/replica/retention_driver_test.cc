// Retention on a one-replica cluster: the primary's decision (retention_plan.h)
// replicated as PartitionRetention ops through the partition groups — expired or
// excess sealed segments go, the active one stays, what remains is polled from its
// first offset, and a crash brings back exactly the segments the log says are left.
#include "core/replica/retention_driver.h"

#include <gtest/gtest.h>

#include "core/partition/partition_log.h"
#include "core/wire/batch.h"
#include "tests/replica/replica_fixture.h"

namespace sluice::replica {
namespace {

using testing::ReplicaTest;

constexpr uint64_t kSecond = 1'000'000;
// What the simulator's realtime clock reads at simulated time 0 (sim/sim_loop.h), in µs.
constexpr uint64_t kNowUs = 1'700'000'000'000'000;
constexpr uint64_t kHourAgoUs = kNowUs - 3600 * kSecond;

class RetentionTest : public ReplicaTest {
 protected:
  partition::PartitionLog& Log(uint32_t p) {
    absl::StatusOr<partition::PartitionLog*> log = replica_->Partition(Namespace(0, 0, p), Incarnation(0, 0, p));
    SLUICE_ASSERT(log.ok(), log.status().ToString());
    return **log;
  }

  // `count` messages of 100 KiB at `timestamp_us`: ten fill a 1 MiB segment.
  void SendLarge(uint32_t p, int count, uint64_t timestamp_us) {
    const std::string payload(100 * 1024, 'r');
    for (int i = 0; i < count; ++i) ASSERT_TRUE(Send(0, 0, p, payload, timestamp_us).ok());
  }

  // The first offset a PollFirst returns (the oldest retained message).
  uint64_t FirstPolledOffset(uint32_t p) {
    absl::StatusOr<partition::PollResult> polled = fixture_->machine_.Run(Log(p).PollFirst(1));
    SLUICE_ASSERT(polled.ok() && !polled->batches.empty(), polled.status().ToString());
    const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(polled->batches.front().batch);
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    return batch->base_offset() + polled->batches.front().first_message;
  }

  static metadata::TopicSettings Settings(uint64_t expiry_us, uint64_t max_size_bytes) {
    metadata::TopicSettings settings = metadata::CreateTopicBody{}.settings;
    settings.message_expiry_us = expiry_us;
    settings.max_topic_size_bytes = max_size_bytes;
    settings.segment_size_bytes = metadata::kSegmentSizeMin;
    return settings;
  }

  absl::StatusOr<size_t> RunDriverOnce() {
    RetentionDriver driver(*replica_, fixture_->machine_.loop_, {.interval_ticks = 1'000'000});
    absl::StatusOr<size_t> submitted = driver.RunOnce();
    EXPECT_TRUE(fixture_->machine_.Run(replica_->Drain()).ok());
    EXPECT_TRUE(driver.failure().ok()) << driver.failure();
    if (submitted.ok()) {
      EXPECT_EQ(driver.ops_committed(), *submitted);
    }
    return submitted;
  }
};

TEST_F(RetentionTest, ExpiredSealedSegmentsGoByAReplicatedOpAndTheActiveOneStays) {
  Open();
  CreateTopic(1, Settings(10 * kSecond, 0));
  SendLarge(0, 35, kHourAgoUs);
  const std::vector<partition::SegmentSummary> before = Log(0).SegmentSummaries();
  ASSERT_GE(before.size(), 3u);
  const uint64_t messages = Log(0).committed_next_offset();
  const uint64_t last_op = Log(0).last_op();

  ASSERT_EQ(RunDriverOnce().value_or(0), 1u);
  const std::vector<partition::SegmentSummary> after = Log(0).SegmentSummaries();
  ASSERT_EQ(after.size(), 1u) << "every sealed segment had expired";
  EXPECT_EQ(after.front().first_op, before.back().first_op);
  EXPECT_EQ(Log(0).last_op(), last_op + 1) << "the decision is an op in the partition's log";
  EXPECT_EQ(Log(0).committed_next_offset(), messages) << "offsets never move back";
  EXPECT_EQ(FirstPolledOffset(0), before.back().start_offset);
  EXPECT_EQ(RunDriverOnce().value_or(99), 0u) << "nothing more to drop";

  CrashAndReopen();
  EXPECT_EQ(Log(0).SegmentSummaries().size(), 1u);
  EXPECT_EQ(FirstPolledOffset(0), before.back().start_offset);
  EXPECT_EQ(Log(0).committed_next_offset(), messages);
}

TEST_F(RetentionTest, UnexpiredMessagesAndTopicsWithoutLimitsAreLeftAlone) {
  Open();
  CreateTopic(1, Settings(2 * 3600 * kSecond, 0));  // two hours: nothing is that old
  SendLarge(0, 25, kHourAgoUs);
  const std::vector<partition::SegmentSummary> before = Log(0).SegmentSummaries();
  ASSERT_GE(before.size(), 3u);
  EXPECT_EQ(RunDriverOnce().value_or(99), 0u);
  EXPECT_EQ(Log(0).SegmentSummaries(), before);
}

TEST_F(RetentionTest, TheTopicSizeLimitDropsTheOldestSealedSegmentsAcrossPartitions) {
  Open();
  CreateTopic(2, Settings(0, 2 * metadata::kSegmentSizeMin + metadata::kSegmentSizeMin / 2));
  SendLarge(0, 25, kHourAgoUs);            // older: partition 0 fills ~2.5 segments first
  SendLarge(1, 25, kHourAgoUs + kSecond);  // then partition 1
  auto topic_bytes = [&] {
    uint64_t bytes = 0;
    for (uint32_t p = 0; p < 2; ++p) {
      for (const partition::SegmentSummary& segment : Log(p).SegmentSummaries()) bytes += segment.size_bytes;
    }
    return bytes;
  };
  const size_t segments_before = Log(0).SegmentSummaries().size() + Log(1).SegmentSummaries().size();
  ASSERT_GE(segments_before, 6u);
  ASSERT_GT(topic_bytes(), 4 * metadata::kSegmentSizeMin);
  ASSERT_GE(RunDriverOnce().value_or(0), 1u);
  EXPECT_LE(topic_bytes(), 2 * metadata::kSegmentSizeMin + metadata::kSegmentSizeMin / 2);
  EXPECT_GE(Log(0).SegmentSummaries().size(), 1u);
  EXPECT_GE(Log(1).SegmentSummaries().size(), 1u);
  // Oldest first: partition 0's sealed segments went before any of partition 1's.
  EXPECT_EQ(Log(0).SegmentSummaries().size(), 1u);
}

TEST_F(RetentionTest, TheDriverRunsOnItsOwnEveryInterval) {
  Open();
  CreateTopic(1, Settings(10 * kSecond, 0));
  SendLarge(0, 25, kHourAgoUs);
  ASSERT_GE(Log(0).SegmentSummaries().size(), 3u);
  {
    RetentionDriver driver(*replica_, fixture_->machine_.loop_, {.interval_ticks = 20});
    for (int step = 0; step < 100'000 && driver.ops_committed() == 0; ++step) {
      ASSERT_TRUE(fixture_->machine_.loop_.RunOnce());
    }
    EXPECT_EQ(driver.ops_committed(), 1u);
    EXPECT_TRUE(driver.failure().ok()) << driver.failure();
  }  // destroyed before the loop runs idle: its timer is cancelled
  ASSERT_TRUE(fixture_->machine_.Run(replica_->Drain()).ok());  // committed, now applied
  EXPECT_EQ(Log(0).SegmentSummaries().size(), 1u);
  CrashAndReopen();
  EXPECT_EQ(Log(0).SegmentSummaries().size(), 1u);
}

}  // namespace
}  // namespace sluice::replica
