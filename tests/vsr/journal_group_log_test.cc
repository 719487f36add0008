// The metadata WAL adapted to VSR's GroupLog: built from a recovery, it appends,
// reads, reports headers and checksums, truncates, and a second recovery shows the
// same log.
#include "core/vsr/journal_group_log.h"

#include "core/io/testing/blocking_storage.h"
#include "core/journal/format_journal.h"
#include "core/journal/journal_recovery.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::vsr {
namespace {

constexpr absl::uint128 kCluster = 0xC1;

class JournalGroupLogTest : public ::testing::Test {
 protected:
  journal::JournalOptions Options() const {
    return {.cluster = kCluster, .slot_count = 16, .message_size_max = 1024};
  }
  std::unique_ptr<JournalGroupLog> Recover() {
    absl::StatusOr<journal::JournalRecovery> recovery = io::testing::RunTask(
        loop_, journal::RecoverJournal(storage_, Options(), {.single_node = false}));
    EXPECT_TRUE(recovery.ok()) << recovery.status();
    return JournalGroupLog::FromRecovery(*std::move(recovery), loop_);
  }
  Bytes Prepare(const GroupLog& log, uint64_t commit) {
    return wire::EncodePrepare({.cluster = kCluster,
                                .parent = log.last_checksum(),
                                .op = log.last_op() + 1,
                                .commit = commit,
                                .operation = wire::Operation::kCreateStream},
                               base::AsBytes("body"));
  }
  void RunUntil(const std::function<bool()>& done) {
    while (!done()) ASSERT_TRUE(loop_.RunOnce());
  }

  sim::SimLoop loop_;
  sim::SimStorage storage_{loop_, {.seed = 3, .sector_size_bytes = 512}};
};

TEST_F(JournalGroupLogTest, AppendsReadsTruncatesAndRecoversTheSameLog) {
  ASSERT_TRUE(io::testing::RunTask(loop_, journal::FormatJournal(storage_, Options())).ok());
  std::unique_ptr<JournalGroupLog> log = Recover();
  EXPECT_EQ(log->last_op(), 0u);
  std::vector<absl::uint128> checksums;
  int durable = 0;
  for (int i = 0; i < 3; ++i) {
    const Bytes frame = Prepare(*log, log->last_op());
    checksums.push_back(wire::PrepareChecksum(frame));
    ASSERT_TRUE(log->Append(frame, [&durable](absl::Status status) { durable += status.ok(); }).ok());
  }
  RunUntil([&] { return durable == 3; });
  EXPECT_EQ(log->durable_op(), 3u);
  EXPECT_EQ(log->ChecksumAt(2), checksums[1]);
  ASSERT_TRUE(log->Header(3).has_value());
  EXPECT_EQ(wire::LoadPrepareFields(*log->Header(3)).parent, checksums[1]);
  std::optional<absl::StatusOr<Bytes>> read;
  log->ReadEntry(2, [&read](absl::StatusOr<Bytes> entry) { read = std::move(entry); });
  EXPECT_FALSE(read.has_value());  // never inline
  RunUntil([&] { return read.has_value(); });
  ASSERT_TRUE(read->ok()) << read->status();
  EXPECT_EQ(wire::PrepareChecksum(**read), checksums[1]);

  std::optional<absl::Status> truncated;
  log->TruncateAfter(1, 1, [&truncated](absl::Status status) { truncated = status; });
  RunUntil([&] { return truncated.has_value(); });
  ASSERT_TRUE(truncated->ok()) << *truncated;
  EXPECT_EQ(log->last_op(), 1u);
  EXPECT_FALSE(log->Header(2).has_value());
  // A committed op is never truncated.
  truncated.reset();
  log->TruncateAfter(0, 1, [&truncated](absl::Status status) { truncated = status; });
  RunUntil([&] { return truncated.has_value(); });
  EXPECT_EQ(truncated->code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(io::testing::RunTask(loop_, log->journal().Close()).ok());
  log.reset();
  std::unique_ptr<JournalGroupLog> recovered = Recover();
  EXPECT_EQ(recovered->last_op(), 1u);
  EXPECT_EQ(recovered->ChecksumAt(1), checksums[0]);
  EXPECT_TRUE(recovered->Header(1).has_value());
  EXPECT_EQ(recovered->faulty_head_op(), 1u);
}

}  // namespace
}  // namespace sluice::vsr
