#pragma once
// TcpFrameReader: cuts a TCP byte stream into whole frames (core/io/network.h:
// a 256-byte header whose u32 at offset 48 is the frame's total size, then the body).
//
// Pure logic, no sockets: the connection receives into FreeSpace(), reports the
// byte count with Commit(), then takes frames with NextFrame() until it says it
// needs more bytes. One receive may carry many frames, or a fraction of one.
//
// Bounds: the buffer starts small and grows only to hold the frame being
// assembled, never beyond `frame_size_max_bytes` (or the initial capacity, if that
// is larger). A size field outside [header size, frame_size_max_bytes] is a framing
// error, detected from the header alone, before any byte of the body is buffered:
// a hostile size costs nothing. After an error the reader is unusable; the
// connection is closed.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace sluice::uring {

// InvalidArgument unless the header's size field is within
// [io::kFrameHeaderSizeBytes, frame_size_max_bytes]; else that size. The check
// io::CheckFraming makes on a whole frame, made on its header.
absl::StatusOr<size_t> FrameSizeFromHeader(ByteSpan header, size_t frame_size_max_bytes);

class TcpFrameReader {
 public:
  static constexpr size_t kInitialCapacityBytesDefault = 16 * 1024;

  explicit TcpFrameReader(size_t frame_size_max_bytes,
                          size_t initial_capacity_bytes = kInitialCapacityBytesDefault);

  TcpFrameReader(const TcpFrameReader&) = delete;
  TcpFrameReader& operator=(const TcpFrameReader&) = delete;

  // Where the next receive writes; never empty. Valid until the next call of any
  // other method, and it stays at its address while a receive is in flight as
  // long as no other method is called (the kernel writes into it).
  MutableByteSpan FreeSpace();

  // `bytes` arrived at the start of the last FreeSpace().
  void Commit(size_t bytes);

  // The next whole frame, valid until the next call of any method; an empty span
  // when more bytes are needed; InvalidArgument for a bad size field.
  absl::StatusOr<ByteSpan> NextFrame();

  // Changes the bound for frames not yet started (a connection that identified
  // itself moves from the handshake's bound to its port's).
  void set_frame_size_max_bytes(size_t frame_size_max_bytes);
  size_t frame_size_max_bytes() const { return frame_size_max_bytes_; }

  size_t capacity_bytes() const { return capacity_bytes_; }
  size_t buffered_bytes() const { return end_ - start_; }

 private:
  // Makes room at the end for `frame_size_bytes` starting at start_: moves the
  // buffered bytes to the front, growing the buffer if the frame needs it.
  void MakeRoomFor(size_t frame_size_bytes);

  size_t frame_size_max_bytes_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t capacity_bytes_;
  size_t start_ = 0;  // First byte not yet handed out as a frame.
  size_t end_ = 0;    // One past the last byte received.
  // Size of the frame at start_ once its header is buffered and checked; 0 before.
  size_t pending_frame_size_bytes_ = 0;
  bool failed_ = false;
};

}  // namespace sluice::uring
