// Property (RapidCheck): random sequences of appends, group-commit waits,
// checkpoints, injected fsync failures, process restarts and machine crashes at
// any storage step. After every recovery, every acknowledged op after the
// checkpoint is present with its checksum (DESIGN.md "Acknowledged"; rules B1, B7),
// and the recovered entries form a hash chain from the checkpoint to the last op.
// Shrinks to a minimal failing sequence.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <tuple>

#include "core/io/io_error.h"
#include "core/journal/journal_recovery.h"
#include "tests/journal/journal_fixture.h"

namespace sluice::journal {
namespace {

using base::Ratio;
using testing::JournalFixture;

enum class Kind : uint8_t { kAppend, kDrain, kCheckpoint, kCrash, kRestart, kSyncFailure, kCount };

void CheckRecovered(const JournalFixture& fixture, const JournalRecovery& recovery) {
  const uint64_t checkpoint = fixture.checkpoint_op_;
  for (const auto& [op, checksum] : fixture.acked_) {
    if (op <= checkpoint) continue;  // covered by the snapshot
    const uint64_t index = op - checkpoint - 1;
    RC_ASSERT(op <= recovery.last_op);
    RC_ASSERT(index < recovery.verified_chain.size());
    RC_ASSERT(recovery.verified_chain[index].checksum == checksum);
  }
  absl::uint128 parent = fixture.checkpoint_checksum_;
  uint64_t expected = checkpoint + 1;
  for (const std::vector<RecoveredEntry>* list : {&recovery.to_apply, &recovery.unapplied}) {
    for (const RecoveredEntry& entry : *list) {
      if (entry.op > recovery.last_op) continue;  // verified after a gap (cluster)
      RC_ASSERT(entry.op == expected);
      const absl::StatusOr<wire::ValidatedPrepare> prepare =
          wire::DecodePrepare(entry.frame, testing::kCluster);
      RC_ASSERT(prepare.ok());
      RC_ASSERT(prepare->header().parent == parent);
      RC_ASSERT(prepare->checksum() == entry.checksum);
      parent = entry.checksum;
      ++expected;
    }
  }
  RC_ASSERT(expected == recovery.last_op + 1);
  RC_ASSERT(parent == recovery.last_checksum);
  RC_ASSERT(recovery.commit_op <= recovery.last_op);
  if (fixture.single_node_) RC_ASSERT(recovery.faulty.empty());
}

void RecoverAndCheck(JournalFixture& fixture) {
  absl::StatusOr<JournalRecovery> recovery = fixture.Recover();
  if (!recovery.ok() && io::IsEio(recovery.status())) {
    // A sync failure injected earlier hit recovery's own sync: fail-stop, restart.
    fixture.storage_.RestartProcess();
    recovery = fixture.Recover();
  }
  RC_ASSERT(recovery.ok());
  CheckRecovered(fixture, *recovery);
}

// The process dies after `steps` more storage completions (mid-group, possibly).
void Die(JournalFixture& fixture, Kind kind, uint64_t steps, uint8_t landing) {
  fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + steps);
  (void)fixture.Drain();
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  if (kind == Kind::kCrash) {
    fixture.CrashMachine(landings[landing % 3]);
  } else {
    fixture.RestartProcess();
  }
  RecoverAndCheck(fixture);
}

void Checkpoint(JournalFixture& fixture, uint64_t pick) {
  if (!fixture.journal_->failure().ok() || fixture.acked_.empty()) return;
  const uint64_t durable = std::min(fixture.acked_.rbegin()->first, fixture.journal_->last_op());
  if (durable <= fixture.checkpoint_op_) return;
  const uint64_t op = fixture.checkpoint_op_ + 1 + pick % (durable - fixture.checkpoint_op_);
  RC_ASSERT(fixture.Checkpoint(op).ok());
}

RC_GTEST_PROP(JournalPropertyTest, AcknowledgedEntriesSurviveAndTheChainVerifies, ()) {
  const bool single_node = *rc::gen::arbitrary<bool>();
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const auto actions = *rc::gen::container<std::vector<std::tuple<uint8_t, uint8_t, uint8_t>>>(
      rc::gen::tuple(rc::gen::inRange<uint8_t>(0, static_cast<uint8_t>(Kind::kCount)),
                     rc::gen::inRange<uint8_t>(0, 12), rc::gen::inRange<uint8_t>(0, 3)));
  JournalFixture fixture(testing::TestOptions(/*slot_count=*/8), single_node, seed);
  RC_ASSERT(fixture.FormatAndRecover().ok());
  for (const auto& [kind_value, count, landing] : actions) {
    const Kind kind = static_cast<Kind>(kind_value);
    switch (kind) {
      case Kind::kAppend:
        for (uint8_t i = 0; i <= count % 4; ++i) (void)fixture.Append();
        break;
      case Kind::kDrain:
        (void)fixture.Drain();
        break;
      case Kind::kCheckpoint:
        Checkpoint(fixture, count);
        break;
      case Kind::kCrash:
      case Kind::kRestart:
        Die(fixture, kind, count, landing);
        break;
      case Kind::kSyncFailure:
        fixture.storage_.InjectSyncFailure(testing::kWal);
        break;
      case Kind::kCount:
        break;
    }
  }
  Die(fixture, Kind::kCrash, UINT64_MAX / 2, /*landing=*/0);
}

}  // namespace
}  // namespace sluice::journal
