// Choosing the superblock version from what the four slots held, without a disk:
// one test per arrangement a crash, a corruption or a stray write can leave.
#include "core/superblock/superblock_quorum.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace sluice::superblock {
namespace {

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

SuperblockState StateWithView(uint32_t view) {
  SuperblockState state;
  state.cluster_id = 5;
  state.view = view;
  return state;
}

// A valid copy of the version (sequence, view) as read from `slot`.
CopyReading Valid(uint64_t sequence, uint32_t view, uint8_t slot) {
  return DecodeSuperblockCopy(EncodeSuperblockCopy(StateWithView(view), sequence,
                                                   sequence == 1 ? 0 : 1000 + sequence, slot),
                              slot);
}

CopyReading Corrupt(uint8_t slot) {
  return absl::DataLossError(absl::StrCat("superblock copy ", slot, ": checksum mismatch"));
}

TEST(SuperblockQuorumTest, AllFourAgree) {
  const CopyReadings readings = {Valid(4, 1, 0), Valid(4, 1, 1), Valid(4, 1, 2), Valid(4, 1, 3)};
  const absl::StatusOr<QuorumDecision> decision = ChooseSuperblockVersion(readings);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->chosen.sequence, 4u);
  EXPECT_EQ(decision->agreeing_copies, 4);
}

// An update cut after two copies: the new version has its quorum and wins.
TEST(SuperblockQuorumTest, HighestSequenceWithTwoCopiesWins) {
  const CopyReadings readings = {Valid(5, 2, 0), Valid(5, 2, 1), Corrupt(2), Valid(4, 1, 3)};
  const absl::StatusOr<QuorumDecision> decision = ChooseSuperblockVersion(readings);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->chosen.sequence, 5u);
  EXPECT_EQ(decision->chosen.state.view, 2u);
  EXPECT_EQ(decision->holds_chosen, (std::array<bool, 4>{true, true, false, false}));
}

// An update cut after one copy: the stray new copy is never trusted alone.
TEST(SuperblockQuorumTest, StrayHigherSequenceIgnored) {
  const CopyReadings readings = {Valid(5, 2, 0), Corrupt(1), Valid(4, 1, 2), Valid(4, 1, 3)};
  const absl::StatusOr<QuorumDecision> decision = ChooseSuperblockVersion(readings);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->chosen.sequence, 4u);
  EXPECT_EQ(decision->holds_chosen, (std::array<bool, 4>{false, false, true, true}));
  const std::string why = DescribeMismatch(readings[0], 0, decision->chosen);
  EXPECT_NE(why.find("stray"), std::string::npos) << why;
}

// Two copies with the same sequence but different content do not count together.
TEST(SuperblockQuorumTest, SameSequenceDifferentContentDoesNotAgree) {
  const CopyReadings readings = {Valid(5, 2, 0), Valid(5, 3, 1), Valid(4, 1, 2), Valid(4, 1, 3)};
  const absl::StatusOr<QuorumDecision> decision = ChooseSuperblockVersion(readings);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->chosen.sequence, 4u);
}

TEST(SuperblockQuorumTest, TwoQuorumsAtOneSequenceRefused) {
  const CopyReadings readings = {Valid(5, 2, 0), Valid(5, 3, 1), Valid(5, 2, 2), Valid(5, 3, 3)};
  const absl::Status status = ChooseSuperblockVersion(readings).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "two different versions")) << status;
}

// Rule B17's refusal: the error lists every copy's status.
TEST(SuperblockQuorumTest, ThreeBadCopiesRefusedListingEachCopy) {
  const CopyReadings readings = {Corrupt(0), Valid(4, 1, 1), Corrupt(2), Corrupt(3)};
  const absl::Status status = ChooseSuperblockVersion(readings).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "superblock copy 0: checksum mismatch")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 1 (offset 4096): valid, sequence 4")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 3: checksum mismatch")) << status;
}

TEST(SuperblockQuorumTest, UnsupportedVersionsReportedAsSuch) {
  const CopyReading unsupported =
      absl::FailedPreconditionError("format version 2 is not supported");
  const CopyReadings readings = {unsupported, unsupported, unsupported, Corrupt(3)};
  const absl::Status status = ChooseSuperblockVersion(readings).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(status, "format version this build does not read")) << status;
  EXPECT_TRUE(Mentions(status, "format version 2 is not supported")) << status;
}

TEST(SuperblockQuorumTest, ParentOfChosenVersionIsNamedInRepairLog) {
  SuperblockState state = StateWithView(1);
  const Bytes old_copy = EncodeSuperblockCopy(state, 4, 99, 3);
  const absl::uint128 old_version = SuperblockVersionChecksum(old_copy);
  state.view = 2;
  const CopyReading new_copy =
      DecodeSuperblockCopy(EncodeSuperblockCopy(state, 5, old_version, 0), 0);
  const std::string why = DescribeMismatch(DecodeSuperblockCopy(old_copy, 3), 3, *new_copy);
  EXPECT_NE(why.find("parent"), std::string::npos) << why;
}

}  // namespace
}  // namespace sluice::superblock
