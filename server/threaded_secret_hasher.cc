#include "server/threaded_secret_hasher.h"

#include <utility>
#include <vector>

namespace sluice::server {

ThreadedSecretHasher::ThreadedSecretHasher(io::Loop& loop, absl::AnyInvocable<void()> before_hash)
    : loop_(loop), before_hash_(std::move(before_hash)), worker_([this] { WorkerMain(); }) {}

ThreadedSecretHasher::~ThreadedSecretHasher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  worker_.join();
  if (collecting_) loop_.CancelTimer(collect_timer_);
}

void ThreadedSecretHasher::Hash(SecretToHash secret, Done done) {
  const uint64_t id = next_id_++;
  waiting_.emplace(id, std::move(done));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({.id = id, .secret = std::move(secret)});
  }
  work_.notify_one();
  if (!collecting_) {
    collecting_ = true;
    collect_timer_ = loop_.ScheduleAfterTicks(1, [this] { Collect(); });
  }
}

void ThreadedSecretHasher::WorkerMain() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (before_hash_ != nullptr) before_hash_();
    absl::StatusOr<Bytes> hash = HashSecret(job.secret);
    std::lock_guard<std::mutex> lock(mutex_);
    finished_.push_back({.id = job.id, .hash = std::move(hash)});
  }
}

void ThreadedSecretHasher::Collect() {
  collecting_ = false;
  std::deque<Finished> finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished.swap(finished_);
  }
  for (Finished& result : finished) {
    const auto found = waiting_.find(result.id);
    if (found == waiting_.end()) continue;
    Done done = std::move(found->second);
    waiting_.erase(found);
    done(std::move(result.hash));  // may call Hash() again (a login planned anew)
  }
  if (!waiting_.empty() && !collecting_) {
    collecting_ = true;
    collect_timer_ = loop_.ScheduleAfterTicks(1, [this] { Collect(); });
  }
}

}  // namespace sluice::server
