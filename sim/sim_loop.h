#pragma once
// SimLoop: the simulator's single event queue, and its clock.
//
// Simulated time only moves when RunOnce() takes the next event: nothing here reads
// the OS clock, so one seed gives one schedule. Events at the same time run in the
// order they were scheduled (a sequence number breaks ties), never in an order that
// depends on addresses or hashing.

#include <cstdint>
#include <map>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "core/io/clock.h"
#include "core/io/loop.h"

namespace sluice::sim {

class SimLoop final : public io::Loop, public io::Clock {
 public:
  // `realtime_start_ns` is what RealtimeNs() reads at simulated time 0.
  explicit SimLoop(uint64_t realtime_start_ns = 1'700'000'000'000'000'000ULL);

  // io::Clock
  uint64_t MonotonicNs() const override { return now_ns_; }
  uint64_t RealtimeNs() const override { return realtime_start_ns_ + now_ns_; }

  // io::Loop
  const io::Clock& clock() const override { return *this; }
  void Post(absl::AnyInvocable<void()> callback) override;
  io::TimerId ScheduleAfterTicks(uint64_t ticks, absl::AnyInvocable<void()> callback) override;
  void CancelTimer(io::TimerId timer) override;
  bool RunOnce() override;

  // For simulator components (storage completions, packet delivery): runs
  // `callback` `delay_ns` after now. Returns an id usable with CancelTimer.
  io::TimerId ScheduleAfterNs(uint64_t delay_ns, absl::AnyInvocable<void()> callback);

  // Runs events until `done()` holds or simulated time would pass `deadline_ns`.
  // Returns whether `done()` held.
  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t deadline_ns) {
    while (!done()) {
      if (events_.empty() || events_.begin()->first.first > deadline_ns) return false;
      RunOnce();
    }
    return true;
  }

  uint64_t pending_events() const { return events_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // (time_ns, sequence)

  io::TimerId Schedule(uint64_t at_ns, absl::AnyInvocable<void()> callback);

  uint64_t realtime_start_ns_;
  uint64_t now_ns_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t events_run_ = 0;
  std::map<Key, absl::AnyInvocable<void()>> events_;
  std::map<uint64_t, Key> timer_keys_;  // sequence (= TimerId value) -> key
};

}  // namespace sluice::sim
