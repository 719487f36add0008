// The metadata WAL's journal interface on SimStorage: format, append, read,
// truncate, and the checkpoint rule B8. One test per case.
#include "core/journal/journal.h"

#include <gtest/gtest.h>

#include "core/io/io_error.h"
#include "tests/journal/journal_fixture.h"

namespace sluice::journal {
namespace {

using testing::AllDecisions;
using testing::Contains;
using testing::JournalFixture;
using testing::kWal;
using testing::OpsOf;
using testing::Range;

TEST(JournalTest, FormatCreatesAnEmptyWalOfTheLayoutsSizeAndNeverOverwritesIt) {
  JournalFixture fixture;
  ASSERT_TRUE(fixture.Format().ok());
  const absl::StatusOr<Bytes> wal = fixture.disk_.ReadFile(kWal);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(wal->size(), fixture.layout_.file_size_bytes());
  EXPECT_EQ(fixture.layout_.headers_zone_bytes(), 4096u);
  EXPECT_TRUE(std::all_of(wal->begin(), wal->end(), [](uint8_t byte) { return byte == 0; }));
  const absl::Status again = fixture.Format();
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_TRUE(Contains(again.message(), "never overwrites a WAL")) << again;
  // Durable: a machine crash right after format keeps the file and its name.
  fixture.storage_.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
  EXPECT_EQ(fixture.disk_.ReadFile(kWal)->size(), fixture.layout_.file_size_bytes());
}

TEST(JournalTest, FormatRejectsBadOptions) {
  JournalFixture fixture;
  JournalOptions options = testing::TestOptions();
  options.message_size_max = 1000;
  const absl::Status status = fixture.Run(FormatJournal(fixture.interrupting_, options));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status.message(), "message_size_max must be a multiple of 512")) << status;
}

TEST(JournalTest, ValidLogRoundTrip) {
  JournalFixture fixture;
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(2).ok());                      // commit fields 0, 1
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fixture.Append().ok());  // groups {3}, {4, 5}: commit 2
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.journal_->last_op(), 5u);
  EXPECT_EQ(fixture.journal_->durable_op(), 5u);
  EXPECT_EQ(fixture.acked_.size(), 5u);
  for (uint64_t op = 1; op <= 5; ++op) {
    const absl::StatusOr<Bytes> read = fixture.Run(fixture.journal_->ReadEntry(op));
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, fixture.frames_.at(op));
  }
  const absl::uint128 last_checksum = fixture.journal_->last_checksum();
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 5u);
  EXPECT_EQ(recovery->last_checksum, last_checksum);
  EXPECT_TRUE(recovery->warnings.empty()) << AllDecisions(*recovery);
  EXPECT_TRUE(recovery->faulty.empty());
  EXPECT_FALSE(recovery->uncertain_tail.has_value());
  EXPECT_EQ(recovery->verified_chain.size(), 5u);
  // Each prepare carried the ops acknowledged before it: ops 3..5 say op 2 is
  // committed; nothing says more (rule B16).
  EXPECT_EQ(recovery->commit_op, 2u);
  EXPECT_EQ(OpsOf(recovery->to_apply), Range(1, 2));
  EXPECT_EQ(OpsOf(recovery->unapplied), Range(3, 5));
  for (const RecoveredEntry& entry : recovery->to_apply) {
    EXPECT_EQ(entry.frame, fixture.frames_.at(entry.op));
  }
  for (const RecoveredEntry& entry : recovery->unapplied) {
    EXPECT_EQ(entry.frame, fixture.frames_.at(entry.op));
  }
  for (uint64_t slot = 0; slot < 16; ++slot) {
    const SlotReport& report = recovery->slots[slot];
    const SlotVerdict expected =
        report.expected_op <= 5 ? SlotVerdict::kValid : SlotVerdict::kEmpty;
    EXPECT_EQ(report.verdict, expected) << "slot " << slot << ": " << report.reason;
  }
  // The recovered journal continues the chain.
  ASSERT_TRUE(fixture.Append().ok());
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.journal_->last_op(), 6u);
}

TEST(JournalTest, AppendChecksTheOpTheParentTheSizeAndTheGroup) {
  JournalFixture fixture;
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(2).ok());
  testing::EntryChain skipping(testing::kCluster, 4, fixture.journal_->last_checksum());
  absl::Status status = fixture.journal_->Append(skipping.Next({.commit = 2}), [](absl::Status) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "append of op 4 after op 2");
  testing::EntryChain forked(testing::kCluster, 3, /*anchor=*/0x1234);
  status = fixture.journal_->Append(forked.Next({.commit = 2}), [](absl::Status) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status.message(), "append of op 3 breaks the hash chain")) << status;
  status = fixture.AppendFrame(fixture.NextFrame({.body = std::string(1024, 'x')}));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status.message(), "more than message_size_max 1024")) << status;
  status = fixture.AppendWithCommit(3);  // a prepare's commit is always below its op
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status.message(), "commit 3 is not below op 3")) << status;
  Bytes corrupt = fixture.NextFrame();
  corrupt.back() ^= 1;
  status = fixture.AppendFrame(corrupt);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_EQ(fixture.journal_->last_op(), 2u);
}

TEST(JournalTest, ReadEntryOfASlotHoldingAnotherOpIsNotFound) {
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8));
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(8).ok());
  ASSERT_TRUE(fixture.Checkpoint(4).ok());
  ASSERT_TRUE(fixture.AppendDurably(2).ok());  // ops 9, 10 overwrite slots 1, 2
  absl::StatusOr<Bytes> read = fixture.Run(fixture.journal_->ReadEntry(1));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(read.status().message(), "op 1 was overwritten")) << read.status();
  read = fixture.Run(fixture.journal_->ReadEntry(11));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  read = fixture.Run(fixture.journal_->ReadEntry(3));  // still in the ring
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, fixture.frames_.at(3));
  // Slot 3 (behind our back) holds op 11, a valid entry of that slot but another op.
  testing::EntryChain other(testing::kCluster, 11, /*anchor=*/0x11);
  fixture.PlaceDurably(other.Next({.commit = 9}));
  read = fixture.Run(fixture.journal_->ReadEntry(3));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(read.status().message(), "slot 3 (header at offset 768, prepare at offset "))
      << read.status();
  EXPECT_TRUE(Contains(read.status().message(), "holds op 11, not op 3")) << read.status();
  // A slot holding bytes that are not an entry of that slot at all is data loss.
  fixture.WriteDurably(fixture.PrepareOffset(4), fixture.frames_.at(10));
  EXPECT_EQ(fixture.Run(fixture.journal_->ReadEntry(4)).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(JournalTest, ReadEntryVerifiesChecksums) {
  JournalFixture fixture;
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(3).ok());
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(2) + 260, 1).ok());
  const absl::StatusOr<Bytes> read = fixture.Run(fixture.journal_->ReadEntry(2));
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(read.status().message(), "body checksum mismatch")) << read.status();
  ASSERT_TRUE(fixture.storage_.InjectLatentSectorError(kWal, fixture.PrepareOffset(3)).ok());
  EXPECT_TRUE(io::IsEio(fixture.Run(fixture.journal_->ReadEntry(3)).status()));
  EXPECT_TRUE(fixture.journal_->failure().ok());  // a read error is the reader's (B1)
}

TEST(JournalTest, TruncateAfterDropsTheSuffixDurablyButNeverACommittedOp) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  absl::Status refused = fixture.Run(fixture.journal_->TruncateAfter(2, /*commit_watermark=*/3));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(refused.message(), "would drop op 3, at or below the commit watermark op 3"))
      << refused;
  ASSERT_TRUE(fixture.Run(fixture.journal_->TruncateAfter(3, 3)).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 3u);
  EXPECT_EQ(fixture.journal_->last_checksum(), fixture.acked_.at(3));
  // A new suffix in a later view chains onto op 3.
  ASSERT_TRUE(fixture.AppendWithCommit(3, {.view = 1}).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.CrashMachine(base::Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 4u);
  EXPECT_EQ(recovery->last_checksum, wire::PrepareChecksum(fixture.frames_.at(4)));
  EXPECT_TRUE(recovery->faulty.empty()) << AllDecisions(*recovery);
  EXPECT_EQ(recovery->slots[5].verdict, SlotVerdict::kEmpty);  // ops 5, 6 were cleared
  EXPECT_EQ(recovery->slots[6].verdict, SlotVerdict::kEmpty);
}

// VSR truncates only under a durable log view that excludes the suffix, so from the
// truncation's start the journal no longer vouches for it (rule B4), even when the
// clear's sync fails and the process stops before the slots are cleared.
TEST(JournalTest, AFailedTruncationNoLongerVouchesForTheSuffix_B4) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  ASSERT_EQ(fixture.journal_->durable_op(), 6u);
  fixture.storage_.InjectSyncFailure(kWal);
  EXPECT_FALSE(fixture.Run(fixture.journal_->TruncateAfter(3, 3)).ok());
  EXPECT_EQ(fixture.journal_->durable_op(), 3u);
}

// State sync (B15) jumps the chain past the log; the slots of the ops it jumped over
// then stand for ops above the new checkpoint. A damaged leftover there (here a
// corrupt header copy of the long-committed op 3, whose slot the replica never wrote
// again) would read as a torn write of op 3 + 16 + 16 = 35 — a write the replica may
// have acknowledged, which it could never nack, though no replica prepared it (seed
// 3334 of journal_cluster_main stalled on such a phantom). InstallCheckpoint clears
// the slots it can: those above every op this replica may have written.
TEST(JournalTest, B7_B15_InstallCheckpointPastTheLogClearsTheSlotsItJumpedOverSoNoLeftoverReadsAsATornWrite) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  fixture.WriteDurably(fixture.HeaderOffset(3) + 64, Bytes(16, 0xAB));  // a flipped header copy
  // A peer's snapshot at op 20, durable; this replica's log (ops 1..6) is below it.
  const absl::uint128 snapshot_checksum = 0x5A;
  ASSERT_TRUE(fixture.Run(fixture.journal_->InstallCheckpoint(20, snapshot_checksum)).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 20u);
  fixture.checkpoint_op_ = fixture.commit_watermark_ = 20;
  fixture.checkpoint_checksum_ = snapshot_checksum;
  fixture.CrashMachine(base::Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 20u);
  EXPECT_EQ(recovery->head_op, 20u) << AllDecisions(*recovery);
  EXPECT_TRUE(recovery->faulty.empty()) << AllDecisions(*recovery);
  for (const SlotReport& slot : recovery->slots) EXPECT_EQ(slot.verdict, SlotVerdict::kEmpty) << slot.reason;
}

// The clearing never touches what this replica may have acknowledged: entries above
// the installed checkpoint that do not link to it stay on disk, faulty (B7: only a
// nack quorum of the others may discard them); the slots above them are cleared.
TEST(JournalTest, B7_B15_InstallCheckpointKeepsTheEntriesAboveItThatDoNotLink) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  // A peer's snapshot at op 4 whose checksum is not this log's op 4 (a divergent suffix).
  const absl::uint128 snapshot_checksum = 0x5A;
  ASSERT_TRUE(fixture.Run(fixture.journal_->InstallCheckpoint(4, snapshot_checksum)).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 4u);
  fixture.checkpoint_op_ = fixture.commit_watermark_ = 4;
  fixture.checkpoint_checksum_ = snapshot_checksum;
  fixture.CrashMachine(base::Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 4u);
  EXPECT_EQ(recovery->head_op, 6u) << AllDecisions(*recovery);
  EXPECT_EQ(OpsOf(recovery->faulty), Range(5, 6)) << AllDecisions(*recovery);
  // Ops 7..20 stand in the slots of ops 7..16 and of ops 1..4, which were cleared.
  for (uint64_t op = 7; op <= 20; ++op) {
    EXPECT_EQ(recovery->slots[op % 16].verdict, SlotVerdict::kEmpty) << op << ": " << recovery->slots[op % 16].reason;
  }
}

// A corrupt op (3) breaks the chain recovery builds; the verified ops beyond it (4..6)
// stay on disk for VSR. A snapshot installed at op 4 (state sync for the corrupt op,
// B15) covers the gap: the chain continues through ops 5 and 6, as a restart anchored
// there would find — they may be the only copies of ops a view made canonical
// (journal_cluster_main seed 7482 stalled when they were dropped from the chain).
TEST(JournalTest, B7_B15_InstallCheckpointBeyondACorruptOpContinuesThroughTheVerifiedEntriesAbove) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  fixture.CrashMachine(base::Ratio::Never());
  fixture.WriteDurably(fixture.PrepareOffset(3) + 64, Bytes(16, 0xAB));
  absl::StatusOr<JournalRecovery> recovered = fixture.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->last_op, 2u) << AllDecisions(*recovered);
  ASSERT_EQ(OpsOf(recovered->unapplied), Range(4, 6)) << AllDecisions(*recovered);
  ASSERT_TRUE(fixture.Run(fixture.journal_->InstallCheckpoint(4, fixture.acked_.at(4))).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 6u);
  EXPECT_EQ(fixture.journal_->durable_op(), 6u);
  EXPECT_EQ(fixture.journal_->last_checksum(), fixture.acked_.at(6));
  // Op 7 appends onto op 6.
  ASSERT_TRUE(fixture.Append().ok());
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.checkpoint_op_ = fixture.commit_watermark_ = 4;
  fixture.checkpoint_checksum_ = fixture.acked_.at(4);
  fixture.CrashMachine(base::Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 7u) << AllDecisions(*recovery);
  EXPECT_TRUE(recovery->faulty.empty()) << AllDecisions(*recovery);
}

// The same, with the snapshot at the corrupt op itself: the ops above it link to it.
TEST(JournalTest, B7_B15_InstallCheckpointAtACorruptOpContinuesThroughTheVerifiedEntriesAbove) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  fixture.CrashMachine(base::Ratio::Never());
  fixture.WriteDurably(fixture.PrepareOffset(3) + 64, Bytes(16, 0xAB));
  absl::StatusOr<JournalRecovery> recovered = fixture.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->last_op, 2u) << AllDecisions(*recovered);
  ASSERT_TRUE(fixture.Run(fixture.journal_->InstallCheckpoint(3, fixture.acked_.at(3))).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 6u);
  EXPECT_EQ(fixture.journal_->durable_op(), 6u);
  EXPECT_EQ(fixture.journal_->last_checksum(), fixture.acked_.at(6));
}

// A corrupt op (3) in the middle of a cluster replica's WAL is a hole VSR repairs
// (rule B7: never cut, never nacked); the whole entries above it (4..6) are promises
// the replica may have acknowledged. A repair appending op 3 with the checksum
// recovery saw (the chain's) carries the chain on through them, as a restart would
// find it: they may be the only copies of committed ops (journal_cluster_main seed
// 11393 stalled when a replica's ops 342..346 were only on its disk, outside its log).
TEST(JournalTest, B7_RepairOfACorruptOpContinuesThroughTheVerifiedEntriesAbove) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  const Bytes op3 = fixture.frames_.at(3);
  fixture.CrashMachine(base::Ratio::Never());
  fixture.WriteDurably(fixture.PrepareOffset(3) + 64, Bytes(16, 0xAB));
  absl::StatusOr<JournalRecovery> recovered = fixture.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->last_op, 2u) << AllDecisions(*recovered);
  ASSERT_EQ(OpsOf(recovered->unapplied), Range(4, 6)) << AllDecisions(*recovered);
  const absl::Status repaired = fixture.AppendFrame(op3);  // the repair, as a peer sent it
  ASSERT_TRUE(repaired.ok()) << repaired;
  EXPECT_EQ(fixture.journal_->last_op(), 6u);
  EXPECT_EQ(fixture.journal_->last_checksum(), fixture.acked_.at(6));
  EXPECT_LT(fixture.journal_->durable_op(), 3u);  // not before op 3's own write is synced
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.journal_->durable_op(), 6u);
  // Op 7 appends onto op 6, and a restart finds the whole chain.
  ASSERT_TRUE(fixture.Append().ok());
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.CrashMachine(base::Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 7u) << AllDecisions(*recovery);
  EXPECT_TRUE(recovery->faulty.empty()) << AllDecisions(*recovery);
}

// An op 3 the entries above do not link to (another view's) starts a new chain there:
// nothing above it is adopted.
TEST(JournalTest, B7_AnotherOpInPlaceOfACorruptOneAdoptsNothingAbove) {
  JournalFixture fixture(testing::TestOptions(16), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(6).ok());
  fixture.CrashMachine(base::Ratio::Never());
  fixture.WriteDurably(fixture.PrepareOffset(3) + 64, Bytes(16, 0xAB));
  absl::StatusOr<JournalRecovery> recovered = fixture.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  ASSERT_EQ(recovered->last_op, 2u) << AllDecisions(*recovered);
  const absl::Status appended = fixture.AppendWithCommit(2, {.view = 1});  // another view's op 3
  ASSERT_TRUE(appended.ok()) << appended;
  EXPECT_EQ(fixture.journal_->last_op(), 3u);
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.journal_->durable_op(), 3u);
}

TEST(JournalTest, B8_RingAboutToWrapPastTheCheckpointIsAClearErrorAndResumesAfterSetCheckpoint) {
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8));
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  EXPECT_EQ(fixture.journal_->ops_until_checkpoint_needed(), 8u);
  ASSERT_TRUE(fixture.AppendDurably(8).ok());
  EXPECT_EQ(fixture.journal_->ops_until_checkpoint_needed(), 0u);
  absl::Status refused = fixture.Append();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "appending op 9: the WAL ring would overwrite op 1, which checkpoint op 0 does not "
            "cover; take a "
            "checkpoint first (rule B8)");
  EXPECT_EQ(fixture.journal_->last_op(), 8u);
  ASSERT_TRUE(fixture.Checkpoint(3).ok());
  EXPECT_EQ(fixture.journal_->ops_until_checkpoint_needed(), 3u);
  ASSERT_TRUE(fixture.AppendDurably(3).ok());  // ops 9..11 overwrite ops 1..3
  refused = fixture.Append();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      Contains(refused.message(), "would overwrite op 4, which checkpoint op 3 does not cover"))
      << refused;
  // Recovery from the checkpoint finds exactly ops 4..11.
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 11u);
  EXPECT_EQ(recovery->verified_chain.front().op, 4u);
  EXPECT_EQ(recovery->verified_chain.size(), 8u);
  EXPECT_EQ(recovery->journal, nullptr);  // moved into the fixture
  EXPECT_EQ(fixture.journal_->ops_until_checkpoint_needed(), 0u);
  EXPECT_EQ(fixture.journal_->SetCheckpoint(2).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::journal
