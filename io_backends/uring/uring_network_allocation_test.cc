// Rule B12 for the network: once warmed up, frames bouncing between two replicas
// over TCP allocate nothing per frame — send queues, receive buffers and the
// loop's completion slots are reused, and completion callbacks fit their inline
// storage. Counted over the whole process (allocation_counter replaces operator
// new), so this test has a binary of its own.
#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/base/testing/allocation_counter.h"
#include "core/io/network.h"
#include "io_backends/uring/uring_network.h"
#include "io_backends/uring/uring_network_testing.h"

namespace sluice::uring {
namespace {

// Answers every frame with a frame of the other size, from buffers made up front.
class Bouncer final : public io::NetworkHandler {
 public:
  explicit Bouncer(io::Network& network) : network_(network) {
    for (size_t size : {size_t{512}, size_t{64 * 1024}}) {
      Bytes frame(size, 0x5A);
      base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset,
                                        static_cast<uint32_t>(size));
      frames_.push_back(std::move(frame));
    }
  }

  void Serve(io::PeerId to) { Answer(to, 0); }

  void OnFrame(io::PeerId from, ByteSpan frame) override {
    ++received;
    Answer(from, frame.size() == frames_[0].size() ? 1 : 0);
  }
  void OnConnectionChange(io::PeerId, bool) override { ++connection_changes; }

  uint64_t received = 0;
  uint64_t connection_changes = 0;

 private:
  void Answer(io::PeerId to, size_t which) {
    const absl::Status status = network_.Send(to, frames_[which]);
    EXPECT_TRUE(status.ok()) << status;
  }

  io::Network& network_;
  std::vector<Bytes> frames_;
};

// Runs the loop until `count` frames have bounced; the guard timer is scheduled by
// the caller outside any counted window (a timer allocates).
bool RunUntilReceived(UringLoop& loop, const bool& expired, const Bouncer& a, const Bouncer& b,
                      uint64_t count) {
  while (a.received + b.received < count) {
    if (expired || !loop.RunOnce()) return false;
  }
  return true;
}

TEST(UringNetworkAllocationTest, BouncingFramesAllocateNothing) {
  testing::LoopbackCluster cluster(2);
  Bouncer zero(cluster.network(0));
  Bouncer one(cluster.network(1));
  cluster.network(0).SetHandler(&zero);
  cluster.network(1).SetHandler(&one);
  bool expired = false;
  const io::TimerId guard =
      cluster.loop().ScheduleAfterTicks(3'000, [&expired] { expired = true; });  // 30 s

  constexpr int kBallsInPlay = 4;  // Several frames in flight: queues batch and wrap.
  for (int ball = 0; ball < kBallsInPlay; ++ball) zero.Serve(1);
  ASSERT_TRUE(RunUntilReceived(cluster.loop(), expired, zero, one, 2'000)) << "warm-up";

  constexpr uint64_t kMeasuredFrames = 20'000;
  const uint64_t start = zero.received + one.received;
  base::testing::AllocationCounter counter;
  ASSERT_TRUE(RunUntilReceived(cluster.loop(), expired, zero, one, start + kMeasuredFrames));
  EXPECT_EQ(counter.allocations(), 0u) << "over " << kMeasuredFrames << " frames";

  cluster.loop().CancelTimer(guard);
  EXPECT_EQ(zero.connection_changes + one.connection_changes, 0u);
}

}  // namespace
}  // namespace sluice::uring
