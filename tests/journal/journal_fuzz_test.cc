// Recovery of arbitrary bytes (rule B7; DESIGN.md: bootstrap recovery is fuzzed):
// whatever is written over the WAL file — patches over a real log, a whole file of
// random bytes, unreadable sectors, a file of the wrong size — and whatever the
// recovery inputs, RecoverJournal returns a status and never crashes; when it
// accepts the WAL, what it returns is consistent: a hash chain from the checkpoint,
// ops to apply within the commit bound, and a journal that continues the chain.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "core/journal/journal_recovery.h"
#include "tests/journal/journal_fixture.h"

namespace sluice::journal {
namespace {

using testing::JournalFixture;

void CheckConsistent(const RecoveryInputs& inputs, const JournalRecovery& recovery) {
  RC_ASSERT(recovery.last_op >= inputs.checkpoint_op);
  RC_ASSERT(recovery.last_op <= inputs.checkpoint_op + 8);
  RC_ASSERT(recovery.head_op >= recovery.last_op);
  RC_ASSERT(recovery.slots.size() == 8u);
  absl::uint128 parent = inputs.checkpoint_checksum;
  uint64_t expected = inputs.checkpoint_op + 1;
  for (const RecoveredEntry& entry : recovery.to_apply) {
    RC_ASSERT(entry.op == expected);
    RC_ASSERT(entry.op <= recovery.commit_op);
    const absl::StatusOr<wire::ValidatedPrepare> prepare =
        wire::DecodePrepare(entry.frame, testing::kCluster);
    RC_ASSERT(prepare.ok());
    RC_ASSERT(prepare->header().parent == parent);
    parent = prepare->checksum();
    ++expected;
  }
  for (const RecoveredEntry& entry : recovery.unapplied) {
    RC_ASSERT(entry.op > recovery.commit_op || expected <= entry.op);
  }
  if (inputs.single_node) {
    RC_ASSERT(recovery.faulty.empty());
    RC_ASSERT(recovery.commit_op <= recovery.last_op);
  }
  RC_ASSERT(recovery.journal == nullptr);  // moved into the fixture
}

// A real log to start from: 0..12 ops, checkpointed as needed to pass the ring.
void WriteLog(JournalFixture& fixture, uint64_t ops) {
  RC_ASSERT(fixture.FormatAndRecover().ok());
  for (uint64_t i = 0; i < ops; ++i) {
    if (fixture.journal_->ops_until_checkpoint_needed() == 0) {
      RC_ASSERT(fixture.Checkpoint(fixture.journal_->last_op() - 2).ok());
    }
    RC_ASSERT(fixture.AppendDurably(1).ok());
  }
  fixture.journal_.reset();
}

RecoveryInputs ArbitraryInputs(const JournalFixture& fixture, bool single_node) {
  RecoveryInputs inputs = fixture.Inputs();
  inputs.single_node = single_node;
  if (*rc::gen::arbitrary<bool>()) {
    inputs.checkpoint_op = *rc::gen::inRange<uint64_t>(0, 16);
    inputs.checkpoint_checksum = *rc::gen::arbitrary<uint64_t>();
  }
  inputs.commit_watermark = *rc::gen::inRange<uint64_t>(0, 24);
  return inputs;
}

void RecoverAndCheck(JournalFixture& fixture, const RecoveryInputs& inputs) {
  const absl::StatusOr<JournalRecovery> recovery = fixture.Recover(inputs);
  if (!recovery.ok()) {
    RC_ASSERT(!recovery.status().message().empty());
    return;
  }
  CheckConsistent(inputs, *recovery);
  // The recovered journal continues the chain (unless the ring is full: B8).
  if (fixture.journal_->ops_until_checkpoint_needed() > 0) {
    RC_ASSERT(fixture.AppendWithCommit(inputs.checkpoint_op).ok());
    RC_ASSERT(fixture.Drain().ok());
  }
}

RC_GTEST_PROP(JournalFuzzTest, ArbitraryBytesWrittenOverTheWalNeverCrashRecovery, ()) {
  const bool single_node = *rc::gen::arbitrary<bool>();
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8), single_node,
                         *rc::gen::arbitrary<uint64_t>());
  WriteLog(fixture, *rc::gen::inRange<uint64_t>(0, 13));
  const uint64_t size = fixture.layout_.file_size_bytes();
  const auto patches = *rc::gen::container<std::vector<std::pair<uint32_t, std::vector<uint8_t>>>>(
      rc::gen::pair(rc::gen::arbitrary<uint32_t>(), rc::gen::arbitrary<std::vector<uint8_t>>()));
  for (const auto& [position, bytes] : patches) {
    const uint64_t offset = position % size;
    const size_t length = std::min<size_t>(bytes.size(), size - offset);
    fixture.WriteDurably(offset, ByteSpan(bytes).first(length));
  }
  for (uint32_t bad :
       *rc::gen::container<std::vector<uint32_t>>(rc::gen::inRange<uint32_t>(0, 4))) {
    RC_ASSERT(fixture.storage_.InjectLatentSectorError(testing::kWal, (bad * 7919u) % size).ok());
  }
  RecoverAndCheck(fixture, ArbitraryInputs(fixture, single_node));
}

RC_GTEST_PROP(JournalFuzzTest, AWholeWalOfRandomBytesNeverCrashesRecovery, ()) {
  const bool single_node = *rc::gen::arbitrary<bool>();
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8), single_node, 1);
  WriteLog(fixture, 0);
  const uint64_t size = fixture.layout_.file_size_bytes();
  const std::vector<uint64_t> sizes = {size, size, size - 1, size + 1, 0, 4096};
  const uint64_t written = *rc::gen::elementOf(sizes);
  std::vector<uint8_t> bytes =
      *rc::gen::container<std::vector<uint8_t>>(written, rc::gen::arbitrary<uint8_t>());
  RC_ASSERT(fixture.disk_.WriteDurably(testing::kWal, bytes).ok());
  RecoverAndCheck(fixture, ArbitraryInputs(fixture, single_node));
}

}  // namespace
}  // namespace sluice::journal
