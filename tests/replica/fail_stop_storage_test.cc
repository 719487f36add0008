// FailStopStorage (core/replica/fail_stop_storage.h) remembers the first sync that
// failed with EIO or ENOSPC the moment it completes (rule B1), and nothing else. (The
// simulator never fails a directory sync; SyncDirectory goes through the same wrapper.)
#include "core/replica/fail_stop_storage.h"

#include <gtest/gtest.h>

#include "core/io/io_error.h"
#include "core/io/testing/blocking_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::replica {
namespace {

class FailStopStorageTest : public ::testing::Test {
 protected:
  sim::SimLoop loop_;
  sim::SimStorage sim_{loop_, {.seed = 7}};
  FailStopStorage guarded_{sim_};
  io::testing::BlockingStorage disk_{guarded_, loop_};
};

TEST_F(FailStopStorageTest, AFailedFileSyncIsRememberedWithItsError_B1) {
  absl::StatusOr<io::FileHandle> file = disk_.Open("log", io::OpenMode::kCreate);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(disk_.Sync(*file).ok());
  EXPECT_TRUE(guarded_.failed_sync().ok());
  sim_.InjectSyncFailure("log");
  EXPECT_FALSE(disk_.Sync(*file).ok());
  EXPECT_TRUE(io::IsEio(guarded_.failed_sync())) << guarded_.failed_sync();
  ASSERT_TRUE(disk_.Sync(*file).ok());  // a later sync may succeed: the failure stays
  EXPECT_FALSE(guarded_.failed_sync().ok());
}

TEST_F(FailStopStorageTest, ASyncFailingForNoSpaceIsRemembered_B1) {
  absl::StatusOr<io::FileHandle> file = disk_.Open("log", io::OpenMode::kCreate);
  ASSERT_TRUE(file.ok()) << file.status();
  sim_.InjectSyncFailure("log", sim::SyncOutcome::kNoSpace);
  EXPECT_FALSE(disk_.Sync(*file).ok());
  EXPECT_TRUE(io::IsEnospc(guarded_.failed_sync())) << guarded_.failed_sync();
}

// A missing path says nothing of durability.
TEST_F(FailStopStorageTest, OtherFailuresAreNotFailStop) {
  EXPECT_FALSE(disk_.Open("missing", io::OpenMode::kExisting).ok());
  EXPECT_FALSE(disk_.SyncDirectory("no such directory").ok());
  EXPECT_TRUE(guarded_.failed_sync().ok()) << guarded_.failed_sync();
}

}  // namespace
}  // namespace sluice::replica
