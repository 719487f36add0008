#pragma once
// TcpSendQueue: the bounded queue of frames toward one peer, as one byte ring.
//
// Send() appends a whole frame or nothing (ResourceExhausted upstream: the
// contract's backpressure); the connection writes from the front with one sendmsg
// of at most two spans (the ring may wrap), so many small frames leave in one
// system call, and a short write simply consumes fewer bytes. The buffer is
// allocated once, so queueing a frame allocates nothing beyond a size slot.
//
// The kernel reads the spans of an in-flight send directly, so a queue being
// written from must stay alive, and its front bytes unchanged, until that send
// completes: the connection holds a reference to it for that long (see
// UringNetwork's "Ownership").

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/base/bytes.h"
#include "core/base/ring_queue.h"

namespace sluice::uring {

class TcpSendQueue {
 public:
  explicit TcpSendQueue(size_t capacity_bytes);

  TcpSendQueue(const TcpSendQueue&) = delete;
  TcpSendQueue& operator=(const TcpSendQueue&) = delete;

  // Copies `frame` in whole; false, copying nothing, if it does not fit.
  bool TryAppend(ByteSpan frame);

  // Points `iov` (two entries) at the oldest unsent bytes; returns how many
  // entries are used (0 when empty).
  int FillIovecs(iovec* iov) const;

  // The first `bytes` unsent bytes were written; returns how many frames that
  // completed.
  size_t Consume(size_t bytes);

  // Drops everything queued. Only while no send reads from the queue.
  void Clear();

  size_t size_bytes() const { return size_bytes_; }
  size_t capacity_bytes() const { return capacity_bytes_; }
  // Frames queued, counting one partly written.
  size_t frame_count() const { return frame_sizes_.size(); }
  bool empty() const { return size_bytes_ == 0; }

 private:
  std::unique_ptr<uint8_t[]> buffer_;
  const size_t capacity_bytes_;
  size_t head_ = 0;  // Offset of the oldest unsent byte.
  size_t size_bytes_ = 0;
  // Sizes of the queued frames, oldest first; the first one's unsent remainder.
  base::RingQueue<size_t> frame_sizes_{64};
  size_t front_frame_unsent_bytes_ = 0;
};

}  // namespace sluice::uring
