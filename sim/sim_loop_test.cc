#include "sim/sim_loop.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::sim {
namespace {

TEST(SimLoopTest, PostedCallbacksRunInOrderAndNeverInline) {
  SimLoop loop;
  std::vector<int> order;
  loop.Post([&] { order.push_back(1); });
  loop.Post([&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  while (loop.RunOnce()) {
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(loop.MonotonicNs(), 0u);
}

TEST(SimLoopTest, TimersAdvanceSimulatedTimeAndCanBeCancelled) {
  SimLoop loop;
  std::vector<int> order;
  loop.ScheduleAfterTicks(3, [&] { order.push_back(3); });
  const io::TimerId cancelled = loop.ScheduleAfterTicks(2, [&] { order.push_back(2); });
  loop.ScheduleAfterTicks(1, [&] { order.push_back(1); });
  loop.CancelTimer(cancelled);
  while (loop.RunOnce()) {
  }
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_EQ(loop.MonotonicTicks(), 3u);
  EXPECT_EQ(loop.RealtimeNs() - loop.MonotonicNs(), 1'700'000'000'000'000'000ULL);
}

TEST(SimLoopTest, SameTimeEventsRunInScheduleOrder) {
  SimLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) loop.ScheduleAfterNs(100, [&order, i] { order.push_back(i); });
  while (loop.RunOnce()) {
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(SimLoopTest, RunUntilStopsAtDeadline) {
  SimLoop loop;
  int fired = 0;
  loop.ScheduleAfterNs(50, [&] { ++fired; });
  loop.ScheduleAfterNs(500, [&] { ++fired; });
  EXPECT_FALSE(loop.RunUntil([&] { return fired == 2; }, 100));
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(loop.RunUntil([&] { return fired == 2; }, 1000));
}

}  // namespace
}  // namespace sluice::sim
