#include "io_backends/uring/tcp_send_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::uring {
namespace {

Bytes Pattern(size_t size, uint8_t seed) {
  Bytes bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + i);
  return bytes;
}

// What a sendmsg of the queue's iovecs would write, limited to `limit` bytes.
Bytes Gather(const TcpSendQueue& queue, size_t limit) {
  iovec iov[2];
  const int count = queue.FillIovecs(iov);
  Bytes out;
  for (int i = 0; i < count && out.size() < limit; ++i) {
    const auto* base = static_cast<const uint8_t*>(iov[i].iov_base);
    const size_t take = std::min(iov[i].iov_len, limit - out.size());
    out.insert(out.end(), base, base + take);
  }
  return out;
}

TEST(TcpSendQueueTest, AppendsWholeFramesOrNothing) {
  TcpSendQueue queue(1000);
  EXPECT_TRUE(queue.TryAppend(Pattern(600, 1)));
  EXPECT_FALSE(queue.TryAppend(Pattern(401, 2)));
  EXPECT_EQ(queue.size_bytes(), 600u);
  EXPECT_EQ(queue.frame_count(), 1u);
  EXPECT_TRUE(queue.TryAppend(Pattern(400, 3)));
  EXPECT_EQ(queue.size_bytes(), 1000u);
  EXPECT_FALSE(queue.TryAppend(Pattern(1, 4)));
}

TEST(TcpSendQueueTest, BytesLeaveInOrderAcrossWrapAndShortWrites) {
  TcpSendQueue queue(1000);
  Bytes expected;
  Bytes written;
  uint8_t seed = 0;
  size_t frames_completed = 0;
  size_t frames_appended = 0;
  // Appends and short "writes" interleave so the ring wraps many times.
  for (int round = 0; round < 200; ++round) {
    const Bytes frame = Pattern(100 + (round * 37) % 300, seed++);
    if (queue.TryAppend(frame)) {
      expected.insert(expected.end(), frame.begin(), frame.end());
      ++frames_appended;
    }
    const size_t write = std::min<size_t>(queue.size_bytes(), 50 + (round * 71) % 400);
    const Bytes chunk = Gather(queue, write);
    ASSERT_EQ(chunk.size(), write);
    written.insert(written.end(), chunk.begin(), chunk.end());
    frames_completed += queue.Consume(write);
  }
  const Bytes rest = Gather(queue, queue.size_bytes());
  written.insert(written.end(), rest.begin(), rest.end());
  frames_completed += queue.Consume(rest.size());
  EXPECT_EQ(written, expected);
  EXPECT_EQ(frames_completed, frames_appended);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.frame_count(), 0u);
}

TEST(TcpSendQueueTest, ClearDropsEverything) {
  TcpSendQueue queue(1000);
  ASSERT_TRUE(queue.TryAppend(Pattern(300, 1)));
  ASSERT_EQ(queue.Consume(100), 0u);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.frame_count(), 0u);
  ASSERT_TRUE(queue.TryAppend(Pattern(1000, 2)));
  EXPECT_EQ(Gather(queue, 1000), Pattern(1000, 2));
  EXPECT_EQ(queue.Consume(1000), 1u);
}

}  // namespace
}  // namespace sluice::uring
