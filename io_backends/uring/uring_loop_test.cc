#include "io_backends/uring/uring_loop.h"

#include <gtest/gtest.h>
#include <liburing.h>
#include <time.h>

#include <string>
#include <vector>

namespace sluice::uring {
namespace {

std::unique_ptr<UringLoop> MakeLoop() {
  absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create();
  // This machine allows io_uring (BUILD_NOTES.md); a failure here is a real one.
  EXPECT_TRUE(loop.ok()) << loop.status();
  return loop.ok() ? std::move(*loop) : nullptr;
}

void RunUntilIdle(UringLoop& loop) {
  constexpr int kEventsMax = 1'000'000;
  for (int events = 0; events < kEventsMax; ++events) {
    if (!loop.RunOnce()) return;
  }
  FAIL() << "loop still busy after " << kEventsMax << " events";
}

TEST(UringLoopTest, CreateSucceeds) {
  absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create(8);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->in_flight_count(), 0u);
}

TEST(UringLoopTest, CreateRejectsAZeroQueueDepth) {
  const absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create(0);
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UringLoopTest, ClocksReadTheOperatingSystem) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  const uint64_t first_ns = loop->clock().MonotonicNs();
  const uint64_t second_ns = loop->clock().MonotonicNs();
  EXPECT_LE(first_ns, second_ns);
  const uint64_t wall_s = static_cast<uint64_t>(time(nullptr));
  const uint64_t realtime_s = loop->clock().RealtimeNs() / 1'000'000'000u;
  EXPECT_LE(realtime_s > wall_s ? realtime_s - wall_s : wall_s - realtime_s, 2u);
}

TEST(UringLoopTest, RunOnceReturnsFalseWhenIdle) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  const uint64_t start_ns = loop->MonotonicNs();
  EXPECT_FALSE(loop->RunOnce());
  // "Without waiting": far less than a tick.
  EXPECT_LT(loop->MonotonicNs() - start_ns, io::kTickNs);
}

TEST(UringLoopTest, PostIsFifoAndNeverInline) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) loop->Post([&order, i] { order.push_back(i); });
  EXPECT_TRUE(order.empty());
  // A callback posted from a callback runs after those already queued.
  loop->Post([&] { loop->Post([&order] { order.push_back(99); }); });
  loop->Post([&order] { order.push_back(5); });
  RunUntilIdle(*loop);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 99}));
}

TEST(UringLoopTest, RunOnceRunsOneEventAtATime) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  int runs = 0;
  loop->Post([&runs] { ++runs; });
  loop->Post([&runs] { ++runs; });
  EXPECT_TRUE(loop->RunOnce());
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(loop->RunOnce());
  EXPECT_EQ(runs, 2);
  EXPECT_FALSE(loop->RunOnce());
}

TEST(UringLoopTest, TimersFireInDeadlineThenSchedulingOrder) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  std::vector<std::string> order;
  const uint64_t start_ns = loop->MonotonicNs();
  loop->ScheduleAfterTicks(3, [&] { order.push_back("three"); });
  loop->ScheduleAfterTicks(1, [&] { order.push_back("one-a"); });
  loop->ScheduleAfterTicks(1, [&] { order.push_back("one-b"); });
  loop->ScheduleAfterTicks(0, [&] { order.push_back("zero"); });
  RunUntilIdle(*loop);
  EXPECT_EQ(order, (std::vector<std::string>{"zero", "one-a", "one-b", "three"}));
  // RunOnce blocked until the last deadline instead of returning early.
  EXPECT_GE(loop->MonotonicNs() - start_ns, 3 * io::kTickNs);
}

TEST(UringLoopTest, CancelledTimersDoNotFire) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  std::vector<int> fired;
  const io::TimerId first = loop->ScheduleAfterTicks(1, [&] { fired.push_back(1); });
  const io::TimerId second = loop->ScheduleAfterTicks(1, [&] { fired.push_back(2); });
  EXPECT_NE(first.value, 0u);
  EXPECT_NE(first, second);
  loop->CancelTimer(first);
  loop->CancelTimer(first);                   // Twice: a no-op.
  loop->CancelTimer(io::TimerId{123456789});  // Unknown: a no-op.
  RunUntilIdle(*loop);
  EXPECT_EQ(fired, std::vector<int>{2});
  loop->CancelTimer(second);  // Already fired: a no-op.
  EXPECT_FALSE(loop->RunOnce());
}

TEST(UringLoopTest, TimerCancelledByAnEarlierTimerDoesNotFire) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  bool late_fired = false;
  io::TimerId late;
  loop->ScheduleAfterTicks(0, [&] { loop->CancelTimer(late); });
  late = loop->ScheduleAfterTicks(0, [&] { late_fired = true; });
  RunUntilIdle(*loop);
  EXPECT_FALSE(late_fired);
}

TEST(UringLoopTest, ABusyPosterDoesNotStarveTimers) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  bool timer_fired = false;
  int reposts = 0;
  absl::AnyInvocable<void()> repost;
  repost = [&] {
    ++reposts;
    if (!timer_fired) loop->Post([&] { repost(); });
  };
  loop->Post([&] { repost(); });
  loop->ScheduleAfterTicks(1, [&] { timer_fired = true; });
  RunUntilIdle(*loop);
  EXPECT_TRUE(timer_fired);
  EXPECT_GT(reposts, 0);
}

TEST(UringLoopTest, SubmitCompletesLaterOnTheLoop) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  std::vector<int32_t> results;
  for (int i = 0; i < 3; ++i) {
    loop->Submit([](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); },
                 [&results](int32_t result) { results.push_back(result); });
  }
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(loop->in_flight_count(), 3u);
  RunUntilIdle(*loop);
  EXPECT_EQ(results, (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(loop->in_flight_count(), 0u);
}

TEST(UringLoopTest, SubmitBeyondTheQueueDepth) {
  absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create(4);
  ASSERT_TRUE(loop.ok()) << loop.status();
  // More than the submission queue (4) and the completion queue (8) hold at once.
  constexpr int kOperations = 100;
  int completed = 0;
  for (int i = 0; i < kOperations; ++i) {
    (*loop)->Submit([](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); },
                    [&completed](int32_t result) {
                      EXPECT_EQ(result, 0);
                      ++completed;
                    });
  }
  RunUntilIdle(**loop);
  EXPECT_EQ(completed, kOperations);
}

TEST(UringLoopTest, CompletionsReportNegatedErrno) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  int32_t result = 0;
  loop->Submit([](io_uring_sqe* sqe) { io_uring_prep_close(sqe, -1); },
               [&result](int32_t cqe_res) { result = cqe_res; });
  RunUntilIdle(*loop);
  EXPECT_EQ(result, -EBADF);
}

TEST(UringLoopTest, DestructionWaitsForOperationsInFlight) {
  std::unique_ptr<UringLoop> loop = MakeLoop();
  ASSERT_NE(loop, nullptr);
  bool ran = false;
  loop->Submit([](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); }, [&ran](int32_t) { ran = true; });
  loop->ScheduleAfterTicks(100, [&ran] { ran = true; });
  loop.reset();  // Waits for the NOP, then drops its callback and the timer unrun.
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace sluice::uring
