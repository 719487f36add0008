#pragma once
// Loop: runs completions, posted callbacks and timers, one at a time, on one thread.
// Everything a replica does happens inside a callback run by its Loop.

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "core/io/clock.h"

namespace sluice::io {

struct TimerId {
  uint64_t value = 0;  // 0 is never a live timer.
  friend bool operator==(TimerId, TimerId) = default;
};

class Loop {
 public:
  virtual ~Loop() = default;

  // The clock this loop's timers are measured against.
  virtual const Clock& clock() const = 0;

  // Runs `callback` after the current callback returns, in FIFO order with other
  // posted callbacks. Never runs it inline.
  virtual void Post(absl::AnyInvocable<void()> callback) = 0;

  // Runs `callback` once, `ticks` ticks from now (0 = at the next tick boundary or
  // sooner). Timers due at the same time run in the order they were scheduled.
  virtual TimerId ScheduleAfterTicks(uint64_t ticks, absl::AnyInvocable<void()> callback) = 0;

  // Cancels a timer that has not run yet; cancelling a fired or unknown timer is a no-op.
  virtual void CancelTimer(TimerId timer) = 0;

  // Runs the next ready event, waiting (or, in the simulator, advancing time) until
  // one is ready. Returns false, without waiting, if nothing is pending at all.
  virtual bool RunOnce() = 0;
};

}  // namespace sluice::io
