#pragma once
// SimNetwork: one node's io::Network over the shared PacketSimulator and SimLoop.
//
// Send() checks framing and the destination (io::Network's contract), copies the
// frame onto the wire and returns; the handler's OnFrame() runs on the loop when the
// packet simulator delivers the frame, at its simulated delivery time. Like every
// Network, SimNetwork does not validate frames: the per-port validation of
// FORMATS.md §1 is a NetworkHandler at the edge, between this class and core/, so
// that the simulator and TCP hand core/ frames through the very same check.
//
// Process lifecycle (the simulated process that owns this endpoint):
//  - Crash(): the process dies. Every frame in flight to and from this node is
//    dropped, the handler is detached (it is never called again), and peers are told
//    the node is unreachable. A crashed node must not Send() (asserted: a dead
//    process has no code running).
//  - Restart(handler): a new process starts on the same node with a new handler;
//    peers are told it is reachable again.
// Destroying a SimNetwork that has not crashed is a crash. The PacketSimulator must
// outlive its SimNetworks.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/io/network.h"
#include "sim/packet_simulator.h"

namespace sluice::sim {

class SimNetwork final : public io::Network, private PacketEndpoint {
 public:
  // Starts `node`'s process on the wire, without a handler yet.
  SimNetwork(PacketSimulator& packets, io::PeerId node,
             size_t frame_size_max_bytes = io::kFrameSizeMaxBytesDefault);
  ~SimNetwork() override;
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // io::Network
  // Once per process: the handler must be non-null and none set since the start.
  void SetHandler(io::NetworkHandler* handler) override;
  // InvalidArgument for a frame failing io::CheckFraming or a destination that is
  // this node or not in the simulator; ResourceExhausted when the path toward `to`
  // is full. Frames to a crashed peer are accepted and lost.
  absl::Status Send(io::PeerId to, ByteSpan frame) override;
  size_t frame_size_max_bytes() const override { return frame_size_max_bytes_; }

  // --- process lifecycle ---
  void Crash();
  // `handler` may be null and set later with SetHandler(), before the loop runs.
  void Restart(io::NetworkHandler* handler);
  bool crashed() const { return crashed_; }
  io::PeerId node() const { return node_; }

  // Frames that reached this node but no handler (none set yet), or that exceeded
  // this node's maximum frame size (a sender configured with a larger one).
  uint64_t frames_dropped_at_receiver() const { return frames_dropped_at_receiver_; }

 private:
  // PacketEndpoint
  void OnPacket(NodeId from, ByteSpan payload) override;
  void OnPeerReachable(NodeId peer, bool reachable) override;

  PacketSimulator& packets_;
  const io::PeerId node_;
  const size_t frame_size_max_bytes_;
  io::NetworkHandler* handler_ = nullptr;
  bool crashed_ = false;
  uint64_t frames_dropped_at_receiver_ = 0;
};

}  // namespace sluice::sim
