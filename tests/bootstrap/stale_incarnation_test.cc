// Bootstrap step 4's stale directories (core/bootstrap/partition_bootstrap.h): a
// directory of an incarnation the recovered metadata no longer has is removed — on a
// cluster replica only once a checkpoint covers the deletion, because a later boot's
// metadata may stop below a deleting op replayed from the WAL (a corrupt WAL entry
// under it is repaired from peers only after boot) and then needs the partition's
// directory again (rule B5; seeds 214, 300 and 374 of the 3-replica campaign refused
// to boot with "partition state record (rule B5: never recreated): ENOENT").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bootstrap/partition_bootstrap.h"
#include "core/io/testing/blocking_storage.h"
#include "core/metadata/metadata_state.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::bootstrap {
namespace {

constexpr char kStale[] = "streams/1/topics/0/partitions/0-5";

class StaleIncarnationTest : public ::testing::Test {
 protected:
  StaleIncarnationTest() : storage_(loop_, {.seed = 3}), disk_(storage_, loop_) {
    for (const char* path : {"streams", "streams/1", "streams/1/topics", "streams/1/topics/0",
                             "streams/1/topics/0/partitions", kStale}) {
      SLUICE_ASSERT(disk_.CreateDirectory(path).ok(), path);
    }
    state_.last_applied_op = 10;  // the deletion of stream 1 was applied; nothing is left
  }

  bool StaleDirectoryExists() {
    return disk_.List("streams/1/topics/0/partitions")->size() == 1;
  }

  sim::SimLoop loop_;
  sim::SimStorage storage_;
  io::testing::BlockingStorage disk_;
  metadata::MetadataState state_;
  BootLog log_;
};

TEST_F(StaleIncarnationTest, AClusterKeepsAStaleDirectoryUntilACheckpointCoversTheDeletion_B5) {
  std::vector<std::string> deferred;
  ASSERT_TRUE(io::testing::RunTask(loop_, RemoveStaleIncarnations(storage_, state_, log_, /*cluster=*/true,
                                                                  /*checkpoint_op=*/8, &deferred))
                  .ok());
  EXPECT_EQ(deferred, std::vector<std::string>{kStale});
  EXPECT_TRUE(StaleDirectoryExists());
}

TEST_F(StaleIncarnationTest, AStaleDirectoryACheckpointCoversIsRemoved_B5) {
  std::vector<std::string> deferred;
  ASSERT_TRUE(io::testing::RunTask(loop_, RemoveStaleIncarnations(storage_, state_, log_, /*cluster=*/true,
                                                                  /*checkpoint_op=*/10, &deferred))
                  .ok());
  EXPECT_TRUE(deferred.empty());
  EXPECT_FALSE(StaleDirectoryExists());
}

TEST_F(StaleIncarnationTest, ASingleNodeRemovesAStaleDirectoryAtOnce) {
  ASSERT_TRUE(io::testing::RunTask(loop_, RemoveStaleIncarnations(storage_, state_, log_)).ok());
  EXPECT_FALSE(StaleDirectoryExists());
}

}  // namespace
}  // namespace sluice::bootstrap
