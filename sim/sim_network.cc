#include "sim/sim_network.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"

namespace sluice::sim {

SimNetwork::SimNetwork(PacketSimulator& packets, io::PeerId node, size_t frame_size_max_bytes)
    : packets_(packets), node_(node), frame_size_max_bytes_(frame_size_max_bytes) {
  SLUICE_ASSERT(frame_size_max_bytes_ >= io::kFrameHeaderSizeBytes,
                "a maximum frame size below the header size: ", frame_size_max_bytes_);
  packets_.Attach(node_, *this);
}

SimNetwork::~SimNetwork() {
  if (!crashed_) Crash();
}

void SimNetwork::SetHandler(io::NetworkHandler* handler) {
  SLUICE_ASSERT(!crashed_, "node ", node_, " crashed; Restart() it with a new handler");
  SLUICE_ASSERT(handler != nullptr, "node ", node_, ": a null handler");
  SLUICE_ASSERT(handler_ == nullptr, "node ", node_, ": the handler is set once per process");
  handler_ = handler;
}

absl::Status SimNetwork::Send(io::PeerId to, ByteSpan frame) {
  SLUICE_ASSERT(!crashed_, "node ", node_, " crashed: a dead process cannot send");
  RETURN_IF_ERROR(io::CheckFraming(frame, frame_size_max_bytes_), "node ", node_, " sending to ",
                  to);
  if (to == node_) {
    return absl::InvalidArgumentError(absl::StrCat("node ", node_, " cannot send to itself"));
  }
  if (to >= packets_.node_count()) {
    return absl::InvalidArgumentError(absl::StrCat("node ", node_, " sending to unknown peer ", to,
                                                   " (the simulator has ", packets_.node_count(),
                                                   " nodes)"));
  }
  return packets_.Submit(node_, to, frame);
}

void SimNetwork::Crash() {
  SLUICE_ASSERT(!crashed_, "node ", node_, " crashed twice");
  crashed_ = true;
  handler_ = nullptr;
  packets_.Detach(node_);
}

void SimNetwork::Restart(io::NetworkHandler* handler) {
  SLUICE_ASSERT(crashed_, "node ", node_, " restarted while running");
  crashed_ = false;
  handler_ = handler;
  packets_.Attach(node_, *this);
}

void SimNetwork::OnPacket(NodeId from, ByteSpan payload) {
  SLUICE_ASSERT(!crashed_, "node ", node_, " received a frame after it crashed");
  if (handler_ == nullptr || payload.size() > frame_size_max_bytes_) {
    ++frames_dropped_at_receiver_;
    return;
  }
  handler_->OnFrame(from, payload);
}

void SimNetwork::OnPeerReachable(NodeId peer, bool reachable) {
  SLUICE_ASSERT(!crashed_, "node ", node_, " heard of peer ", peer, " after it crashed");
  if (handler_ != nullptr) handler_->OnConnectionChange(peer, reachable);
}

}  // namespace sluice::sim
