#include "core/base/memory_budget.h"

#include "gtest/gtest.h"

namespace sluice::base {
namespace {

TEST(MemoryPoolTest, ReservesAllOrNothingUpToTheLimit) {
  MemoryPool pool(100);
  EXPECT_TRUE(pool.TryReserve(60));
  EXPECT_FALSE(pool.TryReserve(41));  // would be 101
  EXPECT_EQ(pool.used_bytes(), 60u);
  EXPECT_EQ(pool.refusals(), 1u);
  EXPECT_TRUE(pool.TryReserve(40));
  EXPECT_FALSE(pool.Fits(1));
  pool.Release(70);
  EXPECT_EQ(pool.used_bytes(), 30u);
  EXPECT_EQ(pool.high_water_bytes(), 100u);
  EXPECT_TRUE(pool.TryReserve(70));
}

TEST(MemoryPoolTest, ALoweredLimitRefusesUntilEnoughIsReleased) {
  MemoryPool pool(100);
  ASSERT_TRUE(pool.TryReserve(80));
  pool.set_limit_bytes(50);
  EXPECT_FALSE(pool.TryReserve(0 + 1));
  pool.Release(40);
  EXPECT_TRUE(pool.TryReserve(10));
  EXPECT_FALSE(pool.TryReserve(1));
}

TEST(MemoryPoolTest, UnboundedOnlyCounts) {
  MemoryPool pool;
  EXPECT_TRUE(pool.TryReserve(uint64_t{1} << 40));
  pool.Release(uint64_t{1} << 40);
  EXPECT_EQ(pool.high_water_bytes(), uint64_t{1} << 40);
  EXPECT_EQ(pool.used_bytes(), 0u);
}

TEST(MemoryPoolDeathTest, ReleasingMoreThanHeldIsABug) {
  MemoryPool pool(10);
  ASSERT_TRUE(pool.TryReserve(5));
  EXPECT_DEATH(pool.Release(6), "releasing 6 bytes");
}

TEST(MemoryBudgetTest, SplitsHalfPipelineAndAQuarterForEachNetworkPool) {
  const absl::StatusOr<MemoryBudget> budget = MemoryBudget::Split(256 << 20, (1 << 20) + 256, 2);
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_EQ(budget->pipeline_bytes, uint64_t{128} << 20);
  EXPECT_EQ(budget->replica_send_bytes, uint64_t{64} << 20);
  EXPECT_EQ(budget->client_output_bytes, uint64_t{64} << 20);
}

TEST(MemoryBudgetTest, ABudgetThatCannotQueueTwoLargestFramesPerPeerIsRefused) {
  const uint64_t frame = (1 << 20) + 256;
  EXPECT_FALSE(MemoryBudget::Split(15 * frame, frame, 2).ok());  // replica quarter < 4 frames
  EXPECT_TRUE(MemoryBudget::Split(16 * frame, frame, 2).ok());
}

}  // namespace
}  // namespace sluice::base
