#pragma once
// Network: a message bus between replicas (and, on the client port, clients).
//
// Frames are whole messages: a 256-byte consensus header whose u32 at offset 48 is
// the frame's total size, then the body (FORMATS.md §1, PROTOCOL.md §1.1). A Network
// moves frames and checks only their framing (CheckFraming below), which every
// backend needs to delimit frames on a byte stream. It does not validate them:
// checksums, cluster id and the per-port rules (FORMATS.md §1 "Validation per port")
// are checked once, at the edge, by a NetworkHandler placed between the Network and
// core/ — so core/ sees only frames that passed, and each backend stays a dumb pipe.
//
// Implementations: sim/SimNetwork (over the packet simulator, fault-injecting) and
// TCP on io_uring (io_backends/uring). Both pass tests/network_contract_test.
//
// Delivery contract (what callers may rely on, and what they must not):
//  - A frame arrives whole and byte-identical, or not at all; only at the peer it was
//    sent to; attributed to the peer that sent it.
//  - Delivery is not guaranteed: frames may be lost, duplicated, delayed or reordered
//    (the simulator injects all four; TCP loses queued frames when a connection
//    drops). VSR retries, so callers treat a frame as a hint, never as a promise.
//  - Without faults (the simulator's "none" profile; TCP while its connection holds)
//    every frame sent with an OK status arrives exactly once, and frames from one
//    sender to one receiver arrive in the order they were sent.
//  - Callbacks run on the Loop that drives the backend, one at a time, and never
//    inside Send() or SetHandler().
//
// Lifetime: a Network must outlive the frames it has queued; destroying it drops
// them. A handler must stay valid while it is set.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"

namespace sluice::io {

using PeerId = uint64_t;  // Replicas are 0..replica_count-1; clients are numbered above.

// Framing: what a byte-stream backend needs to find where a frame ends.
inline constexpr size_t kFrameHeaderSizeBytes = 256;
inline constexpr size_t kFrameSizeFieldOffset = 48;  // u32: header + body
// The replica port's default bound: the largest prepare (1 MiB of body, DESIGN.md
// "Bounds") plus its header. The client port is configured with its own bound.
inline constexpr size_t kFrameSizeMaxBytesDefault = (size_t{1} << 20) + kFrameHeaderSizeBytes;

// InvalidArgument unless `frame` is at least a header, at most `frame_size_max_bytes`,
// and its size field equals its length. Send() applies exactly this check.
inline absl::Status CheckFraming(ByteSpan frame, size_t frame_size_max_bytes) {
  if (frame.size() < kFrameHeaderSizeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", frame.size(),
                                                   " bytes is shorter than its ",
                                                   kFrameHeaderSizeBytes, "-byte header"));
  }
  if (frame.size() > frame_size_max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", frame.size(),
                                                   " bytes exceeds the maximum frame size of ",
                                                   frame_size_max_bytes));
  }
  const uint32_t size_field = base::LoadLittleEndian<uint32_t>(frame, kFrameSizeFieldOffset);
  if (size_field != frame.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", frame.size(), " bytes has size field ", size_field));
  }
  return absl::OkStatus();
}

class NetworkHandler {
 public:
  virtual ~NetworkHandler() = default;

  // A whole frame from `from`, framed but not yet validated (see above). `frame` is
  // valid only during the call. The handler may call Send() from here.
  virtual void OnFrame(PeerId from, ByteSpan frame) = 0;

  // Advisory reachability, as far as the backend knows it: `connected` false when
  // the backend learns `peer` is gone (TCP: its connection closed; simulator: its
  // process crashed), true when it is back. Every peer is presumed connected when a
  // handler is set, so the first event about a peer is a `false`, and events about
  // one peer alternate. A partition raises no event (it looks like silence), so
  // core/ must never depend on these for safety.
  virtual void OnConnectionChange(PeerId peer, bool connected) = 0;
};

class Network {
 public:
  virtual ~Network() = default;

  // The handler that receives frames and connection events; set once per process
  // before the loop runs. Frames that arrive while no handler is set are dropped.
  virtual void SetHandler(NetworkHandler* handler) = 0;

  // Queues `frame` for `to`; the bytes are copied before Send() returns. OK means
  // queued, not delivered (see the delivery contract). Errors, after which nothing
  // of the frame is sent:
  //  - InvalidArgument: CheckFraming() fails, or `to` is this network's own peer or
  //    one it was not configured with (a replica hands itself messages directly);
  //  - ResourceExhausted: the bounded queue toward `to` is full (backpressure). The
  //    frame is dropped, exactly as if it had been lost; the queue drains as the
  //    loop runs, and a later Send() may succeed.
  virtual absl::Status Send(PeerId to, ByteSpan frame) = 0;

  // The largest frame Send() accepts and OnFrame() delivers, header included.
  virtual size_t frame_size_max_bytes() const = 0;
};

}  // namespace sluice::io
