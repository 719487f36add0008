// The primary's retention decision: expiry drops expired sealed segments oldest
// first, the size limit drops the topic's oldest sealed segments until it fits, the
// active segment never goes — by example, and as properties over random topics.
#include "core/replica/retention_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace sluice::replica {
namespace {

using partition::SegmentSummary;

constexpr uint64_t kSecond = 1'000'000;

// Segments of `sizes` bytes, each with 10 ops, the last entry of segment i written at
// timestamps[i].
PartitionSegments Partition(uint64_t namespace_id, const std::vector<uint64_t>& sizes,
                            const std::vector<uint64_t>& timestamps) {
  PartitionSegments partition{.namespace_id = namespace_id};
  for (size_t i = 0; i < sizes.size(); ++i) {
    partition.segments.push_back({.first_op = 1 + 10 * i,
                                  .last_op = 10 + 10 * i,
                                  .start_offset = 100 * i,
                                  .size_bytes = sizes[i],
                                  .last_timestamp_us = timestamps[i]});
  }
  return partition;
}

metadata::TopicSettings Expiry(uint64_t expiry_us) {
  metadata::TopicSettings settings;
  settings.message_expiry_us = expiry_us;
  return settings;
}

metadata::TopicSettings MaxSize(uint64_t bytes) {
  metadata::TopicSettings settings;
  settings.max_topic_size_bytes = bytes;
  return settings;
}

TEST(RetentionPlanTest, NothingGoesWithoutExpiryOrSizeLimit) {
  const PartitionSegments p = Partition(7, {100, 100, 100}, {1, 2, 3});
  EXPECT_TRUE(PlanRetention(metadata::TopicSettings{}, {p}, 1000 * kSecond).empty());
}

TEST(RetentionPlanTest, ExpiredSealedSegmentsGoOldestFirstAndTheActiveOneStays) {
  // Segments written at 10 s, 20 s, 30 s (active); expiry 15 s; now 40 s: the first two
  // expired (30 s and 20 s ago), the active one too by age, but it stays.
  const PartitionSegments p = Partition(7, {100, 100, 100}, {10 * kSecond, 20 * kSecond, 30 * kSecond});
  const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(Expiry(15 * kSecond), {p}, 40 * kSecond);
  ASSERT_EQ(cutoffs.size(), 1u);
  EXPECT_EQ(cutoffs.at(7), p.segments[2].first_op);
  // At 30 s only the first has expired.
  EXPECT_EQ(PlanRetention(Expiry(15 * kSecond), {p}, 30 * kSecond).at(7), p.segments[1].first_op);
  // At 20 s none has.
  EXPECT_TRUE(PlanRetention(Expiry(15 * kSecond), {p}, 20 * kSecond).empty());
}

TEST(RetentionPlanTest, ASegmentThatExpiredFirstWaitsForTheOlderOnesBeforeIt) {
  // A clock step backwards on an earlier primary can leave a later segment with an
  // older timestamp: segments still go in op order.
  const PartitionSegments p = Partition(7, {100, 100, 100}, {50 * kSecond, 10 * kSecond, 60 * kSecond});
  EXPECT_TRUE(PlanRetention(Expiry(15 * kSecond), {p}, 40 * kSecond).empty());
}

TEST(RetentionPlanTest, TheSizeLimitDropsTheTopicsOldestSealedSegmentsUntilItFits) {
  // 600 bytes in all, limit 350: the oldest sealed segments across both partitions go
  // (a at 1 s, then b at 2 s, then a at 3 s) until 300 bytes remain.
  const PartitionSegments a = Partition(1, {100, 100, 100}, {1, 3, 5});
  const PartitionSegments b = Partition(2, {100, 100, 100}, {2, 4, 6});
  const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(MaxSize(350), {a, b}, 10);
  ASSERT_EQ(cutoffs.size(), 2u);
  EXPECT_EQ(cutoffs.at(1), a.segments[2].first_op);
  EXPECT_EQ(cutoffs.at(2), b.segments[1].first_op);
}

TEST(RetentionPlanTest, ATopicOfActiveSegmentsOnlyKeepsThemOverTheLimit) {
  const PartitionSegments a = Partition(1, {1000}, {1});
  const PartitionSegments b = Partition(2, {1000}, {2});
  EXPECT_TRUE(PlanRetention(MaxSize(10), {a, b}, 10).empty());
}

TEST(RetentionPlanTest, EmptySealedSegmentsExpireWithTheRest) {
  PartitionSegments p = Partition(7, {0, 100, 100}, {0, 10 * kSecond, 20 * kSecond});
  p.segments[0].last_op = p.segments[0].first_op - 1;  // no entry
  EXPECT_EQ(PlanRetention(Expiry(5 * kSecond), {p}, 16 * kSecond).at(7), p.segments[2].first_op);
}

// --- properties over random topics --------------------------------------------------

template <typename T>
T Between(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high + 1));
}

std::vector<PartitionSegments> RandomTopic() {
  std::vector<PartitionSegments> partitions(Between<size_t>(1, 4));
  for (size_t p = 0; p < partitions.size(); ++p) {
    partitions[p].namespace_id = 100 + p;
    uint64_t op = 1;
    uint64_t timestamp = Between<uint64_t>(0, 50);
    for (size_t s = 0, count = Between<size_t>(1, 6); s < count; ++s) {
      const uint64_t ops = Between<uint64_t>(0, 5);
      timestamp += Between<uint64_t>(0, 20);
      partitions[p].segments.push_back({.first_op = op,
                                        .last_op = op + ops - 1,
                                        .start_offset = op,
                                        .size_bytes = ops == 0 ? 0 : Between<uint64_t>(1, 100),
                                        .last_timestamp_us = ops == 0 ? 0 : timestamp});
      op += ops == 0 ? 1 : ops;  // an empty segment still starts a new first op
    }
  }
  return partitions;
}

RC_GTEST_PROP(RetentionPlanProperty, CutoffsDropOnlySealedSegmentsAndKeepEveryUnexpiredOneUnderNoLimit, ()) {
  const std::vector<PartitionSegments> topic = RandomTopic();
  const uint64_t expiry = Between<uint64_t>(1, 60);
  const uint64_t now = Between<uint64_t>(0, 200);
  const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(Expiry(expiry), topic, now);
  for (const PartitionSegments& partition : topic) {
    const auto found = cutoffs.find(partition.namespace_id);
    if (found == cutoffs.end()) continue;
    // The cutoff is the first op of a segment after the first, up to the active one.
    size_t kept = 1;
    while (kept < partition.segments.size() && partition.segments[kept].first_op != found->second) ++kept;
    RC_ASSERT(kept < partition.segments.size());
    // Every dropped segment had expired (or held no entry).
    for (size_t s = 0; s < kept; ++s) {
      const SegmentSummary& segment = partition.segments[s];
      RC_ASSERT(segment.last_op < segment.first_op ||
                (segment.last_timestamp_us <= now && now - segment.last_timestamp_us >= expiry));
    }
  }
  RC_ASSERT(PlanRetention(Expiry(expiry), topic, now) == cutoffs);  // deterministic
}

RC_GTEST_PROP(RetentionPlanProperty, UnderASizeLimitTheTopicFitsOrOnlyActiveSegmentsAreLeft, ()) {
  const std::vector<PartitionSegments> topic = RandomTopic();
  const uint64_t limit = Between<uint64_t>(0, 400);
  const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(MaxSize(limit), topic, 1000);
  uint64_t left = 0;
  bool sealed_left = false;
  uint64_t newest_dropped = 0;
  uint64_t oldest_kept_sealed = UINT64_MAX;
  for (const PartitionSegments& partition : topic) {
    const auto found = cutoffs.find(partition.namespace_id);
    for (size_t s = 0; s < partition.segments.size(); ++s) {
      const SegmentSummary& segment = partition.segments[s];
      const bool dropped = found != cutoffs.end() && segment.first_op < found->second;
      RC_ASSERT(!(dropped && s + 1 == partition.segments.size()));  // never the active one
      if (dropped) {
        newest_dropped = std::max(newest_dropped, segment.last_timestamp_us);
      } else {
        left += segment.size_bytes;
        if (s + 1 < partition.segments.size() && segment.size_bytes > 0) {
          sealed_left = true;
          oldest_kept_sealed = std::min(oldest_kept_sealed, segment.last_timestamp_us);
        }
      }
    }
  }
  RC_ASSERT(left <= limit || !sealed_left);
  // Oldest first across the topic (timestamps grow within each partition here): no
  // sealed segment kept is older than one dropped.
  RC_ASSERT(newest_dropped <= oldest_kept_sealed);
}

}  // namespace
}  // namespace sluice::replica
