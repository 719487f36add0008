// Rule B12: the steady-state write path allocates nothing per batch. Counted over
// the whole process (core/base/testing/allocation_counter.h replaces operator new)
// for 10,000 appends after a warm-up, on the production backend (io_uring), with
// frames built into a reused buffer as a replica's receive path provides them.
// Segment rolls and state-record checkpoints (every segment_size / 64 MiB) are not
// per batch and are kept out of the measured window.
#include <gtest/gtest.h>

#include "core/base/testing/allocation_counter.h"
#include "core/io/testing/blocking_storage.h"
#include "core/partition/partition_log.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::partition {
namespace {

TEST(PartitionAllocationTest, B12_SteadyStateAppendsAllocateNothing) {
  testing::UringBackend backend;
  PartitionOptions options = testing::TestOptions();
  options.segment_size_bytes = uint64_t{1} << 40;
  options.state_checkpoint_bytes = uint64_t{1} << 40;
  absl::StatusOr<std::unique_ptr<PartitionLog>> created =
      io::testing::RunTask(backend.loop(), PartitionLog::Create(backend.storage(), options));
  ASSERT_TRUE(created.ok()) << created.status();
  PartitionLog& log = **created;
  const Bytes batch = testing::MakeBatch(4, 1);
  Bytes frame;
  // The acknowledgement callback holds two words, as a replica's would ([this, op]),
  // so it fits absl::AnyInvocable's inline storage.
  struct Acks {
    PartitionLog* log;
    uint64_t count = 0;
  } acks{&log};
  const uint64_t& acknowledged = acks.count;
  auto append_groups = [&](int groups, int per_group) {
    for (int group = 0; group < groups; ++group) {
      for (int i = 0; i < per_group; ++i) {
        ASSERT_TRUE(log.PrepareNextInto(frame, wire::Operation::kSendMessages, batch, 1).ok());
        const uint64_t op = log.last_op() + 1;
        ASSERT_TRUE(log.Append(frame, [state = &acks, op](absl::Status status) {
                         SLUICE_ASSERT(status.ok(), status.ToString());
                         ++state->count;
                         state->log->Commit(op);
                       }).ok());
      }
      ASSERT_TRUE(io::testing::RunTask(backend.loop(), log.Drain()).ok());
    }
  };
  append_groups(20, 50);  // warm-up: pools, buffers and ring queues reach their size
  base::testing::AllocationCounter counter;
  append_groups(200, 50);  // 10,000 appends
  const uint64_t allocations = counter.allocations();
  EXPECT_EQ(acknowledged, 11'000u);
  EXPECT_EQ(log.committed_next_offset(), 44'000u);
  EXPECT_EQ(allocations, 0u) << "allocations per batch: " << static_cast<double>(allocations) / 10'000;
}

}  // namespace
}  // namespace sluice::partition
