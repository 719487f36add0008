#include "io_backends/uring/uring_loop.h"

#include <liburing.h>
#include <string.h>
#include <time.h>

#include <cerrno>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::uring {
namespace {

// io_uring_queue_init refuses more than this many entries (IORING_MAX_ENTRIES).
constexpr unsigned kQueueDepthMax = 32768;
// AcquireSqe gives up (a kernel that accepts nothing is a broken invariant) after this.
constexpr int kAcquireSqeAttemptsMax = 16;

uint64_t ReadClockNs(clockid_t clock_id) {
  timespec now{};
  const int rc = clock_gettime(clock_id, &now);
  SLUICE_ASSERT(rc == 0, "clock_gettime(", clock_id, ") failed: ", strerror(errno));
  SLUICE_ASSERT(now.tv_sec >= 0, "clock ", clock_id, " before its epoch");
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

// now + ticks * kTickNs, saturating instead of wrapping for absurd tick counts.
uint64_t DeadlineAfterTicks(uint64_t now_ns, uint64_t ticks) {
  const uint64_t ticks_max = (std::numeric_limits<uint64_t>::max() - now_ns) / io::kTickNs;
  return now_ns + std::min(ticks, ticks_max) * io::kTickNs;
}

std::string ErrnoName(int error_number) {
  const char* name = strerrorname_np(error_number);
  return name != nullptr ? std::string(name) : absl::StrCat("errno ", error_number);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringLoop>> UringLoop::Create(unsigned queue_depth) {
  if (queue_depth == 0 || queue_depth > kQueueDepthMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("io_uring queue depth ", queue_depth, " not in [1, ", kQueueDepthMax, "]"));
  }
  auto ring = std::make_unique<io_uring>();
  const int rc = io_uring_queue_init(queue_depth, ring.get(), 0);
  if (rc < 0) {
    return absl::UnavailableError(
        absl::StrCat("io_uring_queue_init(", queue_depth, " entries) failed: ", ErrnoName(-rc),
                     " (", strerror(-rc),
                     "); io_uring may be disabled (sysctl kernel.io_uring_disabled) or "
                     "blocked by a seccomp filter"));
  }
  // Without IORING_FEAT_NODROP the kernel would drop completions when more
  // operations are in flight than the completion queue holds; Submit() relies on it.
  if ((ring->features & IORING_FEAT_NODROP) == 0) {
    io_uring_queue_exit(ring.get());
    return absl::UnavailableError("io_uring lacks IORING_FEAT_NODROP (kernel older than 5.5)");
  }
  return std::unique_ptr<UringLoop>(new UringLoop(std::move(ring), queue_depth));
}

UringLoop::UringLoop(std::unique_ptr<io_uring> ring, unsigned queue_depth)
    : ring_(std::move(ring)) {
  // Allocate the completion slots at start-up; the pool grows only if more
  // operations than the completion queue's size are in flight at once.
  const uint32_t slot_count = 2 * queue_depth;
  slots_.resize(slot_count);
  free_slots_.reserve(slot_count);
  for (uint32_t index = slot_count; index > 0; --index) free_slots_.push_back(index - 1);
}

UringLoop::~UringLoop() {
  // The kernel may still read or write memory owned by the submitters; wait for it.
  while (in_flight_count_ > 0) {
    SubmitAndWait(nullptr);
    ReapAvailable();
  }
  io_uring_queue_exit(ring_.get());
}

uint64_t UringLoop::MonotonicNs() const { return ReadClockNs(CLOCK_MONOTONIC); }

uint64_t UringLoop::RealtimeNs() const { return ReadClockNs(CLOCK_REALTIME); }

void UringLoop::Post(absl::AnyInvocable<void()> callback) {
  SLUICE_ASSERT(callback != nullptr, "posting an empty callback");
  posted_.push_back(std::move(callback));
}

io::TimerId UringLoop::ScheduleAfterTicks(uint64_t ticks, absl::AnyInvocable<void()> callback) {
  SLUICE_ASSERT(callback != nullptr, "scheduling an empty callback");
  const uint64_t id = next_timer_id_++;
  const uint64_t deadline_ns = DeadlineAfterTicks(MonotonicNs(), ticks);
  const bool inserted = timers_.emplace(TimerKey{deadline_ns, id}, std::move(callback)).second;
  SLUICE_ASSERT(inserted, "timer id ", id, " reused");
  timer_deadlines_.emplace(id, deadline_ns);
  return io::TimerId{id};
}

void UringLoop::CancelTimer(io::TimerId timer) {
  const auto deadline = timer_deadlines_.find(timer.value);
  if (deadline == timer_deadlines_.end()) return;  // Fired, cancelled or never existed.
  const size_t erased = timers_.erase(TimerKey{deadline->second, timer.value});
  SLUICE_ASSERT(erased == 1, "timer ", timer.value, " indexed but not scheduled");
  timer_deadlines_.erase(deadline);
}

void UringLoop::Submit(absl::FunctionRef<void(io_uring_sqe*)> prepare,
                       CompletionCallback on_complete) {
  SLUICE_ASSERT(on_complete != nullptr, "submitting without a completion callback");
  io_uring_sqe* sqe = AcquireSqe();
  prepare(sqe);
  const uint32_t slot_index = AllocateSlot(std::move(on_complete));
  io_uring_sqe_set_data64(sqe, slot_index);
  ++in_flight_count_;
}

io_uring_sqe* UringLoop::AcquireSqe() {
  for (int attempt = 0; attempt < kAcquireSqeAttemptsMax; ++attempt) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(ring_.get())) return sqe;
    // The submission queue is full: hand its entries to the kernel to make room.
    const int submitted = io_uring_submit(ring_.get());
    if (submitted == -EBUSY || submitted == -EAGAIN || submitted == -EINTR) {
      // The kernel holds back while completions back up; take them off its hands.
      ReapAvailable();
      continue;
    }
    SLUICE_ASSERT(submitted >= 0, "io_uring_submit failed: ", ErrnoName(-submitted));
  }
  SLUICE_UNREACHABLE("no io_uring submission entry after ", kAcquireSqeAttemptsMax,
                     " attempts with ", in_flight_count_, " operations in flight");
}

uint32_t UringLoop::AllocateSlot(CompletionCallback on_complete) {
  uint32_t index;
  if (free_slots_.empty()) {
    SLUICE_ASSERT(slots_.size() < std::numeric_limits<uint32_t>::max(), "slot pool exhausted");
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  CompletionSlot& slot = slots_[index];
  SLUICE_ASSERT(!slot.in_use, "completion slot ", index, " allocated twice");
  slot.in_use = true;
  slot.on_complete = std::move(on_complete);
  return index;
}

void UringLoop::ReapAvailable() {
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(ring_.get(), &cqe) == 0 && cqe != nullptr) {
    const uint64_t user_data = io_uring_cqe_get_data64(cqe);
    const int32_t result = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    // liburing's own timeout entry, used by waits on kernels without EXT_ARG.
    if (user_data == LIBURING_UDATA_TIMEOUT) continue;
    SLUICE_ASSERT(user_data < slots_.size() && slots_[user_data].in_use,
                  "completion for unknown slot ", user_data);
    SLUICE_ASSERT(in_flight_count_ > 0, "completion with nothing in flight");
    --in_flight_count_;
    reaped_.push_back(ReapedCompletion{static_cast<uint32_t>(user_data), result});
  }
}

void UringLoop::SubmitAndWait(const uint64_t* timeout_ns) {
  __kernel_timespec timeout{};
  if (timeout_ns != nullptr) {
    timeout.tv_sec = static_cast<int64_t>(*timeout_ns / 1'000'000'000u);
    timeout.tv_nsec = static_cast<long long>(*timeout_ns % 1'000'000'000u);
  }
  io_uring_cqe* cqe = nullptr;
  // One system call: submits what is queued and waits (io_uring_wait_cqe_timeout
  // semantics) for one completion or the timeout.
  const int rc = io_uring_submit_and_wait_timeout(
      ring_.get(), &cqe, 1, timeout_ns != nullptr ? &timeout : nullptr, nullptr);
  // ETIME: the timer is due. EINTR: a signal. EBUSY/EAGAIN: completions backed up,
  // which the caller's next ReapAvailable() clears.
  if (rc == -ETIME || rc == -EINTR || rc == -EBUSY || rc == -EAGAIN) return;
  SLUICE_ASSERT(rc >= 0, "io_uring_submit_and_wait_timeout failed: ", ErrnoName(-rc));
}

bool UringLoop::HasDueTimer(uint64_t now_ns) const {
  return !timers_.empty() && timers_.begin()->first.first <= now_ns;
}

bool UringLoop::SourceReady(Source source, uint64_t now_ns) const {
  switch (source) {
    case Source::kPosted:
      return !posted_.empty();
    case Source::kTimers:
      return HasDueTimer(now_ns);
    case Source::kCompletions:
      return !reaped_.empty();
  }
  SLUICE_UNREACHABLE("source ", static_cast<int>(source));
}

bool UringLoop::RunOneReady() {
  const uint64_t now_ns = timers_.empty() ? 0 : MonotonicNs();
  for (int step = 0; step < kSourceCount; ++step) {
    const auto source = static_cast<Source>((next_source_ + step) % kSourceCount);
    if (!SourceReady(source, now_ns)) continue;
    next_source_ = (static_cast<int>(source) + 1) % kSourceCount;
    switch (source) {
      case Source::kPosted:
        RunPosted();
        break;
      case Source::kTimers:
        RunDueTimer();
        break;
      case Source::kCompletions:
        RunCompletion();
        break;
    }
    return true;
  }
  return false;
}

void UringLoop::RunPosted() {
  SLUICE_ASSERT(!posted_.empty(), "no posted callback to run");
  // Taken off the queue first: the callback may post more.
  absl::AnyInvocable<void()> callback = std::move(posted_.front());
  posted_.pop_front();
  callback();
}

void UringLoop::RunDueTimer() {
  SLUICE_ASSERT(!timers_.empty(), "no timer to run");
  auto first = timers_.begin();
  const uint64_t id = first->first.second;
  absl::AnyInvocable<void()> callback = std::move(first->second);
  timers_.erase(first);
  const size_t erased = timer_deadlines_.erase(id);
  SLUICE_ASSERT(erased == 1, "timer ", id, " scheduled but not indexed");
  callback();
}

void UringLoop::RunCompletion() {
  SLUICE_ASSERT(!reaped_.empty(), "no completion to run");
  const ReapedCompletion completion = reaped_.front();
  reaped_.pop_front();
  CompletionSlot& slot = slots_[completion.slot_index];
  SLUICE_ASSERT(slot.in_use, "completion slot ", completion.slot_index, " not in use");
  // Free the slot before running: the callback may submit (and so grow slots_).
  CompletionCallback on_complete = std::move(slot.on_complete);
  slot.on_complete = nullptr;
  slot.in_use = false;
  free_slots_.push_back(completion.slot_index);
  on_complete(completion.result);
}

bool UringLoop::AnythingPending() const {
  return !posted_.empty() || !timers_.empty() || !reaped_.empty() || in_flight_count_ > 0;
}

bool UringLoop::RunOnce() {
  // Queued SQEs go to the kernel now even if an event is ready, so a busy loop
  // does not hold back I/O it has already asked for.
  if (io_uring_sq_ready(ring_.get()) > 0) {
    const int submitted = io_uring_submit(ring_.get());
    SLUICE_ASSERT(
        submitted >= 0 || submitted == -EBUSY || submitted == -EAGAIN || submitted == -EINTR,
        "io_uring_submit failed: ", ErrnoName(-submitted));
  }
  for (;;) {
    ReapAvailable();
    if (RunOneReady()) return true;
    if (!AnythingPending()) return false;
    if (timers_.empty()) {
      SubmitAndWait(nullptr);  // Only I/O is pending: wait for it.
    } else {
      const uint64_t deadline_ns = timers_.begin()->first.first;
      const uint64_t now_ns = MonotonicNs();
      const uint64_t wait_ns = deadline_ns > now_ns ? deadline_ns - now_ns : 0;
      SubmitAndWait(&wait_ns);
    }
  }
}

}  // namespace sluice::uring
