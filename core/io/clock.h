#pragma once
// Clock: the only source of time for core/. core/ never reads the OS clock; the
// simulator supplies simulated time (with drift), io_backends/ the real clocks.

#include <cstdint>

namespace sluice::io {

// The consensus tick. Timeouts in core/ are counted in ticks.
inline constexpr uint64_t kTickNs = 10'000'000;  // 10 ms

class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic nanoseconds since an arbitrary start; never decreases.
  virtual uint64_t MonotonicNs() const = 0;

  // Wall-clock nanoseconds since the Unix epoch; may jump or drift. Used only to
  // stamp message timestamps (made monotonic per group by the primary).
  virtual uint64_t RealtimeNs() const = 0;

  uint64_t MonotonicTicks() const { return MonotonicNs() / kTickNs; }
};

}  // namespace sluice::io
