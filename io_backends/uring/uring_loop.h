#pragma once
// UringLoop: the production Loop and Clock, driven by one io_uring ring.
//
// One thread owns a UringLoop and calls RunOnce() repeatedly; nothing here is
// thread-safe, by design (DESIGN.md: one loop per replica, single-threaded).
//
// Three sources of events feed RunOnce():
//  - posted callbacks (Post), run in FIFO order;
//  - timers (ScheduleAfterTicks), run in (deadline, scheduling order);
//  - io_uring completions of SQEs submitted through Submit(), run in the order the
//    kernel posts their CQEs.
// RunOnce() runs exactly one event. It takes the sources in turn (round robin), so
// a callback that keeps posting itself cannot starve timers or I/O, and vice versa.
//
// The backends built on this loop (UringStorage, later the TCP network) submit
// their operations with Submit(); an operation io_uring cannot perform is done
// synchronously by the backend and its result delivered with Post(), so callers
// never see a completion run inside the call that submitted it.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/base/ring_queue.h"
#include "core/io/clock.h"
#include "core/io/loop.h"

// liburing's types, kept out of this header so that users of the loop do not
// inherit <liburing.h> and the kernel headers it pulls in.
struct io_uring;
struct io_uring_sqe;

namespace sluice::uring {

class UringLoop final : public io::Loop, public io::Clock {
 public:
  // Receives the CQE's `res`: a non-negative result, or a negated errno.
  using CompletionCallback = absl::AnyInvocable<void(int32_t cqe_res)>;

  // Creates a loop with a ring of `queue_depth` submission entries (the completion
  // queue is twice that; the kernel buffers any overflow, so more operations than
  // this may be in flight). Fails, naming io_uring_queue_init and the errno, when
  // the kernel or a sandbox refuses io_uring.
  static absl::StatusOr<std::unique_ptr<UringLoop>> Create(unsigned queue_depth = 256);

  // Waits for every operation still in flight to finish (the kernel may still be
  // writing into buffers its submitter owns) and drops their callbacks without
  // running them; posted callbacks and timers that have not run are dropped too.
  ~UringLoop() override;

  UringLoop(const UringLoop&) = delete;
  UringLoop& operator=(const UringLoop&) = delete;

  // io::Clock: CLOCK_MONOTONIC and CLOCK_REALTIME.
  uint64_t MonotonicNs() const override;
  uint64_t RealtimeNs() const override;

  // io::Loop.
  const io::Clock& clock() const override { return *this; }
  void Post(absl::AnyInvocable<void()> callback) override;
  // The deadline is `ticks` * io::kTickNs after now; ticks == 0 is due at once.
  io::TimerId ScheduleAfterTicks(uint64_t ticks, absl::AnyInvocable<void()> callback) override;
  void CancelTimer(io::TimerId timer) override;
  // Runs one ready event. If none is ready, submits queued SQEs and blocks until a
  // CQE arrives or the earliest timer is due. Returns false at once, without
  // blocking, when there is nothing at all: no posted callback, no timer, no
  // operation in flight.
  bool RunOnce() override;

  // Queues one io_uring operation. `prepare` fills in the SQE (any io_uring_prep_*
  // call; it must not touch user_data, which the loop owns). `on_complete` runs
  // later, on this loop, with the CQE's result; never inside Submit(). Everything
  // the SQE points at (paths, buffers, statx results) must stay valid and at the
  // same address until `on_complete` runs, so keep it in heap memory that
  // `on_complete` owns or that the caller's contract keeps alive.
  // The SQE reaches the kernel at the latest when RunOnce() next blocks.
  void Submit(absl::FunctionRef<void(io_uring_sqe*)> prepare, CompletionCallback on_complete);

  // Operations submitted and not yet reaped from the completion queue.
  size_t in_flight_count() const { return in_flight_count_; }

 private:
  // A completion callback waiting for its CQE. Slots are reused through a free list;
  // the SQE's user_data is the slot's index, so the vector may grow (moving slots)
  // while operations are in flight.
  struct CompletionSlot {
    CompletionCallback on_complete;
    bool in_use = false;
  };
  struct ReapedCompletion {
    uint32_t slot_index;
    int32_t result;
  };
  // Timers ordered by deadline, then by the order they were scheduled (TimerId
  // values increase), which is the Loop contract's tie-break.
  using TimerKey = std::pair<uint64_t /*deadline_ns*/, uint64_t /*timer id*/>;
  enum class Source : uint8_t { kPosted, kTimers, kCompletions };
  static constexpr int kSourceCount = 3;

  UringLoop(std::unique_ptr<io_uring> ring, unsigned queue_depth);

  io_uring_sqe* AcquireSqe();
  uint32_t AllocateSlot(CompletionCallback on_complete);
  // Moves every CQE already in the completion queue to reaped_; never blocks.
  void ReapAvailable();
  // Submits queued SQEs and blocks until a CQE arrives or `timeout_ns` (if any)
  // passes; an interrupted or timed-out wait is not an error.
  void SubmitAndWait(const uint64_t* timeout_ns);
  bool HasDueTimer(uint64_t now_ns) const;
  bool SourceReady(Source source, uint64_t now_ns) const;
  // Runs one event from the first ready source, starting at next_source_.
  bool RunOneReady();
  void RunPosted();
  void RunDueTimer();
  void RunCompletion();
  bool AnythingPending() const;

  std::unique_ptr<io_uring> ring_;
  // Ring queues reuse their buffers: a steady state posts and reaps without allocating (B12).
  base::RingQueue<absl::AnyInvocable<void()>> posted_{64};
  std::map<TimerKey, absl::AnyInvocable<void()>> timers_;
  // Live timer id -> its deadline, so CancelTimer finds the map entry.
  absl::flat_hash_map<uint64_t, uint64_t> timer_deadlines_;
  uint64_t next_timer_id_ = 1;
  std::vector<CompletionSlot> slots_;
  std::vector<uint32_t> free_slots_;
  base::RingQueue<ReapedCompletion> reaped_{256};
  size_t in_flight_count_ = 0;
  int next_source_ = 0;
};

}  // namespace sluice::uring
