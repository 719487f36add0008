// Crash at every step of an append group and of recovery itself: the "process"
// stops right after its k-th storage operation completes (InterruptingStorage),
// then the machine crashes with unsynced sectors landing never, always, or one by
// one at random. Recovery must never refuse, and must yield the log before the
// step, after it, or — since a group holds several ops, none acknowledged — a
// prefix between the two; never anything else, and never without an acknowledged op.
#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "core/journal/journal_recovery.h"
#include "tests/journal/journal_fixture.h"

namespace sluice::journal {
namespace {

using base::Ratio;
using testing::AllDecisions;
using testing::JournalFixture;

// The recovered log: the checksums of ops 1..last_op.
std::vector<absl::uint128> Log(const JournalRecovery& recovery) {
  std::vector<absl::uint128> log;
  for (const ChainedOp& op : recovery.verified_chain) {
    if (op.op <= recovery.last_op) log.push_back(op.checksum);
  }
  return log;
}

bool IsPrefix(const std::vector<absl::uint128>& prefix, const std::vector<absl::uint128>& of) {
  return prefix.size() <= of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

// Every acknowledged op after the checkpoint is in the log (single node), or in the log or faulty
// (cluster).
void ExpectAcknowledgedKept(const JournalFixture& fixture, const JournalRecovery& recovery,
                            const std::string& context) {
  for (const auto& [op, checksum] : fixture.acked_) {
    if (op <= fixture.checkpoint_op_) continue;  // covered by the snapshot
    const uint64_t index = op - fixture.checkpoint_op_ - 1;
    const bool in_log = index < recovery.verified_chain.size() &&
                        recovery.verified_chain[index].checksum == checksum;
    bool faulty = false;
    for (const FaultyOp& entry : recovery.faulty) faulty = faulty || entry.op == op;
    EXPECT_TRUE(in_log || (faulty && !fixture.single_node_))
        << context << ": acknowledged op " << op << " lost\n"
        << AllDecisions(recovery);
  }
}

using Procedure = std::function<void(JournalFixture&)>;

void CrashAtEveryStep(bool single_node, const Procedure& setup, const Procedure& step) {
  JournalFixture reference(testing::TestOptions(), single_node);
  setup(reference);
  absl::StatusOr<JournalRecovery> recovered = reference.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  const std::vector<absl::uint128> before = Log(*recovered);
  const uint64_t start = reference.interrupting_.completions();
  step(reference);
  const uint64_t total = reference.interrupting_.completions() - start;
  recovered = reference.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  const std::vector<absl::uint128> after = Log(*recovered);
  ASSERT_GT(after.size(), before.size()) << "the step changed nothing";
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  for (uint64_t k = 0; k <= total; ++k) {
    for (size_t landing = 0; landing < 3; ++landing) {
      const std::string context =
          absl::StrCat("crash after operation ", k, " of ", total, ", landing ", landing);
      JournalFixture fixture(testing::TestOptions(), single_node, /*seed=*/k * 3 + landing + 1);
      setup(fixture);
      ASSERT_TRUE(fixture.Recover().ok());
      fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + k);
      step(fixture);
      fixture.CrashMachine(landings[landing]);
      const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
      ASSERT_TRUE(recovery.ok()) << context << ": " << recovery.status();
      const std::vector<absl::uint128> log = Log(*recovery);
      EXPECT_TRUE(IsPrefix(before, log) && IsPrefix(log, after))
          << context << ": " << log.size() << " ops, before " << before.size() << ", after "
          << after.size() << "\n"
          << AllDecisions(*recovery);
      ExpectAcknowledgedKept(fixture, *recovery, context);
    }
  }
}

void ThreeDurableOps(JournalFixture& fixture) {
  ASSERT_TRUE(fixture.FormatAndRecover().ok());
  ASSERT_TRUE(fixture.AppendDurably(3).ok());
}

// Group {4} goes out alone; ops 5..7 gather in the next group while it is in flight.
void AppendTwoGroups(JournalFixture& fixture) {
  for (int i = 0; i < 4; ++i) (void)fixture.Append();
  (void)fixture.Drain();
}

TEST(JournalCrashTest, B7_CrashAtEveryStepOfAnAppendGroupOnASingleNode) {
  CrashAtEveryStep(/*single_node=*/true, ThreeDurableOps, AppendTwoGroups);
}

TEST(JournalCrashTest, B7_CrashAtEveryStepOfAnAppendGroupInACluster) {
  CrashAtEveryStep(/*single_node=*/false, ThreeDurableOps, AppendTwoGroups);
}

TEST(JournalCrashTest, B7_CrashAtEveryStepOfAnAppendGroupThatWrapsTheRing) {
  CrashAtEveryStep(
      /*single_node=*/true,
      [](JournalFixture& fixture) {
        ASSERT_TRUE(fixture.FormatAndRecover().ok());
        ASSERT_TRUE(fixture.AppendDurably(14).ok());
        ASSERT_TRUE(fixture.Checkpoint(12).ok());
      },
      AppendTwoGroups);  // ops 15..18 in slots 15, 0, 1, 2
}

// Recovery after a failed fsync has to rewrite and sync the cached tail (B1); a
// crash at any step of that leaves a WAL the next recovery still accepts.
TEST(JournalCrashTest, B1_CrashAtEveryStepOfRecoveryRewritingTheTail) {
  const auto prepare = [](JournalFixture& fixture) {
    ThreeDurableOps(fixture);
    fixture.storage_.InjectSyncFailure(testing::kWal);
    ASSERT_TRUE(fixture.Append().ok());
    ASSERT_FALSE(fixture.Drain().ok());
    fixture.RestartProcess();
  };
  JournalFixture reference;
  prepare(reference);
  const uint64_t start = reference.interrupting_.completions();
  absl::StatusOr<JournalRecovery> full = reference.Recover();
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->last_op, 4u);
  const uint64_t total = reference.interrupting_.completions() - start;
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  for (uint64_t k = 0; k < total; ++k) {
    for (size_t landing = 0; landing < 3; ++landing) {
      JournalFixture fixture(testing::TestOptions(), true, /*seed=*/k * 3 + landing + 1);
      prepare(fixture);
      (void)fixture.Recover(std::nullopt, /*stop_after=*/k);
      fixture.CrashMachine(landings[landing]);
      const absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
      ASSERT_TRUE(recovery.ok()) << "crash after operation " << k << ": " << recovery.status();
      EXPECT_TRUE(recovery->last_op == 3 || recovery->last_op == 4) << AllDecisions(*recovery);
      ExpectAcknowledgedKept(fixture, *recovery,
                             absl::StrCat("crash after recovery operation ", k));
    }
  }
}

}  // namespace
}  // namespace sluice::journal
