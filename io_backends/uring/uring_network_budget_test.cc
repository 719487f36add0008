// UringNetwork's memory budget (uring_network.h, "Memory budget"): the replica
// port's send queues, all peers together, are charged to one base::MemoryPool. A
// frame the pool cannot take is refused with ResourceExhausted even though its own
// queue has room; as frames are written the pool is released, to nothing once
// everything is delivered.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/base/bytes.h"
#include "core/base/memory_budget.h"
#include "io_backends/uring/uring_network_testing.h"

namespace sluice::uring {
namespace {

constexpr size_t kFrameBytes = 64 * 1024;

Bytes Frame(size_t size) {
  Bytes frame(size, 0x5A);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, static_cast<uint32_t>(size));
  return frame;
}

TEST(UringNetworkBudgetTest, TheReplicaPortsQueuesTogetherStayWithinTheirPool) {
  base::MemoryPool pool(3 * kFrameBytes);  // declared first: it outlives the networks
  testing::LoopbackCluster cluster(3, [&pool](UringNetworkOptions& options) {
    if (options.self == 0) options.replica_send_pool = &pool;
  });
  // Before the loop runs nothing is connected: frames wait in the queues (each of
  // 4 MiB, so only the pool can refuse).
  const Bytes frame = Frame(kFrameBytes);
  int accepted = 0;
  absl::Status refused;
  for (int i = 0; i < 8; ++i) {
    const absl::Status status = cluster.network(0).Send(1 + i % 2, frame);
    if (!status.ok()) {
      refused = status;
      break;
    }
    ++accepted;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_EQ(pool.used_bytes(), 3 * kFrameBytes);
  EXPECT_EQ(cluster.network(0).queued_bytes(1) + cluster.network(0).queued_bytes(2), pool.used_bytes())
      << "the pool counts exactly what is queued";
  // Connected, the queues drain and the pool with them.
  ASSERT_TRUE(cluster.Settle());
  EXPECT_EQ(pool.used_bytes(), 0u);
  EXPECT_EQ(pool.high_water_bytes(), 3 * kFrameBytes);
  EXPECT_TRUE(cluster.network(0).Send(1, frame).ok());
}

TEST(UringNetworkBudgetTest, FramesDroppedWithTheirConnectionLeaveThePool) {
  base::MemoryPool pool(8 * kFrameBytes);
  testing::LoopbackCluster cluster(2, [&pool](UringNetworkOptions& options) {
    if (options.self == 0) options.replica_send_pool = &pool;
  });
  ASSERT_TRUE(cluster.network(0).Send(1, Frame(kFrameBytes)).ok());
  ASSERT_TRUE(cluster.network(0).Send(1, Frame(kFrameBytes)).ok());
  EXPECT_EQ(pool.used_bytes(), 2 * kFrameBytes);
  cluster.Stop(0);  // the network goes with its queues
  EXPECT_EQ(pool.used_bytes(), 0u);
}

}  // namespace
}  // namespace sluice::uring
