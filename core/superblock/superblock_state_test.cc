// Checks on the superblock's state that need no disk: namespace widths (rule B9),
// the config check at boot, and which updates may follow which.
#include "core/superblock/superblock_state.h"

#include <gtest/gtest.h>

namespace sluice::superblock {
namespace {

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

SuperblockState State() {
  SuperblockState state;
  state.cluster_id = absl::MakeUint128(0x1234, 0x5678);
  state.replica_index = 1;
  state.replica_count = 3;
  state.view = 7;
  state.metadata_log_view = 6;
  state.metadata_checkpoint = {.op = 100, .snapshot_checksum = 42};
  state.partition_log_views = {.op = 3, .checksum = 99};
  state.metadata_commit_watermark = 150;
  return state;
}

// B9: Iggy's default widths (12 + 12 + 20 = 44) and an exact 63 are accepted.
TEST(SuperblockStateTest, WidthsUpTo63Accepted) {
  EXPECT_TRUE(ValidateNamespaceWidths(NamespaceWidths{}).ok());
  EXPECT_TRUE(
      ValidateNamespaceWidths({.stream_bits = 21, .topic_bits = 21, .partition_bits = 21}).ok());
  EXPECT_TRUE(
      ValidateNamespaceWidths({.stream_bits = 63, .topic_bits = 0, .partition_bits = 0}).ok());
}

// B9: a plain sum above 63 is rejected, naming the rule and the sum.
TEST(SuperblockStateTest, WidthsSumOver63RejectedNamingB9) {
  const absl::Status status =
      ValidateNamespaceWidths({.stream_bits = 22, .topic_bits = 21, .partition_bits = 21});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(status, "B9")) << status;
  EXPECT_TRUE(Mentions(status, "sum to 64")) << status;
}

// B9: a single width above 64 is rejected even though the u8 sum could wrap in
// narrower arithmetic (here it does not: the sum is computed in 32 bits).
TEST(SuperblockStateTest, WidthOver64RejectedNamingB9) {
  const absl::Status status =
      ValidateNamespaceWidths({.stream_bits = 200, .topic_bits = 0, .partition_bits = 0});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(status, "B9")) << status;
  EXPECT_TRUE(Mentions(status, "at most 64")) << status;
  // 255 * 3 wraps a u8 sum to 253 and a naive check would see a small number.
  EXPECT_FALSE(
      ValidateNamespaceWidths({.stream_bits = 255, .topic_bits = 255, .partition_bits = 255}).ok());
}

TEST(SuperblockStateTest, StateInvariants) {
  EXPECT_TRUE(ValidateSuperblockState(State()).ok());
  EXPECT_TRUE(ValidateSuperblockState(SuperblockState{}).ok());

  SuperblockState bad = State();
  bad.replica_index = 3;
  EXPECT_TRUE(Mentions(ValidateSuperblockState(bad), "replica index 3"))
      << ValidateSuperblockState(bad);
  bad = State();
  bad.replica_count = 0;
  bad.replica_index = 0;
  EXPECT_FALSE(ValidateSuperblockState(bad).ok());
  bad = State();
  bad.metadata_log_view = 8;
  EXPECT_TRUE(Mentions(ValidateSuperblockState(bad), "log view")) << ValidateSuperblockState(bad);
  bad = State();
  bad.metadata_checkpoint.op = 151;
  EXPECT_TRUE(Mentions(ValidateSuperblockState(bad), "checkpoint op 151"))
      << ValidateSuperblockState(bad);
  bad = State();
  bad.partition_log_views.checksum = 0;
  EXPECT_TRUE(Mentions(ValidateSuperblockState(bad), "log-view table"))
      << ValidateSuperblockState(bad);
  bad = State();
  bad.partition_log_views.op = 0;
  EXPECT_FALSE(ValidateSuperblockState(bad).ok());
  bad = State();
  bad.namespace_widths.partition_bits = 40;
  EXPECT_TRUE(Mentions(ValidateSuperblockState(bad), "B9")) << ValidateSuperblockState(bad);
}

// Boot step 2: a directory formatted for another cluster or replica is refused.
TEST(SuperblockStateTest, ConfigMismatchRejected) {
  const SuperblockState state = State();
  EXPECT_TRUE(ValidateAgainstConfig(state, state.cluster_id, 1, 3, NamespaceWidths{}).ok());

  absl::Status status =
      ValidateAgainstConfig(state, absl::MakeUint128(0x1234, 0x5679), 1, 3, NamespaceWidths{});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(status,
                       "superblock cluster id 0x00000000000012340000000000005678 differs from "
                       "config 0x00000000000012340000000000005679"))
      << status;

  status = ValidateAgainstConfig(state, state.cluster_id, 2, 5, NamespaceWidths{});
  EXPECT_TRUE(Mentions(status, "superblock replica index 1 differs from config 2")) << status;
  EXPECT_TRUE(Mentions(status, "superblock replica count 3 differs from config 5")) << status;

  status = ValidateAgainstConfig(state, state.cluster_id, 1, 3,
                                 {.stream_bits = 10, .topic_bits = 12, .partition_bits = 20});
  EXPECT_TRUE(Mentions(status, "namespace widths")) << status;
  EXPECT_TRUE(Mentions(status, "stream 10")) << status;
}

// B9 also guards the config side of the comparison.
TEST(SuperblockStateTest, ConfigWidthsBreakingB9Rejected) {
  const absl::Status status =
      ValidateAgainstConfig(State(), State().cluster_id, 1, 3,
                            {.stream_bits = 32, .topic_bits = 32, .partition_bits = 0});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(status, "config")) << status;
  EXPECT_TRUE(Mentions(status, "B9")) << status;
}

// B4: durable VSR state never moves backwards; identity never changes after format.
TEST(SuperblockStateTest, SuccessorMayOnlyMoveForward) {
  const SuperblockState current = State();
  SuperblockState next = current;
  next.view = 9;
  next.metadata_log_view = 9;
  next.metadata_commit_watermark = 200;
  EXPECT_TRUE(ValidateSuccessor(current, next).ok());
  EXPECT_TRUE(ValidateSuccessor(current, current).ok());

  next = current;
  next.view = 6;
  next.metadata_log_view = 5;
  absl::Status status = ValidateSuccessor(current, next);
  EXPECT_TRUE(Mentions(status, "view would move backwards: 7 -> 6")) << status;
  EXPECT_TRUE(Mentions(status, "metadata log view would move backwards: 6 -> 5")) << status;

  next = current;
  next.metadata_commit_watermark = 149;
  EXPECT_TRUE(Mentions(ValidateSuccessor(current, next), "commit watermark"));
  next = current;
  next.partition_log_views = {.op = 2, .checksum = 1};
  EXPECT_TRUE(Mentions(ValidateSuccessor(current, next), "log-view table op"));
  next = current;
  next.cluster_id = 1;
  EXPECT_TRUE(Mentions(ValidateSuccessor(current, next), "cluster id is fixed at format"));
  next = current;
  next.namespace_widths.stream_bits = 11;
  EXPECT_TRUE(Mentions(ValidateSuccessor(current, next), "namespace widths is fixed"));
}

// B17: `recovering` is set only by format --recover, and cleared after state sync.
TEST(SuperblockStateTest, RecoveringIsClearedButNeverSetByAnUpdate) {
  SuperblockState recovering = State();
  recovering.recovering = true;
  EXPECT_TRUE(ValidateSuccessor(recovering, State()).ok());
  const absl::Status status = ValidateSuccessor(State(), recovering);
  EXPECT_TRUE(Mentions(status, "B17")) << status;
}

}  // namespace
}  // namespace sluice::superblock
