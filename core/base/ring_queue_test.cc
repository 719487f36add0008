#include "core/base/ring_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <deque>

#include "core/base/testing/allocation_counter.h"

namespace sluice::base {
namespace {

RC_GTEST_PROP(RingQueueProperty, BehavesLikeADeque, (const std::vector<int>& operations)) {
  RingQueue<int> queue(2);
  std::deque<int> model;
  for (const int operation : operations) {
    if (operation % 3 == 0 && !model.empty()) {
      RC_ASSERT(queue.front() == model.front());
      queue.pop_front();
      model.pop_front();
    } else if (operation % 5 == 0 && !model.empty()) {
      RC_ASSERT(queue.back() == model.back());
      queue.pop_back();
      model.pop_back();
    } else {
      queue.push_back(operation);
      model.push_back(operation);
    }
    RC_ASSERT(queue.size() == model.size());
    for (size_t i = 0; i < model.size(); ++i) RC_ASSERT(queue[i] == model[i]);
  }
}

TEST(RingQueueTest, SteadyStateAllocatesNothing) {
  RingQueue<int> queue(8);
  testing::AllocationCounter counter;
  for (int i = 0; i < 10000; ++i) {
    queue.push_back(i);
    queue.push_back(i);
    queue.pop_front();
    queue.pop_front();
  }
  EXPECT_EQ(counter.allocations(), 0u);
}

}  // namespace
}  // namespace sluice::base
