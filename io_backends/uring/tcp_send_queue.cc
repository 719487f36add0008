#include "io_backends/uring/tcp_send_queue.h"

#include <algorithm>
#include <cstring>

#include "core/base/assert.h"

namespace sluice::uring {

TcpSendQueue::TcpSendQueue(size_t capacity_bytes)
    : buffer_(new uint8_t[capacity_bytes]), capacity_bytes_(capacity_bytes) {
  SLUICE_ASSERT(capacity_bytes > 0, "an empty send queue");
}

bool TcpSendQueue::TryAppend(ByteSpan frame) {
  SLUICE_ASSERT(!frame.empty(), "appending an empty frame");
  if (frame.size() > capacity_bytes_ - size_bytes_) return false;
  const size_t tail = (head_ + size_bytes_) % capacity_bytes_;
  const size_t first_part = std::min(frame.size(), capacity_bytes_ - tail);
  std::memcpy(buffer_.get() + tail, frame.data(), first_part);
  std::memcpy(buffer_.get(), frame.data() + first_part, frame.size() - first_part);
  size_bytes_ += frame.size();
  if (frame_sizes_.empty()) front_frame_unsent_bytes_ = frame.size();
  frame_sizes_.push_back(frame.size());
  return true;
}

int TcpSendQueue::FillIovecs(iovec* iov) const {
  if (size_bytes_ == 0) return 0;
  const size_t first_part = std::min(size_bytes_, capacity_bytes_ - head_);
  iov[0] = iovec{buffer_.get() + head_, first_part};
  if (first_part == size_bytes_) return 1;
  iov[1] = iovec{buffer_.get(), size_bytes_ - first_part};
  return 2;
}

size_t TcpSendQueue::Consume(size_t bytes) {
  SLUICE_ASSERT(bytes <= size_bytes_, "consumed ", bytes, " of ", size_bytes_, " queued bytes");
  head_ = (head_ + bytes) % capacity_bytes_;
  size_bytes_ -= bytes;
  size_t frames_completed = 0;
  while (bytes > 0) {
    SLUICE_ASSERT(!frame_sizes_.empty(), "bytes queued beyond the frames");
    const size_t taken = std::min(bytes, front_frame_unsent_bytes_);
    bytes -= taken;
    front_frame_unsent_bytes_ -= taken;
    if (front_frame_unsent_bytes_ == 0) {
      frame_sizes_.pop_front();
      ++frames_completed;
      front_frame_unsent_bytes_ = frame_sizes_.empty() ? 0 : frame_sizes_.front();
    }
  }
  if (size_bytes_ == 0) head_ = 0;  // Empty: keep the next frames contiguous.
  return frames_completed;
}

void TcpSendQueue::Clear() {
  head_ = 0;
  size_bytes_ = 0;
  frame_sizes_.clear();
  front_frame_unsent_bytes_ = 0;
}

}  // namespace sluice::uring
