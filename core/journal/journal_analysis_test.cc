// The WAL recovery analysis on hand-made images (no I/O): ranges and invariants,
// and arbitrary bytes (rule B7: recovery of any bytes never crashes).
#include "core/journal/journal_analysis.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "core/journal/testing/journal_entries.h"

namespace sluice::journal {
namespace {

using testing::EntryChain;
using testing::JournalImage;

constexpr absl::uint128 kCluster = 0xC1;

JournalOptions Options() {
  return {.cluster = kCluster, .slot_count = 8, .message_size_max = 1024};
}

JournalAnalysis Analyze(const JournalImage& image, const RecoveryInputs& inputs) {
  absl::StatusOr<std::vector<SlotCopies>> slots = DecodeJournalImage(image.bytes(), Options());
  EXPECT_TRUE(slots.ok()) << slots.status();
  absl::StatusOr<JournalAnalysis> analysis = AnalyzeJournal(*slots, Options(), inputs);
  EXPECT_TRUE(analysis.ok()) << analysis.status();
  return *std::move(analysis);
}

TEST(JournalAnalysisTest, EmptyWalEndsAtTheCheckpoint) {
  const JournalImage image(Options());
  const JournalAnalysis analysis = Analyze(image, {.checkpoint_op = 0});
  EXPECT_EQ(analysis.prefix_op, 0u);
  EXPECT_EQ(analysis.head_op, 0u);
  EXPECT_FALSE(analysis.tail_first_op.has_value());
  EXPECT_FALSE(analysis.FirstCorruptOp().has_value());
  for (const OpAnalysis& entry : analysis.ops) EXPECT_EQ(entry.verdict, SlotVerdict::kEmpty);
}

TEST(JournalAnalysisTest, CommitFieldsOnTheChainBoundWhatIsApplied) {
  JournalImage image(Options());
  EntryChain chain(kCluster);
  for (uint64_t commit : {0, 0, 1, 3, 3}) image.Place(chain.Next({.commit = commit}));
  const JournalAnalysis analysis = Analyze(image, {.commit_watermark = 1});
  EXPECT_EQ(analysis.prefix_op, 5u);
  EXPECT_EQ(analysis.commit_op, 3u);
  EXPECT_EQ(analysis.apply_through_op(), 3u);
  EXPECT_EQ(analysis.evidence_op, 3u);
  EXPECT_EQ(analysis.evidence_source_op, 4u);
}

TEST(JournalAnalysisTest, HeaderCopyCarriesTheChainPastALostPrepare) {
  JournalImage image(Options());
  EntryChain chain(kCluster);
  for (uint64_t commit : {0, 1, 2, 3, 4}) {
    const Bytes frame = chain.Next({.commit = commit});
    image.Place(frame, /*header_copy=*/true, /*prepare=*/testing::OpOf(frame) != 3);
  }
  const JournalAnalysis analysis = Analyze(image, {});
  EXPECT_EQ(analysis.prefix_op, 2u);
  EXPECT_EQ(analysis.chain_end_op, 5u);
  EXPECT_EQ(analysis.At(3).verdict, SlotVerdict::kCorrupt);  // proven by op 5's commit 4
  EXPECT_EQ(analysis.At(4).verdict, SlotVerdict::kValid);
  EXPECT_EQ(analysis.FirstCorruptOp(), 3u);
  // Op 5 is not proven, but whole and linked: verified, though not applicable
  // before op 3 is repaired.
  EXPECT_EQ(analysis.At(5).verdict, SlotVerdict::kValid);
  EXPECT_FALSE(analysis.tail_first_op.has_value());
  EXPECT_EQ(analysis.apply_through_op(), 2u);
}

TEST(JournalAnalysisTest, FutureOpIsRefusedNamingRuleB8) {
  JournalImage image(Options());
  EntryChain chain(kCluster, 9);  // op 9 lives in slot 1
  image.Place(chain.Next({.commit = 0}));
  absl::StatusOr<std::vector<SlotCopies>> slots = DecodeJournalImage(image.bytes(), Options());
  ASSERT_TRUE(slots.ok());
  const absl::StatusOr<JournalAnalysis> analysis =
      AnalyzeJournal(*slots, Options(), {.checkpoint_op = 0});
  EXPECT_EQ(analysis.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(analysis.status().message().find("holds op 9, beyond checkpoint op 0 + 8 slots"),
            std::string::npos)
      << analysis.status();
  EXPECT_NE(analysis.status().message().find("rule B8"), std::string::npos);
}

TEST(JournalAnalysisTest, InconsistentInputsAreErrorsNotCrashes) {
  const JournalImage image(Options());
  absl::StatusOr<std::vector<SlotCopies>> slots = DecodeJournalImage(image.bytes(), Options());
  ASSERT_TRUE(slots.ok());
  EXPECT_EQ(AnalyzeJournal(*slots, Options(), {.checkpoint_op = UINT64_MAX - 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AnalyzeJournal(*slots, Options(), {.checkpoint_op = 2, .commit_watermark = 11})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeJournalImage(ByteSpan(image.bytes()).first(100), Options()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Invariants every analysis must keep, whatever the bytes.
void CheckInvariants(const JournalAnalysis& analysis, uint64_t slot_count) {
  const uint64_t c = analysis.checkpoint_op;
  RC_ASSERT(analysis.ops.size() == slot_count);
  RC_ASSERT(c <= analysis.prefix_op && analysis.prefix_op <= analysis.chain_end_op);
  RC_ASSERT(analysis.chain_end_op <= analysis.head_op && analysis.head_op <= c + slot_count);
  RC_ASSERT(analysis.evidence_op <= analysis.head_op);
  RC_ASSERT(analysis.commit_op <= analysis.evidence_op);
  RC_ASSERT(analysis.apply_through_op() <= analysis.prefix_op);
  for (const OpAnalysis& entry : analysis.ops) {
    if (entry.op <= analysis.prefix_op) {
      RC_ASSERT(entry.verdict == SlotVerdict::kValid);
      RC_ASSERT(entry.content.content == SlotContent::kIntact && entry.link == ChainLink::kLinked);
    }
    if (entry.op > analysis.head_op) {
      RC_ASSERT(entry.verdict == SlotVerdict::kEmpty || entry.verdict == SlotVerdict::kCollision);
    }
  }
  if (analysis.tail_first_op.has_value()) {
    RC_ASSERT(*analysis.tail_first_op > analysis.evidence_op);
    RC_ASSERT(*analysis.tail_first_op > analysis.prefix_op &&
              *analysis.tail_first_op <= analysis.head_op);
  }
  if (analysis.FirstCorruptOp().has_value()) {
    RC_ASSERT(*analysis.FirstCorruptOp() <= analysis.evidence_op);
  }
}

RC_GTEST_PROP(JournalAnalysisTest, ArbitraryBytesOverAValidWalNeverCrash, ()) {
  JournalImage image(Options());
  EntryChain chain(kCluster);
  const uint64_t entries = *rc::gen::inRange<uint64_t>(0, 9);
  for (uint64_t i = 0; i < entries; ++i) image.Place(chain.Next({.commit = i == 0 ? 0 : i - 1}));
  const auto patches = *rc::gen::container<std::vector<std::pair<uint32_t, std::vector<uint8_t>>>>(
      rc::gen::pair(rc::gen::arbitrary<uint32_t>(), rc::gen::arbitrary<std::vector<uint8_t>>()));
  for (const auto& [position, bytes] : patches) {
    const uint64_t start = position % image.bytes().size();
    for (size_t i = 0; i < bytes.size() && start + i < image.bytes().size(); ++i) {
      image.bytes()[start + i] = bytes[i];
    }
  }
  const uint64_t checkpoint = *rc::gen::inRange<uint64_t>(0, 4);
  const RecoveryInputs inputs{.checkpoint_op = checkpoint,
                              .commit_watermark = *rc::gen::inRange<uint64_t>(0, 12)};
  absl::StatusOr<std::vector<SlotCopies>> slots = DecodeJournalImage(image.bytes(), Options());
  RC_ASSERT(slots.ok());
  const absl::StatusOr<JournalAnalysis> analysis = AnalyzeJournal(*slots, Options(), inputs);
  if (analysis.ok()) CheckInvariants(*analysis, Options().slot_count);
}

}  // namespace
}  // namespace sluice::journal
