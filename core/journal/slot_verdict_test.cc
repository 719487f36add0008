// The per-slot decision tables of slot_verdict.h, row by row (rule B7).
#include "core/journal/slot_verdict.h"

#include <gtest/gtest.h>

#include "core/journal/entry_copy.h"
#include "core/journal/testing/journal_entries.h"

namespace sluice::journal {
namespace {

using testing::EntryChain;

constexpr absl::uint128 kCluster = 0xC1;
constexpr uint64_t kSlots = 8;

JournalOptions Options() {
  return {.cluster = kCluster, .slot_count = kSlots, .message_size_max = 4096};
}

// Valid copies of op 10 (slot 2), of op 2 (same slot, an earlier wrap), a zero and
// an invalid copy.
struct Copies {
  EntryCopy zero;
  EntryCopy invalid;
  EntryCopy other;      // op 2
  EntryCopy expected;   // op 10, view 1
  EntryCopy newer;      // op 10 again, view 2 (another version)
  EntryCopy same_view;  // op 10 again, view 1, other content
};

Copies MakeCopies() {
  EntryChain chain(kCluster, 2);
  const Bytes op2 = chain.Next({.commit = 1});
  chain.Rewind(9, 0x99);
  const Bytes op10 = chain.Next({.commit = 3, .view = 1});
  chain.Rewind(9, 0x99);
  const Bytes op10_newer = chain.Next({.commit = 3, .view = 2});
  chain.Rewind(9, 0x99);
  const Bytes op10_same_view = chain.Next({.commit = 3, .view = 1, .body = "another body"});
  Copies copies;
  Bytes frame;
  copies.other = DecodePrepareCopy(op2, 2, Options(), frame);
  copies.expected = DecodePrepareCopy(op10, 2, Options(), frame);
  copies.newer = DecodePrepareCopy(op10_newer, 2, Options(), frame);
  copies.same_view = DecodePrepareCopy(op10_same_view, 2, Options(), frame);
  Bytes flipped = op10;
  flipped[260] ^= 1;  // body
  copies.invalid = DecodePrepareCopy(flipped, 2, Options(), frame);
  EXPECT_EQ(copies.invalid.state, CopyState::kInvalid);
  EXPECT_NE(copies.invalid.problem.find("body checksum mismatch"), std::string::npos)
      << copies.invalid.problem;
  return copies;
}

SlotContent ContentOf(const EntryCopy& header, const EntryCopy& prepare) {
  return ClassifyContent(header, prepare, 10).content;
}

TEST(SlotVerdictTest, Table1_EveryCombinationOfCopies) {
  const Copies c = MakeCopies();
  // header Z
  EXPECT_EQ(ContentOf(c.zero, c.zero), SlotContent::kEmpty);
  EXPECT_EQ(ContentOf(c.zero, c.invalid), SlotContent::kDamaged);
  EXPECT_EQ(ContentOf(c.zero, c.other), SlotContent::kStale);
  EXPECT_EQ(ContentOf(c.zero, c.expected), SlotContent::kIntact);
  // header X
  EXPECT_EQ(ContentOf(c.invalid, c.zero), SlotContent::kDamaged);
  EXPECT_EQ(ContentOf(c.invalid, c.invalid), SlotContent::kDamaged);
  EXPECT_EQ(ContentOf(c.invalid, c.other), SlotContent::kDamaged);
  EXPECT_EQ(ContentOf(c.invalid, c.expected), SlotContent::kIntact);
  // header S
  EXPECT_EQ(ContentOf(c.other, c.zero), SlotContent::kStale);
  EXPECT_EQ(ContentOf(c.other, c.invalid), SlotContent::kDamaged);
  EXPECT_EQ(ContentOf(c.other, c.other), SlotContent::kStale);
  EXPECT_EQ(ContentOf(c.other, c.expected), SlotContent::kIntact);
  // header E
  EXPECT_EQ(ContentOf(c.expected, c.zero), SlotContent::kHeaderOnly);
  EXPECT_EQ(ContentOf(c.expected, c.invalid), SlotContent::kHeaderOnly);
  EXPECT_EQ(ContentOf(c.expected, c.other), SlotContent::kHeaderOnly);
  EXPECT_EQ(ContentOf(c.expected, c.expected), SlotContent::kIntact);
}

TEST(SlotVerdictTest, Table1_AWholePrepareRepairsItsHeaderCopy) {
  const Copies c = MakeCopies();
  EXPECT_FALSE(ClassifyContent(c.expected, c.expected, 10).header_needs_repair);
  const ContentDecision decision = ClassifyContent(c.invalid, c.expected, 10);
  EXPECT_TRUE(decision.header_needs_repair);
  EXPECT_EQ(decision.identity, IdentitySource::kPrepare);
  EXPECT_NE(decision.reason.find("the prepare is whole"), std::string::npos) << decision.reason;
}

TEST(SlotVerdictTest, Table1_TwoVersionsOfTheOpAreOrderedByView) {
  const Copies c = MakeCopies();
  const ContentDecision newer_prepare = ClassifyContent(c.expected, c.newer, 10);
  EXPECT_EQ(newer_prepare.content, SlotContent::kIntact);
  EXPECT_TRUE(newer_prepare.header_needs_repair);
  const ContentDecision newer_header = ClassifyContent(c.newer, c.expected, 10);
  EXPECT_EQ(newer_header.content, SlotContent::kHeaderOnly);
  EXPECT_EQ(newer_header.identity, IdentitySource::kHeader);
  EXPECT_NE(newer_header.reason.find("the newer version's prepare did not land"),
            std::string::npos);
  const ContentDecision same_view = ClassifyContent(c.expected, c.same_view, 10);
  EXPECT_EQ(same_view.content, SlotContent::kDamaged);
  EXPECT_NE(same_view.reason.find("cannot be ordered"), std::string::npos) << same_view.reason;
}

TEST(SlotVerdictTest, Table2_Links) {
  const ChainPosition open{.open = true, .previous_checksum = 7, .chain_view = 3};
  EXPECT_EQ(LinkOf(7, 3, open), ChainLink::kLinked);
  EXPECT_EQ(LinkOf(8, 3, open), ChainLink::kBroken);
  EXPECT_EQ(LinkOf(8, 4, open), ChainLink::kBroken);
  EXPECT_EQ(LinkOf(8, 2, open), ChainLink::kStaleView);
  const ChainPosition ended{.open = false, .previous_checksum = 7, .chain_view = 3};
  EXPECT_EQ(LinkOf(7, 3, ended), ChainLink::kUnlinkable);
  EXPECT_EQ(LinkOf(9, 2, ended), ChainLink::kStaleView);
}

TEST(SlotVerdictTest, Table3_Verdicts) {
  const OpPlacement prefix{.in_prefix = true};
  const OpPlacement beyond{.beyond_head = true};
  const OpPlacement proven{.proven = true};
  const OpPlacement tail{.in_tail = true};
  const OpPlacement gap{};  // in (A, head], neither proven nor in the tail
  using C = SlotContent;
  using L = ChainLink;
  using V = SlotVerdict;
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kLinked, prefix), V::kValid);
  EXPECT_EQ(DecideVerdict(C::kEmpty, L::kNone, beyond), V::kEmpty);
  EXPECT_EQ(DecideVerdict(C::kStale, L::kNone, beyond), V::kCollision);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kStaleView, beyond), V::kCollision);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kLinked, gap), V::kValid);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kLinked, tail), V::kUncertainTail);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kUnlinkable, tail), V::kUncertainTail);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kUnlinkable, proven), V::kChainBreak);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kBroken, tail), V::kChainBreak);
  EXPECT_EQ(DecideVerdict(C::kHeaderOnly, L::kBroken, proven), V::kChainBreak);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kStaleView, proven), V::kCorrupt);
  EXPECT_EQ(DecideVerdict(C::kIntact, L::kStaleView, tail), V::kCollision);
  EXPECT_EQ(DecideVerdict(C::kHeaderOnly, L::kLinked, tail), V::kTorn);
  EXPECT_EQ(DecideVerdict(C::kHeaderOnly, L::kLinked, proven), V::kCorrupt);
  EXPECT_EQ(DecideVerdict(C::kDamaged, L::kNone, tail), V::kTorn);
  EXPECT_EQ(DecideVerdict(C::kDamaged, L::kNone, proven), V::kCorrupt);
  EXPECT_EQ(DecideVerdict(C::kEmpty, L::kNone, tail), V::kEmpty);
  EXPECT_EQ(DecideVerdict(C::kEmpty, L::kNone, proven), V::kCorrupt);
  EXPECT_EQ(DecideVerdict(C::kStale, L::kNone, tail), V::kCollision);
  EXPECT_EQ(DecideVerdict(C::kStale, L::kNone, proven), V::kCorrupt);
}

TEST(SlotVerdictTest, HeaderCopyOfAnotherGroupOrSlotIsInvalid) {
  EntryChain chain(kCluster, 10);
  const Bytes frame = chain.Next({.commit = 3});
  EXPECT_EQ(DecodeHeaderCopy(ByteSpan(frame).first(256), 2, Options()).state, CopyState::kValid);
  const EntryCopy wrong_slot = DecodeHeaderCopy(ByteSpan(frame).first(256), 3, Options());
  EXPECT_EQ(wrong_slot.state, CopyState::kInvalid);
  EXPECT_EQ(wrong_slot.problem, "op 10 does not belong in slot 3");
  JournalOptions other_cluster = Options();
  other_cluster.cluster = 0xC2;
  EXPECT_EQ(DecodeHeaderCopy(ByteSpan(frame).first(256), 2, other_cluster).state,
            CopyState::kInvalid);
  EntryChain bad_commit(kCluster, 10);
  const Bytes future_commit = bad_commit.Next({.commit = 10});
  EXPECT_EQ(DecodeHeaderCopy(ByteSpan(future_commit).first(256), 2, Options()).problem,
            "commit 10 is not below op 10");
}

}  // namespace
}  // namespace sluice::journal
