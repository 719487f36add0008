#include "io_backends/uring/tcp_frame_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/network.h"

namespace sluice::uring {

absl::StatusOr<size_t> FrameSizeFromHeader(ByteSpan header, size_t frame_size_max_bytes) {
  SLUICE_ASSERT(header.size() >= io::kFrameHeaderSizeBytes, "a header of ", header.size(),
                " bytes");
  const uint32_t size_field = base::LoadLittleEndian<uint32_t>(header, io::kFrameSizeFieldOffset);
  if (size_field < io::kFrameHeaderSizeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("size field ", size_field,
                                                   " is shorter than the ",
                                                   io::kFrameHeaderSizeBytes, "-byte header"));
  }
  if (size_field > frame_size_max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "size field ", size_field, " exceeds the maximum frame size of ", frame_size_max_bytes));
  }
  return size_t{size_field};
}

TcpFrameReader::TcpFrameReader(size_t frame_size_max_bytes, size_t initial_capacity_bytes)
    : frame_size_max_bytes_(frame_size_max_bytes),
      buffer_(new uint8_t[initial_capacity_bytes]),
      capacity_bytes_(initial_capacity_bytes) {
  SLUICE_ASSERT(frame_size_max_bytes >= io::kFrameHeaderSizeBytes, "frame bound ",
                frame_size_max_bytes, " below the header size");
  SLUICE_ASSERT(initial_capacity_bytes >= io::kFrameHeaderSizeBytes, "initial capacity ",
                initial_capacity_bytes, " below the header size");
}

void TcpFrameReader::set_frame_size_max_bytes(size_t frame_size_max_bytes) {
  SLUICE_ASSERT(frame_size_max_bytes >= io::kFrameHeaderSizeBytes, "frame bound ",
                frame_size_max_bytes, " below the header size");
  frame_size_max_bytes_ = frame_size_max_bytes;
}

MutableByteSpan TcpFrameReader::FreeSpace() {
  SLUICE_ASSERT(!failed_, "reading after a framing error");
  if (start_ == end_) start_ = end_ = 0;  // Nothing buffered: start over at the front.
  // Room for the rest of the pending frame, or for at least a header.
  MakeRoomFor(std::max(pending_frame_size_bytes_, io::kFrameHeaderSizeBytes));
  SLUICE_ASSERT(end_ < capacity_bytes_, "no free space");
  return MutableByteSpan(buffer_.get() + end_, capacity_bytes_ - end_);
}

void TcpFrameReader::MakeRoomFor(size_t frame_size_bytes) {
  if (start_ + frame_size_bytes <= capacity_bytes_ && end_ < capacity_bytes_) return;
  const size_t buffered = end_ - start_;
  if (frame_size_bytes > capacity_bytes_) {
    // Grow to exactly the frame: bounded by frame_size_max_bytes_ (checked already).
    std::unique_ptr<uint8_t[]> larger(new uint8_t[frame_size_bytes]);
    std::memcpy(larger.get(), buffer_.get() + start_, buffered);
    buffer_ = std::move(larger);
    capacity_bytes_ = frame_size_bytes;
  } else {
    std::memmove(buffer_.get(), buffer_.get() + start_, buffered);
  }
  start_ = 0;
  end_ = buffered;
}

void TcpFrameReader::Commit(size_t bytes) {
  SLUICE_ASSERT(bytes <= capacity_bytes_ - end_, "committed ", bytes, " bytes into ",
                capacity_bytes_ - end_, " of free space");
  end_ += bytes;
}

absl::StatusOr<ByteSpan> TcpFrameReader::NextFrame() {
  SLUICE_ASSERT(!failed_, "reading after a framing error");
  const size_t buffered = end_ - start_;
  if (pending_frame_size_bytes_ == 0) {
    if (buffered < io::kFrameHeaderSizeBytes) return ByteSpan();
    absl::StatusOr<size_t> size = FrameSizeFromHeader(
        ByteSpan(buffer_.get() + start_, io::kFrameHeaderSizeBytes), frame_size_max_bytes_);
    if (!size.ok()) {
      failed_ = true;
      return size.status();
    }
    pending_frame_size_bytes_ = *size;
  }
  if (buffered < pending_frame_size_bytes_) return ByteSpan();
  const ByteSpan frame(buffer_.get() + start_, pending_frame_size_bytes_);
  start_ += pending_frame_size_bytes_;
  pending_frame_size_bytes_ = 0;
  return frame;
}

}  // namespace sluice::uring
