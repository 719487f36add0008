// The bootstrap contract's partition rules (BOOTSTRAP_CONTRACT.md), one test per
// case, each named for its rule and fault, on SimStorage.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/layout.h"
#include "core/partition/partition_log.h"
#include "core/partition/state_record.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::partition {
namespace {

using base::Ratio;
using testing::Ids;
using testing::PartitionFixture;

bool Contains(absl::string_view text, absl::string_view part) { return absl::StrContains(text, part); }

std::string AllDecisions(const RecoveryReport& report) { return absl::StrJoin(report.decisions, "\n"); }

// --- B1: fsync failure -------------------------------------------------------------

TEST(PartitionRecoveryTest, B1_FsyncEioOnActiveSegmentStopsTheLogAndNothingAcknowledgedIsLost) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 2).ok());  // ops 1-3 acknowledged
  fixture.storage_.InjectSyncFailure(fixture.SegmentPath(1));
  ASSERT_TRUE(fixture.AppendBatch(2).ok());
  ASSERT_TRUE(fixture.AppendBatch(2).ok());
  EXPECT_FALSE(fixture.Drain().ok());
  // Nothing unacknowledged reported as durable; the log is stopped (fail-stop).
  EXPECT_TRUE(io::IsEio(fixture.acks_.at(4)) || !fixture.acks_.at(4).ok());
  EXPECT_FALSE(fixture.acks_.at(5).ok());
  EXPECT_EQ(fixture.AppendBatch(1).code(), absl::StatusCode::kFailedPrecondition);
  // The process restarts; the page cache kept ops 4-5, which read back but are not on the media.
  fixture.storage_.RestartProcess();
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_GT(report.tail_rewritten_bytes, 0u) << AllDecisions(report);
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 2).ok());  // ops 6-7 acknowledged, chained on 4-5
  // Power loss: whatever was not made durable is gone.
  fixture.storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  ASSERT_TRUE(fixture.Reopen(&report).ok()) << AllDecisions(report);
  for (const uint64_t op : fixture.AckedOps()) EXPECT_LE(op, fixture.log_->last_op());
  EXPECT_EQ(fixture.log_->last_op(), 6u);
  // Ids 9-10 went with the failed op 5 and id 11 with the refused append.
  std::vector<uint64_t> expected = Ids(1, 8);
  for (uint64_t id : Ids(12, 15)) expected.push_back(id);
  EXPECT_EQ(fixture.PollAllIds(), expected);
}

TEST(PartitionRecoveryTest, B1_WithoutRecoveryTheCachedTailWouldVanish) {
  // The premise of the rule, shown on the simulator: after a failed fsync the
  // unsynced bytes read back until the machine crashes, then they are gone.
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(1, 1).ok());
  fixture.storage_.InjectSyncFailure(fixture.SegmentPath(1));
  ASSERT_TRUE(fixture.AppendBatch(1).ok());
  EXPECT_FALSE(fixture.Drain().ok());
  const uint64_t cached = fixture.disk_.ReadFile(fixture.SegmentPath(1))->size();
  fixture.storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_LT(fixture.disk_.ReadFile(fixture.SegmentPath(1))->size(), cached);
}

TEST(PartitionRecoveryTest, B1_EnospcOnWriteIsAnErrorAndAppendsResumeWhenSpaceReturns) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 2).ok());
  fixture.storage_.InjectWriteNoSpace(fixture.SegmentPath(1));
  ASSERT_TRUE(fixture.AppendBatch(2).ok());
  ASSERT_TRUE(fixture.Drain().ok());  // not fail-stop
  EXPECT_TRUE(io::IsEnospc(fixture.acks_.at(3))) << fixture.acks_.at(3);
  EXPECT_EQ(fixture.log_->last_op(), 2u);  // op 3 is free again
  ASSERT_TRUE(fixture.AppendBatchesDurably(1, 2).ok());
  EXPECT_TRUE(fixture.acks_.at(3).ok());
  EXPECT_EQ(fixture.PollAllIds(), (std::vector<uint64_t>{1, 2, 3, 4, 7, 8}));
  ASSERT_TRUE(fixture.Reopen().ok());
  EXPECT_EQ(fixture.log_->last_op(), 3u);
}

TEST(PartitionRecoveryTest, B1_ReadEioIsAnErrorToThatReaderOnly) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(4, 2).ok());
  ASSERT_TRUE(fixture.storage_.InjectLatentSectorError(fixture.SegmentPath(1), 10).ok());
  const absl::StatusOr<PollResult> bad = fixture.Run(fixture.log_->PollByOffset(0, 2));
  EXPECT_TRUE(io::IsEio(bad.status())) << bad.status();
  EXPECT_TRUE(fixture.log_->failure().ok());
  const absl::StatusOr<PollResult> later = fixture.Run(fixture.log_->PollByOffset(6, 2));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(testing::PolledIds(*later), Ids(7, 8));
}

TEST(PartitionRecoveryTest, ConsumerOffsetsAreRestoredExactlyAfterAMachineCrash) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 5).ok());
  ASSERT_TRUE(fixture.StoreOffset(1, 3).ok());
  ASSERT_TRUE(fixture.StoreOffset(1, 7).ok());
  ASSERT_TRUE(fixture.StoreOffset(2, 9).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  ASSERT_TRUE(fixture.Reopen().ok());
  EXPECT_EQ(fixture.log_->ConsumerOffset({ConsumerKind::kConsumer, 1}), 7u);
  EXPECT_EQ(fixture.log_->ConsumerOffset({ConsumerKind::kConsumer, 2}), 9u);
}

// --- B2: the next offset comes from the log, never the index ----------------------

TEST(PartitionRecoveryTest, B2_IndexLostItsLastEntriesNextAppendGetsTheNextOffset) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(5, 3).ok());
  ASSERT_TRUE(fixture.storage_.TruncateBehindBack(fixture.IndexPath(1), 2 * kIndexEntrySize).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_TRUE(report.index_rebuilt);
  EXPECT_TRUE(Contains(AllDecisions(report), "lags")) << AllDecisions(report);
  EXPECT_EQ(fixture.log_->appended_next_offset(), 15u);
  ASSERT_TRUE(fixture.AppendBatchesDurably(1, 3).ok());
  EXPECT_EQ(fixture.PollAllIds(), Ids(1, 18));  // contiguous, no offset twice
}

TEST(PartitionRecoveryTest, B2_CorruptIndexIsRebuiltFromTheLog) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(4, 2).ok());
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.IndexPath(1), kIndexEntrySize + 9, 2).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_TRUE(Contains(AllDecisions(report), "disagrees")) << AllDecisions(report);
  absl::StatusOr<PollResult> result = fixture.Run(fixture.log_->PollByOffset(2, 2));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(testing::PolledIds(*result), Ids(3, 4));
}

TEST(PartitionRecoveryTest, B2_IndexLongerThanTheLogIsRebuilt) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 2).ok());
  absl::StatusOr<io::FileHandle> index = fixture.disk_.Open(fixture.IndexPath(1), io::OpenMode::kExisting);
  ASSERT_TRUE(index.ok());
  Bytes phantom(kIndexEntrySize);
  EncodeIndexEntry({3, 4, 99, 9999}, MutableByteSpan(phantom));
  ASSERT_TRUE(fixture.disk_.Write(*index, 2 * kIndexEntrySize, phantom).ok());
  ASSERT_TRUE(fixture.disk_.Sync(*index).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_TRUE(Contains(AllDecisions(report), "leads")) << AllDecisions(report);
  EXPECT_EQ(fixture.log_->last_op(), 2u);
  EXPECT_EQ(fixture.log_->appended_next_offset(), 4u);
}

// --- B3: consumer offsets past the log end ------------------------------------------

TEST(PartitionRecoveryTest, B3_OffsetBeyondTheLogEndIsAClearErrorOnASingleNode) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 5).ok());  // offsets 0..9
  ASSERT_TRUE(fixture.StoreOffset(4, 25).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(status.message(), "consumer 4 has offset 25")) << status;
  EXPECT_TRUE(Contains(status.message(), "rule B3")) << status;
  EXPECT_TRUE(Contains(status.message(), "recovery.clamp_consumer_offsets")) << status;
}

TEST(PartitionRecoveryTest, B3_WithTheOptInEachOffsetIsClampedAndLogged) {
  PartitionOptions options = testing::TestOptions();
  options.clamp_consumer_offsets = true;
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 5).ok());
  ASSERT_TRUE(fixture.StoreOffset(4, 25).ok());
  ASSERT_TRUE(fixture.StoreOffset(5, 3).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_TRUE(Contains(report.warnings[0], "clamped consumer 4 offset 25 -> 9")) << report.warnings[0];
  EXPECT_EQ(fixture.log_->ConsumerOffset({ConsumerKind::kConsumer, 4}), 9u);
  EXPECT_EQ(fixture.log_->ConsumerOffset({ConsumerKind::kConsumer, 5}), 3u);
}

// --- B3: the offsets checkpoint names its partition and the ops it reflects ------

// Replaces the partition's consumer-offsets checkpoint with `offsets` owned by
// `owner`, well formed and checksummed (an operator's copy, a misdirected write).
absl::Status PlantOffsetsCheckpoint(PartitionFixture& fixture, const PartitionOptions& options,
                                    const ConsumerOffsets& offsets, const OffsetsOwner& owner) {
  const std::string path = io::JoinPath(PartitionDirectory(options.address), kConsumerOffsetsName);
  const Bytes bytes = EncodeConsumerOffsets(offsets, owner);
  return fixture.Run(io::WriteFileAtomically(fixture.storage_, path, bytes));
}

TEST(PartitionRecoveryTest, B3_AnotherPartitionsOffsetsCheckpointIsRefusedNeverAdopted) {
  const PartitionOptions options = testing::TestOptions();
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 5).ok());  // offsets 0..9
  ASSERT_TRUE(fixture.StoreOffset(4, 2).ok());
  ASSERT_TRUE(fixture.Drain().ok());
  // Offsets within this log, at an op this log holds: only the owner gives it away.
  const ConsumerOffsets foreign{.applied_op = 3, .offsets = {{{ConsumerKind::kConsumer, 4}, 8}}};
  for (const OffsetsOwner& other :
       {OffsetsOwner{.namespace_id = options.namespace_id + 1, .incarnation = options.address.incarnation},
        OffsetsOwner{.namespace_id = options.namespace_id, .incarnation = options.address.incarnation + 1}}) {
    ASSERT_TRUE(PlantOffsetsCheckpoint(fixture, options, foreign, other).ok());
    const absl::Status status = fixture.Reopen();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_TRUE(Contains(status.message(), "not to this partition")) << status;
    EXPECT_TRUE(Contains(status.message(), "rule B3")) << status;
  }
  // Its own checkpoint (here the same offsets) boots: the refusal was the owner's.
  ASSERT_TRUE(PlantOffsetsCheckpoint(fixture, options, foreign,
                                     {.namespace_id = options.namespace_id,
                                      .incarnation = options.address.incarnation})
                  .ok());
  ASSERT_TRUE(fixture.Reopen().ok());
  EXPECT_EQ(fixture.log_->ConsumerOffset({ConsumerKind::kConsumer, 4}), 8u);
}

TEST(PartitionRecoveryTest, B3_OffsetsCheckpointBeyondTheLogIsAClearErrorOnASingleNode) {
  const PartitionOptions options = testing::TestOptions();
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 5).ok());  // ops 1-2
  ASSERT_TRUE(fixture.Drain().ok());
  // The checkpoint proves op 6 committed; the log ends at op 2.
  ASSERT_TRUE(PlantOffsetsCheckpoint(fixture, options, {.applied_op = 6, .offsets = {}},
                                     {.namespace_id = options.namespace_id,
                                      .incarnation = options.address.incarnation})
                  .ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_TRUE(Contains(status.message(), "reflects ops up to 6")) << status;
  EXPECT_TRUE(Contains(status.message(), "log ends at op 2")) << status;
}

// A cluster partition with ops 1-2 committed whose offsets checkpoint, `offsets`,
// reflects ops up to 6: the checkpoint is ahead of the log.
absl::Status CheckpointAheadOfTheLog(PartitionFixture& fixture, const PartitionOptions& options,
                                     std::map<ConsumerKey, uint64_t> offsets) {
  if (absl::Status status = fixture.Create(); !status.ok()) return status;
  if (absl::Status status = fixture.AppendBatchesDurably(2, 5); !status.ok()) return status;
  fixture.log_->Commit(2);
  if (absl::Status status = fixture.Drain(); !status.ok()) return status;
  return PlantOffsetsCheckpoint(fixture, options, {.applied_op = 6, .offsets = std::move(offsets)},
                                {.namespace_id = options.namespace_id, .incarnation = options.address.incarnation});
}

TEST(PartitionRecoveryTest, B3_OffsetsCheckpointBeyondTheLogInAClusterMarksTheMissingOpsFaulty) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  PartitionFixture fixture(options);
  ASSERT_TRUE(CheckpointAheadOfTheLog(fixture, options, {}).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok()) << AllDecisions(report);
  ASSERT_FALSE(report.faulty_ops.empty());
  EXPECT_EQ(report.faulty_ops.front(), 3u);
  EXPECT_TRUE(Contains(AllDecisions(report), "repair from peers")) << AllDecisions(report);
}

// The repaired entries under a checkpoint that is ahead of the log are applied for
// the log's sake, but the offsets already reflect them: an older store among them
// never rolls a later one back (B3: a committed offset changes only by a store; seed
// 148 of the 3-replica campaign showed consumer 2's offset of op 56 at applied op 40).
TEST(PartitionRecoveryTest, B3_RepairedStoresUnderAnOffsetsCheckpointAheadOfTheLogChangeNothing) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  PartitionFixture fixture(options);
  const ConsumerKey consumer{ConsumerKind::kConsumer, 4};
  ASSERT_TRUE(CheckpointAheadOfTheLog(fixture, options, {{consumer, 8}}).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok()) << AllDecisions(report);
  ASSERT_EQ(fixture.log_->last_op(), 2u);
  EXPECT_EQ(fixture.log_->ConsumerOffset(consumer), 8u);
  // Ops 3 and 4 come back by repair: an older store of the consumer, then a delete.
  ASSERT_TRUE(fixture.StoreOffset(4, 5).ok());
  ASSERT_TRUE(fixture.AppendEntry(wire::Operation::kDeleteConsumerOffset, EncodeDeleteOffset(consumer)).ok());
  fixture.log_->Commit(4);
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.log_->ConsumerOffset(consumer), 8u);
  // A store above the checkpoint applies.
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 1).ok());  // ops 5, 6
  ASSERT_TRUE(fixture.StoreOffset(4, 9).ok());           // op 7
  fixture.log_->Commit(7);
  ASSERT_TRUE(fixture.Drain().ok());
  EXPECT_EQ(fixture.log_->ConsumerOffset(consumer), 9u);
}

// --- B5: files the record names are never recreated ---------------------------------

TEST(PartitionRecoveryTest, B5_MissingActiveSegmentIsAClearErrorAndNeverRecreated) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 2).ok());
  ASSERT_TRUE(fixture.storage_.RemoveBehindBack(fixture.SegmentPath(1)).ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(status.message(), fixture.SegmentPath(1))) << status;
  EXPECT_TRUE(Contains(status.message(), "active segment")) << status;
  EXPECT_TRUE(Contains(status.message(), "rule B5")) << status;
  EXPECT_TRUE(io::IsEnoent(fixture.disk_.Open(fixture.SegmentPath(1), io::OpenMode::kExisting).status()));
}

TEST(PartitionRecoveryTest, B5_MissingLastSealedSegmentIsAClearErrorNeverAPromotion) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(fixture.AppendBatchesDurably(1, 3).ok());
  const std::vector<SegmentInfo> segments = fixture.log_->segments();
  ASSERT_GE(segments.size(), 3u);
  const uint64_t last_sealed = segments[segments.size() - 2].first_op;
  ASSERT_TRUE(fixture.storage_.RemoveBehindBack(fixture.SegmentPath(last_sealed)).ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(status.message(), "sealed segment")) << status;
  EXPECT_TRUE(Contains(status.message(), "rule B5")) << status;
  EXPECT_TRUE(io::IsEnoent(fixture.disk_.Open(fixture.SegmentPath(last_sealed), io::OpenMode::kExisting).status()));
}

TEST(PartitionRecoveryTest, B5_MissingStateRecordIsAClearError) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.storage_.RemoveBehindBack(io::JoinPath(PartitionDirectory(fixture.options_.address),
                                                             kStateRecordName)).ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_TRUE(io::IsEnoent(status)) << status;
  EXPECT_TRUE(Contains(status.message(), "rule B5")) << status;
}

// --- B7: bad entries classified by durability evidence ------------------------------

TEST(PartitionRecoveryTest, B7_TornLastEntryIsCutOnASingleNodeWithAWarning) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 2).ok());
  const uint64_t size = fixture.disk_.ReadFile(fixture.SegmentPath(1))->size();
  ASSERT_TRUE(fixture.storage_.TruncateBehindBack(fixture.SegmentPath(1), size - 20).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_TRUE(report.tail_cut);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_TRUE(Contains(report.warnings[0], "uncertain tail from op 3")) << report.warnings[0];
  EXPECT_EQ(fixture.log_->last_op(), 2u);
  ASSERT_TRUE(fixture.AppendBatchesDurably(1, 2).ok());
  EXPECT_EQ(fixture.PollAllIds(), (std::vector<uint64_t>{1, 2, 3, 4, 7, 8}));
}

TEST(PartitionRecoveryTest, B7_TornEntryFollowedByIntactEntriesOfTheSameGroupCommitIsATail) {
  PartitionOptions options = testing::TestOptions();
  options.segment_size_bytes = 1 << 20;  // all eight entries in one segment
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(5, 1).ok());  // ops 4-8, one group: commit fields stay 3
  const std::vector<IndexEntry> index = DecodeIndex(*fixture.disk_.ReadFile(fixture.IndexPath(1)));
  ASSERT_EQ(index.size(), 8u);
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), index[4].position + 300, 1).ok());  // op 5
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_TRUE(Contains(report.warnings[0], "uncertain tail from op 5")) << report.warnings[0];
  EXPECT_TRUE(Contains(AllDecisions(report), "3 valid entries after it")) << AllDecisions(report);
  EXPECT_EQ(fixture.log_->last_op(), 4u) << AllDecisions(report);
}

TEST(PartitionRecoveryTest, B7_BitFlipInAnEntryProvenDurableIsNotCutAndNamesFileAndOffset) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());  // ops 4-6 carry commit 3
  const Bytes before = *fixture.disk_.ReadFile(fixture.SegmentPath(1));
  const std::vector<IndexEntry> index = DecodeIndex(*fixture.disk_.ReadFile(fixture.IndexPath(1)));
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), index[1].position + 280, 5).ok());  // op 2
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(status.message(), fixture.SegmentPath(1))) << status;
  EXPECT_TRUE(Contains(status.message(), absl::StrCat("corrupt entry op 2 at offset ", index[1].position))) << status;
  EXPECT_TRUE(Contains(status.message(), "rule B7")) << status;
  EXPECT_EQ(fixture.disk_.ReadFile(fixture.SegmentPath(1))->size(), before.size());  // not cut
}

TEST(PartitionRecoveryTest, B7_CorruptEntryInAClusterIsReportedFaultyNotCut) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  fixture.log_->Commit(3);
  ASSERT_TRUE(fixture.AppendBatchesDurably(2, 1).ok());
  const std::vector<IndexEntry> index = DecodeIndex(*fixture.disk_.ReadFile(fixture.IndexPath(1)));
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), index[1].position + 280, 5).ok());
  const uint64_t size = fixture.disk_.ReadFile(fixture.SegmentPath(1))->size();
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  ASSERT_FALSE(report.faulty_ops.empty());
  EXPECT_EQ(report.faulty_ops.front(), 2u);
  EXPECT_EQ(fixture.disk_.ReadFile(fixture.SegmentPath(1))->size(), size);
}

// The whole entries above a corrupt one's proven range may have been acknowledged
// (prepare_ok follows their fsync): they are promises, so they stay faulty up to the
// highest of them, never forgotten (rule B7; DESIGN.md "Replication model").
TEST(PartitionRecoveryTest, B7_IntactEntriesAboveACorruptOneInAClusterStayFaultyPromises) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  options.segment_size_bytes = 1 << 20;  // all entries in one segment
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  fixture.log_->Commit(3);
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());  // ops 4-6 carry commit 3
  const std::vector<IndexEntry> index = DecodeIndex(*fixture.disk_.ReadFile(fixture.IndexPath(1)));
  ASSERT_EQ(index.size(), 6u);
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), index[1].position + 280, 5).ok());  // op 2
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_EQ(fixture.log_->last_op(), 1u);
  ASSERT_FALSE(report.faulty_ops.empty());
  EXPECT_EQ(report.faulty_ops.front(), 2u);
  EXPECT_EQ(*std::max_element(report.faulty_ops.begin(), report.faulty_ops.end()), 6u) << AllDecisions(report);
}

// The same for a torn entry of an unsynced batch followed by intact ones: in a
// cluster the whole uncertain tail stays faulty for VSR (rule B7), not just its first op.
TEST(PartitionRecoveryTest, B7_IntactEntriesAfterAnUncertainEntryInAClusterStayFaulty) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  options.segment_size_bytes = 1 << 20;
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(5, 1).ok());  // ops 4-8
  const std::vector<IndexEntry> index = DecodeIndex(*fixture.disk_.ReadFile(fixture.IndexPath(1)));
  ASSERT_EQ(index.size(), 8u);
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), index[4].position + 300, 1).ok());  // op 5
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  EXPECT_EQ(fixture.log_->last_op(), 4u);
  EXPECT_TRUE(report.warnings.empty()) << AllDecisions(report);  // nothing cut in a cluster
  ASSERT_FALSE(report.faulty_ops.empty());
  EXPECT_EQ(*std::max_element(report.faulty_ops.begin(), report.faulty_ops.end()), 8u) << AllDecisions(report);
}

// A truncation names its end in the state record (log_end_op) and clears it once the
// files are cut. The slot that cleared it may be lost later (a flipped bit): recovery
// then reads the other slot, which must not still name the old truncation point, or
// the entries appended above it since — maybe acknowledged — would be cut as a decided
// truncation (rule B7: a replica never forgets its promises).
TEST(PartitionRecoveryTest, B7_LosingTheNewestStateSlotAfterATruncationKeepsTheEntriesAppendedSince) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  options.segment_size_bytes = 1 << 20;
  PartitionFixture fixture(options);
  ASSERT_TRUE(fixture.Create().ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());
  fixture.log_->Commit(2);
  ASSERT_TRUE(fixture.Run(fixture.log_->TruncateAfter(2)).ok());
  ASSERT_TRUE(fixture.AppendBatchesDurably(3, 1).ok());  // ops 3-5 appended after the truncation
  ASSERT_EQ(fixture.log_->last_op(), 5u);
  const std::string state_path = io::JoinPath(PartitionDirectory(options.address), kStateRecordName);
  const Bytes state = *fixture.disk_.ReadFile(state_path);
  uint64_t newest_slot = 0;
  uint64_t newest_sequence = 0;
  for (uint64_t slot = 0; slot < 2; ++slot) {
    const absl::StatusOr<StateRecord> record =
        DecodeStateRecord(ByteSpan(state).subspan(slot * kStateSlotSize, kStateSlotSize));
    ASSERT_TRUE(record.ok()) << record.status();
    if (record->sequence >= newest_sequence) {
      newest_sequence = record->sequence;
      newest_slot = slot;
    }
  }
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(state_path, newest_slot * kStateSlotSize + 40, 1).ok());
  RecoveryReport report;
  ASSERT_TRUE(fixture.Reopen(&report).ok());
  const uint64_t faulty_head = report.faulty_ops.empty()
                                   ? 0
                                   : *std::max_element(report.faulty_ops.begin(), report.faulty_ops.end());
  EXPECT_EQ(std::max(fixture.log_->last_op(), faulty_head), 5u) << AllDecisions(report);
}

TEST(PartitionRecoveryTest, B7_CorruptSealedSegmentRefusesToStart) {
  PartitionFixture fixture;
  ASSERT_TRUE(fixture.Create().ok());
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(fixture.AppendBatchesDurably(1, 3).ok());
  ASSERT_TRUE(fixture.storage_.InjectBitFlip(fixture.SegmentPath(1), 400, 0).ok());
  const absl::Status status = fixture.Reopen();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Contains(status.message(), "rule B7")) << status;
}

}  // namespace
}  // namespace sluice::partition
