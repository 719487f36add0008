// The metadata group's storage side end to end on the simulator's disk: format, the
// single node's commit path, checkpoints, and recovery (superblock → snapshot → WAL →
// committed ops only), under crashes and injected faults. Rules B1, B6, B8, B9, B16,
// B17 at the integrated level; the pieces have their own tests in //tests/superblock,
// //tests/journal and //tests/metadata.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata_store/metadata_recovery.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::metadata_store {
namespace {

using base::Ratio;
using metadata::CreateStreamBody;
using metadata::Identifier;
using metadata::StreamBody;
using testing::Encoded;
using testing::StoreFixture;
using wire::Operation;

bool Mentions(const absl::Status& status, absl::string_view text) {
  return absl::StrContains(status.message(), text);
}

Bytes StreamNamed(const std::string& name) { return metadata::Encode(CreateStreamBody{name}); }

// Format, open, and create the root user as the first primary's first op.
void Start(StoreFixture& fixture) {
  fixture.FormatDisk();
  ASSERT_TRUE(fixture.Open().ok());
  ASSERT_TRUE(fixture
                  .Submit(Operation::kCreateUser,
                          metadata::testing::RootUserBody(fixture.primary_))
                  .ok());
  ASSERT_TRUE(fixture.Drain().ok());
}

// Submits `count` CreateStream ops one at a time, each drained (acknowledged).
void CreateStreams(StoreFixture& fixture, int count, const std::string& prefix = "s") {
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed(absl::StrCat(prefix, i))).ok());
    ASSERT_TRUE(fixture.Drain().ok());
  }
}

// Reopens and checks the recovered state is the replay of ops 1..L for an L that
// keeps every acknowledged op and invents none; returns L.
uint64_t ReopenAndCheck(StoreFixture& fixture) {
  const absl::Status opened = fixture.Open();
  EXPECT_TRUE(opened.ok()) << opened;
  if (!opened.ok()) return 0;
  const uint64_t recovered = fixture.store_->state().last_applied_op;
  EXPECT_GE(recovered, fixture.acked_op_) << "an acknowledged op was lost";
  EXPECT_LE(recovered, fixture.submitted_.size()) << "recovery invented an op";
  EXPECT_EQ(Encoded(fixture.store_->state()), Encoded(fixture.ReferenceStateAt(recovered)))
      << "recovered state differs from the replay of ops 1.." << recovered;
  if (recovered >= fixture.acked_op_ && recovered <= fixture.submitted_.size()) {
    fixture.AdoptRecovered(recovered);
  }
  return recovered;
}

std::vector<std::string> MetadataFiles(StoreFixture& fixture) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries = fixture.machine_.disk_.List("metadata");
  std::vector<std::string> names;
  if (!entries.ok()) return names;
  for (const io::DirectoryEntry& entry : *entries) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(MetadataStoreTest, AFreshlyFormattedDirectoryOpensToTheEmptyState) {
  StoreFixture fixture;
  fixture.FormatDisk();
  ASSERT_TRUE(fixture.Open().ok());
  EXPECT_EQ(fixture.store_->state().last_applied_op, 0u);
  EXPECT_EQ(Encoded(fixture.store_->state()), Encoded(fixture.ReferenceStateAt(0)));
  EXPECT_EQ(fixture.store_->superblock().state.metadata_checkpoint.op, 0u);
}

TEST(MetadataStoreTest, FormatNeverOverwritesAnExistingDirectory) {
  StoreFixture fixture;
  fixture.FormatDisk();
  const absl::Status again =
      fixture.machine_.Run(FormatMetadata(fixture.machine_.interrupting_, fixture.Format()));
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
}

TEST(MetadataStoreTest, AcknowledgedOpsSurviveAMachineCrash) {
  StoreFixture fixture;
  Start(fixture);
  CreateStreams(fixture, 3);
  fixture.CrashNow(Ratio::Never());
  EXPECT_EQ(ReopenAndCheck(fixture), 4u);
  ASSERT_EQ(fixture.store_->state().streams.size(), 3u);
}

TEST(MetadataStoreTest, ADirectoryWithoutASuperblockIsRefused_B17) {
  StoreFixture fixture;
  const absl::Status opened = fixture.Open();
  EXPECT_TRUE(absl::IsNotFound(opened)) << opened;
  EXPECT_TRUE(Mentions(opened, "rule B17")) << opened;
}

TEST(MetadataStoreTest, ConfiguredWidthsDifferingFromTheSuperblockAreRefused_B9) {
  StoreFixture fixture;
  fixture.FormatDisk();
  fixture.options_.identity.widths.partition_bits += 1;
  const absl::Status opened = fixture.Open();
  EXPECT_TRUE(absl::IsFailedPrecondition(opened)) << opened;
  EXPECT_TRUE(Mentions(opened, "width")) << opened;
}

TEST(MetadataStoreTest, AnotherReplicasDirectoryIsRefused) {
  StoreFixture fixture;
  fixture.FormatDisk();
  fixture.options_.identity.cluster_id = 0xD1FF;
  const absl::Status opened = fixture.Open();
  EXPECT_TRUE(absl::IsFailedPrecondition(opened)) << opened;
  EXPECT_TRUE(Mentions(opened, "cluster id")) << opened;
}

TEST(MetadataStoreTest, B16_AnUncommittedDeleteStreamIsLeftUnappliedByClusterRecovery) {
  StoreFixture fixture;
  Start(fixture);                // op 1: the root user
  CreateStreams(fixture, 1);     // op 2, commit field 1
  ASSERT_TRUE(fixture.Submit(Operation::kDeleteStream,
                             metadata::Encode(StreamBody{Identifier::Numeric(0)}))
                  .ok());        // op 3, commit field 2: nothing proves op 3 committed
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.CrashNow(Ratio::Never());

  // A cluster replica recovering this WAL applies only what is known committed.
  MetadataRecoveryOptions cluster{.identity = fixture.options_.identity,
                                  .journal = fixture.options_.journal,
                                  .single_node = false};
  absl::StatusOr<RecoveredMetadata> recovered =
      fixture.machine_.Run(RecoverMetadata(fixture.machine_.interrupting_, cluster));
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->state.last_applied_op, 2u);
  EXPECT_EQ(recovered->state.streams.size(), 1u) << "the uncommitted DeleteStream was applied";
  ASSERT_EQ(recovered->unapplied.size(), 1u);
  EXPECT_EQ(recovered->unapplied[0].header.operation, Operation::kDeleteStream);
  ASSERT_TRUE(fixture.machine_.Run(recovered->journal->Close()).ok());

  // A single node is its own quorum: its durable DeleteStream commits at open.
  EXPECT_EQ(ReopenAndCheck(fixture), 3u);
  EXPECT_TRUE(fixture.store_->state().streams.empty());
}

TEST(MetadataStoreTest, CheckpointsLetTheRingWrapAndRecoveryMatchesTheLiveState_B6) {
  StoreFixture fixture(/*disk_seed=*/3, /*slot_count=*/8);
  Start(fixture);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed("x")).ok());
    ASSERT_TRUE(fixture.Drain().ok());
    ASSERT_TRUE(fixture.Submit(Operation::kDeleteStream,
                               metadata::Encode(StreamBody{Identifier::Numeric(0)}))
                    .ok());
    ASSERT_TRUE(fixture.Drain().ok());
  }
  const uint64_t checkpoint = fixture.store_->superblock().state.metadata_checkpoint.op;
  EXPECT_GE(fixture.store_->checkpoints_completed(), 5u);
  EXPECT_GT(checkpoint, 61u - 8u) << "the ring of 8 slots must be covered by a checkpoint";
  // Rule B6: older snapshots are deleted once the superblock names the newer one.
  EXPECT_EQ(MetadataFiles(fixture),
            (std::vector<std::string>{"journal.wal",
                                      std::string(metadata::SnapshotPath(checkpoint)).substr(9)}));
  const Bytes live = Encoded(fixture.store_->state());
  fixture.CrashNow(Ratio::Never());
  EXPECT_EQ(ReopenAndCheck(fixture), 61u);
  EXPECT_EQ(Encoded(fixture.store_->state()), live);
}

TEST(MetadataStoreTest, B8_WritesStopUntilACheckpointCoversTheOpsTheRingWouldOverwrite) {
  StoreFixture fixture(/*disk_seed=*/5, /*slot_count=*/8);
  Start(fixture);  // op 1
  // Ops 2..8 fill the ring while no checkpoint can run: nothing is committed yet.
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed(absl::StrCat("a", i))).ok());
  }
  const absl::Status refused = fixture.Submit(Operation::kCreateStream, StreamNamed("b"));
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_TRUE(Mentions(refused, "B8")) << refused;
  EXPECT_EQ(fixture.store_->last_op(), 8u);
  // Once the ops commit, a checkpoint runs and writes resume.
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_GE(fixture.store_->checkpoints_completed(), 1u);
  ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed("b")).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.acked_op_, 9u);
  fixture.CrashNow(Ratio::Never());
  EXPECT_EQ(ReopenAndCheck(fixture), 9u);
}

// Rule B1 at the integrated level: a failed fsync of the WAL, of a snapshot or of a
// superblock copy stops the replica; after a process restart (the page cache still
// shows the bytes the failed sync covered) and a later machine crash, every
// acknowledged op is still there.
void ExpectFailStopThenNothingAcknowledgedLost(StoreFixture& fixture) {
  EXPECT_FALSE(fixture.store_->failure().ok());
  EXPECT_TRUE(Mentions(fixture.store_->failure(), "rule B1")) << fixture.store_->failure();
  const absl::Status refused = fixture.Submit(Operation::kCreateStream, StreamNamed("late"));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;

  fixture.RunUntilIdle();
  fixture.store_.reset();
  fixture.machine_.storage_.RestartProcess();
  const uint64_t after_restart = ReopenAndCheck(fixture);
  EXPECT_GE(after_restart, fixture.acked_op_);
  CreateStreams(fixture, 3, "after");
  const uint64_t acked = fixture.acked_op_;
  fixture.CrashNow(Ratio::Never());
  EXPECT_GE(ReopenAndCheck(fixture), acked);
}

TEST(MetadataStoreTest, B1_FsyncEioOnTheWalStopsTheReplicaAndNothingAcknowledgedIsLost) {
  StoreFixture fixture;
  Start(fixture);
  CreateStreams(fixture, 2);
  fixture.machine_.storage_.InjectSyncFailure("metadata/journal.wal");
  absl::Status reply;
  ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed("lost?")).ok());
  EXPECT_FALSE(fixture.Drain().ok());
  EXPECT_EQ(fixture.acked_op_, 3u) << "the op whose fsync failed must not be acknowledged";
  ExpectFailStopThenNothingAcknowledgedLost(fixture);
}

TEST(MetadataStoreTest, B1_FsyncEioOnASnapshotStopsTheReplicaAndNothingAcknowledgedIsLost) {
  StoreFixture fixture(/*disk_seed=*/7, /*slot_count=*/8);
  Start(fixture);
  // A checkpoint starts when an op commits and snapshots the state at that op: arm a
  // sync failure for the snapshot of each op before submitting it. (An armed path
  // whose snapshot is never written is never synced: later snapshots have higher ops.)
  for (int i = 0; i < 8 && fixture.store_->failure().ok(); ++i) {
    const uint64_t op = fixture.store_->last_op() + 1;
    fixture.machine_.storage_.InjectSyncFailure(metadata::SnapshotPath(op) + ".tmp");
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed(absl::StrCat("s", i))).ok());
    (void)fixture.Drain();
  }
  EXPECT_EQ(fixture.store_->checkpoints_completed(), 0u);
  EXPECT_TRUE(Mentions(fixture.store_->failure(), "snapshot")) << fixture.store_->failure();
  ExpectFailStopThenNothingAcknowledgedLost(fixture);
}

TEST(MetadataStoreTest, B1_FsyncEioOnASuperblockCopyStopsTheReplicaAndNothingAcknowledgedIsLost) {
  StoreFixture fixture(/*disk_seed=*/9, /*slot_count=*/8);
  Start(fixture);
  fixture.machine_.storage_.InjectSyncFailure("superblock");
  for (int i = 0; i < 8 && fixture.store_->failure().ok(); ++i) {
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed(absl::StrCat("s", i))).ok());
    (void)fixture.Drain();
  }
  EXPECT_EQ(fixture.store_->checkpoints_completed(), 0u);
  EXPECT_TRUE(Mentions(fixture.store_->failure(), "superblock")) << fixture.store_->failure();
  ExpectFailStopThenNothingAcknowledgedLost(fixture);
}

// Rule B6 at the integrated level: the process dies after every storage operation of
// an op whose commit starts a checkpoint (snapshot, superblock update, deletion),
// with unsynced sectors landing never, always or half the time. Recovery never
// refuses and always yields the replay of ops 1..L with every acknowledged op.
TEST(MetadataStoreTest, CrashAtEveryStepOfACheckpointRecoversAConsistentState_B6) {
  constexpr int kBefore = 2;  // ops 2..3 drained; op 4's commit starts the checkpoint
  uint64_t total = 0;
  {
    StoreFixture reference(/*disk_seed=*/11, /*slot_count=*/8);
    Start(reference);
    CreateStreams(reference, kBefore);
    const uint64_t start = reference.machine_.interrupting_.completions();
    CreateStreams(reference, 1, "c");
    ASSERT_EQ(reference.store_->checkpoints_completed(), 1u) << "op 4 must start a checkpoint";
    total = reference.machine_.interrupting_.completions() - start;
  }
  ASSERT_GT(total, 15u);
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  int recovered_with_new_op = 0;
  for (uint64_t k = 0; k <= total; ++k) {
    for (const Ratio& landing : landings) {
      StoreFixture fixture(/*disk_seed=*/11, /*slot_count=*/8);
      Start(fixture);
      CreateStreams(fixture, kBefore);
      ASSERT_TRUE(fixture.Submit(Operation::kCreateStream, StreamNamed("c0")).ok());
      fixture.DieAfterAndCrash(k, landing);
      SCOPED_TRACE(absl::StrCat("process died after storage operation ", k, " of ", total));
      const uint64_t recovered = ReopenAndCheck(fixture);
      recovered_with_new_op += recovered == 4 ? 1 : 0;
      // And it goes on: the next op commits and survives another crash.
      CreateStreams(fixture, 1, "d");
      fixture.CrashNow(Ratio::Never());
      ReopenAndCheck(fixture);
    }
  }
  EXPECT_GT(recovered_with_new_op, 0);
}

}  // namespace
}  // namespace sluice::metadata_store
