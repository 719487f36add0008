#include "core/replica/pipeline_budget.h"

#include <utility>

#include "gtest/gtest.h"

namespace sluice::replica {
namespace {

TEST(PipelineBudgetTest, AHoldKeepsItsBytesUntilReleasedOrDestroyed) {
  PipelineBudget budget(100);
  absl::StatusOr<PipelineBudget::Hold> first = budget.Reserve(1, 60);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(budget.pool().used_bytes(), 60u);
  const absl::StatusOr<PipelineBudget::Hold> refused = budget.Reserve(1, 41);
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  {
    absl::StatusOr<PipelineBudget::Hold> second = budget.Reserve(1, 40);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(budget.pool().used_bytes(), 100u);
    PipelineBudget::Hold moved = *std::move(second);  // a move gives nothing back
    EXPECT_EQ(budget.pool().used_bytes(), 100u);
  }
  EXPECT_EQ(budget.pool().used_bytes(), 60u);
  first->Release();
  first->Release();  // once only
  EXPECT_EQ(budget.pool().used_bytes(), 0u);
  EXPECT_EQ(budget.pool().high_water_bytes(), 100u);
  EXPECT_EQ(budget.pool().refusals(), 1u);
}

TEST(PipelineBudgetTest, AnotherViewGivesBackEveryHoldOfEarlierViews) {
  PipelineBudget budget(100);
  absl::StatusOr<PipelineBudget::Hold> stale = budget.Reserve(1, 90);
  ASSERT_TRUE(stale.ok());
  // Leading view 3 now: view 1's pipeline is gone, and so are its bytes.
  absl::StatusOr<PipelineBudget::Hold> fresh = budget.Reserve(3, 80);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(budget.pool().used_bytes(), 80u);
  stale->Release();  // its reply came late: it gives back nothing of view 3's
  EXPECT_EQ(budget.pool().used_bytes(), 80u);
  fresh->Release();
  EXPECT_EQ(budget.pool().used_bytes(), 0u);
}

}  // namespace
}  // namespace sluice::replica
