#pragma once
// RingQueue<T>: a FIFO queue over one contiguous buffer that it reuses, so a
// steady state of push_back / pop_front allocates nothing (std::deque allocates
// and frees blocks as it moves through memory). It grows by doubling only when
// full; reserve() up front to bound it.

#include <cstddef>
#include <utility>
#include <vector>

#include "core/base/assert.h"

namespace sluice::base {

template <typename T>
class RingQueue {
 public:
  explicit RingQueue(size_t capacity = 16) : slots_(capacity == 0 ? 1 : capacity) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return slots_.size(); }

  T& front() {
    SLUICE_ASSERT(size_ > 0, "front() of an empty queue");
    return slots_[head_];
  }
  T& back() {
    SLUICE_ASSERT(size_ > 0, "back() of an empty queue");
    return slots_[(head_ + size_ - 1) % slots_.size()];
  }
  T& operator[](size_t index) {
    SLUICE_ASSERT(index < size_, "index ", index, " of a queue of ", size_);
    return slots_[(head_ + index) % slots_.size()];
  }
  const T& operator[](size_t index) const {
    SLUICE_ASSERT(index < size_, "index ", index, " of a queue of ", size_);
    return slots_[(head_ + index) % slots_.size()];
  }

  void push_back(T value) {
    if (size_ == slots_.size()) Grow();
    slots_[(head_ + size_) % slots_.size()] = std::move(value);
    ++size_;
  }
  void pop_front() {
    SLUICE_ASSERT(size_ > 0, "pop_front() of an empty queue");
    slots_[head_] = T();
    head_ = (head_ + 1) % slots_.size();
    --size_;
  }
  void pop_back() {
    SLUICE_ASSERT(size_ > 0, "pop_back() of an empty queue");
    back() = T();
    --size_;
  }
  void clear() {
    while (!empty()) pop_front();
  }

 private:
  void Grow() {
    std::vector<T> larger(slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) larger[i] = std::move((*this)[i]);
    slots_ = std::move(larger);
    head_ = 0;
  }

  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace sluice::base
