#include "core/base/prng.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace sluice::base {
namespace {

// The stream for a seed is part of the replay contract: a change here silently
// re-maps every recorded regression seed, so the first draws are pinned.
TEST(PrngTest, SeedZeroStreamIsPinned) {
  Prng prng(0);
  std::vector<uint64_t> draws;
  for (int i = 0; i < 3; ++i) draws.push_back(prng.Next());
  Prng again(0);
  for (uint64_t draw : draws) EXPECT_EQ(again.Next(), draw);
  // SplitMix64(0) first output is a published constant.
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64Next(state), 0xE220A8397B1DCDAFULL);
}

TEST(PrngTest, DifferentSeedsDiffer) {
  Prng a(1), b(2);
  EXPECT_NE(a.Next(), b.Next());
}

TEST(PrngTest, DeriveSeedSeparatesComponents) {
  EXPECT_NE(DeriveSeed(7, 0), DeriveSeed(7, 1));
  EXPECT_NE(DeriveSeed(7, 0), DeriveSeed(8, 0));
  EXPECT_EQ(DeriveSeed(7, 3), DeriveSeed(7, 3));
}

RC_GTEST_PROP(PrngProperty, UniformBelowStaysInBounds, (uint64_t seed, uint64_t bound)) {
  RC_PRE(bound > 0u);
  Prng prng(seed);
  for (int i = 0; i < 100; ++i) RC_ASSERT(prng.UniformBelow(bound) < bound);
}

RC_GTEST_PROP(PrngProperty, UniformRangeIsInclusive, (uint64_t seed, uint32_t low, uint16_t width)) {
  Prng prng(seed);
  for (int i = 0; i < 50; ++i) {
    const uint64_t value = prng.UniformRange(low, uint64_t{low} + width);
    RC_ASSERT(value >= low);
    RC_ASSERT(value <= uint64_t{low} + width);
  }
}

TEST(PrngTest, UniformBelowCoversSmallRangeEvenly) {
  Prng prng(42);
  int counts[6] = {};
  constexpr int kDraws = 60000;
  for (int i = 0; i < kDraws; ++i) ++counts[prng.UniformBelow(6)];
  for (int count : counts) {
    EXPECT_GT(count, kDraws / 6 - 600);
    EXPECT_LT(count, kDraws / 6 + 600);
  }
}

TEST(PrngTest, ChanceMatchesRatio) {
  Prng prng(9);
  EXPECT_FALSE(prng.Chance(Ratio::Never()));
  EXPECT_TRUE(prng.Chance(Ratio::Always()));
  int hits = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) hits += prng.Chance({1, 4}) ? 1 : 0;
  EXPECT_GT(hits, kDraws / 4 - 1000);
  EXPECT_LT(hits, kDraws / 4 + 1000);
}

TEST(PrngTest, ExponentialHasFloorAndMean) {
  Prng prng(5);
  constexpr int kDraws = 100000;
  constexpr uint64_t kFloor = 100, kMean = 1000;
  uint64_t total = 0;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t value = prng.ExponentialWithFloor(kFloor, kMean);
    ASSERT_GE(value, kFloor);
    ASSERT_LE(value, kFloor + 32 * kMean);
    total += value - kFloor;
  }
  const uint64_t mean = total / kDraws;
  EXPECT_GT(mean, kMean * 95 / 100);
  EXPECT_LT(mean, kMean * 105 / 100);
  EXPECT_EQ(prng.ExponentialWithFloor(kFloor, 0), kFloor);
}

}  // namespace
}  // namespace sluice::base
