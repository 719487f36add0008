#pragma once
// The pipeline's share of a replica's memory budget (DESIGN.md "Bounds", issue #6).
//
// VSR bounds each group's pipeline (pipeline_max ops of at most a largest prepare),
// but a replica leads every group at once, so the sum grows with the number of
// partitions. This budget bounds it replica-wide: the primary reserves a request's
// bytes before it prepares it and holds them until the reply runs (the op committed,
// or was replaced) or is dropped. A request that does not fit is refused with
// Unavailable — backpressure: the client retries (Iggy's error 58), nothing is
// buffered.
//
// Contract:
//  - Reserve(view, bytes) returns a Hold of `bytes`, or Unavailable when they do not
//    fit. A Hold gives its bytes back once, on Release() or when destroyed.
//  - A view change empties the pipeline (the new primary decides what survives), so
//    the first Reserve in another view gives back every Hold of earlier views at once;
//    those Holds then release nothing. Without this, replies waiting for a commit
//    another primary may never make would keep their bytes for good.
//  - The budget must outlive its Holds. Not thread-safe (one loop).

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/memory_budget.h"

namespace sluice::replica {

class PipelineBudget {
 public:
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept { *this = std::move(other); }
    Hold& operator=(Hold&& other) noexcept;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { Release(); }
    void Release();

   private:
    friend class PipelineBudget;
    Hold(PipelineBudget* budget, uint64_t bytes, uint64_t epoch) : budget_(budget), bytes_(bytes), epoch_(epoch) {}
    PipelineBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
    uint64_t epoch_ = 0;
  };

  explicit PipelineBudget(uint64_t limit_bytes) : pool_(limit_bytes) {}
  PipelineBudget(const PipelineBudget&) = delete;
  PipelineBudget& operator=(const PipelineBudget&) = delete;

  // `bytes` of a request this replica prepares as primary of `view`.
  absl::StatusOr<Hold> Reserve(uint32_t view, uint64_t bytes);

  const base::MemoryPool& pool() const { return pool_; }

 private:
  base::MemoryPool pool_;
  uint32_t view_ = 0;
  uint64_t epoch_ = 0;  // advanced when a view change gives every Hold back
};

}  // namespace sluice::replica
