#pragma once
// UpstreamConnection: one outbound TCP connection from a backup to the primary's
// client port, relaying one client connection's requests (client_listener.h,
// "Backups"). Frames are the client protocol's (PROTOCOL.md §1.1: a 256-byte header
// whose u32 at offset 48 is the frame's total size); both directions are relayed
// as whole frames, unvalidated (the primary validates what it receives, and the
// client what comes back).
//
// Send() queues a frame (sent once connected, in order); every whole frame the
// primary sends comes back through `on_frame`. A failure (connect refused, reset,
// end of file, a size field below 256 or above `frame_size_max_bytes`) runs
// `on_closed` once, with the reason; nothing runs after it. Destroying the object
// closes the socket and runs neither callback again (it may be destroyed from
// inside either). The socket and its buffers live in a reference-counted state the
// in-flight operations share, so the kernel never writes into freed memory; the
// descriptor closes when the last operation has completed.
//
// Everything runs on the loop's thread; not thread-safe.

#include <cstddef>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "io_backends/uring/tcp_address.h"
#include "io_backends/uring/uring_loop.h"

namespace sluice::server {

class UpstreamConnection {
 public:
  using FrameCallback = absl::AnyInvocable<void(ByteSpan frame)>;
  using ClosedCallback = absl::AnyInvocable<void(absl::string_view reason)>;

  // Starts connecting to `remote` (already resolved: nothing here blocks).
  UpstreamConnection(uring::UringLoop& loop, const uring::SocketAddress& remote,
                     size_t frame_size_max_bytes, FrameCallback on_frame, ClosedCallback on_closed);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Queues `frame` toward the primary.
  void Send(ByteSpan frame);

  struct State;  // upstream_connection.cc's, shared with the in-flight operations

 private:
  std::shared_ptr<State> state_;
};

}  // namespace sluice::server
