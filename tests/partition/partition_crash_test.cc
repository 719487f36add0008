// Crash at every step of a segment roll, a retention step, a purge and a truncation:
// recovery must yield the state before or after the step, never a mix, and never
// refuse to boot. The "process" stops right after its k-th storage operation
// completes (InterruptingStorage), then the machine crashes with unsynced data
// landing never, always, or sector by sector at random.
#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_join.h"
#include "core/partition/entry_body.h"
#include "core/partition/partition_log.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::partition {
namespace {

using base::Ratio;
using testing::Ids;
using testing::PartitionFixture;

// What a crash must not mix: the entries, the visible messages and the segments that
// hold entries. (An empty segment left by an interrupted roll holds nothing.) In a
// cluster, which entries are committed is VSR's knowledge, not the log's, so only
// the entries are compared there.
struct Observed {
  uint64_t last_op = 0;
  std::vector<uint64_t> ids;
  size_t non_empty_segments = 0;
  friend bool operator==(const Observed&, const Observed&) = default;
};

Observed Observe(PartitionFixture& fixture) {
  const std::vector<SegmentInfo>& segments = fixture.log_->segments();
  size_t non_empty = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const uint64_t end = i + 1 < segments.size() ? segments[i + 1].first_op : fixture.log_->last_op() + 1;
    if (end > segments[i].first_op) ++non_empty;
  }
  std::vector<uint64_t> ids;
  if (fixture.options_.single_node) ids = fixture.PollAllIds();
  return {fixture.log_->last_op(), ids, non_empty};
}

std::string Show(const Observed& observed) {
  return absl::StrCat("last_op ", observed.last_op, ", ", observed.non_empty_segments, " non-empty segments, ids [",
                      absl::StrJoin(observed.ids, ","), "]");
}

// Runs setup, then `step`; measures the step's storage operations, and for every k
// re-runs setup + step stopped after k operations, crashes, recovers and checks the
// state is `before` or `after`.
void CrashAtEveryStep(const PartitionOptions& options, const std::function<void(PartitionFixture&)>& setup,
                      const std::function<void(PartitionFixture&)>& step) {
  PartitionFixture reference(options);
  setup(reference);
  const Observed before = Observe(reference);
  const uint64_t start = reference.interrupting_.completions();
  step(reference);
  const uint64_t total = reference.interrupting_.completions() - start;
  ASSERT_TRUE(reference.Reopen().ok());
  const Observed after = Observe(reference);
  ASSERT_NE(before, after) << "the step changed nothing";
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  for (uint64_t k = 0; k <= total; ++k) {
    for (size_t landing = 0; landing < 3; ++landing) {
      PartitionFixture fixture(options, /*seed=*/k * 3 + landing + 1);
      setup(fixture);
      fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + k);
      step(fixture);
      fixture.storage_.CrashMachine(landings[landing], landings[landing]);
      RecoveryReport report;
      const absl::Status reopened = fixture.Reopen(&report);
      ASSERT_TRUE(reopened.ok()) << "crash after operation " << k << " of " << total << ": " << reopened
                                 << "\n" << absl::StrJoin(report.decisions, "\n");
      const Observed observed = Observe(fixture);
      EXPECT_TRUE(observed == before || observed == after)
          << "crash after operation " << k << " of " << total << " (landing " << landing << "): "
          << Show(observed) << "\n  before: " << Show(before) << "\n  after: " << Show(after) << "\n"
          << absl::StrJoin(report.decisions, "\n");
    }
  }
}

TEST(PartitionCrashTest, CrashAtEveryStepOfASegmentRoll) {
  const PartitionOptions options = testing::TestOptions();
  CrashAtEveryStep(
      options,
      [](PartitionFixture& fixture) {
        ASSERT_TRUE(fixture.Create().ok());
        while (fixture.log_->segments().size() == 1 && fixture.log_->last_op() < 6) {
          ASSERT_TRUE(fixture.AppendBatchesDurably(1, 2).ok());
        }
        ASSERT_EQ(fixture.log_->segments().size(), 1u);
      },
      [](PartitionFixture& fixture) {
        // Big enough to roll: the next entry does not fit the 4 KiB segment.
        (void)fixture.AppendBatch(40);
        (void)fixture.Drain();
      });
}

TEST(PartitionCrashTest, CrashAtEveryStepOfARetentionStep) {
  CrashAtEveryStep(
      testing::TestOptions(),
      [](PartitionFixture& fixture) {
        ASSERT_TRUE(fixture.Create().ok());
        for (int i = 0; i < 16; ++i) ASSERT_TRUE(fixture.AppendBatchesDurably(1, 3).ok());
        ASSERT_GE(fixture.log_->segments().size(), 3u);
      },
      [](PartitionFixture& fixture) {
        (void)fixture.AppendEntry(wire::Operation::kPartitionRetention,
                                  EncodeRetention(fixture.log_->segments()[2].first_op));
        (void)fixture.Drain();
      });
}

TEST(PartitionCrashTest, CrashAtEveryStepOfAPurge) {
  CrashAtEveryStep(
      testing::TestOptions(),
      [](PartitionFixture& fixture) {
        ASSERT_TRUE(fixture.Create().ok());
        for (int i = 0; i < 10; ++i) ASSERT_TRUE(fixture.AppendBatchesDurably(1, 3).ok());
      },
      [](PartitionFixture& fixture) {
        (void)fixture.AppendEntry(wire::Operation::kPartitionPurge, EncodePurge(1));
        (void)fixture.Drain();
      });
}

TEST(PartitionCrashTest, CrashAtEveryStepOfTruncatingAnUncommittedSuffix) {
  PartitionOptions options = testing::TestOptions();
  options.single_node = false;
  CrashAtEveryStep(
      options,
      [](PartitionFixture& fixture) {
        ASSERT_TRUE(fixture.Create().ok());
        for (int i = 0; i < 12; ++i) ASSERT_TRUE(fixture.AppendBatchesDurably(1, 2).ok());
        fixture.log_->Commit(4);
        ASSERT_TRUE(fixture.Drain().ok());
        ASSERT_GE(fixture.log_->segments().size(), 2u);
      },
      [](PartitionFixture& fixture) { (void)fixture.Run(fixture.log_->TruncateAfter(5)); });
}

}  // namespace
}  // namespace sluice::partition
