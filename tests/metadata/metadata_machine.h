#pragma once
// Test-only: one simulated machine for metadata tests — a loop, its disk, an
// interrupting view of the disk (to stop the "process" after its k-th storage
// operation) and a blocking view for setup and inspection.

#include <string>

#include "core/io/testing/blocking_storage.h"
#include "core/io/testing/interrupting_storage.h"
#include "core/io/task.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::metadata::testing {

class MetadataMachine {
 public:
  explicit MetadataMachine(uint64_t seed = 1)
      : storage_(loop_, {.seed = seed, .sector_size_bytes = 512}),
        interrupting_(storage_, loop_),
        disk_(storage_, loop_) {}

  template <typename T>
  T Run(io::Task<T> task) {
    return io::testing::RunTask(loop_, std::move(task));
  }

  // The process restarted after a crash: operations reach the disk again.
  void Resume() { interrupting_.StopAfterCompletions(UINT64_MAX); }

  sim::SimLoop loop_;
  sim::SimStorage storage_;
  io::testing::InterruptingStorage interrupting_;
  io::testing::BlockingStorage disk_;
};

}  // namespace sluice::metadata::testing
