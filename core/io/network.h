#pragma once
// Network: a message bus between replicas (and, on the client port, clients).
//
// Frames are whole messages (a 256-byte header plus body). Each frame is validated
// once, where it enters (FORMATS.md §1 "Validation per port"): the receiving side of
// the bus hands core/ only frames that passed that check. Implementations: the
// packet simulator (sim/) and TCP on io_uring (io_backends/uring).

#include <cstdint>

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace sluice::io {

using PeerId = uint64_t;  // Replicas are 0..replica_count-1; clients are numbered above.

class NetworkHandler {
 public:
  virtual ~NetworkHandler() = default;
  // A whole, validated frame from `from`. `frame` is valid only during the call.
  virtual void OnFrame(PeerId from, ByteSpan frame) = 0;
  // The connection to `peer` came up or went down.
  virtual void OnConnectionChange(PeerId peer, bool connected) = 0;
};

class Network {
 public:
  virtual ~Network() = default;

  // The handler that receives frames and connection events; set once before use.
  virtual void SetHandler(NetworkHandler* handler) = 0;

  // Queues `frame` for `to`; the bytes are copied. Delivery is not guaranteed
  // (peers retry). ResourceExhausted when the bounded send queue is full
  // (backpressure), InvalidArgument when the frame exceeds the maximum frame size.
  virtual absl::Status Send(PeerId to, ByteSpan frame) = 0;
};

}  // namespace sluice::io
