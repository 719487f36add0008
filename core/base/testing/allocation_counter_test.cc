#include "core/base/testing/allocation_counter.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sluice::base::testing {
namespace {

// Compilers may elide a new/delete pair whose memory never escapes; publishing
// the pointers through a volatile keeps the allocations real.
void* volatile g_sink = nullptr;

TEST(AllocationCounterTest, CountsHeapAllocations) {
  AllocationCounter counter;
  auto first = std::make_unique<int>(1);
  g_sink = first.get();
  auto second = std::make_unique<std::vector<int>>(100);
  g_sink = second->data();
  g_sink = second.get();
  EXPECT_EQ(counter.allocations(), 3u);  // the int, the vector, its storage
}

TEST(AllocationCounterTest, ReusedBufferCountsZero) {
  std::vector<int> buffer;
  buffer.reserve(64);
  AllocationCounter counter;
  for (int round = 0; round < 100; ++round) {
    buffer.clear();
    for (int i = 0; i < 64; ++i) buffer.push_back(i);
  }
  EXPECT_EQ(counter.allocations(), 0u);
}

}  // namespace
}  // namespace sluice::base::testing
