#include "sim/sim_loop.h"

#include "core/base/assert.h"

namespace sluice::sim {

SimLoop::SimLoop(uint64_t realtime_start_ns) : realtime_start_ns_(realtime_start_ns) {}

io::TimerId SimLoop::Schedule(uint64_t at_ns, absl::AnyInvocable<void()> callback) {
  SLUICE_ASSERT(at_ns >= now_ns_, "scheduling in the past: ", at_ns, " < ", now_ns_);
  const uint64_t sequence = next_sequence_++;
  const Key key{at_ns, sequence};
  events_.emplace(key, std::move(callback));
  timer_keys_.emplace(sequence, key);
  return io::TimerId{sequence};
}

void SimLoop::Post(absl::AnyInvocable<void()> callback) { Schedule(now_ns_, std::move(callback)); }

io::TimerId SimLoop::ScheduleAfterTicks(uint64_t ticks, absl::AnyInvocable<void()> callback) {
  // Round up to the next tick boundary, as a real periodic tick source would fire.
  const uint64_t target = now_ns_ + ticks * io::kTickNs;
  const uint64_t at_ns = (target + io::kTickNs - 1) / io::kTickNs * io::kTickNs;
  return Schedule(at_ns, std::move(callback));
}

io::TimerId SimLoop::ScheduleAfterNs(uint64_t delay_ns, absl::AnyInvocable<void()> callback) {
  return Schedule(now_ns_ + delay_ns, std::move(callback));
}

void SimLoop::CancelTimer(io::TimerId timer) {
  const auto found = timer_keys_.find(timer.value);
  if (found == timer_keys_.end()) return;
  events_.erase(found->second);
  timer_keys_.erase(found);
}

bool SimLoop::RunOnce() {
  if (events_.empty()) return false;
  auto next = events_.begin();
  const Key key = next->first;
  absl::AnyInvocable<void()> callback = std::move(next->second);
  events_.erase(next);
  timer_keys_.erase(key.second);
  SLUICE_ASSERT(key.first >= now_ns_, "event queue went back in time");
  now_ns_ = key.first;
  ++events_run_;
  callback();
  return true;
}

}  // namespace sluice::sim
