// The bootstrap contract's WAL rules (BOOTSTRAP_CONTRACT.md B1, B5, B6, B7, B16), one
// test per case, each named for its rule and fault, on SimStorage. Each asserts the
// decision and the text of the error or warning.
#include "core/journal/journal_recovery.h"

#include <gtest/gtest.h>

#include "core/io/io_error.h"
#include "tests/journal/journal_fixture.h"

namespace sluice::journal {
namespace {

using base::Ratio;
using testing::AllDecisions;
using testing::Contains;
using testing::EntryChain;
using testing::JournalFixture;
using testing::kCluster;
using testing::kWal;
using testing::OpsOf;
using testing::Range;

// Ops 1..n, each its own durable group commit: op k carries commit k - 1.
void Durable(JournalFixture& fixture, int count) {
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(count).ok());
}

// --- B7: torn tail ------------------------------------------------------------------

// Ops 1..3 durable; op 4 written (prepare and header copy) but its sync never ran,
// then the machine crashed with the prepare's first sector torn.
void TornTail(JournalFixture& fixture) {
  Durable(fixture, 3);
  fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + 2);
  ASSERT_TRUE(fixture.Append().ok());
  ASSERT_FALSE(fixture.Drain().ok());  // the sync was refused: the process is gone
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(4) + 100, 3).ok());
  fixture.CrashMachine(Ratio::Always());
}

TEST(JournalRecoveryTest, B7_TornTailIsCutOnASingleNodeWithAWarningNamingIt) {
  JournalFixture fixture;
  TornTail(fixture);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->slots[4].verdict, SlotVerdict::kTorn) << recovery->slots[4].reason;
  EXPECT_TRUE(Contains(recovery->slots[4].reason, "prepare is invalid (header checksum mismatch"))
      << recovery->slots[4].reason;
  EXPECT_TRUE(recovery->tail_cut);
  EXPECT_EQ(recovery->uncertain_tail, (OpRange{4, 4}));
  ASSERT_EQ(recovery->warnings.size(), 1u) << AllDecisions(*recovery);
  EXPECT_TRUE(Contains(recovery->warnings[0],
                       "metadata/journal.wal: cutting the uncertain tail ops 4..4 (from slot 4"))
      << recovery->warnings[0];
  EXPECT_TRUE(Contains(recovery->warnings[0], "never acknowledged as durable (rule B7)"))
      << recovery->warnings[0];
  EXPECT_EQ(recovery->last_op, 3u);
  EXPECT_TRUE(recovery->faulty.empty());
  // The cut is durable: another crash and recovery find a clean log ending at op 3.
  fixture.CrashMachine(Ratio::Never());
  recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_TRUE(recovery->warnings.empty()) << AllDecisions(*recovery);
  EXPECT_EQ(recovery->slots[4].verdict, SlotVerdict::kEmpty);
  EXPECT_EQ(recovery->last_op, 3u);
}

TEST(JournalRecoveryTest, B7_TornTailIsUncertainAndFaultyInACluster) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  TornTail(fixture);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_FALSE(recovery->tail_cut);
  EXPECT_TRUE(recovery->warnings.empty());
  EXPECT_EQ(recovery->uncertain_tail, (OpRange{4, 4}));
  ASSERT_EQ(OpsOf(recovery->faulty), Range(4, 4));
  EXPECT_EQ(recovery->faulty[0].verdict, SlotVerdict::kTorn);
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "as faulty: only a nack quorum of the other replicas may discard "
                       "it (rule B7)"))
      << AllDecisions(*recovery);
  EXPECT_EQ(recovery->last_op, 3u);
  // The replica cannot tell whether it acknowledged op 4: VSR must not forget it.
  EXPECT_EQ(recovery->head_op, 4u);
  // Nothing was cut: the torn bytes are still there for VSR to resolve.
  fixture.CrashMachine(Ratio::Never());
  recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->slots[4].verdict, SlotVerdict::kTorn);
}

// Ops 1..3 durable; op 4 durable alone; ops 5..7 written as one group commit whose
// sync never ran; the machine crashed with op 5's prepare torn and 6, 7 whole.
void TornEntryFollowedByIntactOnes(JournalFixture& fixture) {
  Durable(fixture, 3);
  // Group {4}: two writes and a sync; group {5, 6, 7}: three prepares, one header run.
  fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + 3 + 4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(fixture.Append().ok());
  (void)fixture.Drain();
  ASSERT_TRUE(fixture.acks_.at(4).ok());
  ASSERT_FALSE(fixture.acks_.at(5).ok());
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(5) + 270, 0).ok());
  fixture.CrashMachine(Ratio::Always());
}

TEST(JournalRecoveryTest, B7_TornEntryFollowedByIntactEntriesOfTheSameGroupCommitIsATail) {
  JournalFixture fixture;
  TornEntryFollowedByIntactOnes(fixture);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->slots[5].verdict, SlotVerdict::kTorn);
  EXPECT_TRUE(Contains(recovery->slots[5].reason, "body checksum mismatch"))
      << recovery->slots[5].reason;
  EXPECT_EQ(recovery->slots[6].verdict, SlotVerdict::kUncertainTail);
  EXPECT_EQ(recovery->slots[7].verdict, SlotVerdict::kUncertainTail);
  EXPECT_EQ(recovery->uncertain_tail, (OpRange{5, 7}));
  ASSERT_EQ(recovery->warnings.size(), 1u) << AllDecisions(*recovery);
  EXPECT_TRUE(Contains(recovery->warnings[0], "cutting the uncertain tail ops 5..7"))
      << recovery->warnings[0];
  EXPECT_TRUE(Contains(recovery->warnings[0],
                       "not proven durable (evidence reaches the commit field (op 3)"))
      << recovery->warnings[0];
  EXPECT_EQ(recovery->last_op, 4u);  // op 4 was acknowledged: kept
  EXPECT_EQ(recovery->last_checksum, fixture.acked_.at(4));
}

TEST(JournalRecoveryTest, B7_TornEntryFollowedByIntactEntriesIsFaultyInACluster) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  TornEntryFollowedByIntactOnes(fixture);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(OpsOf(recovery->faulty), Range(5, 7));
  EXPECT_EQ(recovery->faulty[0].verdict, SlotVerdict::kTorn);
  EXPECT_EQ(recovery->faulty[1].verdict, SlotVerdict::kUncertainTail);
  EXPECT_EQ(recovery->head_op, 7u);
  // Op 5's header copy links 6 and 7 into the chain: VSR can keep them if a peer
  // repairs op 5.
  ASSERT_EQ(recovery->verified_chain.size(), 7u);
  EXPECT_FALSE(recovery->verified_chain[4].prepare_whole);
  EXPECT_EQ(recovery->last_op, 4u);
}

// --- B7: corruption proven durable ----------------------------------------------------

TEST(JournalRecoveryTest,
     B7_CorruptMiddleEntryProvenByALaterCommitFieldIsAClearErrorOnASingleNode) {
  JournalFixture fixture;
  Durable(fixture, 6);
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(3) + 262, 5).ok());
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_EQ(recovery.status().code(), absl::StatusCode::kDataLoss) << recovery.status();
  const std::string message(recovery.status().message());
  EXPECT_TRUE(Contains(
      message,
      absl::StrCat("metadata/journal.wal: op 3 in slot 3 (header at offset 768, prepare at "
                   "offset ",
                   fixture.PrepareOffset(3), ") is corrupt (corrupt)")))
      << message;
  EXPECT_TRUE(Contains(message, "body checksum mismatch")) << message;
  EXPECT_TRUE(Contains(
      message,
      "proven durable by the commit field (op 5) of op 6, so it must not be cut (rule B7)"))
      << message;
  EXPECT_TRUE(Contains(message, "Refusing to start")) << message;
  // Never cut: the bytes are untouched, and the next attempt says the same.
  EXPECT_EQ(fixture.Recover().status(), recovery.status());
}

TEST(JournalRecoveryTest,
     B7_CorruptMiddleEntryProvenByTheCommitWatermarkIsAClearErrorOnASingleNode) {
  JournalFixture fixture;
  Durable(fixture, 3);
  fixture.commit_watermark_ = 3;  // the superblock says op 3 is committed
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.HeaderOffset(3) + 40, 2).ok());
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(3) + 40, 2).ok());
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_EQ(recovery.status().code(), absl::StatusCode::kDataLoss) << recovery.status();
  EXPECT_TRUE(Contains(recovery.status().message(), "op 3 in slot 3")) << recovery.status();
  EXPECT_TRUE(Contains(recovery.status().message(), "proven durable by the commit watermark op 3"))
      << recovery.status();
}

TEST(JournalRecoveryTest, B7_CorruptMiddleEntryIsFaultyInAClusterAndNeverCut) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  Durable(fixture, 6);
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(kWal, fixture.PrepareOffset(3) + 262, 5).ok());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  ASSERT_EQ(OpsOf(recovery->faulty), Range(3, 3));
  EXPECT_EQ(recovery->faulty[0].verdict, SlotVerdict::kCorrupt);
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "metadata/journal.wal: op 3 in slot 3 (header at offset 768"));
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "but not whole here: faulty, repair from peers; never nacked (rule B7)"))
      << AllDecisions(*recovery);
  EXPECT_FALSE(recovery->uncertain_tail.has_value());
  EXPECT_EQ(recovery->last_op, 2u);
  EXPECT_EQ(recovery->commit_op, 5u);
  EXPECT_EQ(OpsOf(recovery->to_apply), Range(1, 2));
  // Ops 4..6 link through op 3's intact header copy: verified, applied after repair.
  EXPECT_EQ(OpsOf(recovery->unapplied), Range(4, 6));
  fixture.CrashMachine(Ratio::Never());
  recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->slots[3].verdict, SlotVerdict::kCorrupt);
  // VSR repairs op 3 by appending it again; the chain carries on through 4..6, whole
  // on disk and linking to it (Journal::Append): they are promises, never re-appended.
  ASSERT_TRUE(fixture.AppendFrame(fixture.frames_.at(3)).ok());
  EXPECT_EQ(fixture.journal_->last_op(), 6u);
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.journal_->durable_op(), 6u);
  recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_TRUE(recovery->faulty.empty());
  EXPECT_EQ(recovery->last_op, 6u);
}

// --- B7: hash chain -----------------------------------------------------------------

TEST(JournalRecoveryTest, B7_BrokenHashChainNotProvenDurableIsATailCutOnASingleNode) {
  JournalFixture fixture;
  Durable(fixture, 3);
  EntryChain forged(kCluster, 4, /*anchor=*/0xBAD);  // op 4, whole, parent wrong
  fixture.PlaceDurably(forged.Next({.commit = 3}));
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->slots[4].verdict, SlotVerdict::kChainBreak);
  EXPECT_TRUE(Contains(recovery->slots[4].reason,
                       "has parent 0x00000000000000000000000000000bad, but op 3 of the "
                       "verified chain has checksum"))
      << recovery->slots[4].reason;
  ASSERT_EQ(recovery->warnings.size(), 1u);
  EXPECT_TRUE(Contains(recovery->warnings[0], "cutting the uncertain tail ops 4..4"))
      << recovery->warnings[0];
  EXPECT_TRUE(Contains(recovery->warnings[0], "the hash chain is broken")) << recovery->warnings[0];
  EXPECT_EQ(recovery->last_op, 3u);
}

TEST(JournalRecoveryTest, B7_BrokenHashChainProvenDurableIsAClearErrorOnASingleNode) {
  JournalFixture fixture;
  Durable(fixture, 3);
  EntryChain forged(kCluster, 4, /*anchor=*/0xBAD);
  fixture.PlaceDurably(forged.Next({.commit = 3}));
  fixture.PlaceDurably(forged.Next({.commit = 4}));  // op 5 says op 4 is committed
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_EQ(recovery.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(recovery.status().message(), "op 4 in slot 4")) << recovery.status();
  EXPECT_TRUE(Contains(recovery.status().message(), "is corrupt (chain break)"))
      << recovery.status();
  EXPECT_TRUE(Contains(recovery.status().message(), "the hash chain is broken"))
      << recovery.status();
  EXPECT_TRUE(Contains(recovery.status().message(), "rule B7")) << recovery.status();
}

// --- B7: slot collisions --------------------------------------------------------------

TEST(JournalRecoveryTest, B7_StaleOpsFromThePreviousWrapAreCollisionsNeverApplied) {
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8));
  Durable(fixture, 8);
  ASSERT_TRUE(fixture.Checkpoint(6).ok());
  ASSERT_TRUE(fixture.AppendDurably(2).ok());  // ops 9, 10 in slots 1, 2
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  // Ring after checkpoint 6: ops 7..14. Slots 3..6 still hold ops 3..6.
  for (uint64_t slot = 3; slot <= 6; ++slot) {
    EXPECT_EQ(recovery->slots[slot].verdict, SlotVerdict::kCollision) << slot;
    EXPECT_EQ(recovery->slots[slot].expected_op, slot + 8);
    EXPECT_TRUE(Contains(recovery->slots[slot].reason, absl::StrCat("holds op ", slot)))
        << recovery->slots[slot].reason;
  }
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "4 slots hold ops from an earlier wrap of the ring (covered by checkpoint "
                       "op 6): never applied"))
      << AllDecisions(*recovery);
  std::vector<uint64_t> kept = OpsOf(recovery->to_apply);
  for (uint64_t op : OpsOf(recovery->unapplied)) kept.push_back(op);
  EXPECT_EQ(kept, Range(7, 10));
  EXPECT_EQ(recovery->last_op, 10u);
  EXPECT_TRUE(recovery->warnings.empty());
}

TEST(JournalRecoveryTest, B7_StaleOpFromAnOlderViewIsACollisionNeverApplied) {
  JournalFixture fixture(testing::TestOptions(), /*single_node=*/false);
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  for (int i = 0; i < 6; ++i) {
    // View 0; ops 4..6 are never committed.
    ASSERT_TRUE(fixture.AppendWithCommit(std::min<uint64_t>(i, 3)).ok());
    ASSERT_TRUE(fixture.Drain().ok());
  }
  // View 1 discarded ops 4..6 and prepared 4', 5' on op 3; this replica wrote them,
  // but not (durably) the clearing of op 6.
  EntryChain view1(kCluster, 4, fixture.acked_.at(3));
  const Bytes op4 = view1.Next({.commit = 3, .view = 1});
  const Bytes op5 = view1.Next({.commit = 3, .view = 1});
  fixture.PlaceDurably(op4);
  fixture.PlaceDurably(op5);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->slots[6].verdict, SlotVerdict::kCollision);
  EXPECT_TRUE(Contains(recovery->slots[6].reason,
                       "op 6 from view 0 does not link to the verified chain, which "
                       "reached a later view: a leftover of a discarded suffix"))
      << recovery->slots[6].reason;
  EXPECT_EQ(recovery->last_op, 5u);
  EXPECT_EQ(recovery->last_checksum, wire::PrepareChecksum(op5));
  EXPECT_EQ(recovery->head_op, 5u);
  EXPECT_TRUE(recovery->faulty.empty()) << AllDecisions(*recovery);
  EXPECT_EQ(OpsOf(recovery->to_apply), Range(1, 3));
  EXPECT_EQ(OpsOf(recovery->unapplied), Range(4, 5));
  EXPECT_EQ(recovery->unapplied[0].frame, op4);
}

// --- empty slots ------------------------------------------------------------------------

TEST(JournalRecoveryTest, EmptySlotsAfterTheLastOpEndTheLog) {
  JournalFixture fixture;
  Durable(fixture, 3);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  for (uint64_t slot = 4; slot < 16; ++slot) {
    EXPECT_EQ(recovery->slots[slot].verdict, SlotVerdict::kEmpty);
  }
  EXPECT_EQ(recovery->slots[0].verdict, SlotVerdict::kEmpty);  // op 16's slot
  EXPECT_FALSE(recovery->uncertain_tail.has_value());
  EXPECT_TRUE(recovery->warnings.empty());
  EXPECT_EQ(recovery->last_op, 3u);
}

TEST(JournalRecoveryTest, B6_EmptyWalAfterACheckpointEndsAtTheSnapshotsOp) {
  JournalFixture fixture;
  ASSERT_TRUE(fixture.Format().ok());
  fixture.checkpoint_op_ = 40;  // a snapshot at op 40, e.g. after state sync
  fixture.checkpoint_checksum_ = 0x40;
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 40u);
  EXPECT_EQ(recovery->last_checksum, absl::uint128{0x40});
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "no verified op after checkpoint op 40: the snapshot's op is the "
                       "last applied op (rule B6)"))
      << AllDecisions(*recovery);
  EXPECT_TRUE(recovery->to_apply.empty());
  EXPECT_TRUE(recovery->unapplied.empty());
}

TEST(JournalRecoveryTest, B7_EmptySlotFollowedByIntactEntriesIsAnUncertainTail) {
  JournalFixture fixture;
  Durable(fixture, 3);
  EntryChain chain(kCluster, 4, fixture.acked_.at(3));
  (void)chain.Next({.commit = 3});  // op 4: never landed
  fixture.PlaceDurably(chain.Next({.commit = 3}));
  fixture.PlaceDurably(chain.Next({.commit = 3}));
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->slots[4].verdict, SlotVerdict::kEmpty);
  EXPECT_EQ(recovery->slots[5].verdict, SlotVerdict::kUncertainTail);
  EXPECT_EQ(recovery->slots[6].verdict, SlotVerdict::kUncertainTail);
  ASSERT_EQ(recovery->warnings.size(), 1u);
  EXPECT_TRUE(Contains(recovery->warnings[0], "cutting the uncertain tail ops 4..6 (from slot 4"))
      << recovery->warnings[0];
  EXPECT_TRUE(Contains(recovery->warnings[0], "op 4 is empty: both copies are zero"))
      << recovery->warnings[0];
  EXPECT_EQ(recovery->last_op, 3u);
}

// --- B16: apply only what is known committed ---------------------------------------------

TEST(JournalRecoveryTest,
     B16_CommittedOpsAreAppliedAndTheUncommittedSuffixIncludingDeleteStreamIsNot) {
  for (const bool single_node : {true, false}) {
    JournalFixture fixture(testing::TestOptions(), single_node);
    ASSERT_TRUE(fixture.FormatAndRecover().ok());
    const uint64_t commits[] = {0, 0, 1, 2, 4, 4};
    for (uint64_t op = 1; op <= 6; ++op) {
      testing::EntrySpec spec;
      if (op == 5) spec.operation = wire::Operation::kDeleteStream;
      ASSERT_TRUE(fixture.AppendWithCommit(commits[op - 1], spec).ok());
      ASSERT_TRUE(fixture.Drain().ok());
    }
    fixture.commit_watermark_ = 2;  // the superblock's watermark lags
    absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
    ASSERT_TRUE(recovery.ok()) << recovery.status();
    EXPECT_EQ(recovery->commit_op, 4u);
    EXPECT_EQ(OpsOf(recovery->to_apply), Range(1, 4));
    ASSERT_EQ(OpsOf(recovery->unapplied), Range(5, 6));
    EXPECT_EQ(recovery->unapplied[0].header.operation, wire::Operation::kDeleteStream);
    for (const RecoveredEntry& entry : recovery->to_apply) {
      EXPECT_NE(entry.header.operation, wire::Operation::kDeleteStream);
    }
    EXPECT_TRUE(Contains(AllDecisions(*recovery),
                         "commit bound op 4 (rule B16): apply ops 1..4; verified ops above "
                         "it stay unapplied for VSR"))
        << AllDecisions(*recovery);
    EXPECT_EQ(recovery->last_op, 6u);
  }
}

// --- B1: I/O errors -----------------------------------------------------------------------

TEST(JournalRecoveryTest, B1_FsyncEioStopsTheWalAndNothingAcknowledgedIsLostAfterRestartThenCrash) {
  JournalFixture fixture;
  Durable(fixture, 3);
  fixture.storage_.InjectSyncFailure(kWal);
  ASSERT_TRUE(fixture.Append().ok());  // group {4}: its sync fails
  ASSERT_TRUE(fixture.Append().ok());  // group {5}: queued behind it
  EXPECT_FALSE(fixture.Drain().ok());
  EXPECT_TRUE(io::IsEio(fixture.acks_.at(4))) << fixture.acks_.at(4);
  EXPECT_EQ(fixture.acks_.at(5).code(), absl::StatusCode::kFailedPrecondition);
  const absl::Status refused = fixture.Append();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(refused.message(),
                       "metadata/journal.wal stopped (fail-stop, rule B1): syncing "
                       "metadata/journal.wal (ops 4..4): EIO"))
      << refused;
  // The process restarts: the page cache still shows op 4 (not on the media).
  fixture.RestartProcess();
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 4u);
  EXPECT_EQ(recovery->rewritten_ops, 4u);
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       "rewrote and synced 4 verified ops above the commit watermark op 0 "
                       "before trusting them (rule B1)"))
      << AllDecisions(*recovery);
  ASSERT_TRUE(fixture.AppendDurably(2).ok());  // ops 5, 6 acknowledged, chained on op 4
  // Power loss: whatever was not made durable is gone.
  fixture.CrashMachine(Ratio::Never());
  recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 6u);
  for (const auto& [op, checksum] : fixture.acked_) {
    EXPECT_EQ(recovery->verified_chain.at(op - 1).checksum, checksum) << "acknowledged op " << op;
  }
}

TEST(JournalRecoveryTest, B1_WithoutRecoveryTheCachedTailWouldVanish) {
  // The premise of the rule, on the simulator: after a failed fsync the unsynced
  // pages read back until the machine crashes, then they are gone.
  JournalFixture fixture;
  Durable(fixture, 3);
  fixture.storage_.InjectSyncFailure(kWal);
  ASSERT_TRUE(fixture.Append().ok());
  EXPECT_FALSE(fixture.Drain().ok());
  fixture.RestartProcess();
  const Bytes cached = *fixture.disk_.ReadFile(kWal);
  fixture.storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_NE(*fixture.disk_.ReadFile(kWal), cached);
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->last_op, 3u);
}

TEST(JournalRecoveryTest, B1_FailedWriteFailsItsGroupAndTheOnesBehindAndAppendsResume) {
  JournalFixture fixture;
  Durable(fixture, 2);
  fixture.storage_.InjectWriteNoSpace(kWal);
  ASSERT_TRUE(fixture.Append().ok());  // group {3}: a write fails
  ASSERT_TRUE(fixture.Append().ok());  // group {4}: queued behind it
  ASSERT_TRUE(fixture.Drain().ok());   // not fail-stop
  EXPECT_TRUE(io::IsEnospc(fixture.acks_.at(3))) << fixture.acks_.at(3);
  EXPECT_TRUE(io::IsEnospc(fixture.acks_.at(4))) << fixture.acks_.at(4);
  EXPECT_TRUE(
      Contains(fixture.acks_.at(4).message(), "appending op 3 and the ops queued after it"));
  EXPECT_EQ(fixture.journal_->last_op(), 2u);  // ops 3 and 4 are free again
  ASSERT_TRUE(fixture.AppendDurably(2).ok());
  EXPECT_TRUE(fixture.acks_.at(4).ok());
  fixture.CrashMachine(Ratio::Never());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->last_op, 4u);
  EXPECT_EQ(recovery->last_checksum, fixture.acked_.at(4));
}

TEST(JournalRecoveryTest, B1_ReadErrorOnAHeaderCopyDuringRecoveryIsRepairedFromTheWholePrepare) {
  JournalFixture fixture;
  Durable(fixture, 3);
  ASSERT_TRUE(fixture.storage_.InjectLatentSectorError(kWal, fixture.HeaderOffset(2)).ok());
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status();
  EXPECT_EQ(recovery->last_op, 3u);
  EXPECT_GE(recovery->repaired_headers, 1u);
  EXPECT_TRUE(Contains(AllDecisions(*recovery), "header copy is invalid (read error: EIO"))
      << AllDecisions(*recovery);
  EXPECT_TRUE(Contains(AllDecisions(*recovery),
                       absl::StrCat("op 2 in slot 2 (header at offset 512, prepare at offset ",
                                    fixture.PrepareOffset(2),
                                    "): repaired the redundant header from the whole prepare")))
      << AllDecisions(*recovery);
}

// --- B5: the WAL itself -----------------------------------------------------------------------

TEST(JournalRecoveryTest, B5_MissingWalIsAClearErrorAndNeverRecreated) {
  JournalFixture fixture;
  Durable(fixture, 2);
  fixture.journal_.reset();
  ASSERT_TRUE(fixture.storage_.RemoveBehindBack(kWal).ok());
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  EXPECT_EQ(recovery.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(recovery.status().message(),
                       "metadata/journal.wal is missing: the metadata WAL is never "
                       "recreated empty (rule B5)"))
      << recovery.status();
  EXPECT_FALSE(fixture.disk_.ReadFile(kWal).ok());
}

TEST(JournalRecoveryTest, WalOfTheWrongSizeIsAClearError) {
  JournalFixture fixture;
  Durable(fixture, 2);
  fixture.journal_.reset();
  ASSERT_TRUE(fixture.storage_.TruncateBehindBack(kWal, 10'000).ok());
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  EXPECT_EQ(recovery.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(
      Contains(recovery.status().message(),
               absl::StrCat("metadata/journal.wal is 10000 bytes, expected ",
                            fixture.layout_.file_size_bytes(), " for 16 slots of 1024 bytes")))
      << recovery.status();
}

}  // namespace
}  // namespace sluice::journal
