// Task<T> coroutines over the simulator's loop and storage.
#include "core/io/task.h"

#include "absl/strings/str_cat.h"

#include <gtest/gtest.h>

#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/io/testing/blocking_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice {
namespace {

io::Task<int64_t> Add(int64_t a, int64_t b) { co_return a + b; }

io::Task<int64_t> DeepChain(int depth) {
  int64_t total = 0;
  for (int i = 0; i < depth; ++i) total += co_await Add(i, 0);
  co_return total;
}

TEST(TaskTest, SynchronousChainsDoNotGrowTheStack) {
  sim::SimLoop loop;
  // 100k nested awaits that complete without suspending: symmetric transfer keeps
  // the stack flat (this would overflow a naive implementation).
  EXPECT_EQ(io::testing::RunTask(loop, [&]() -> io::Task<int64_t> { co_return co_await DeepChain(100000); }()),
            int64_t{100000} * 99999 / 2);
}

io::Task<absl::Status> FailAt(int step) {
  for (int i = 0; i < 3; ++i) {
    if (i == step) co_return absl::NotFoundError(absl::StrCat("step ", i));
  }
  co_return absl::OkStatus();
}

io::Task<absl::Status> Propagate(int step) {
  CO_RETURN_IF_ERROR(co_await FailAt(step), "in propagate");
  co_return absl::OkStatus();
}

TEST(TaskTest, ErrorsPropagateWithContext) {
  sim::SimLoop loop;
  EXPECT_TRUE(io::testing::RunTask(loop, Propagate(5)).ok());
  const absl::Status status = io::testing::RunTask(loop, Propagate(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "in propagate: step 1");
}

TEST(TaskTest, StorageHelpersRoundTripThroughCompletions) {
  sim::SimLoop loop;
  sim::SimStorage storage(loop, {.seed = 7});
  const Bytes contents = {1, 2, 3, 4, 5};
  ASSERT_TRUE(io::testing::RunTask(loop, io::WriteFileAtomically(storage, "state", contents)).ok());
  absl::StatusOr<Bytes> read = io::testing::RunTask(loop, io::ReadWholeFile(storage, "state"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
  // Durable after WriteFileAtomically: survives a crash that lands nothing unsynced.
  storage.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
  read = io::testing::RunTask(loop, io::ReadWholeFile(storage, "state"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
  const absl::StatusOr<Bytes> missing = io::testing::RunTask(loop, io::ReadWholeFile(storage, "nope"));
  EXPECT_TRUE(io::IsEnoent(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("opening nope"), absl::string_view::npos);
}

}  // namespace
}  // namespace sluice
