#pragma once
// Test-only: counts every heap allocation made by the process through operator new
// (the library replaces the global operator new/delete). Link it only into tests and
// benchmarks that check "allocates nothing on the hot path" (rule B12).
//
//   AllocationCounter counter;
//   RunSteadyStateAppends();
//   EXPECT_EQ(counter.allocations(), 0);

#include <cstdint>

namespace sluice::base::testing {

// Total operator-new calls in this process since it started.
uint64_t TotalAllocations();

class AllocationCounter {
 public:
  AllocationCounter() : start_(TotalAllocations()) {}
  uint64_t allocations() const { return TotalAllocations() - start_; }

 private:
  uint64_t start_;
};

}  // namespace sluice::base::testing
