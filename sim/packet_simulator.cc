#include "sim/packet_simulator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::sim {

// Sub-seed components of the simulator's seed.
constexpr uint64_t kTrafficSeedComponent = 1;
constexpr uint64_t kWeatherSeedComponent = 2;

PacketSimulator::PacketSimulator(SimLoop& loop, PacketSimulatorOptions options)
    : loop_(loop),
      options_(std::move(options)),
      node_count_(options_.replica_count + options_.client_count),
      traffic_prng_(base::DeriveSeed(options_.seed, kTrafficSeedComponent)),
      weather_prng_(base::DeriveSeed(options_.seed, kWeatherSeedComponent)),
      paths_(node_count_ * node_count_),
      endpoints_(node_count_, nullptr),
      ever_attached_(node_count_, false),
      incarnations_(node_count_, 0) {
  SLUICE_ASSERT(options_.replica_count >= 1, "a cluster has at least one replica");
  SLUICE_ASSERT(node_count_ >= 2 && node_count_ <= kNodeCountMax, "node count ", node_count_,
                " outside 2..", kNodeCountMax);
  SLUICE_ASSERT(options_.path_queue_frames_max >= 1, "a path must hold at least one frame");
  for (NodeId node = 0; node < node_count_; ++node) send_pools_.push_back(std::make_unique<base::MemoryPool>());
  ScheduleNextRandomPartition(loop_.MonotonicNs());
}

PacketSimulator::~PacketSimulator() { *alive_ = false; }

template <typename Callback>
io::TimerId PacketSimulator::ScheduleAfterNs(uint64_t delay_ns, Callback callback) {
  return loop_.ScheduleAfterNs(delay_ns,
                               [alive = alive_, callback = std::move(callback)]() mutable {
                                 if (*alive) callback();
                               });
}

void PacketSimulator::CheckNode(NodeId node) const {
  SLUICE_ASSERT(node < node_count_, "node ", node, " outside 0..", node_count_ - 1);
}

size_t PacketSimulator::PathIndex(NodeId from, NodeId to) const {
  CheckNode(from);
  CheckNode(to);
  SLUICE_ASSERT(from != to, "node ", from, " has no path to itself");
  return from * node_count_ + to;
}

bool PacketSimulator::RandomFault(base::Ratio ratio) {
  if (!random_faults_enabled_ || ratio.numerator == 0) return false;
  return traffic_prng_.Chance(ratio);
}

// --- nodes' processes ---

bool PacketSimulator::attached(NodeId node) const {
  CheckNode(node);
  return endpoints_[node] != nullptr;
}

void PacketSimulator::Attach(NodeId node, PacketEndpoint& endpoint) {
  SLUICE_ASSERT(!attached(node), "node ", node, " is already running");
  const bool restart = ever_attached_[node];
  endpoints_[node] = &endpoint;
  ever_attached_[node] = true;
  ++incarnations_[node];
  for (NodeId peer = 0; peer < node_count_; ++peer) {
    if (peer == node) continue;
    if (restart && attached(peer)) PostReachability(peer, node, true);
    if (ever_attached_[peer] && !attached(peer)) PostReachability(node, peer, false);
  }
}

void PacketSimulator::Detach(NodeId node) {
  SLUICE_ASSERT(attached(node), "node ", node, " is not running");
  endpoints_[node] = nullptr;
  for (NodeId peer = 0; peer < node_count_; ++peer) {
    if (peer == node) continue;
    DropPath(node, peer);
    DropPath(peer, node);
    if (attached(peer)) PostReachability(peer, node, false);
  }
}

void PacketSimulator::DropPath(NodeId from, NodeId to) {
  Path& path = PathOf(from, to);
  // The path's pending delivery events stay scheduled and find nothing due; the
  // clog, a property of the wire, outlives the process.
  counts_.dropped_node_down += path.queue.size();
  frames_in_flight_ -= path.queue.size();
  for (const auto& entry : path.queue) send_pools_[from]->Release(entry.second.size());
  path.queue.clear();
}

void PacketSimulator::PostReachability(NodeId receiver, NodeId peer, bool reachable) {
  // Through the loop, so the endpoint never hears of it inside Attach() or Detach(); dropped
  // if the receiver dies (or dies and restarts) before it runs.
  ScheduleAfterNs(0, [this, receiver, incarnation = incarnations_[receiver], peer, reachable] {
    if (endpoints_[receiver] == nullptr || incarnations_[receiver] != incarnation) return;
    endpoints_[receiver]->OnPeerReachable(peer, reachable);
  });
}

// --- the wire ---

absl::Status PacketSimulator::Submit(NodeId from, NodeId to, ByteSpan payload) {
  Path& path = PathOf(from, to);
  SLUICE_ASSERT(attached(from), "node ", from, " is down: a dead process cannot send");
  UpdateWeather();
  ++counts_.sent;
  if (!attached(to)) {
    ++counts_.dropped_node_down;
    return absl::OkStatus();
  }
  if (path.queue.size() >= options_.path_queue_frames_max) {
    ++counts_.dropped_queue_full;
    return absl::ResourceExhaustedError(absl::StrCat("the path from node ", from, " to node ", to,
                                                     " already holds ", path.queue.size(),
                                                     " frames"));
  }
  base::MemoryPool& pool = *send_pools_[from];
  if (!pool.TryReserve(payload.size())) {
    ++counts_.dropped_queue_full;
    return absl::ResourceExhaustedError(absl::StrCat("node ", from, "'s send budget of ", pool.limit_bytes(),
                                                     " bytes holds ", pool.used_bytes(), "; a frame of ",
                                                     payload.size(), " does not fit"));
  }
  Enqueue(from, to, Bytes(payload.begin(), payload.end()));
  if (RandomFault(options_.profile.duplication)) {
    ++counts_.duplicated;
    // The copy is a frame in memory too: charged, or refused like any other.
    if (path.queue.size() >= options_.path_queue_frames_max || !pool.TryReserve(payload.size())) {
      ++counts_.dropped_queue_full;
    } else {
      Enqueue(from, to, Bytes(payload.begin(), payload.end()));
    }
  }
  return absl::OkStatus();
}

void PacketSimulator::Enqueue(NodeId from, NodeId to, Bytes payload) {
  const uint64_t latency_ns = traffic_prng_.ExponentialWithFloor(options_.profile.latency_floor_ns,
                                                                 options_.profile.latency_mean_ns);
  const Key key{loop_.MonotonicNs() + latency_ns, next_sequence_++};
  PathOf(from, to).queue.emplace(key, std::move(payload));
  ++frames_in_flight_;
  ScheduleAfterNs(latency_ns, [this, from, to] { DeliverDue(from, to); });
}

void PacketSimulator::DeliverDue(NodeId from, NodeId to) {
  UpdateWeather();
  Path& path = PathOf(from, to);
  // Re-read the queue each time round: the endpoint may send, crash or heal.
  while (!path.queue.empty()) {
    const uint64_t now_ns = loop_.MonotonicNs();
    const auto head = path.queue.begin();
    if (head->first.first > now_ns) return;      // its own event comes later
    if (path.clogged_until_ns > now_ns) return;  // the release calls again
    if (RandomFault(options_.profile.clog)) {
      const uint64_t duration_ns =
          traffic_prng_.ExponentialWithFloor(1, options_.profile.clog_duration_mean_ns);
      StartClog(from, to, duration_ns);
      return;
    }
    Bytes payload = std::move(head->second);
    path.queue.erase(head);
    --frames_in_flight_;
    send_pools_[from]->Release(payload.size());
    if (PathBlocked(from, to)) {
      ++counts_.dropped_partition;
      continue;
    }
    if (RandomFault(options_.profile.loss)) {
      ++counts_.dropped_loss;
      continue;
    }
    SLUICE_ASSERT(endpoints_[to] != nullptr, "a frame in flight to dead node ", to);
    ++counts_.delivered;
    endpoints_[to]->OnPacket(from, payload);
  }
}

// --- clogs ---

void PacketSimulator::StartClog(NodeId from, NodeId to, uint64_t duration_ns) {
  SLUICE_ASSERT(duration_ns > 0, "a clog must last");
  Path& path = PathOf(from, to);
  const uint64_t until_ns = loop_.MonotonicNs() + duration_ns;
  if (until_ns <= path.clogged_until_ns) return;  // already clogged for longer
  ++counts_.clogs;
  path.clogged_until_ns = until_ns;
  loop_.CancelTimer(path.release);
  path.release = ScheduleAfterNs(duration_ns, [this, from, to] {
    PathOf(from, to).release = io::TimerId{};
    DeliverDue(from, to);
  });
}

void PacketSimulator::Clog(NodeId from, NodeId to, uint64_t duration_ns) {
  UpdateWeather();
  StartClog(from, to, duration_ns);
}

bool PacketSimulator::PathClogged(NodeId from, NodeId to) const {
  return PathOf(from, to).clogged_until_ns > loop_.MonotonicNs();
}

const base::MemoryPool& PacketSimulator::send_pool(NodeId node) const {
  CheckNode(node);
  return *send_pools_[node];
}

void PacketSimulator::SetSendBytesMax(NodeId node, uint64_t bytes_max) {
  CheckNode(node);
  send_pools_[node]->set_limit_bytes(bytes_max);
}

void PacketSimulator::ResetSendHighWater(NodeId node) {
  CheckNode(node);
  send_pools_[node]->ResetHighWater();
}

uint64_t PacketSimulator::queued_frames(NodeId from, NodeId to) const {
  return PathOf(from, to).queue.size();
}

// --- partitions ---

bool PacketSimulator::PathBlocked(NodeId from, NodeId to) {
  CheckNode(from);
  CheckNode(to);
  UpdateWeather();
  if (partition_.isolated.empty()) return false;
  const bool from_isolated = partition_.isolated.contains(from);
  const bool to_isolated = partition_.isolated.contains(to);
  if (from_isolated == to_isolated) return false;  // same side of the cut
  switch (partition_.mode) {
    case PartitionMode::kSymmetric:
      return true;
    case PartitionMode::kIsolatedCannotSend:
      return from_isolated;
    case PartitionMode::kIsolatedCannotReceive:
      return to_isolated;
  }
  SLUICE_UNREACHABLE("partition mode ", static_cast<int>(partition_.mode));
}

std::set<NodeId> PacketSimulator::PartitionedNodes() {
  UpdateWeather();
  return partition_.isolated;
}

void PacketSimulator::Partition(const std::set<NodeId>& isolated, PartitionMode mode) {
  SLUICE_ASSERT(!isolated.empty() && isolated.size() < node_count_,
                "a partition isolates a non-empty proper subset of the nodes");
  for (const NodeId node : isolated) CheckNode(node);
  UpdateWeather();
  partition_ = Partitioning{.isolated = isolated, .mode = mode, .by_weather = false};
  next_weather_ns_ = UINT64_MAX;  // paused until Heal()
  ++counts_.partitions;
}

void PacketSimulator::Heal() {
  UpdateWeather();
  partition_ = Partitioning{};
  for (NodeId from = 0; from < node_count_; ++from) {
    for (NodeId to = 0; to < node_count_; ++to) {
      if (from == to) continue;
      Path& path = PathOf(from, to);
      if (path.clogged_until_ns <= loop_.MonotonicNs()) continue;
      // Release now, but through the loop: Heal() may run inside an endpoint.
      path.clogged_until_ns = 0;
      loop_.CancelTimer(path.release);
      path.release = ScheduleAfterNs(0, [this, from, to] {
        PathOf(from, to).release = io::TimerId{};
        DeliverDue(from, to);
      });
    }
  }
  ScheduleNextRandomPartition(loop_.MonotonicNs());
}

// Random partitions alternate: healed for exponential(interval), then partitioned for
// exponential(duration). Their times come from weather_prng_ alone, so they do not
// shift when traffic changes.
void PacketSimulator::ScheduleNextRandomPartition(uint64_t from_ns) {
  const uint64_t interval_mean_ns = options_.profile.partition_interval_mean_ns;
  if (!random_faults_enabled_ || interval_mean_ns == 0) {
    next_weather_ns_ = UINT64_MAX;
    return;
  }
  next_weather_ns_ = from_ns + weather_prng_.ExponentialWithFloor(1, interval_mean_ns);
}

void PacketSimulator::UpdateWeather() {
  const uint64_t now_ns = loop_.MonotonicNs();
  // Bounded: each change moves next_weather_ns_ forward by at least 1 ns.
  while (next_weather_ns_ <= now_ns) {
    const uint64_t change_ns = next_weather_ns_;
    if (partition_.isolated.empty()) {
      StartRandomPartition();
      next_weather_ns_ = change_ns + weather_prng_.ExponentialWithFloor(
                                         1, options_.profile.partition_duration_mean_ns);
    } else {
      SLUICE_ASSERT(partition_.by_weather, "a named partition pauses random ones");
      partition_ = Partitioning{};
      ScheduleNextRandomPartition(change_ns);
    }
  }
}

// Cuts off a random non-empty proper subset of the replicas (clients stay with the
// rest), or, in a one-replica cluster, the replica from its clients.
void PacketSimulator::StartRandomPartition() {
  std::set<NodeId> isolated;
  for (NodeId replica = 0; replica < options_.replica_count; ++replica) {
    const bool cut = weather_prng_.Chance({1, 2});
    if (cut) isolated.insert(replica);
  }
  if (isolated.empty() ||
      (isolated.size() == options_.replica_count && options_.replica_count > 1)) {
    const NodeId replica = weather_prng_.UniformBelow(options_.replica_count);
    isolated = {replica};
  }
  PartitionMode mode = PartitionMode::kSymmetric;
  const bool asymmetric = weather_prng_.Chance(options_.profile.partition_asymmetric);
  if (asymmetric) {
    const bool cannot_send = weather_prng_.Chance({1, 2});
    mode = cannot_send ? PartitionMode::kIsolatedCannotSend : PartitionMode::kIsolatedCannotReceive;
  }
  partition_ = Partitioning{.isolated = std::move(isolated), .mode = mode, .by_weather = true};
  ++counts_.partitions;
}

// --- odds ---

void PacketSimulator::SetLoss(base::Ratio loss) {
  SLUICE_ASSERT(loss.denominator > 0 && loss.numerator <= loss.denominator);
  options_.profile.loss = loss;
}

void PacketSimulator::SetDuplication(base::Ratio duplication) {
  SLUICE_ASSERT(duplication.denominator > 0 && duplication.numerator <= duplication.denominator);
  options_.profile.duplication = duplication;
}

void PacketSimulator::SetLatency(uint64_t floor_ns, uint64_t mean_ns) {
  options_.profile.latency_floor_ns = floor_ns;
  options_.profile.latency_mean_ns = mean_ns;
}

void PacketSimulator::set_random_faults_enabled(bool enabled) {
  UpdateWeather();
  if (enabled == random_faults_enabled_) return;
  random_faults_enabled_ = enabled;
  if (!enabled) {
    // A random partition in place stays until Heal(); no new one starts.
    next_weather_ns_ = UINT64_MAX;
  } else if (partition_.isolated.empty()) {
    ScheduleNextRandomPartition(loop_.MonotonicNs());
  } else if (partition_.by_weather) {
    // The random partition left in place ends like any other.
    next_weather_ns_ = loop_.MonotonicNs() + weather_prng_.ExponentialWithFloor(
                                                 1, options_.profile.partition_duration_mean_ns);
  }
}

}  // namespace sluice::sim
