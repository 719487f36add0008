// A partition's log adapted to VSR's GroupLog (like journal_group_log_test for the
// metadata WAL): built from a recovery, it appends, reads, reports headers and
// checksums, refuses to truncate committed ops, truncates an uncommitted suffix, and a
// second recovery shows the same log (headers within the configured window).
#include "core/vsr/partition_group_log.h"

#include <functional>

#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::vsr {
namespace {

using partition::testing::kCluster;
using partition::testing::MakeBatch;

partition::PartitionOptions ClusterOptions() {
  partition::PartitionOptions options = partition::testing::TestOptions();
  options.single_node = false;  // faulty entries are kept for VSR, not cut
  return options;
}

class PartitionGroupLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<PartitionGroupLog> Adopt(const partition::RecoveryReport& report, uint64_t headers_max = 1024) {
    absl::StatusOr<std::unique_ptr<PartitionGroupLog>> log = fixture_.Run(PartitionGroupLog::FromRecovery(
        std::move(fixture_.log_), report, fixture_.loop(), {.cluster = kCluster, .headers_max = headers_max}));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }
  Bytes NextBatch(PartitionGroupLog& log) {
    absl::StatusOr<Bytes> frame =
        log.partition().PrepareNext(wire::Operation::kSendMessages, MakeBatch(2, next_id_), ++timestamp_);
    next_id_ += 2;
    EXPECT_TRUE(frame.ok()) << frame.status();
    return *std::move(frame);
  }
  void RunUntil(const std::function<bool()>& done) {
    while (!done()) ASSERT_TRUE(fixture_.loop().RunOnce());
  }
  template <typename Result, typename Start>
  Result Wait(Start start) {
    std::optional<Result> result;
    start([&](Result value) { result = std::move(value); });
    RunUntil([&] { return result.has_value(); });
    return *std::move(result);
  }

  partition::testing::PartitionFixture fixture_{ClusterOptions()};
  uint64_t next_id_ = 1;
  uint64_t timestamp_ = 1'000'000;
};

TEST_F(PartitionGroupLogTest, AppendsReadsTruncatesAndRecoversTheSameLog) {
  ASSERT_TRUE(fixture_.Create().ok());
  std::unique_ptr<PartitionGroupLog> log = Adopt({});
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->base_op(), 0u);
  EXPECT_EQ(log->last_op(), 0u);
  EXPECT_EQ(log->ChecksumAt(0), log->last_checksum());

  std::vector<Bytes> frames;
  int durable = 0;
  for (int i = 0; i < 6; ++i) {
    frames.push_back(NextBatch(*log));
    ASSERT_TRUE(log->Append(frames.back(), [&durable](absl::Status status) { durable += status.ok(); }).ok());
  }
  EXPECT_FALSE(log->Append(frames[2], [](absl::Status) {}).ok()) << "not the next link";
  RunUntil([&] { return durable == 6; });
  EXPECT_EQ(log->durable_op(), 6u);
  EXPECT_EQ(log->faulty_head_op(), 6u);
  for (uint64_t op = 1; op <= 6; ++op) {
    EXPECT_EQ(log->ChecksumAt(op), wire::PrepareChecksum(frames[op - 1])) << "op " << op;
    ASSERT_TRUE(log->Header(op).has_value());
    EXPECT_TRUE(std::equal(log->Header(op)->begin(), log->Header(op)->end(), frames[op - 1].begin()));
  }
  absl::StatusOr<Bytes> read =
      Wait<absl::StatusOr<Bytes>>([&](auto done) { log->ReadEntry(4, std::move(done)); });
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, frames[3]);
  EXPECT_EQ(Wait<absl::StatusOr<Bytes>>([&](auto done) { log->ReadEntry(7, std::move(done)); }).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Wait<absl::StatusOr<Bytes>>([&](auto done) { log->ReadEntry(0, std::move(done)); }).status().code(),
            absl::StatusCode::kNotFound);

  // A committed op is never truncated; an uncommitted suffix is.
  log->Commit(4);
  EXPECT_EQ(Wait<absl::Status>([&](auto done) { log->TruncateAfter(3, 4, std::move(done)); }).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log->last_op(), 6u);
  ASSERT_TRUE(Wait<absl::Status>([&](auto done) { log->TruncateAfter(5, 4, std::move(done)); }).ok());
  EXPECT_EQ(log->last_op(), 5u);
  EXPECT_EQ(log->faulty_head_op(), 5u);
  EXPECT_FALSE(log->ChecksumAt(6).has_value());
  EXPECT_FALSE(log->Header(6).has_value());
  EXPECT_EQ(log->last_checksum(), wire::PrepareChecksum(frames[4]));
  const Bytes replacement = NextBatch(*log);
  ASSERT_TRUE(log->Append(replacement, [&durable](absl::Status status) { durable += status.ok(); }).ok());
  RunUntil([&] { return durable == 7; });
  EXPECT_NE(wire::PrepareChecksum(replacement), wire::PrepareChecksum(frames[5]));

  // A new process recovers the same log; the adapter keeps the newest 3 headers.
  ASSERT_TRUE(fixture_.Run(log->partition().Drain()).ok());
  fixture_.log_ = nullptr;
  log.reset();
  partition::RecoveryReport report;
  ASSERT_TRUE(fixture_.Reopen(&report).ok());
  log = Adopt(report, 3);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_op(), 6u);
  EXPECT_EQ(log->base_op(), 0u);
  EXPECT_EQ(log->ChecksumAt(0), wire::LoadPrepareFields(frames[0]).parent) << "the first entry's parent";
  EXPECT_EQ(log->last_checksum(), wire::PrepareChecksum(replacement));
  EXPECT_EQ(log->ChecksumAt(6), wire::PrepareChecksum(replacement));
  EXPECT_EQ(log->ChecksumAt(4), wire::PrepareChecksum(frames[3]));
  EXPECT_FALSE(log->ChecksumAt(3).has_value()) << "outside the header window";
  EXPECT_FALSE(log->Header(3).has_value());
  EXPECT_LE(log->recovered_commit(), 4u);
}

// State sync (B15) is covered by partition_state_sync_test.cc; here, the edge: at
// base 0 there is nothing to serve, and a snapshot at or below the base is refused.
TEST_F(PartitionGroupLogTest, ServesNoSnapshotAtBaseZeroAndRefusesOneAtOrBelowTheBase_B15) {
  ASSERT_TRUE(fixture_.Create().ok());
  std::unique_ptr<PartitionGroupLog> log = Adopt({});
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->ServedSnapshot().has_value());
  EXPECT_FALSE(log->Staged().has_value());
  const SnapshotId at_base{.op = 0, .op_checksum = 1, .size_bytes = 1, .checksum = 2};
  EXPECT_EQ(
      Wait<absl::Status>([&](auto done) { log->StageSnapshot(at_base, 0, base::AsBytes("x"), std::move(done)); })
          .code(),
      absl::StatusCode::kFailedPrecondition);
  const SnapshotId above{.op = 5, .op_checksum = 1, .size_bytes = 2, .checksum = 2};
  EXPECT_EQ(Wait<absl::Status>([&](auto done) { log->InstallSnapshot(above, std::move(done)); }).code(),
            absl::StatusCode::kFailedPrecondition)
      << "nothing staged";
  EXPECT_EQ(Wait<absl::StatusOr<Bytes>>([&](auto done) { log->ReadSnapshot(above, 0, 10, std::move(done)); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sluice::vsr
