// Rule B6 on the simulator's disk: snapshots are written tmp -> fsync -> rename ->
// fsync dir, named by the superblock, and deleted only after the superblock naming a
// newer one is durable. A crash at every step of a checkpoint leaves the older or the
// newer snapshot loadable — whichever the durable superblock names — and never a torn
// one; a corrupt, torn or missing snapshot is refused with an error naming the file.
#include "core/metadata/snapshot_store.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/testing/random_ops.h"
#include "core/metadata/testing/test_primary.h"
#include "core/superblock/superblock.h"
#include "tests/metadata/metadata_machine.h"

namespace sluice::metadata {
namespace {

using base::Ratio;
using testing::MetadataDriver;
using testing::MetadataMachine;
using testing::TestPrimary;
using wire::Operation;

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

// States at op `ops_a` (A) and after more ops (B), built deterministically.
struct States {
  MetadataState a;
  MetadataState b;
};

States BuildStates() {
  TestPrimary primary;
  MetadataDriver driver;
  driver.Run(Operation::kCreateUser, primary.CreateUser("iggy", "iggy"));
  driver.Run(Operation::kCreateStream, Encode(CreateStreamBody{"orders"}));
  driver.Run(Operation::kCreateTopic,
             Encode(CreateTopicBody{.stream = Identifier::Numeric(0), .partitions_count = 2,
                                    .name = "t"}));
  States states{.a = driver.state, .b = {}};
  driver.Run(Operation::kCreateStream, Encode(CreateStreamBody{"payments"}));
  driver.Run(Operation::kCreatePartitions,
             Encode(PartitionsBody{Identifier::Numeric(0), Identifier::Numeric(0), 3}));
  driver.Run(Operation::kRegister, primary.LoginWithPassword(driver.state, 0, "iggy"), 9);
  states.b = driver.state;
  return states;
}

superblock::SuperblockState SuperblockAt(uint64_t op, absl::uint128 checksum) {
  superblock::SuperblockState state;
  state.cluster_id = 0xC1;
  state.metadata_checkpoint = {.op = op, .snapshot_checksum = checksum};
  state.metadata_commit_watermark = op;
  return state;
}

// A formatted data directory whose superblock names the snapshot of state A.
struct Checkpointed {
  superblock::OpenedSuperblock superblock;
};

Checkpointed FormatWithSnapshot(MetadataMachine& machine, const MetadataState& a) {
  SLUICE_ASSERT(machine.Run(CreateSnapshotDirectory(machine.interrupting_)).ok());
  const absl::StatusOr<absl::uint128> checksum =
      machine.Run(WriteSnapshot(machine.interrupting_, a, a.last_applied_op));
  SLUICE_ASSERT(checksum.ok(), checksum.status().ToString());
  SLUICE_ASSERT(machine
                    .Run(superblock::FormatSuperblock(machine.interrupting_,
                                                      SuperblockAt(a.last_applied_op, *checksum)))
                    .ok());
  absl::StatusOr<superblock::OpenedSuperblock> opened =
      machine.Run(superblock::OpenSuperblock(machine.interrupting_));
  SLUICE_ASSERT(opened.ok(), opened.status().ToString());
  return {*std::move(opened)};
}

// The checkpoint procedure of snapshot_store.h, steps 1-3; stops at the first error
// (the process is fail-stop, rule B1).
absl::Status Checkpoint(MetadataMachine& machine, Checkpointed& checkpointed,
                        const MetadataState& b) {
  io::Storage& storage = machine.interrupting_;
  const absl::StatusOr<absl::uint128> checksum =
      machine.Run(WriteSnapshot(storage, b, b.last_applied_op));
  if (!checksum.ok()) return checksum.status();
  const absl::Status updated = machine.Run(superblock::UpdateSuperblock(
      storage, checkpointed.superblock, SuperblockAt(b.last_applied_op, *checksum)));
  if (!updated.ok()) return updated;
  return machine.Run(DeleteSnapshotsOlderThan(storage, b.last_applied_op));
}

// Boot: open the superblock, load the snapshot it names.
absl::StatusOr<MetadataState> Recover(MetadataMachine& machine) {
  machine.Resume();
  absl::StatusOr<superblock::OpenedSuperblock> opened =
      machine.Run(superblock::OpenSuperblock(machine.interrupting_));
  if (!opened.ok()) return opened.status();
  const superblock::MetadataCheckpoint& checkpoint = opened->state.metadata_checkpoint;
  return machine.Run(
      LoadSnapshot(machine.interrupting_, checkpoint.op, checkpoint.snapshot_checksum));
}

TEST(SnapshotStoreTest, CrashAtEveryStepOfACheckpointLeavesTheOldOrTheNewSnapshot_B6) {
  const States states = BuildStates();
  uint64_t total = 0;
  {
    MetadataMachine reference;
    Checkpointed checkpointed = FormatWithSnapshot(reference, states.a);
    const uint64_t start = reference.interrupting_.completions();
    ASSERT_TRUE(Checkpoint(reference, checkpointed, states.b).ok());
    total = reference.interrupting_.completions() - start;
    const absl::StatusOr<Bytes> old_file =
        reference.disk_.ReadFile(SnapshotPath(states.a.last_applied_op));
    EXPECT_TRUE(io::IsEnoent(old_file.status())) << "the old snapshot is deleted at the end";
  }
  ASSERT_GT(total, 10u);
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  int loaded_old = 0;
  int loaded_new = 0;
  for (uint64_t k = 0; k <= total; ++k) {
    for (size_t landing = 0; landing < 3; ++landing) {
      MetadataMachine machine(/*seed=*/k * 3 + landing + 1);
      Checkpointed checkpointed = FormatWithSnapshot(machine, states.a);
      machine.interrupting_.StopAfterCompletions(machine.interrupting_.completions() + k);
      (void)Checkpoint(machine, checkpointed, states.b);
      machine.storage_.CrashMachine(landings[landing], landings[landing]);
      const absl::StatusOr<MetadataState> recovered = Recover(machine);
      ASSERT_TRUE(recovered.ok()) << "crash after operation " << k << " of " << total
                                  << " (landing " << landing << "): " << recovered.status();
      EXPECT_TRUE(*recovered == states.a || *recovered == states.b)
          << "crash after operation " << k << ": recovered a state at op "
          << recovered->last_applied_op;
      (*recovered == states.a ? loaded_old : loaded_new) += 1;
    }
  }
  EXPECT_GT(loaded_old, 0);
  EXPECT_GT(loaded_new, 0);
}

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = BuildStates().b;
    ASSERT_TRUE(machine_.Run(CreateSnapshotDirectory(machine_.storage_)).ok());
    const absl::StatusOr<absl::uint128> checksum =
        machine_.Run(WriteSnapshot(machine_.storage_, state_, state_.last_applied_op));
    ASSERT_TRUE(checksum.ok()) << checksum.status();
    checksum_ = *checksum;
    path_ = SnapshotPath(state_.last_applied_op);
  }
  absl::StatusOr<MetadataState> Load() {
    return machine_.Run(LoadSnapshot(machine_.storage_, state_.last_applied_op, checksum_));
  }

  MetadataMachine machine_;
  MetadataState state_;
  absl::uint128 checksum_ = 0;
  std::string path_;
};

TEST_F(SnapshotFileTest, AWrittenSnapshotSurvivesACrashAndLoads_B6) {
  machine_.storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  const absl::StatusOr<MetadataState> loaded = Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, state_);
  EXPECT_EQ(path_, absl::StrCat("metadata/snapshot-", std::string(20 - 1, '0'),
                                state_.last_applied_op, ".bin"));
}

TEST_F(SnapshotFileTest, ACorruptedSnapshotByteIsDetectedAndRefused_B6) {
  const absl::StatusOr<Bytes> bytes = machine_.disk_.ReadFile(path_);
  ASSERT_TRUE(bytes.ok());
  for (uint64_t offset : {uint64_t{0}, uint64_t{16}, uint64_t{40}, uint64_t{kSnapshotHeaderSize},
                          uint64_t{bytes->size() / 2}, uint64_t{bytes->size() - 1}}) {
    ASSERT_TRUE(machine_.storage_.InjectBitFlip(path_, offset, 3).ok());
    const absl::StatusOr<MetadataState> loaded = Load();
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
        << "offset " << offset << ": " << loaded.status();
    EXPECT_TRUE(Mentions(loaded.status(), path_)) << loaded.status();
    ASSERT_TRUE(machine_.storage_.InjectBitFlip(path_, offset, 3).ok());  // flip it back
  }
  EXPECT_TRUE(Load().ok());
}

TEST_F(SnapshotFileTest, ATornSnapshotIsRefused_B6) {
  const absl::StatusOr<Bytes> bytes = machine_.disk_.ReadFile(path_);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(machine_.storage_.TruncateBehindBack(path_, bytes->size() - 7).ok());
  const absl::StatusOr<MetadataState> loaded = Load();
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_TRUE(Mentions(loaded.status(), "torn")) << loaded.status();
}

TEST_F(SnapshotFileTest, AMissingSnapshotIsNotFoundAndAnUnreadableOneIsAnError) {
  ASSERT_TRUE(machine_.storage_.InjectLatentSectorError(path_, 0).ok());
  EXPECT_TRUE(io::IsEio(Load().status())) << Load().status();
  ASSERT_TRUE(machine_.storage_.RemoveBehindBack(path_).ok());
  const absl::StatusOr<MetadataState> loaded = Load();
  EXPECT_TRUE(io::IsEnoent(loaded.status())) << loaded.status();
  EXPECT_TRUE(Mentions(loaded.status(), path_)) << loaded.status();
}

TEST_F(SnapshotFileTest, AFailedSyncFailsTheWrite_B1) {
  MetadataState next = state_;
  next.last_applied_op += 1;
  machine_.storage_.InjectSyncFailure(absl::StrCat(SnapshotPath(next.last_applied_op), ".tmp"));
  EXPECT_FALSE(
      machine_.Run(WriteSnapshot(machine_.storage_, next, next.last_applied_op)).ok());
}

TEST_F(SnapshotFileTest, DeleteSnapshotsOlderThanRemovesOlderSnapshotsAndTemporariesOnly) {
  MetadataState later = state_;
  later.last_applied_op += 10;
  ASSERT_TRUE(machine_.Run(WriteSnapshot(machine_.storage_, later, later.last_applied_op)).ok());
  const std::string stray_old = absl::StrCat(SnapshotPath(2), ".tmp");
  const std::string stray_new = absl::StrCat(SnapshotPath(later.last_applied_op + 1), ".tmp");
  ASSERT_TRUE(machine_.disk_.WriteDurably(stray_old, Bytes{1}).ok());
  ASSERT_TRUE(machine_.disk_.WriteDurably(stray_new, Bytes{1}).ok());
  ASSERT_TRUE(machine_.disk_.WriteDurably("metadata/journal.wal", Bytes{1}).ok());
  ASSERT_TRUE(
      machine_.Run(DeleteSnapshotsOlderThan(machine_.storage_, later.last_applied_op)).ok());
  const absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      machine_.disk_.List("metadata");
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> names;
  for (const io::DirectoryEntry& entry : *entries) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"journal.wal", std::string(io::BaseName(SnapshotPath(
                                                                 later.last_applied_op))),
                                             std::string(io::BaseName(stray_new))}));
}

TEST(SnapshotFileNameTest, NamesParseBackToTheirOp) {
  EXPECT_EQ(ParseSnapshotFileName("snapshot-00000000000000000042.bin"), 42u);
  bool temporary = false;
  EXPECT_EQ(ParseSnapshotFileName("snapshot-00000000000000000042.bin.tmp", &temporary), 42u);
  EXPECT_TRUE(temporary);
  EXPECT_EQ(ParseSnapshotFileName("snapshot-42.bin"), std::nullopt);
  EXPECT_EQ(ParseSnapshotFileName("snapshot-0000000000000000004x.bin"), std::nullopt);
  EXPECT_EQ(ParseSnapshotFileName("snapshot-99999999999999999999.bin"), std::nullopt);
  EXPECT_EQ(ParseSnapshotFileName("journal.wal"), std::nullopt);
}

}  // namespace
}  // namespace sluice::metadata
