#pragma once
// Bounded memory (DESIGN.md "Bounds"): a replica's memory budget, split into pools,
// each of which counts the bytes its users hold and refuses what would exceed it.
//
// MemoryPool is the one accounting object. A user reserves the bytes before it
// buffers them and releases exactly those bytes when it lets them go; a refused
// reservation is backpressure — the caller drops the frame (the network: a full
// queue, io::Network's ResourceExhausted) or stops taking work until bytes are
// released (a client whose replies wait unread). Nothing here allocates: the pool
// counts, and the caller owns the buffers.
//
// Contract:
//  - TryReserve(n) is all-or-nothing: it reserves n bytes and returns true only if
//    used + n <= limit; otherwise nothing changes except the refusal count.
//  - Release(n) gives back n bytes reserved before; releasing more than is held is a
//    bug (asserted). A pool may be destroyed while it holds bytes: its users die
//    with it (a crashed process).
//  - used_bytes() <= limit_bytes() always holds, except after set_limit_bytes()
//    lowered the limit below what is held: then every reservation is refused until
//    enough is released. high_water_bytes() is the most ever held at once.
//  - Not thread-safe: a pool belongs to one loop.
//
// MemoryBudget::Split divides a replica's `limits.memory_budget_bytes` into the
// pools its parts draw from (see the struct). Deterministic integer arithmetic.

#include <cstdint>

#include "absl/status/statusor.h"

namespace sluice::base {

class MemoryPool {
 public:
  static constexpr uint64_t kUnbounded = UINT64_MAX;

  // A pool of `limit_bytes`; kUnbounded only counts (the high-water mark of a
  // component that has no budget yet, for measurement).
  explicit MemoryPool(uint64_t limit_bytes = kUnbounded) : limit_bytes_(limit_bytes) {}
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // Whether `bytes` more would fit now.
  bool Fits(uint64_t bytes) const { return used_bytes_ <= limit_bytes_ && bytes <= limit_bytes_ - used_bytes_; }
  // Reserves `bytes` if they fit (see the contract); false, counted, if not.
  bool TryReserve(uint64_t bytes);
  // Gives back `bytes` of what is held.
  void Release(uint64_t bytes);

  void set_limit_bytes(uint64_t limit_bytes) { limit_bytes_ = limit_bytes; }
  // Starts a new high-water mark from what is held now (to measure one phase).
  void ResetHighWater() { high_water_bytes_ = used_bytes_; }
  uint64_t limit_bytes() const { return limit_bytes_; }
  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t high_water_bytes() const { return high_water_bytes_; }
  uint64_t refusals() const { return refusals_; }

 private:
  uint64_t limit_bytes_;
  uint64_t used_bytes_ = 0;
  uint64_t high_water_bytes_ = 0;
  uint64_t refusals_ = 0;
};

// A replica's budget divided into pools. The split is fixed (integer fractions of
// the total), so every replica with the same configuration behaves alike.
struct MemoryBudget {
  // Reserved for the VSR pipeline: pipeline_max x largest prepare per group (the
  // config rule guarantees a full pipeline fits the total). Half the total.
  uint64_t pipeline_bytes = 0;
  // Frames queued toward the other replicas (prepares, repair answers, state sync
  // chunks), all peers together. A quarter of the total.
  uint64_t replica_send_bytes = 0;
  // Slow readers: replies queued toward clients and their requests read but not yet
  // served, all clients together. The rest (a quarter).
  uint64_t client_output_bytes = 0;

  // Splits `total_bytes`. InvalidArgument unless each of the network pools holds at
  // least two largest frames (`frame_size_max_bytes`, header included) per peer it
  // serves at once — `replica_peers` other replicas, and one client — so a single
  // largest frame can always be queued somewhere and the cluster makes progress.
  static absl::StatusOr<MemoryBudget> Split(uint64_t total_bytes, uint64_t frame_size_max_bytes,
                                            uint64_t replica_peers);
};

}  // namespace sluice::base
