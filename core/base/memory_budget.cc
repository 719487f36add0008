#include "core/base/memory_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::base {

bool MemoryPool::TryReserve(uint64_t bytes) {
  if (!Fits(bytes)) {
    ++refusals_;
    return false;
  }
  used_bytes_ += bytes;
  high_water_bytes_ = std::max(high_water_bytes_, used_bytes_);
  SLUICE_ASSERT(used_bytes_ <= limit_bytes_, "reserved past the limit: ", used_bytes_, " > ", limit_bytes_);
  return true;
}

void MemoryPool::Release(uint64_t bytes) {
  SLUICE_ASSERT(bytes <= used_bytes_, "releasing ", bytes, " bytes of a pool holding ", used_bytes_);
  used_bytes_ -= bytes;
}

absl::StatusOr<MemoryBudget> MemoryBudget::Split(uint64_t total_bytes, uint64_t frame_size_max_bytes,
                                                 uint64_t replica_peers) {
  SLUICE_ASSERT(frame_size_max_bytes > 0, "a zero frame bound");
  MemoryBudget budget;
  budget.pipeline_bytes = total_bytes / 2;
  budget.replica_send_bytes = total_bytes / 4;
  budget.client_output_bytes = total_bytes - budget.pipeline_bytes - budget.replica_send_bytes;
  // Both factors are small (frames <= 64 MiB, peers <= 5): no overflow.
  const uint64_t replica_floor = 2 * frame_size_max_bytes * replica_peers;
  const uint64_t client_floor = 2 * frame_size_max_bytes;
  if (budget.replica_send_bytes < replica_floor || budget.client_output_bytes < client_floor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a memory budget of ", total_bytes, " bytes is too small: its quarter for replica send queues (",
        budget.replica_send_bytes, ") must hold two largest frames of ", frame_size_max_bytes,
        " bytes per peer (", replica_peers, " peers: ", replica_floor,
        "), and its quarter for client output (", budget.client_output_bytes, ") two (", client_floor, ")"));
  }
  return budget;
}

}  // namespace sluice::base
