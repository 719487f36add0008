// One test per network fault of DESIGN.md's fault model (loss, duplication,
// reordering, clogging, symmetric and asymmetric partitions, process crash), and the
// profiles that inject them at random. Each fails if the packet simulator or
// SimNetwork stops modelling its fault.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/prng.h"
#include "core/io/network.h"
#include "sim/network_fault_profile.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"

namespace sluice::sim {
namespace {

using base::Ratio;

constexpr size_t kNumberOffset = 128;

// Records what one process of a node was given.
class RecordingHandler final : public io::NetworkHandler {
 public:
  struct Arrival {
    io::PeerId from;
    uint64_t number;
    uint64_t time_ns;
  };

  explicit RecordingHandler(const SimLoop& loop) : loop_(loop) {}

  void OnFrame(io::PeerId from, ByteSpan frame) override {
    arrivals.push_back(
        {from, base::LoadLittleEndian<uint64_t>(frame, kNumberOffset), loop_.MonotonicNs()});
  }
  void OnConnectionChange(io::PeerId peer, bool connected) override {
    connection_events.emplace_back(peer, connected);
  }

  // Numbers of the frames from `from`, in arrival order.
  std::vector<uint64_t> NumbersFrom(io::PeerId from) const {
    std::vector<uint64_t> numbers;
    for (const Arrival& arrival : arrivals) {
      if (arrival.from == from) numbers.push_back(arrival.number);
    }
    return numbers;
  }

  std::vector<Arrival> arrivals;
  std::vector<std::pair<io::PeerId, bool>> connection_events;

 private:
  const SimLoop& loop_;
};

Bytes Frame(uint64_t number, size_t body_size = 32) {
  Bytes frame(io::kFrameHeaderSizeBytes + body_size, static_cast<uint8_t>(number));
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset,
                                    static_cast<uint32_t>(frame.size()));
  base::StoreLittleEndian<uint64_t>(frame, kNumberOffset, number);
  return frame;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t count) {
  std::vector<uint64_t> numbers(count);
  for (uint64_t i = 0; i < count; ++i) numbers[i] = first + i;
  return numbers;
}

class SimNetworkFaultTest : public ::testing::Test {
 protected:
  SimNetworkFaultTest() { Start({.seed = 5, .replica_count = 3, .client_count = 1}); }

  // (Re)builds the simulated world, from time 0: one SimNetwork and handler per node.
  void Start(PacketSimulatorOptions options) {
    networks_.clear();
    handlers_.clear();
    packets_.reset();
    loop_.emplace();
    packets_.emplace(*loop_, std::move(options));
    for (NodeId node = 0; node < packets_->node_count(); ++node) {
      handlers_.push_back(std::make_unique<RecordingHandler>(*loop_));
      networks_.push_back(std::make_unique<SimNetwork>(*packets_, node));
      networks_.back()->SetHandler(handlers_.back().get());
    }
  }

  absl::Status Send(NodeId from, NodeId to, uint64_t number) {
    return networks_[from]->Send(to, Frame(number));
  }

  void SendAll(NodeId from, NodeId to, const std::vector<uint64_t>& numbers) {
    for (const uint64_t number : numbers) ASSERT_TRUE(Send(from, to, number).ok()) << number;
  }

  // Advances simulated time by exactly `duration_ns` (the loop alone only moves
  // time to its next event), running everything due by then.
  void RunFor(uint64_t duration_ns) {
    loop_->ScheduleAfterNs(duration_ns, [] {});
    loop_->RunUntil([] { return false; }, loop_->MonotonicNs() + duration_ns);
  }

  void Drain() {
    while (loop_->RunOnce()) {
    }
  }

  void ExpectConservation() {
    const PacketCounts& counts = packets_->counts();
    EXPECT_EQ(counts.sent + counts.duplicated,
              counts.delivered + counts.dropped() + packets_->frames_in_flight());
  }

  RecordingHandler& handler(NodeId node) { return *handlers_[node]; }

  std::optional<SimLoop> loop_;
  std::optional<PacketSimulator> packets_;
  std::vector<std::unique_ptr<RecordingHandler>> handlers_;
  std::vector<std::unique_ptr<SimNetwork>> networks_;
};

TEST_F(SimNetworkFaultTest, DeliveryRunsOnTheLoopAtTheDeliveryTime) {
  packets_->SetLatency(1'000'000, 0);
  ASSERT_TRUE(Send(0, 1, 7).ok());
  EXPECT_TRUE(handler(1).arrivals.empty()) << "delivered inside Send()";
  Drain();
  ASSERT_EQ(handler(1).arrivals.size(), 1u);
  EXPECT_EQ(handler(1).arrivals[0].from, 0u);
  EXPECT_EQ(handler(1).arrivals[0].number, 7u);
  EXPECT_EQ(handler(1).arrivals[0].time_ns, 1'000'000u);
}

TEST_F(SimNetworkFaultTest, LossDropsAboutTheConfiguredRatio) {
  Start({.seed = 5, .replica_count = 2, .path_queue_frames_max = 10'000});
  packets_->SetLoss({1, 10});
  SendAll(0, 1, Range(0, 4'000));
  Drain();
  const PacketCounts& counts = packets_->counts();
  // 3,600 expected; the standard deviation is 19.
  EXPECT_GT(counts.delivered, 3'500u);
  EXPECT_LT(counts.delivered, 3'700u);
  EXPECT_EQ(counts.dropped_loss, 4'000u - counts.delivered);
  EXPECT_EQ(handler(1).arrivals.size(), counts.delivered);
  ExpectConservation();
}

TEST_F(SimNetworkFaultTest, DuplicationDeliversTwice) {
  packets_->SetDuplication(Ratio::Always());
  SendAll(0, 1, Range(0, 20));
  Drain();
  std::map<uint64_t, int> copies;
  for (const RecordingHandler::Arrival& arrival : handler(1).arrivals) ++copies[arrival.number];
  ASSERT_EQ(copies.size(), 20u);
  for (const auto& [number, count] : copies) EXPECT_EQ(count, 2) << "frame " << number;
  EXPECT_EQ(packets_->counts().duplicated, 20u);
  EXPECT_EQ(packets_->counts().delivered, 40u);
  ExpectConservation();
}

TEST_F(SimNetworkFaultTest, ReorderingHappensUnderLatencyJitter) {
  packets_->SetLatency(10'000, 1'000'000);
  for (const uint64_t number : Range(0, 50)) {
    ASSERT_TRUE(Send(0, 1, number).ok());
    RunFor(50'000);  // sends spaced closer than the jitter
  }
  Drain();
  const std::vector<uint64_t> numbers = handler(1).NumbersFrom(0);
  ASSERT_EQ(numbers.size(), 50u) << "jitter alone loses nothing";
  EXPECT_FALSE(std::is_sorted(numbers.begin(), numbers.end()));
  std::vector<uint64_t> sorted = numbers;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, Range(0, 50));
}

TEST_F(SimNetworkFaultTest, WithoutJitterEachPathStaysInOrder) {
  packets_->SetLatency(100'000, 0);
  for (const uint64_t number : Range(0, 50)) {
    ASSERT_TRUE(Send(0, 1, number).ok());
    ASSERT_TRUE(Send(2, 1, 1'000 + number).ok());
    RunFor(number % 3 == 0 ? 0 : 30'000);
  }
  Drain();
  EXPECT_EQ(handler(1).NumbersFrom(0), Range(0, 50));
  EXPECT_EQ(handler(1).NumbersFrom(2), Range(1'000, 50));
}

TEST_F(SimNetworkFaultTest, ClogHoldsThenReleases) {
  packets_->Clog(0, 1, 50'000'000);
  EXPECT_TRUE(packets_->PathClogged(0, 1));
  EXPECT_FALSE(packets_->PathClogged(1, 0));
  SendAll(0, 1, Range(0, 5));
  SendAll(1, 0, Range(100, 5));
  RunFor(49'000'000);
  EXPECT_TRUE(handler(1).arrivals.empty()) << "a clogged path delivered";
  EXPECT_EQ(handler(0).NumbersFrom(1), Range(100, 5)) << "the other direction is not clogged";
  EXPECT_EQ(packets_->queued_frames(0, 1), 5u);
  Drain();
  EXPECT_FALSE(packets_->PathClogged(0, 1));
  EXPECT_EQ(handler(1).NumbersFrom(0), Range(0, 5)) << "released in order, none lost";
  for (const RecordingHandler::Arrival& arrival : handler(1).arrivals) {
    EXPECT_EQ(arrival.time_ns, 50'000'000u) << "held frames fall due at the release";
  }
  EXPECT_EQ(packets_->counts().clogs, 1u);
}

TEST_F(SimNetworkFaultTest, ClogBeyondTheQueueBoundRefusesAndCounts) {
  Start({.seed = 5, .replica_count = 3, .path_queue_frames_max = 4});
  packets_->Clog(0, 1, 10'000'000);
  SendAll(0, 1, Range(0, 4));
  EXPECT_TRUE(absl::IsResourceExhausted(Send(0, 1, 4)));
  EXPECT_TRUE(absl::IsResourceExhausted(Send(0, 1, 5)));
  EXPECT_TRUE(Send(0, 2, 6).ok()) << "another path has its own queue";
  EXPECT_EQ(packets_->counts().dropped_queue_full, 2u);
  Drain();
  EXPECT_EQ(handler(1).NumbersFrom(0), Range(0, 4));
  EXPECT_TRUE(Send(0, 1, 7).ok()) << "the queue drained";
  ExpectConservation();
}

TEST_F(SimNetworkFaultTest, HealReleasesClogsAtOnce) {
  packets_->Clog(0, 1, 1'000'000'000);
  SendAll(0, 1, Range(0, 3));
  RunFor(5'000'000);
  packets_->Heal();
  RunFor(1);
  EXPECT_EQ(handler(1).NumbersFrom(0), Range(0, 3));
  EXPECT_LT(handler(1).arrivals.back().time_ns, 6'000'000u);
}

TEST_F(SimNetworkFaultTest, SymmetricPartitionBlocksBothDirectionsAndHeals) {
  packets_->Partition({0}, PartitionMode::kSymmetric);
  EXPECT_EQ(packets_->PartitionedNodes(), (std::set<NodeId>{0}));
  SendAll(0, 1, {1});
  SendAll(1, 0, {2});
  SendAll(1, 2, {3});
  Drain();
  EXPECT_TRUE(handler(0).arrivals.empty());
  EXPECT_TRUE(handler(1).arrivals.empty());
  EXPECT_EQ(handler(2).NumbersFrom(1), (std::vector<uint64_t>{3})) << "the rest still talk";
  EXPECT_EQ(packets_->counts().dropped_partition, 2u);

  packets_->Heal();
  EXPECT_TRUE(packets_->PartitionedNodes().empty());
  SendAll(0, 1, {4});
  SendAll(1, 0, {5});
  Drain();
  EXPECT_EQ(handler(1).NumbersFrom(0), (std::vector<uint64_t>{4}));
  EXPECT_EQ(handler(0).NumbersFrom(1), (std::vector<uint64_t>{5}));
  ExpectConservation();
}

TEST_F(SimNetworkFaultTest, AsymmetricPartitionBlocksOneDirectionOnly) {
  packets_->Partition({0}, PartitionMode::kIsolatedCannotSend);
  EXPECT_TRUE(packets_->PathBlocked(0, 1));
  EXPECT_FALSE(packets_->PathBlocked(1, 0));
  SendAll(0, 1, {1});
  SendAll(1, 0, {2});
  Drain();
  EXPECT_TRUE(handler(1).arrivals.empty());
  EXPECT_EQ(handler(0).NumbersFrom(1), (std::vector<uint64_t>{2}));

  packets_->Partition({0}, PartitionMode::kIsolatedCannotReceive);
  SendAll(0, 1, {3});
  SendAll(1, 0, {4});
  Drain();
  EXPECT_EQ(handler(1).NumbersFrom(0), (std::vector<uint64_t>{3}));
  EXPECT_EQ(handler(0).NumbersFrom(1), (std::vector<uint64_t>{2})) << "4 was blocked";
  EXPECT_EQ(packets_->counts().partitions, 2u);
}

TEST_F(SimNetworkFaultTest, PartitionCutsFramesAlreadyInFlight) {
  packets_->SetLatency(1'000'000, 0);
  SendAll(0, 1, {1});
  RunFor(500'000);
  packets_->Partition({1, 3}, PartitionMode::kSymmetric);
  Drain();
  EXPECT_TRUE(handler(1).arrivals.empty());
  EXPECT_EQ(packets_->counts().dropped_partition, 1u);
}

TEST_F(SimNetworkFaultTest, CrashDropsInFlightFrames) {
  SendAll(0, 1, {1});
  SendAll(1, 0, {2});
  SendAll(2, 1, {3});
  SendAll(2, 0, {4});
  networks_[1]->Crash();
  EXPECT_EQ(packets_->counts().dropped_node_down, 3u);
  Drain();
  EXPECT_EQ(handler(0).NumbersFrom(2), (std::vector<uint64_t>{4})) << "unrelated paths deliver";
  EXPECT_TRUE(handler(0).NumbersFrom(1).empty()) << "a dead node's frames died with it";
  EXPECT_TRUE(handler(1).arrivals.empty());

  SendAll(0, 1, {5});  // to a dead node: accepted, lost
  Drain();
  EXPECT_EQ(packets_->counts().dropped_node_down, 4u);

  RecordingHandler restarted(*loop_);
  networks_[1]->Restart(&restarted);
  SendAll(0, 1, {6});
  SendAll(1, 2, {7});
  Drain();
  EXPECT_EQ(restarted.NumbersFrom(0), (std::vector<uint64_t>{6}));
  EXPECT_TRUE(handler(1).arrivals.empty()) << "the dead process's handler was called";
  EXPECT_EQ(handler(2).NumbersFrom(1), (std::vector<uint64_t>{7}));
  ExpectConservation();
  networks_[1]->Crash();  // before `restarted` goes out of scope
}

TEST_F(SimNetworkFaultTest, CrashAndRestartAreReportedToPeers) {
  networks_[1]->Crash();
  networks_[2]->Crash();
  Drain();
  EXPECT_EQ(handler(0).connection_events,
            (std::vector<std::pair<io::PeerId, bool>>{{1, false}, {2, false}}));
  RecordingHandler restarted(*loop_);
  networks_[1]->Restart(&restarted);
  Drain();
  EXPECT_EQ(handler(0).connection_events.back(), (std::pair<io::PeerId, bool>{1, true}));
  EXPECT_EQ(handler(3).connection_events.back(), (std::pair<io::PeerId, bool>{1, true}));
  // The new process presumes every peer connected, and hears which are not.
  EXPECT_EQ(restarted.connection_events, (std::vector<std::pair<io::PeerId, bool>>{{2, false}}));
  EXPECT_TRUE(handler(1).connection_events.empty()) << "the dead process heard of it";
  networks_[1]->Crash();
}

TEST_F(SimNetworkFaultTest, SendRejectsBadFramingAndDestinations) {
  Bytes broken = Frame(1);
  base::StoreLittleEndian<uint32_t>(broken, io::kFrameSizeFieldOffset, 12);
  EXPECT_TRUE(absl::IsInvalidArgument(networks_[0]->Send(1, broken)));
  EXPECT_TRUE(absl::IsInvalidArgument(networks_[0]->Send(1, Bytes(100, 0))));
  EXPECT_TRUE(absl::IsInvalidArgument(networks_[0]->Send(0, Frame(1))));
  EXPECT_TRUE(absl::IsInvalidArgument(networks_[0]->Send(4, Frame(1))));
  EXPECT_EQ(packets_->counts().sent, 0u) << "rejected frames never reach the wire";
}

TEST_F(SimNetworkFaultTest, ReceiverDropsFramesAboveItsOwnMaximum) {
  // Node 3's next process is configured for frames of at most 512 bytes.
  networks_[3] = nullptr;
  networks_[3] = std::make_unique<SimNetwork>(*packets_, 3, /*frame_size_max_bytes=*/512);
  networks_[3]->SetHandler(&handler(3));
  ASSERT_TRUE(networks_[0]->Send(3, Frame(1, /*body_size=*/1'000)).ok());
  ASSERT_TRUE(networks_[0]->Send(3, Frame(2, /*body_size=*/100)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(networks_[3]->Send(0, Frame(3, /*body_size=*/1'000))));
  Drain();
  EXPECT_EQ(handler(3).NumbersFrom(0), (std::vector<uint64_t>{2}));
  EXPECT_EQ(networks_[3]->frames_dropped_at_receiver(), 1u);
}

TEST_F(SimNetworkFaultTest, CrashedNodeCannotSend) {
  networks_[0]->Crash();
  EXPECT_DEATH((void)networks_[0]->Send(1, Frame(1)), "dead process cannot send");
}

// --- random faults from profiles ---

TEST_F(SimNetworkFaultTest, RandomPartitionsComeAndGo) {
  NetworkFaultProfile profile;
  profile.partition_interval_mean_ns = 10'000'000;
  profile.partition_duration_mean_ns = 5'000'000;
  profile.partition_asymmetric = {1, 2};
  Start({.seed = 9, .replica_count = 3, .client_count = 1, .profile = profile});
  uint64_t number = 0;
  for (int step = 0; step < 1'000; ++step) {
    SendAll(0, 1, {number++});
    SendAll(1, 0, {number++});
    SendAll(3, 2, {number++});
    RunFor(1'000'000);
  }
  const PacketCounts& counts = packets_->counts();
  EXPECT_GT(counts.partitions, 20u);
  EXPECT_GT(counts.dropped_partition, 100u);
  EXPECT_GT(counts.delivered, 1'000u);

  // The liveness phase of a campaign: random faults off, heal, and all gets through.
  packets_->set_random_faults_enabled(false);
  packets_->Heal();
  const uint64_t delivered_before = counts.delivered;
  for (int step = 0; step < 100; ++step) {
    SendAll(0, 1, {number++});
    RunFor(1'000'000);
  }
  Drain();
  EXPECT_EQ(counts.delivered, delivered_before + 100);
  EXPECT_TRUE(packets_->PartitionedNodes().empty());
  ExpectConservation();
}

TEST_F(SimNetworkFaultTest, RandomClogsHoldButLoseNothing) {
  NetworkFaultProfile profile;
  profile.clog = {1, 20};
  profile.clog_duration_mean_ns = 2'000'000;
  Start({.seed = 9, .replica_count = 2, .path_queue_frames_max = 1'000, .profile = profile});
  for (const uint64_t number : Range(0, 300)) {
    SendAll(0, 1, {number});
    RunFor(100'000);
  }
  Drain();
  EXPECT_GT(packets_->counts().clogs, 3u);
  EXPECT_EQ(handler(1).NumbersFrom(0), Range(0, 300)) << "without jitter, clogs keep FIFO";
}

// Everything delivered (receiver, sender, frame, time) by a fresh simulated network
// of four nodes under the heavy profile, with jitter and duplication.
std::vector<std::tuple<NodeId, io::PeerId, uint64_t, uint64_t>> HeavyRun(uint64_t seed) {
  SimLoop loop;
  PacketSimulator packets(loop, {.seed = seed,
                                 .replica_count = 3,
                                 .client_count = 1,
                                 .profile = NetworkFaultProfile::Heavy()});
  std::vector<std::unique_ptr<RecordingHandler>> handlers;
  std::vector<std::unique_ptr<SimNetwork>> networks;
  for (NodeId node = 0; node < 4; ++node) {
    handlers.push_back(std::make_unique<RecordingHandler>(loop));
    networks.push_back(std::make_unique<SimNetwork>(packets, node));
    networks.back()->SetHandler(handlers.back().get());
  }
  for (const uint64_t number : Range(0, 200)) {
    const NodeId from = number % 4;
    const NodeId to = (from + 1 + number / 4 % 3) % 4;
    EXPECT_TRUE(networks[from]->Send(to, Frame(number)).ok());
    loop.ScheduleAfterNs(200'000, [] {});
    loop.RunUntil([] { return false; }, loop.MonotonicNs() + 200'000);
  }
  while (loop.RunOnce()) {
  }
  std::vector<std::tuple<NodeId, io::PeerId, uint64_t, uint64_t>> deliveries;
  for (NodeId node = 0; node < 4; ++node) {
    for (const RecordingHandler::Arrival& arrival : handlers[node]->arrivals) {
      deliveries.emplace_back(node, arrival.from, arrival.number, arrival.time_ns);
    }
  }
  return deliveries;
}

TEST(SimNetworkDeterminismTest, SameSeedSameDeliveries) {
  const auto first = HeavyRun(17);
  EXPECT_GT(first.size(), 150u);
  EXPECT_EQ(HeavyRun(17), first);
  EXPECT_NE(HeavyRun(18), first);
}

TEST(PacketSimulatorLifetimeTest, EventsOfADestroyedSimulatorDoNothing) {
  SimLoop loop;
  RecordingHandler handler(loop);
  {
    PacketSimulator packets(loop, {.seed = 1, .replica_count = 2});
    SimNetwork sender(packets, 0);
    SimNetwork receiver(packets, 1);
    receiver.SetHandler(&handler);
    ASSERT_TRUE(sender.Send(1, Frame(1)).ok());
    packets.Clog(1, 0, 1'000);
  }
  EXPECT_GT(loop.pending_events(), 0u);
  while (loop.RunOnce()) {
  }
  EXPECT_TRUE(handler.arrivals.empty());
}

// --- profiles ---

TEST(NetworkFaultProfileTest, NamedProfiles) {
  EXPECT_EQ(NetworkFaultProfileByName("none")->name, "none");
  EXPECT_EQ(NetworkFaultProfileByName("none")->loss.numerator, 0u);
  EXPECT_EQ(NetworkFaultProfileByName("none")->latency_mean_ns, 0u) << "none keeps paths FIFO";
  EXPECT_GT(NetworkFaultProfileByName("light")->loss.numerator, 0u);
  const NetworkFaultProfile light = *NetworkFaultProfileByName("light");
  const NetworkFaultProfile heavy = *NetworkFaultProfileByName("heavy");
  EXPECT_LT(light.loss.numerator * heavy.loss.denominator,
            heavy.loss.numerator * light.loss.denominator);
  EXPECT_LT(light.partition_interval_mean_ns, UINT64_MAX);
  EXPECT_GT(light.partition_interval_mean_ns, heavy.partition_interval_mean_ns);
  const absl::StatusOr<NetworkFaultProfile> unknown = NetworkFaultProfileByName("swarm");
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status()));
  EXPECT_NE(unknown.status().message().find("none, light or heavy"), absl::string_view::npos);
}

TEST(NetworkFaultProfileTest, SwarmDrawsAMixPerSeed) {
  int loss_off = 0, jitter_off = 0, partitions_off = 0;
  std::set<std::string> descriptions;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    base::Prng prng(seed);
    const NetworkFaultProfile profile = DrawSwarmNetworkProfile(prng);
    EXPECT_EQ(profile.name, "swarm");
    EXPECT_LE(profile.loss.numerator * 1'000'000, 50'000 * profile.loss.denominator);
    loss_off += profile.loss.numerator == 0;
    jitter_off += profile.latency_mean_ns == 0;
    partitions_off += profile.partition_interval_mean_ns == 0;
    descriptions.insert(DescribeNetworkProfile(profile));
  }
  EXPECT_EQ(descriptions.size(), 100u);
  for (const int off : {loss_off, jitter_off, partitions_off}) {
    EXPECT_GT(off, 15);
    EXPECT_LT(off, 55);
  }
}

}  // namespace
}  // namespace sluice::sim
