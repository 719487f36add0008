#pragma once
// PacketSimulator: the simulated wire between the nodes of one simulated cluster.
//
// Nodes are replicas 0..replica_count-1 and clients numbered above them. Every
// ordered pair (from, to) is a path with its own bounded queue. A frame submitted
// on a path falls due after floor + exponential(mean) nanoseconds of simulated time
// (frames overtake each other when the mean, the jitter, is non-zero); when it falls
// due it is delivered to the endpoint attached at `to`, on the SimLoop, unless a
// fault takes it:
//  - loss: dropped when due, with the profile's odds;
//  - duplication: a second copy is queued at submission, with a latency of its own;
//  - clogging: the path holds everything (new frames queue up to the bound, beyond
//    it they are refused) until the clog releases, then delivers in due order;
//  - partitions: a set of nodes is cut off from the rest, in both directions or in
//    one; frames crossing the cut are dropped when due, including those already in
//    flight when it began, until Heal();
//  - node death: Detach() drops every frame in flight to and from the node.
// Memory (DESIGN.md "Bounds"): every frame on a path is charged to its sender's send
// pool (base::MemoryPool, one per node) from Submit() until it is delivered or
// dropped; Submit() refuses a frame the pool cannot take (ResourceExhausted, counted
// as dropped_queue_full), as a TCP send queue refuses one beyond its bytes. The pools
// are unbounded — they only count — until SetSendBytesMax() bounds one: a replica's
// budget for what it has queued toward all its peers together.
// Random faults come from the NetworkFaultProfile and this simulator's own PRNGs
// (one for traffic, one for partition weather, both derived from the seed); every
// fault can also be injected by name. Everything observable depends only on the
// seed and the sequence of calls.
//
// Random partitions are evaluated lazily, at the times they were drawn for, whenever
// the simulator is next used, so an idle simulator leaves no timer pending and the
// loop runs dry once traffic stops.
//
// Frame conservation, checked by the tests:
//   sent + duplicated == delivered + dropped() + frames_in_flight().
//
// Lifetime: the SimLoop must outlive the simulator. Events the simulator scheduled
// and that run after it is destroyed do nothing.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/base/memory_budget.h"
#include "core/base/prng.h"
#include "core/io/loop.h"
#include "sim/network_fault_profile.h"
#include "sim/sim_loop.h"

namespace sluice::sim {

using NodeId = uint64_t;  // the same numbering as io::PeerId

// What the wire delivers to one node's process. Called on the loop, never inside a
// PacketSimulator call made by the caller.
class PacketEndpoint {
 public:
  virtual ~PacketEndpoint() = default;
  // `payload` is valid only during the call.
  virtual void OnPacket(NodeId from, ByteSpan payload) = 0;
  // `peer`'s process died (false) or was started again (true). See Attach().
  virtual void OnPeerReachable(NodeId peer, bool reachable) = 0;
};

// Which way a partition blocks, seen from its isolated set.
enum class PartitionMode : uint8_t {
  kSymmetric,              // nothing crosses between the isolated set and the rest
  kIsolatedCannotSend,     // isolated -> rest is dropped; rest -> isolated passes
  kIsolatedCannotReceive,  // rest -> isolated is dropped; isolated -> rest passes
};

struct PacketSimulatorOptions {
  uint64_t seed = 0;
  uint64_t replica_count = 3;
  uint64_t client_count = 0;
  // The bound of each path's queue: frames submitted and not yet due or delivered
  // (in flight, or held by a clog). Submit() refuses a frame beyond it.
  uint64_t path_queue_frames_max = 64;
  NetworkFaultProfile profile = NetworkFaultProfile::None();
};

// Frames counted once each, for reports and tests.
struct PacketCounts {
  uint64_t sent = 0;        // Submit() calls, refused ones included
  uint64_t duplicated = 0;  // extra copies made by the duplication fault
  uint64_t delivered = 0;
  uint64_t dropped_queue_full = 0;  // refused by a full path queue (a copy, or Submit's frame)
  uint64_t dropped_loss = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_node_down = 0;  // in flight to or from a node that died, or sent to a dead one
  uint64_t clogs = 0;              // clogs begun (random and named)
  uint64_t partitions = 0;         // partitions begun (random and named)

  uint64_t dropped() const {
    return dropped_queue_full + dropped_loss + dropped_partition + dropped_node_down;
  }
};

class PacketSimulator {
 public:
  // Bounds the path table (node_count² paths, allocated at construction).
  static constexpr uint64_t kNodeCountMax = 64;

  PacketSimulator(SimLoop& loop, PacketSimulatorOptions options);
  ~PacketSimulator();
  PacketSimulator(const PacketSimulator&) = delete;
  PacketSimulator& operator=(const PacketSimulator&) = delete;

  uint64_t node_count() const { return node_count_; }
  uint64_t replica_count() const { return options_.replica_count; }

  // --- nodes' processes ---
  // `node`'s process starts: frames due at `node` go to `endpoint` from now on. The
  // endpoint must stay valid until Detach(). If the node ran before (a restart), its
  // attached peers are told it is reachable again; the new endpoint is told about
  // every peer that ran before and is down now. A node that never ran is simply not
  // started yet: frames sent to it are dropped, and no event names it.
  void Attach(NodeId node, PacketEndpoint& endpoint);
  // `node`'s process dies: every frame in flight to or from it is dropped, and its
  // attached peers are told it is unreachable. It must not Submit() until attached.
  void Detach(NodeId node);
  bool attached(NodeId node) const;

  // --- the wire ---
  // Copies `payload` onto the path from -> to. `from` must be attached, `to` another
  // node. OK also when the frame is dropped because `to` is down (delivery is never
  // guaranteed); ResourceExhausted, with the frame dropped and counted, when the
  // path's queue is full.
  absl::Status Submit(NodeId from, NodeId to, ByteSpan payload);

  // --- faults by name (they apply whether random faults are enabled or not) ---
  // Cuts `isolated` (a non-empty proper subset of the nodes) off from the rest,
  // replacing any current partition. Random partitions pause until Heal().
  void Partition(const std::set<NodeId>& isolated, PartitionMode mode);
  // Ends the partition and every clog (held frames fall due at once); random
  // partitions resume, the next one drawn from now.
  void Heal();
  // Clogs the path from -> to for `duration_ns` (> 0), or longer if already clogged.
  void Clog(NodeId from, NodeId to, uint64_t duration_ns);
  // Change the profile's odds from now on (random faults; see below).
  void SetLoss(base::Ratio loss);
  void SetDuplication(base::Ratio duplication);
  void SetLatency(uint64_t floor_ns, uint64_t mean_ns);
  // Turns the profile's random faults (loss, duplication, clogs, partitions) off or
  // on; latency stays. Turning them off ends nothing already in place: call Heal().
  void set_random_faults_enabled(bool enabled);

  // --- observation ---
  // Whether the current partition drops frames from -> to.
  bool PathBlocked(NodeId from, NodeId to);
  bool PathClogged(NodeId from, NodeId to) const;
  // The isolated set of the current partition; empty when healed.
  std::set<NodeId> PartitionedNodes();
  uint64_t queued_frames(NodeId from, NodeId to) const;
  // The bytes `node` has on the wire (all its paths): used, limit, high-water mark.
  const base::MemoryPool& send_pool(NodeId node) const;
  // Bounds `node`'s send pool from now on (base::MemoryPool::kUnbounded: counting
  // only). Frames already queued stay; lowering below them refuses until they leave.
  void SetSendBytesMax(NodeId node, uint64_t bytes_max);
  void ResetSendHighWater(NodeId node);
  uint64_t frames_in_flight() const { return frames_in_flight_; }
  const PacketCounts& counts() const { return counts_; }
  const NetworkFaultProfile& profile() const { return options_.profile; }

 private:
  using Key = std::pair<uint64_t, uint64_t>;  // (due_ns, sequence): delivery order

  struct Path {
    std::map<Key, Bytes> queue;
    uint64_t clogged_until_ns = 0;
    io::TimerId release;  // the clog's end, while clogged
  };

  struct Partitioning {
    std::set<NodeId> isolated;  // empty: healed
    PartitionMode mode = PartitionMode::kSymmetric;
    bool by_weather = false;  // drawn from the profile, rather than named
  };

  // Schedules `callback` on the loop; it does nothing if this simulator is gone.
  template <typename Callback>
  io::TimerId ScheduleAfterNs(uint64_t delay_ns, Callback callback);
  size_t PathIndex(NodeId from, NodeId to) const;
  Path& PathOf(NodeId from, NodeId to) { return paths_[PathIndex(from, to)]; }
  const Path& PathOf(NodeId from, NodeId to) const { return paths_[PathIndex(from, to)]; }
  void CheckNode(NodeId node) const;
  bool RandomFault(base::Ratio ratio);
  // Puts one copy of a frame on a path, due after a fresh latency.
  void Enqueue(NodeId from, NodeId to, Bytes payload);
  // Delivers or drops every frame due on the path, unless the path is clogged.
  void DeliverDue(NodeId from, NodeId to);
  void StartClog(NodeId from, NodeId to, uint64_t duration_ns);
  void DropPath(NodeId from, NodeId to);
  void PostReachability(NodeId receiver, NodeId peer, bool reachable);
  // Applies every random partition change due by now (see the header comment).
  void UpdateWeather();
  void ScheduleNextRandomPartition(uint64_t from_ns);
  void StartRandomPartition();

  SimLoop& loop_;
  PacketSimulatorOptions options_;
  uint64_t node_count_;
  base::Prng traffic_prng_;  // latency, loss, duplication, clogs
  base::Prng weather_prng_;  // random partitions: their times depend on the seed alone
  bool random_faults_enabled_ = true;
  std::vector<Path> paths_;                 // index from * node_count_ + to
  std::vector<PacketEndpoint*> endpoints_;  // nullptr: down
  std::vector<bool> ever_attached_;
  std::vector<uint64_t> incarnations_;  // bumped at each Attach()
  // By sender: the bytes of its frames on every path (see "Memory").
  std::vector<std::unique_ptr<base::MemoryPool>> send_pools_;
  Partitioning partition_;
  uint64_t next_weather_ns_ = UINT64_MAX;  // UINT64_MAX: no change scheduled
  uint64_t next_sequence_ = 1;
  uint64_t frames_in_flight_ = 0;
  PacketCounts counts_;
  // Shared with every event this simulator schedules; false once it is destroyed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice::sim
