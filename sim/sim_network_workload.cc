#include "sim/sim_network_workload.h"

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "core/io/network.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"

namespace sluice::sim {
namespace {

// The workload's own frame layout. The network never looks inside a frame beyond
// its size field; these fields let the receiver check what it was given.
constexpr size_t kFromOffset = 128;    // u64
constexpr size_t kToOffset = 136;      // u64
constexpr size_t kNumberOffset = 144;  // u64
constexpr size_t kReplyOffset = 152;   // u8
constexpr uint64_t kBodySizeMax = 2048;

// Sub-seed components of the run's seed.
constexpr uint64_t kDriverSeed = 1, kSetupSeed = 2, kPacketSeed = 3;

enum class Kind : uint8_t {
  kSend,
  kDeliver,
  kConnection,
  kCrash,
  kRestart,
  kPartition,
  kHeal,
  kClog,
  kSkip,
  kTotal,
  kCount
};

const char* KindName(Kind kind) {
  static constexpr const char* kNames[] = {"send",      "deliver", "connection", "crash", "restart",
                                           "partition", "heal",    "clog",       "skip",  "total"};
  static_assert(std::size(kNames) == static_cast<size_t>(Kind::kCount));
  return kNames[static_cast<size_t>(kind)];
}

uint8_t BodyByte(uint64_t number, size_t index) {
  return static_cast<uint8_t>(number * 31 + index);
}

Bytes MakeFrame(NodeId from, NodeId to, uint64_t number, bool reply, size_t body_size) {
  Bytes frame(io::kFrameHeaderSizeBytes + body_size, 0);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset,
                                    static_cast<uint32_t>(frame.size()));
  base::StoreLittleEndian<uint64_t>(frame, kFromOffset, from);
  base::StoreLittleEndian<uint64_t>(frame, kToOffset, to);
  base::StoreLittleEndian<uint64_t>(frame, kNumberOffset, number);
  frame[kReplyOffset] = reply ? 1 : 0;
  for (size_t i = 0; i < body_size; ++i) frame[io::kFrameHeaderSizeBytes + i] = BodyByte(number, i);
  return frame;
}

class Workload;

// One process's handler: forwards to the workload and checks that connection events
// alternate, starting from "connected", as io::NetworkHandler promises.
class NodeHandler final : public io::NetworkHandler {
 public:
  NodeHandler(Workload& workload, NodeId node) : workload_(workload), node_(node) {}
  void OnFrame(io::PeerId from, ByteSpan frame) override;
  void OnConnectionChange(io::PeerId peer, bool connected) override;

 private:
  Workload& workload_;
  NodeId node_;
  std::map<io::PeerId, bool> connected_;  // absent: presumed connected
};

class Workload {
 public:
  Workload(uint64_t seed, const NetworkWorkloadOptions& options);
  NetworkWorkloadResult Run();

  void OnFrame(NodeId node, NodeId from, ByteSpan frame);
  void OnConnectionChange(NodeId node, NodeId peer, bool connected) {
    Observe(Kind::kConnection, node, peer, connected ? 1 : 0);
  }

 private:
  struct Node {
    std::unique_ptr<SimNetwork> network;
    std::unique_ptr<NodeHandler> handler;  // replaced at each restart
  };

  static PacketSimulatorOptions MakePacketOptions(uint64_t seed,
                                                  const NetworkWorkloadOptions& options);
  void Observe(Kind kind, uint64_t a, uint64_t b, uint64_t c, ByteSpan payload = {});
  void ScheduleNextAction();
  void Act();
  void SendNumbered(NodeId from, NodeId to, bool reply);
  std::vector<NodeId> NodesWhere(bool crashed) const;
  NodeId PickSender(const std::vector<NodeId>& up);
  NodeId PickOtherNode(NodeId node);
  void CrashOne();
  void RestartOne();
  void PartitionSome();
  void ClogOne();

  NetworkWorkloadOptions options_;
  base::Prng prng_;
  SimLoop loop_;
  PacketSimulator packets_;
  std::vector<Node> nodes_;
  base::Checksum128Builder digest_;
  uint64_t actions_done_ = 0;
  uint64_t next_number_ = 1;
  uint64_t events_ = 0;
  uint64_t crashes_ = 0;
};

void NodeHandler::OnFrame(io::PeerId from, ByteSpan frame) {
  workload_.OnFrame(node_, from, frame);
}

void NodeHandler::OnConnectionChange(io::PeerId peer, bool connected) {
  const auto [entry, inserted] = connected_.try_emplace(peer, true);
  SLUICE_ASSERT(entry->second != connected, "node ", node_, " told twice that peer ", peer,
                connected ? " connected" : " disconnected");
  entry->second = connected;
  workload_.OnConnectionChange(node_, peer, connected);
}

Workload::Workload(uint64_t seed, const NetworkWorkloadOptions& options)
    : options_(options),
      prng_(base::DeriveSeed(seed, kDriverSeed)),
      packets_(loop_, MakePacketOptions(seed, options)) {
  nodes_.resize(packets_.node_count());
  for (NodeId node = 0; node < nodes_.size(); ++node) {
    nodes_[node].network = std::make_unique<SimNetwork>(packets_, node);
    nodes_[node].handler = std::make_unique<NodeHandler>(*this, node);
    nodes_[node].network->SetHandler(nodes_[node].handler.get());
  }
}

PacketSimulatorOptions Workload::MakePacketOptions(uint64_t seed,
                                                   const NetworkWorkloadOptions& options) {
  base::Prng setup(base::DeriveSeed(seed, kSetupSeed));
  PacketSimulatorOptions packet_options;
  packet_options.seed = base::DeriveSeed(seed, kPacketSeed);
  packet_options.replica_count = setup.UniformRange(1, 5);
  packet_options.client_count = setup.UniformRange(packet_options.replica_count == 1 ? 1 : 0, 3);
  packet_options.path_queue_frames_max = setup.UniformRange(2, 32);
  packet_options.profile =
      options.profile.has_value() ? *options.profile : DrawSwarmNetworkProfile(setup);
  return packet_options;
}

NetworkWorkloadResult Workload::Run() {
  ScheduleNextAction();
  while (loop_.RunOnce()) {
  }
  const PacketCounts& counts = packets_.counts();
  SLUICE_ASSERT(packets_.frames_in_flight() == 0, packets_.frames_in_flight(), " frames stuck");
  SLUICE_ASSERT(counts.sent + counts.duplicated == counts.delivered + counts.dropped(),
                "frames were not conserved");
  for (const uint64_t total :
       {counts.sent, counts.delivered, counts.duplicated, counts.dropped()}) {
    Observe(Kind::kTotal, total, 0, 0);
  }
  NetworkWorkloadResult result;
  const absl::uint128 digest = digest_.Finish();
  result.digest =
      absl::StrFormat("%016x%016x", absl::Uint128High64(digest), absl::Uint128Low64(digest));
  result.events = events_;
  result.replica_count = packets_.replica_count();
  result.client_count = packets_.node_count() - packets_.replica_count();
  result.crashes = crashes_;
  result.counts = counts;
  result.simulated_ns = loop_.MonotonicNs();
  result.profile = packets_.profile();
  return result;
}

void Workload::Observe(Kind kind, uint64_t a, uint64_t b, uint64_t c, ByteSpan payload) {
  ++events_;
  Bytes record(1 + 8 * 5);
  record[0] = static_cast<uint8_t>(kind);
  base::StoreLittleEndian<uint64_t>(record, 1, loop_.MonotonicNs());
  base::StoreLittleEndian<uint64_t>(record, 9, a);
  base::StoreLittleEndian<uint64_t>(record, 17, b);
  base::StoreLittleEndian<uint64_t>(record, 25, c);
  base::StoreLittleEndian<uint64_t>(record, 33, base::Checksum64(payload));
  digest_.Add(record);
  if (options_.trace) {
    options_.trace(
        absl::StrFormat("t=%dns %s %d %d %d%s", loop_.MonotonicNs(), KindName(kind), a, b, c,
                        payload.empty() ? "" : absl::StrFormat(" (%d bytes)", payload.size())));
  }
}

void Workload::ScheduleNextAction() {
  const uint64_t gap_ns = prng_.ExponentialWithFloor(0, 300'000);
  loop_.ScheduleAfterNs(gap_ns, [this] {
    Act();
    if (++actions_done_ < options_.actions) ScheduleNextAction();
  });
}

void Workload::Act() {
  const uint64_t choice = prng_.UniformBelow(100);
  if (choice < 2) return CrashOne();
  if (choice < 6) return RestartOne();
  if (choice < 7) return PartitionSome();
  if (choice < 9) {
    packets_.Heal();
    return Observe(Kind::kHeal, 0, 0, 0);
  }
  if (choice < 10) return ClogOne();
  const std::vector<NodeId> up = NodesWhere(/*crashed=*/false);
  if (up.empty()) return Observe(Kind::kSkip, 0, 0, 0);
  const NodeId from = PickSender(up);
  SendNumbered(from, PickOtherNode(from), /*reply=*/false);
}

void Workload::SendNumbered(NodeId from, NodeId to, bool reply) {
  const uint64_t number = next_number_++;
  const uint64_t body_size = prng_.UniformBelow(kBodySizeMax + 1);
  const Bytes frame = MakeFrame(from, to, number, reply, body_size);
  const absl::Status status = nodes_[from].network->Send(to, frame);
  SLUICE_ASSERT(status.ok() || absl::IsResourceExhausted(status), status.ToString());
  Observe(Kind::kSend, from, to, number, base::AsBytes(absl::StatusCodeToString(status.code())));
}

void Workload::OnFrame(NodeId node, NodeId from, ByteSpan frame) {
  SLUICE_ASSERT(io::CheckFraming(frame, io::kFrameSizeMaxBytesDefault).ok());
  SLUICE_ASSERT(base::LoadLittleEndian<uint64_t>(frame, kToOffset) == node, "node ", node,
                " received a frame addressed elsewhere");
  SLUICE_ASSERT(base::LoadLittleEndian<uint64_t>(frame, kFromOffset) == from,
                "a frame attributed to node ", from, " was sent by another");
  const uint64_t number = base::LoadLittleEndian<uint64_t>(frame, kNumberOffset);
  for (size_t i = io::kFrameHeaderSizeBytes; i < frame.size(); ++i) {
    SLUICE_ASSERT(frame[i] == BodyByte(number, i - io::kFrameHeaderSizeBytes), "frame ", number,
                  " changed in flight at byte ", i);
  }
  Observe(Kind::kDeliver, node, from, number, frame);
  // Replies make traffic depend on what arrived, and when; one level only, so the
  // run ends.
  const bool reply = frame[kReplyOffset] == 0 && prng_.Chance({1, 4});
  if (reply) SendNumbered(node, from, /*reply=*/true);
}

std::vector<NodeId> Workload::NodesWhere(bool crashed) const {
  std::vector<NodeId> nodes;
  for (NodeId node = 0; node < nodes_.size(); ++node) {
    if (nodes_[node].network->crashed() == crashed) nodes.push_back(node);
  }
  return nodes;
}

NodeId Workload::PickSender(const std::vector<NodeId>& up) {
  const uint64_t index = prng_.UniformBelow(up.size());
  if (!options_.plant_nondeterminism) return up[index];
  // Canary: steer by the iteration order of a pointer-keyed hash set.
  absl::flat_hash_set<const void*> addresses;
  std::vector<std::unique_ptr<NodeId>> owners;
  for (const NodeId node : up) {
    owners.push_back(std::make_unique<NodeId>(node));
    addresses.insert(owners.back().get());
  }
  return *static_cast<const NodeId*>(*addresses.begin());
}

NodeId Workload::PickOtherNode(NodeId node) {
  const NodeId other = prng_.UniformBelow(nodes_.size() - 1);
  return other >= node ? other + 1 : other;
}

void Workload::CrashOne() {
  const std::vector<NodeId> up = NodesWhere(/*crashed=*/false);
  if (up.empty()) return Observe(Kind::kSkip, 0, 0, 0);
  const NodeId node = up[prng_.UniformBelow(up.size())];
  nodes_[node].network->Crash();
  ++crashes_;
  Observe(Kind::kCrash, node, 0, 0);
}

void Workload::RestartOne() {
  const std::vector<NodeId> down = NodesWhere(/*crashed=*/true);
  if (down.empty()) return Observe(Kind::kSkip, 0, 0, 0);
  const NodeId node = down[prng_.UniformBelow(down.size())];
  nodes_[node].handler = std::make_unique<NodeHandler>(*this, node);
  nodes_[node].network->Restart(nodes_[node].handler.get());
  Observe(Kind::kRestart, node, 0, 0);
}

void Workload::PartitionSome() {
  std::set<NodeId> isolated;
  for (NodeId node = 0; node < nodes_.size(); ++node) {
    const bool cut = prng_.Chance({1, 3});
    if (cut) isolated.insert(node);
  }
  if (isolated.empty() || isolated.size() == nodes_.size()) return Observe(Kind::kSkip, 0, 0, 0);
  const PartitionMode mode = static_cast<PartitionMode>(prng_.UniformBelow(3));
  packets_.Partition(isolated, mode);
  uint64_t mask = 0;
  for (const NodeId node : isolated) mask |= uint64_t{1} << node;
  Observe(Kind::kPartition, mask, static_cast<uint64_t>(mode), 0);
}

void Workload::ClogOne() {
  const NodeId from = prng_.UniformBelow(nodes_.size());
  const NodeId to = PickOtherNode(from);
  const uint64_t duration_ns = prng_.ExponentialWithFloor(1, 5'000'000);
  packets_.Clog(from, to, duration_ns);
  Observe(Kind::kClog, from, to, duration_ns);
}

}  // namespace

NetworkWorkloadResult RunNetworkWorkload(uint64_t seed, const NetworkWorkloadOptions& options) {
  Workload workload(seed, options);
  return workload.Run();
}

}  // namespace sluice::sim
