#include "io_backends/uring/tcp_frame_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/io/network.h"

namespace sluice::uring {
namespace {

Bytes MakeFrame(size_t size, uint8_t seed) {
  Bytes frame(size);
  for (size_t i = 0; i < size; ++i) frame[i] = static_cast<uint8_t>(seed + i * 13);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, static_cast<uint32_t>(size));
  return frame;
}

// Feeds `stream` to `reader` in receives of at most `chunk` bytes (as a socket
// might return them), collecting the frames; stops at the first framing error.
absl::Status Feed(TcpFrameReader& reader, const Bytes& stream, size_t chunk,
                  std::vector<Bytes>& frames) {
  size_t offset = 0;
  while (offset < stream.size()) {
    const MutableByteSpan space = reader.FreeSpace();
    const size_t n = std::min({chunk, space.size(), stream.size() - offset});
    std::memcpy(space.data(), stream.data() + offset, n);
    reader.Commit(n);
    offset += n;
    for (;;) {
      absl::StatusOr<ByteSpan> frame = reader.NextFrame();
      if (!frame.ok()) return frame.status();
      if (frame->empty()) break;
      frames.emplace_back(frame->begin(), frame->end());
    }
  }
  return absl::OkStatus();
}

TEST(TcpFrameReaderTest, FramesSurviveAnyReceiveSplit) {
  const std::vector<size_t> sizes = {256, 257, 4096, 300, 70'000, 256, 1'000};
  Bytes stream;
  std::vector<Bytes> sent;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(MakeFrame(sizes[i], static_cast<uint8_t>(i)));
    stream.insert(stream.end(), sent.back().begin(), sent.back().end());
  }
  for (size_t chunk :
       {size_t{1}, size_t{7}, size_t{255}, size_t{256}, size_t{4097}, stream.size()}) {
    TcpFrameReader reader(100'000, 1024);
    std::vector<Bytes> received;
    ASSERT_TRUE(Feed(reader, stream, chunk, received).ok()) << chunk;
    EXPECT_EQ(received, sent) << "receives of " << chunk << " bytes";
    EXPECT_EQ(reader.buffered_bytes(), 0u);
    EXPECT_LE(reader.capacity_bytes(), 100'000u);
  }
}

TEST(TcpFrameReaderTest, SizeFieldShorterThanTheHeaderIsAFramingError) {
  Bytes frame = MakeFrame(512, 1);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, 255);
  TcpFrameReader reader(4096);
  std::vector<Bytes> received;
  const absl::Status status = Feed(reader, frame, frame.size(), received);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_TRUE(received.empty());
}

TEST(TcpFrameReaderTest, SizeFieldAboveTheMaximumFailsFromTheHeaderAlone) {
  // A hostile size: the header says 4 GiB. Nothing beyond the header is needed to
  // refuse it, and the buffer never grows toward it.
  Bytes header = MakeFrame(256, 2);
  base::StoreLittleEndian<uint32_t>(header, io::kFrameSizeFieldOffset, 0xFFFF'FFFF);
  TcpFrameReader reader(8192, 1024);
  std::vector<Bytes> received;
  const absl::Status status = Feed(reader, header, header.size(), received);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(reader.capacity_bytes(), 1024u);
}

TEST(TcpFrameReaderTest, MaximumSizeFrameIsAccepted) {
  const Bytes frame = MakeFrame(8192, 3);
  TcpFrameReader reader(8192, 1024);
  std::vector<Bytes> received;
  ASSERT_TRUE(Feed(reader, frame, 1000, received).ok());
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0], frame);
  EXPECT_EQ(reader.capacity_bytes(), 8192u);
}

TEST(TcpFrameReaderTest, RaisingTheBoundAppliesToFramesAlreadyBufferedButNotStarted) {
  // A hello (256 bytes, the bound before it) and, in the same receive, a larger
  // frame: the connection raises the bound after the hello.
  const Bytes hello = MakeFrame(256, 4);
  const Bytes next = MakeFrame(2000, 5);
  Bytes stream = hello;
  stream.insert(stream.end(), next.begin(), next.end());
  TcpFrameReader reader(256, 4096);
  const MutableByteSpan space = reader.FreeSpace();
  std::memcpy(space.data(), stream.data(), stream.size());
  reader.Commit(stream.size());
  absl::StatusOr<ByteSpan> first = reader.NextFrame();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Bytes(first->begin(), first->end()), hello);
  reader.set_frame_size_max_bytes(4096);
  absl::StatusOr<ByteSpan> second = reader.NextFrame();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Bytes(second->begin(), second->end()), next);
}

TEST(TcpFrameReaderTest, FrameSizeFromHeaderMatchesCheckFraming) {
  for (uint32_t size : {0u, 255u, 256u, 1000u, 1001u}) {
    Bytes frame = MakeFrame(std::max<size_t>(size, 256), 6);
    base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, size);
    const bool whole_frame_ok = size >= 256 && io::CheckFraming(MakeFrame(size, 6), 1000).ok();
    EXPECT_EQ(FrameSizeFromHeader(frame, 1000).ok(), whole_frame_ok) << size;
  }
}

}  // namespace
}  // namespace sluice::uring
