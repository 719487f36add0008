// The Network contract (core/io/network.h), run unchanged against every backend:
// the packet simulator with faults off, and TCP on io_uring over 127.0.0.1
// (io_backends/uring/uring_network.h). A behaviour the replica relies on belongs
// here, so the simulator cannot drift from the real thing.
//
// A backend fixture provides:
//   static constexpr io::PeerId kNodes;   peers 0..kNodes-1, each with a Network
//   static constexpr uint64_t kSendsUntilBackpressureMax;   see FullQueue... below
//   io::Network& network(io::PeerId node);
//   io::PeerId unknown_peer() const;       a peer no network was configured with
//   bool RunUntil(absl::FunctionRef<bool()> done);   runs the backend until done()
//                                                     holds; false if it gives up
//   void Settle();   runs until every frame sent so far has arrived or been dropped
// with faults off (the contract's "without faults").
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "core/base/bytes.h"
#include "core/io/network.h"
#include "io_backends/uring/uring_network.h"
#include "io_backends/uring/uring_network_testing.h"
#include "sim/network_fault_profile.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"

namespace sluice {
namespace {

// The simulator, faults off: latency without jitter, nothing lost.
class SimNetworkBackend {
 public:
  static constexpr io::PeerId kNodes = 3;
  static constexpr uint64_t kSendsUntilBackpressureMax = 32;

  SimNetworkBackend()
      : packets_(loop_, {.seed = 1,
                         .replica_count = 2,
                         .client_count = 1,
                         .path_queue_frames_max = kSendsUntilBackpressureMax,
                         .profile = sim::NetworkFaultProfile::None()}) {
    for (io::PeerId node = 0; node < kNodes; ++node) {
      networks_.push_back(std::make_unique<sim::SimNetwork>(packets_, node));
    }
  }

  io::Network& network(io::PeerId node) { return *networks_.at(node); }
  io::PeerId unknown_peer() const { return kNodes; }

  bool RunUntil(absl::FunctionRef<bool()> done) {
    return loop_.RunUntil(done, loop_.MonotonicNs() + 10'000'000'000);
  }

  void Settle() {
    while (loop_.RunOnce()) {
    }
  }

 private:
  sim::SimLoop loop_;
  sim::PacketSimulator packets_;
  std::vector<std::unique_ptr<sim::SimNetwork>> networks_;
};

// TCP on io_uring: one loop, each node on its own ephemeral 127.0.0.1 port, the
// connections holding (the contract's "without faults").
class UringNetworkBackend {
 public:
  static constexpr io::PeerId kNodes = 3;
  // A 2 MiB queue per peer holds 32 frames of 64 KiB (the backpressure test's).
  static constexpr size_t kSendQueueBytes = size_t{2} << 20;
  static constexpr uint64_t kSendsUntilBackpressureMax = 40;

  UringNetworkBackend()
      : cluster_(kNodes, [](uring::UringNetworkOptions& options) {
          options.send_queue_bytes_max = kSendQueueBytes;
        }) {}

  io::Network& network(io::PeerId node) { return cluster_.network(node); }
  io::PeerId unknown_peer() const { return kNodes; }
  bool RunUntil(absl::FunctionRef<bool()> done) { return cluster_.RunUntil(done); }
  void Settle() { EXPECT_TRUE(cluster_.Settle()) << "frames neither delivered nor dropped"; }

 private:
  uring::testing::LoopbackCluster cluster_;
};

// Test frames carry, after the framing header fields, who sent them to whom and a
// number; the body is a pattern of the number, so a changed byte shows.
constexpr size_t kFromOffset = 128, kToOffset = 136, kNumberOffset = 144;

Bytes MakeFrame(io::PeerId from, io::PeerId to, uint64_t number, size_t size = 512) {
  Bytes frame(size);
  for (size_t i = 0; i < size; ++i) frame[i] = static_cast<uint8_t>((number * 131 + i * 7) >> 1);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, static_cast<uint32_t>(size));
  base::StoreLittleEndian<uint64_t>(frame, kFromOffset, from);
  base::StoreLittleEndian<uint64_t>(frame, kToOffset, to);
  base::StoreLittleEndian<uint64_t>(frame, kNumberOffset, number);
  return frame;
}

uint64_t NumberOf(const Bytes& frame) {
  return base::LoadLittleEndian<uint64_t>(frame, kNumberOffset);
}

class RecordingHandler final : public io::NetworkHandler {
 public:
  struct Arrival {
    io::PeerId from;
    Bytes frame;
  };

  void OnFrame(io::PeerId from, ByteSpan frame) override {
    arrivals.push_back({from, Bytes(frame.begin(), frame.end())});
    if (on_frame) on_frame(from, frame);
  }
  void OnConnectionChange(io::PeerId, bool) override {}

  std::vector<uint64_t> NumbersFrom(io::PeerId from) const {
    std::vector<uint64_t> numbers;
    for (const Arrival& arrival : arrivals) {
      if (arrival.from == from) numbers.push_back(NumberOf(arrival.frame));
    }
    return numbers;
  }

  std::vector<Arrival> arrivals;
  std::function<void(io::PeerId, ByteSpan)> on_frame;
};

template <typename Backend>
class NetworkContractTest : public ::testing::Test {
 protected:
  static constexpr io::PeerId kNodes = Backend::kNodes;
  static_assert(kNodes >= 3, "the suite needs a receiver and two senders");

  NetworkContractTest() : handlers_(kNodes) {
    for (io::PeerId node = 0; node < kNodes; ++node)
      backend_.network(node).SetHandler(&handlers_[node]);
  }

  absl::Status Send(io::PeerId from, io::PeerId to, const Bytes& frame) {
    return backend_.network(from).Send(to, frame);
  }

  bool AwaitArrivals(io::PeerId node, size_t count) {
    return backend_.RunUntil(
        [this, node, count] { return handlers_[node].arrivals.size() >= count; });
  }

  size_t TotalArrivals() const {
    size_t total = 0;
    for (const RecordingHandler& handler : handlers_) total += handler.arrivals.size();
    return total;
  }

  Backend backend_;
  std::vector<RecordingHandler> handlers_;
};

using Backends = ::testing::Types<SimNetworkBackend, UringNetworkBackend>;
TYPED_TEST_SUITE(NetworkContractTest, Backends);

TYPED_TEST(NetworkContractTest, FramesArriveWholeAndByteIdentical) {
  const size_t max = this->backend_.network(0).frame_size_max_bytes();
  const std::vector<size_t> sizes = {io::kFrameHeaderSizeBytes, io::kFrameHeaderSizeBytes + 1, 4096,
                                     65'536, max};
  std::vector<Bytes> sent;
  for (size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(MakeFrame(0, 1, i, sizes[i]));
    ASSERT_TRUE(this->Send(0, 1, sent.back()).ok()) << sizes[i];
  }
  ASSERT_TRUE(this->AwaitArrivals(1, sent.size()));
  this->backend_.Settle();
  ASSERT_EQ(this->handlers_[1].arrivals.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(this->handlers_[1].arrivals[i].from, 0u);
    EXPECT_TRUE(this->handlers_[1].arrivals[i].frame == sent[i])
        << "frame of " << sizes[i] << " bytes";
  }
}

TYPED_TEST(NetworkContractTest, FramesArriveOnlyAtTheirDestination) {
  constexpr uint64_t kPerPath = 5;
  uint64_t number = 0;
  for (uint64_t round = 0; round < kPerPath; ++round) {
    for (io::PeerId from = 0; from < this->kNodes; ++from) {
      for (io::PeerId to = 0; to < this->kNodes; ++to) {
        if (from == to) continue;
        ASSERT_TRUE(this->Send(from, to, MakeFrame(from, to, number++)).ok());
      }
    }
  }
  ASSERT_TRUE(this->backend_.RunUntil([this, number] { return this->TotalArrivals() >= number; }));
  this->backend_.Settle();
  for (io::PeerId node = 0; node < this->kNodes; ++node) {
    EXPECT_EQ(this->handlers_[node].arrivals.size(), kPerPath * (this->kNodes - 1));
    for (const RecordingHandler::Arrival& arrival : this->handlers_[node].arrivals) {
      EXPECT_EQ(base::LoadLittleEndian<uint64_t>(arrival.frame, kToOffset), node);
      EXPECT_EQ(base::LoadLittleEndian<uint64_t>(arrival.frame, kFromOffset), arrival.from);
      EXPECT_TRUE(arrival.frame == MakeFrame(arrival.from, node, NumberOf(arrival.frame)));
    }
  }
}

TYPED_TEST(NetworkContractTest, SendCopiesTheFrameBeforeReturning) {
  Bytes frame = MakeFrame(0, 2, 1);
  const Bytes original = frame;
  ASSERT_TRUE(this->Send(0, 2, frame).ok());
  std::fill(frame.begin() + io::kFrameHeaderSizeBytes, frame.end(), 0xEE);
  frame.clear();
  frame.shrink_to_fit();
  ASSERT_TRUE(this->AwaitArrivals(2, 1));
  EXPECT_TRUE(this->handlers_[2].arrivals[0].frame == original);
}

TYPED_TEST(NetworkContractTest, SendRejectsFramesAboveTheMaximumSize) {
  const size_t max = this->backend_.network(0).frame_size_max_bytes();
  EXPECT_GE(max, io::kFrameHeaderSizeBytes);
  const absl::Status too_big = this->Send(0, 1, MakeFrame(0, 1, 1, max + 1));
  EXPECT_TRUE(absl::IsInvalidArgument(too_big)) << too_big;
  ASSERT_TRUE(this->Send(0, 1, MakeFrame(0, 1, 2, max)).ok());
  ASSERT_TRUE(this->AwaitArrivals(1, 1));
  this->backend_.Settle();
  EXPECT_EQ(this->handlers_[1].NumbersFrom(0), (std::vector<uint64_t>{2}));
}

TYPED_TEST(NetworkContractTest, SendRejectsFramesWithBrokenFraming) {
  Bytes wrong_size_field = MakeFrame(0, 1, 1);
  base::StoreLittleEndian<uint32_t>(wrong_size_field, io::kFrameSizeFieldOffset, 300);
  EXPECT_TRUE(absl::IsInvalidArgument(this->Send(0, 1, wrong_size_field)));
  EXPECT_TRUE(absl::IsInvalidArgument(this->Send(0, 1, Bytes(io::kFrameHeaderSizeBytes - 1, 0))));
  EXPECT_TRUE(absl::IsInvalidArgument(this->Send(0, 1, Bytes{})));
  this->backend_.Settle();
  EXPECT_EQ(this->TotalArrivals(), 0u);
}

TYPED_TEST(NetworkContractTest, SendRejectsItselfAndUnknownPeersAsDestinations) {
  EXPECT_TRUE(absl::IsInvalidArgument(this->Send(1, 1, MakeFrame(1, 1, 1))));
  const io::PeerId unknown = this->backend_.unknown_peer();
  EXPECT_TRUE(absl::IsInvalidArgument(this->Send(1, unknown, MakeFrame(1, unknown, 2))));
  this->backend_.Settle();
  EXPECT_EQ(this->TotalArrivals(), 0u);
}

// The bounded queue toward a peer fills when the loop does not run; Send() then
// refuses with ResourceExhausted, and a refused frame never arrives. Large frames
// fill a TCP backend's socket buffers quickly too.
TYPED_TEST(NetworkContractTest, FullQueueRefusesWithResourceExhaustedAndDropsTheFrame) {
  constexpr size_t kSize = 64 * 1024;
  std::vector<uint64_t> accepted;
  absl::Status refused;
  uint64_t number = 0;
  for (; number < TypeParam::kSendsUntilBackpressureMax + 1; ++number) {
    const absl::Status status = this->Send(0, 1, MakeFrame(0, 1, number, kSize));
    if (!status.ok()) {
      refused = status;
      break;
    }
    accepted.push_back(number);
  }
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << "no backpressure after " << number << " sends";
  EXPECT_FALSE(accepted.empty());
  EXPECT_TRUE(this->Send(0, 2, MakeFrame(0, 2, 1'000, kSize)).ok())
      << "another peer's queue is not full";
  ASSERT_TRUE(this->AwaitArrivals(1, accepted.size()));
  this->backend_.Settle();
  EXPECT_EQ(this->handlers_[1].NumbersFrom(0), accepted)
      << "the refused frame arrived, or one was lost";
  ASSERT_TRUE(this->Send(0, 1, MakeFrame(0, 1, 2'000, kSize)).ok()) << "the queue drained";
  ASSERT_TRUE(this->AwaitArrivals(1, accepted.size() + 1));
}

TYPED_TEST(NetworkContractTest, WithoutFaultsEveryFrameArrivesOnceInSendOrderPerPath) {
  // Senders interleave toward one receiver, and also toward each other.
  constexpr uint64_t kFrames = 20;
  const io::PeerId receiver = this->kNodes - 1;
  std::map<std::pair<io::PeerId, io::PeerId>, std::vector<uint64_t>> sent;  // in send order
  auto send = [&](io::PeerId from, io::PeerId to, uint64_t number, size_t size) {
    sent[{from, to}].push_back(number);
    return this->Send(from, to, MakeFrame(from, to, number, size));
  };
  for (uint64_t i = 0; i < kFrames; ++i) {
    for (io::PeerId from = 0; from < receiver; ++from) {
      const uint64_t number = from * 1'000 + i;
      ASSERT_TRUE(send(from, receiver, number, 256 + i * 97).ok());
      const io::PeerId other = (from + 1) % receiver;  // another sender, never `from`
      ASSERT_TRUE(send(from, other, 100'000 + number, 512).ok());
    }
    if (i % 4 == 0) {
      ASSERT_TRUE(this->AwaitArrivals(receiver, (i + 1) * receiver));
    }
  }
  ASSERT_TRUE(this->backend_.RunUntil(
      [this] { return this->TotalArrivals() >= 2 * kFrames * (this->kNodes - 1); }));
  this->backend_.Settle();
  EXPECT_EQ(this->TotalArrivals(), 2 * kFrames * (this->kNodes - 1)) << "lost or duplicated";
  for (const auto& [path, numbers] : sent) {
    EXPECT_EQ(this->handlers_[path.second].NumbersFrom(path.first), numbers)
        << "path " << path.first << " -> " << path.second;
  }
}

TYPED_TEST(NetworkContractTest, HandlersNeverRunInsideSend) {
  bool sending = false;
  bool ran_inside_send = false;
  for (RecordingHandler& handler : this->handlers_) {
    handler.on_frame = [&](io::PeerId, ByteSpan) { ran_inside_send |= sending; };
  }
  for (uint64_t number = 0; number < 10; ++number) {
    sending = true;
    const absl::Status status = this->Send(number % 2, 2, MakeFrame(number % 2, 2, number));
    sending = false;
    ASSERT_TRUE(status.ok()) << status;
    if (number % 3 == 0) {
      ASSERT_TRUE(this->AwaitArrivals(2, this->handlers_[2].arrivals.size() + 1));
    }
  }
  this->backend_.Settle();
  EXPECT_FALSE(ran_inside_send);
}

TYPED_TEST(NetworkContractTest, HandlerMaySendFromOnFrame) {
  // Ping-pong: each side answers the other from inside OnFrame, with the number + 1.
  constexpr uint64_t kLast = 20;
  for (io::PeerId node : {io::PeerId{0}, io::PeerId{1}}) {
    this->handlers_[node].on_frame = [this, node](io::PeerId from, ByteSpan frame) {
      const uint64_t number = base::LoadLittleEndian<uint64_t>(frame, kNumberOffset);
      if (number < kLast) {
        EXPECT_TRUE(
            this->backend_.network(node).Send(from, MakeFrame(node, from, number + 1)).ok());
      }
    };
  }
  ASSERT_TRUE(this->Send(0, 1, MakeFrame(0, 1, 0)).ok());
  ASSERT_TRUE(this->backend_.RunUntil([this] { return this->TotalArrivals() > kLast; }));
  EXPECT_EQ(this->handlers_[1].NumbersFrom(0),
            (std::vector<uint64_t>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20}));
  EXPECT_EQ(this->handlers_[0].NumbersFrom(1),
            (std::vector<uint64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}));
}

}  // namespace
}  // namespace sluice
