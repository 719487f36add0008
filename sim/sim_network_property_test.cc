// RapidCheck properties of SimNetwork over the packet simulator, over random
// sequences of sends, time steps, partitions, heals, clogs, odds changes, crashes
// and restarts, under a swarm profile drawn from a generated seed:
//  - every frame that arrives was sent to that node, by the node it is attributed
//    to, byte for byte; by live processes on both ends (nothing crosses a crash);
//    never across a partition or out of a clogged path; at most once per copy made;
//  - frames are conserved: sent + duplicated == delivered + dropped + in flight;
//  - without faults, every accepted frame arrives exactly once, and without jitter
//    each path is FIFO.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/base/prng.h"
#include "core/io/network.h"
#include "sim/network_fault_profile.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"

namespace sluice::sim {
namespace {

constexpr NodeId kNodes = 4;  // three replicas and a client
constexpr size_t kNumberOffset = 128;

enum class OpKind : int {
  kSend,
  kRun,
  kPartition,
  kHeal,
  kClog,
  kCrash,
  kRestart,
  kLoss,
  kDuplication,
  kCount
};

struct Op {
  int kind = 0;
  NodeId from = 0;
  NodeId to = 0;
  uint32_t amount = 0;  // body size, duration (µs), node mask, or parts per thousand
};

std::ostream& operator<<(std::ostream& out, const Op& op) {
  return out << "Op{kind=" << op.kind << " from=" << op.from << " to=" << op.to
             << " amount=" << op.amount << "}";
}

rc::Gen<Op> GenOp(int kinds) {
  // Sends are drawn about half the time, so that traffic dominates.
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 2 * kinds), rc::gen::inRange<NodeId>(0, kNodes),
                     rc::gen::inRange<NodeId>(0, kNodes), rc::gen::inRange<uint32_t>(0, 3'000)),
      [kinds](const std::tuple<int, NodeId, NodeId, uint32_t>& fields) {
        Op op;
        op.kind = std::get<0>(fields) >= kinds ? 0 : std::get<0>(fields);
        op.from = std::get<1>(fields);
        op.to = std::get<2>(fields) == op.from ? (op.from + 1) % kNodes : std::get<2>(fields);
        op.amount = std::get<3>(fields);
        return op;
      });
}

Bytes Frame(uint64_t number, size_t body_size) {
  Bytes frame(io::kFrameHeaderSizeBytes + body_size);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(number * 7 + i);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset,
                                    static_cast<uint32_t>(frame.size()));
  base::StoreLittleEndian<uint64_t>(frame, kNumberOffset, number);
  return frame;
}

class Harness;

// One process of one node: reports each arrival to the harness with its identity.
class CheckingHandler final : public io::NetworkHandler {
 public:
  CheckingHandler(Harness& harness, NodeId node, uint64_t incarnation)
      : harness_(harness), node_(node), incarnation_(incarnation) {}
  void OnFrame(io::PeerId from, ByteSpan frame) override;
  void OnConnectionChange(io::PeerId, bool) override {}

 private:
  Harness& harness_;
  NodeId node_;
  uint64_t incarnation_;
};

class Harness {
 public:
  Harness(uint64_t seed, NetworkFaultProfile profile)
      : packets_(loop_, {.seed = seed,
                         .replica_count = 3,
                         .client_count = 1,
                         .path_queue_frames_max = 16,
                         .profile = std::move(profile)}) {
    for (NodeId node = 0; node < kNodes; ++node) {
      networks_.push_back(std::make_unique<SimNetwork>(packets_, node));
      incarnations_.push_back(1);
      StartHandler(node);
    }
  }

  void Apply(const Op& op) {
    switch (static_cast<OpKind>(op.kind)) {
      case OpKind::kSend:
        return Send(op.from, op.to, op.amount);
      case OpKind::kRun:
        return RunFor(uint64_t{op.amount} * 1'000);
      case OpKind::kPartition:
        return PartitionByMask(op.amount);
      case OpKind::kHeal:
        return packets_.Heal();
      case OpKind::kClog:
        return packets_.Clog(op.from, op.to, uint64_t{op.amount} * 1'000 + 1);
      case OpKind::kCrash:
        if (!networks_[op.from]->crashed()) networks_[op.from]->Crash();
        return;
      case OpKind::kRestart:
        if (networks_[op.from]->crashed()) Restart(op.from);
        return;
      case OpKind::kLoss:
        return packets_.SetLoss({op.amount % 1'001, 1'000});
      case OpKind::kDuplication:
        duplication_seen_ = true;
        return packets_.SetDuplication({op.amount % 1'001, 1'000});
      case OpKind::kCount:
        break;
    }
    RC_FAIL("unknown op kind");
  }

  void Drain() {
    while (loop_.RunOnce()) {
    }
  }

  // Called by every handler: checks one arrival against what was sent.
  void OnArrival(NodeId node, uint64_t incarnation, NodeId from, ByteSpan frame) {
    const uint64_t number = base::LoadLittleEndian<uint64_t>(frame, kNumberOffset);
    const auto sent = sent_.find(number);
    if (sent == sent_.end()) return Violation(absl::StrCat("frame ", number, " was never sent"));
    const Sent& record = sent->second;
    if (record.to != node || record.from != from) {
      Violation(absl::StrCat("frame ", number, " from ", record.from, " to ", record.to,
                             " arrived at ", node, " attributed to ", from));
    }
    if (Bytes(frame.begin(), frame.end()) != record.frame)
      Violation(absl::StrCat("frame ", number, " changed"));
    if (incarnation != record.to_incarnation || incarnations_[node] != incarnation) {
      Violation(absl::StrCat("frame ", number, " crossed node ", node, "'s crash"));
    }
    if (networks_[from]->crashed() || incarnations_[from] != record.from_incarnation) {
      Violation(absl::StrCat("frame ", number, " outlived its sender ", from));
    }
    if (packets_.PathBlocked(from, node))
      Violation(absl::StrCat("frame ", number, " crossed a partition"));
    if (packets_.PathClogged(from, node))
      Violation(absl::StrCat("frame ", number, " left a clogged path"));
    arrivals_[number].push_back(loop_.MonotonicNs());
    const uint64_t copies_max =
        duplication_seen_ || packets_.profile().duplication.numerator > 0 ? 2 : 1;
    if (arrivals_[number].size() > copies_max)
      Violation(absl::StrCat("frame ", number, " arrived too often"));
  }

  void CheckConservation() const {
    const PacketCounts& counts = packets_.counts();
    RC_ASSERT(counts.sent + counts.duplicated ==
              counts.delivered + counts.dropped() + packets_.frames_in_flight());
  }

  const std::vector<std::string>& violations() const { return violations_; }
  const std::map<uint64_t, std::vector<uint64_t>>& arrivals() const { return arrivals_; }
  // Accepted frames per path, in send order.
  std::map<std::pair<NodeId, NodeId>, std::vector<uint64_t>> AcceptedByPath() const {
    std::map<std::pair<NodeId, NodeId>, std::vector<uint64_t>> paths;
    for (const auto& [number, record] : sent_) {
      if (record.accepted) paths[{record.from, record.to}].push_back(number);
    }
    return paths;
  }
  // Arrived frames per path, in arrival order (each frame's first arrival).
  std::map<std::pair<NodeId, NodeId>, std::vector<uint64_t>> ArrivedByPath() const {
    std::map<std::pair<uint64_t, uint64_t>, std::pair<std::pair<NodeId, NodeId>, uint64_t>> by_time;
    for (const auto& [number, times] : arrivals_) {
      const Sent& record = sent_.at(number);
      by_time[{times.front(), number}] = {{record.from, record.to}, number};
    }
    std::map<std::pair<NodeId, NodeId>, std::vector<uint64_t>> paths;
    for (const auto& [key, entry] : by_time) paths[entry.first].push_back(entry.second);
    return paths;
  }

 private:
  struct Sent {
    NodeId from, to;
    uint64_t from_incarnation, to_incarnation;
    Bytes frame;
    bool accepted;
  };

  void Violation(std::string message) { violations_.push_back(std::move(message)); }

  void StartHandler(NodeId node) {
    handlers_.push_back(std::make_unique<CheckingHandler>(*this, node, incarnations_[node]));
    networks_[node]->SetHandler(handlers_.back().get());
  }

  void Restart(NodeId node) {
    ++incarnations_[node];
    handlers_.push_back(std::make_unique<CheckingHandler>(*this, node, incarnations_[node]));
    networks_[node]->Restart(handlers_.back().get());
  }

  void Send(NodeId from, NodeId to, uint32_t body_size) {
    if (networks_[from]->crashed()) return;
    const uint64_t number = next_number_++;
    Bytes frame = Frame(number, body_size);
    const absl::Status status = networks_[from]->Send(to, frame);
    RC_ASSERT(status.ok() || absl::IsResourceExhausted(status));
    sent_[number] =
        Sent{from, to, incarnations_[from], incarnations_[to], std::move(frame), status.ok()};
  }

  void RunFor(uint64_t duration_ns) {
    loop_.ScheduleAfterNs(duration_ns, [] {});
    loop_.RunUntil([] { return false; }, loop_.MonotonicNs() + duration_ns);
  }

  void PartitionByMask(uint32_t mask) {
    std::set<NodeId> isolated;
    for (NodeId node = 0; node < kNodes; ++node) {
      if (mask & (1u << node)) isolated.insert(node);
    }
    if (isolated.empty() || isolated.size() == kNodes) return;
    packets_.Partition(isolated, static_cast<PartitionMode>(mask / 16 % 3));
  }

  SimLoop loop_;
  PacketSimulator packets_;
  std::vector<std::unique_ptr<SimNetwork>> networks_;
  std::vector<std::unique_ptr<CheckingHandler>> handlers_;  // every process's, kept to the end
  std::vector<uint64_t> incarnations_;
  std::map<uint64_t, Sent> sent_;
  std::map<uint64_t, std::vector<uint64_t>> arrivals_;  // number -> arrival times
  std::vector<std::string> violations_;
  uint64_t next_number_ = 1;
  bool duplication_seen_ = false;
};

void CheckingHandler::OnFrame(io::PeerId from, ByteSpan frame) {
  harness_.OnArrival(node_, incarnation_, from, frame);
}

RC_GTEST_PROP(SimNetworkPropertyTest, DeliveriesRespectTheFaultsInForce, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const std::vector<Op> ops =
      *rc::gen::container<std::vector<Op>>(GenOp(static_cast<int>(OpKind::kCount)));
  base::Prng profile_prng(seed);
  Harness harness(seed, DrawSwarmNetworkProfile(profile_prng, /*max_parts_per_million=*/200'000));
  for (const Op& op : ops) {
    harness.Apply(op);
    harness.CheckConservation();
    RC_ASSERT(harness.violations().empty());
  }
  harness.Drain();
  harness.CheckConservation();
  RC_ASSERT(harness.violations().empty());
}

RC_GTEST_PROP(SimNetworkPropertyTest, WithoutFaultsEveryAcceptedFrameArrivesOnce, (bool jitter)) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const std::vector<Op> ops =
      *rc::gen::container<std::vector<Op>>(GenOp(/*kinds=*/2));  // sends, runs
  NetworkFaultProfile profile;
  profile.latency_mean_ns = jitter ? 500'000 : 0;
  Harness harness(seed, profile);
  for (const Op& op : ops) harness.Apply(op);
  harness.Drain();
  RC_ASSERT(harness.violations().empty());
  const auto accepted = harness.AcceptedByPath();
  uint64_t accepted_count = 0;
  for (const auto& [path, numbers] : accepted) accepted_count += numbers.size();
  RC_ASSERT(harness.arrivals().size() == accepted_count);
  for (const auto& [number, times] : harness.arrivals()) RC_ASSERT(times.size() == 1u);
  if (!jitter) RC_ASSERT(harness.ArrivedByPath() == accepted);
}

}  // namespace
}  // namespace sluice::sim
