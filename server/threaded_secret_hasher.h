#pragma once
// ThreadedSecretHasher: the production SecretHasher — one worker thread runs the KDF,
// the loop collects the results.
//
// Hand-back: UringLoop is single-threaded (its Post is not thread-safe), so the
// worker only appends to a mutex-guarded list; while any hash is outstanding, a timer
// on the loop looks at that list every tick (10 ms) and runs the finished `done`s
// there, in order. So a login's reply waits at most one tick beyond its hash, and an
// idle server arms no timer (RunOnce may still report "nothing pending").
//
// Bounds: one hash at a time (Argon2id's 64 MiB are allocated once, not per waiting
// login); the queue holds at most one login per connection (a connection is served
// one request at a time), so limits.clients_max bounds it.
//
// The loop must outlive the hasher. Destruction waits for the hash in progress (at
// most one KDF's time), drops the queued ones and every `done` not yet run.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "core/io/loop.h"
#include "server/secret_hasher.h"

namespace sluice::server {

class ThreadedSecretHasher final : public SecretHasher {
 public:
  // `before_hash` (tests only) runs on the worker thread before each hash: a test
  // holds a login mid-hash with it and checks that the loop serves others meanwhile.
  explicit ThreadedSecretHasher(io::Loop& loop, absl::AnyInvocable<void()> before_hash = nullptr);
  ~ThreadedSecretHasher() override;
  ThreadedSecretHasher(const ThreadedSecretHasher&) = delete;
  ThreadedSecretHasher& operator=(const ThreadedSecretHasher&) = delete;

  void Hash(SecretToHash secret, Done done) override;

  // Hashes asked for whose `done` has not run yet (loop thread).
  size_t outstanding() const { return waiting_.size(); }

 private:
  struct Job {
    uint64_t id = 0;
    SecretToHash secret;
  };
  struct Finished {
    uint64_t id = 0;
    absl::StatusOr<Bytes> hash;
  };

  void WorkerMain();
  // Loop thread: runs the finished `done`s, and looks again next tick if any remain.
  void Collect();

  io::Loop& loop_;
  absl::AnyInvocable<void()> before_hash_;

  // Shared with the worker, under mutex_.
  std::mutex mutex_;
  std::condition_variable work_;
  std::deque<Job> queue_;
  std::deque<Finished> finished_;
  bool stopping_ = false;

  // Loop thread only.
  absl::flat_hash_map<uint64_t, Done> waiting_;
  uint64_t next_id_ = 1;
  bool collecting_ = false;  // a Collect timer is armed
  io::TimerId collect_timer_;

  std::thread worker_;  // last: started once everything it reads exists
};

}  // namespace sluice::server
