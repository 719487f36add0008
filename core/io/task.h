#pragma once
// Task<T>: a lazily started C++20 coroutine for sequential procedures (bootstrap,
// recovery, tests) written over the completion-based interfaces.
//
//   Task<absl::Status> Recover(Storage& storage) {
//     ASSIGN_OR_RETURN(FileHandle file, co_await OpenFile(storage, "x", OpenMode::kExisting));
//     ...
//   }
//
// A Task does nothing until it is awaited (by another Task) or handed to Spawn().
// Awaiting uses symmetric transfer, so long chains of synchronous completions do
// not grow the stack. Only one awaiter per Task. The consensus state machine does
// not use coroutines; it stays an explicit on_message / on_tick machine.
//
// Note: RETURN_IF_ERROR / ASSIGN_OR_RETURN use `return`, which is not allowed in a
// coroutine; use CO_RETURN_IF_ERROR / CO_ASSIGN_OR_RETURN below instead.

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"

namespace sluice::io {

template <typename T>
class Task;

namespace task_internal {

// Coroutine frames come from per-size free lists instead of the heap, so a steady
// state of tasks (one group commit after another) reuses frames and allocates
// nothing (rule B12). The lists are per thread — each loop runs on one thread —
// and keep their memory for the life of the thread: their size is bounded by the
// most frames that were ever alive at once.
void* AllocateFrame(std::size_t size);
void FreeFrame(void* frame, std::size_t size) noexcept;

struct PooledFrame {
  static void* operator new(std::size_t size) { return AllocateFrame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { FreeFrame(frame, size); }
};

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> handle) noexcept {
    std::coroutine_handle<> continuation = handle.promise().continuation;
    return continuation ? continuation : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct PromiseBase : PooledFrame {
  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  // Sluice code does not throw; an escaping exception is a bug.
  void unhandled_exception() const noexcept { std::terminate(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <typename U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
  T TakeResult() {
    SLUICE_ASSERT(value.has_value(), "task finished without a value");
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() const noexcept {}
  void TakeResult() const noexcept {}
};

}  // namespace task_internal

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = task_internal::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;  // empty: owns no coroutine
  explicit Task(Handle handle) : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Starts the task without awaiting it, keeping ownership here: destroying this
  // Task destroys the coroutine whether it finished or is suspended mid-way (a
  // simulated process death, or an owner going away with no I/O left to finish).
  // The owner must make sure no completion will resume a destroyed coroutine.
  void Start() {
    SLUICE_ASSERT(handle_ && !handle_.done(), "starting an empty or finished task");
    handle_.resume();
  }
  bool done() const { return !handle_ || handle_.done(); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle handle;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        handle.promise().continuation = awaiting;
        return handle;
      }
      T await_resume() { return handle.promise().TakeResult(); }
    };
    SLUICE_ASSERT(handle_, "awaiting an empty or moved-from task");
    return Awaiter{handle_};
  }

 private:
  Handle handle_;
};

namespace task_internal {

template <typename T>
Task<T> Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}

inline Task<void> Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

// A fire-and-forget coroutine that frees itself when it finishes.
struct Detached {
  struct promise_type : PooledFrame {
    Detached get_return_object() const noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

template <typename T>
Detached RunDetached(Task<T> task, absl::AnyInvocable<void(T)> on_done) {
  on_done(co_await std::move(task));
}

inline Detached RunDetached(Task<void> task, absl::AnyInvocable<void()> on_done) {
  co_await std::move(task);
  on_done();
}

}  // namespace task_internal

// Starts `task` now; `on_done` receives its result when it finishes. The task runs
// until its first real suspension inside this call, then continues on the Loop.
template <typename T>
void Spawn(Task<T> task, std::type_identity_t<absl::AnyInvocable<void(T)>> on_done) {
  task_internal::RunDetached(std::move(task), std::move(on_done));
}

inline void Spawn(Task<void> task, absl::AnyInvocable<void()> on_done) {
  task_internal::RunDetached(std::move(task), std::move(on_done));
}

// Awaits a completion-style operation: `submit` receives the callback to hand to
// the interface. The callback must not run inside `submit` (core/io's contract).
// `submit` is stored by value (no type erasure), and the callback it receives holds
// only two pointers, so awaiting allocates nothing (rule B12).
template <typename Result,
          typename Submit = absl::AnyInvocable<void(absl::AnyInvocable<void(Result)>)>>
class CompletionAwaiter {
 public:
  explicit CompletionAwaiter(Submit submit) : submit_(std::move(submit)) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiting) {
    submitting_ = true;
    submit_(absl::AnyInvocable<void(Result)>([this, awaiting](Result result) {
      SLUICE_ASSERT(!submitting_, "a completion ran inside the call that submitted it");
      result_.emplace(std::move(result));
      awaiting.resume();
    }));
    submitting_ = false;
  }
  Result await_resume() { return std::move(*result_); }

 private:
  Submit submit_;
  std::optional<Result> result_;
  bool submitting_ = false;
};

// CompletionAwaiter<Result, decltype(submit)>, with the submit type deduced.
template <typename Result, typename Submit>
CompletionAwaiter<Result, Submit> AwaitCompletion(Submit submit) {
  return CompletionAwaiter<Result, Submit>(std::move(submit));
}

}  // namespace sluice::io

#define CO_RETURN_IF_ERROR(expr, ...)                                                   \
  do {                                                                                  \
    ::absl::Status sluice_status_ = (expr);                                             \
    if (!sluice_status_.ok()) [[unlikely]] {                                            \
      co_return ::sluice::base::Annotate(sluice_status_,                                \
                                         ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                   \
  } while (false)

#define CO_ASSIGN_OR_RETURN(lhs, expr, ...)                                             \
  CO_ASSIGN_OR_RETURN_IMPL(SLUICE_STATUS_CONCAT(sluice_statusor_, __LINE__), lhs,      \
                           expr __VA_OPT__(, ) __VA_ARGS__)

#define CO_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr, ...)                              \
  auto statusor = (expr);                                                               \
  if (!statusor.ok()) [[unlikely]] {                                                    \
    co_return ::sluice::base::Annotate(statusor.status(),                               \
                                       ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__));  \
  }                                                                                     \
  lhs = std::move(statusor).value()
