// State sync of a partition group on its real log (rule B15), on SimStorage: a
// partition whose retention dropped sealed segments serves the snapshot of its
// anchor (core/partition/partition_snapshot.h) — the same bytes on every replica at
// that anchor —, and a lagging partition stages it chunk by chunk (durably: a machine
// crash in the middle keeps the staged chunks and the sync resumes), installs it
// (crash-safe at every storage step: recovery then finds the old partition or the new
// one, never neither), repairs the entries above the anchor and converges with the
// source: same chain, offsets and messages, also after another crash. A corrupt or
// foreign staging is never installed.
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/storage_ops.h"
#include "core/partition/partition_snapshot.h"
#include "core/vsr/partition_group_log.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::vsr {
namespace {

using base::Ratio;
using partition::ConsumerKey;
using partition::ConsumerKind;
using partition::testing::kCluster;
using partition::testing::PartitionFixture;

// What a log reports as staged, as (op, staged bytes) for comparisons.
std::optional<std::pair<uint64_t, uint64_t>> StagedOf(const PartitionGroupLog& log, const SnapshotId& id) {
  const std::optional<StagedSnapshot> staged = log.Staged();
  if (!staged.has_value() || !(staged->id == id)) return std::nullopt;
  return std::make_pair(staged->id.op, staged->staged_bytes);
}

partition::PartitionOptions ClusterOptions() {
  partition::PartitionOptions options = partition::testing::TestOptions();
  options.single_node = false;  // a replica of a cluster: VSR commits
  return options;
}

void CommitAll(PartitionFixture& fixture) {
  ASSERT_TRUE(fixture.Drain().ok());
  fixture.log_->Commit(fixture.log_->last_op());
  ASSERT_TRUE(fixture.Drain().ok());
}

// The history every replica of the partition commits, op by op (stopping once op
// `stop_after` is appended): batches, consumer-offset stores and a delete, a
// retention step that drops the sealed segments below the third one (the anchor
// moves), then more batches and stores above the anchor.
void Play(PartitionFixture& fixture, uint64_t stop_after = UINT64_MAX) {
  auto more = [&] { return fixture.log_->last_op() < stop_after; };
  for (uint32_t i = 0; i < 24 && more(); ++i) {
    ASSERT_TRUE(fixture.AppendBatch(3).ok());
    if (i % 4 == 3 && more()) {
      ASSERT_TRUE(fixture.StoreOffset(i % 3, i).ok());
    }
    if (i == 5 && more()) {
      ASSERT_TRUE(fixture.AppendEntry(wire::Operation::kDeleteConsumerOffset,
                                      partition::EncodeDeleteOffset({ConsumerKind::kConsumer, 0}))
                      .ok());
    }
  }
  CommitAll(fixture);
  if (!more()) return;
  ASSERT_GE(fixture.log_->segments().size(), 4u);
  ASSERT_TRUE(fixture.AppendEntry(wire::Operation::kPartitionRetention,
                                  partition::EncodeRetention(fixture.log_->segments()[2].first_op))
                  .ok());
  CommitAll(fixture);
  for (uint32_t i = 0; i < 6 && more(); ++i) {
    ASSERT_TRUE(fixture.AppendBatch(3).ok());
    if (i % 3 == 1 && more()) {
      ASSERT_TRUE(fixture.StoreOffset(2, 70 + i).ok());
    }
  }
  CommitAll(fixture);
}

class PartitionStateSyncTest : public ::testing::Test {
 protected:
  static std::unique_ptr<PartitionGroupLog> Adopt(PartitionFixture& fixture,
                                                  const partition::RecoveryReport& report = {}) {
    absl::StatusOr<std::unique_ptr<PartitionGroupLog>> log = fixture.Run(PartitionGroupLog::FromRecovery(
        std::move(fixture.log_), report, fixture.loop(), {.cluster = kCluster, .headers_max = 1024}));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }
  // The process dies and the machine crashes (what was not synced is lost), then
  // the partition is recovered and adopted again.
  static std::unique_ptr<PartitionGroupLog> CrashAndRecover(PartitionFixture& fixture,
                                                            std::unique_ptr<PartitionGroupLog> log) {
    log.reset();
    fixture.storage_.CrashMachine(Ratio::Never(), Ratio::Never());
    partition::RecoveryReport report;
    const absl::Status reopened = fixture.Reopen(&report);
    EXPECT_TRUE(reopened.ok()) << reopened << "\n" << absl::StrJoin(report.decisions, "\n");
    if (!reopened.ok()) return nullptr;
    return Adopt(fixture, report);
  }
  template <typename Result, typename Start>
  static Result Wait(PartitionFixture& fixture, Start start) {
    std::optional<Result> result;
    start([&](Result value) { result = std::move(value); });
    while (!result.has_value()) SLUICE_ASSERT(fixture.loop().RunOnce(), "the loop ran dry");
    return *std::move(result);
  }
  static Bytes ReadServed(PartitionFixture& fixture, PartitionGroupLog& log, const SnapshotId& id) {
    Bytes bytes;
    while (bytes.size() < id.size_bytes) {  // in chunks of 40 bytes, like sync_chunk frames
      absl::StatusOr<Bytes> chunk = Wait<absl::StatusOr<Bytes>>(
          fixture, [&](auto done) { log.ReadSnapshot(id, bytes.size(), 40, std::move(done)); });
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok() || chunk->empty()) break;
      bytes.insert(bytes.end(), chunk->begin(), chunk->end());
    }
    return bytes;
  }
  static absl::Status Stage(PartitionFixture& fixture, PartitionGroupLog& log, const SnapshotId& id,
                            ByteSpan bytes, uint64_t from, uint64_t to) {
    for (uint64_t offset = from; offset < to;) {
      const uint64_t size = std::min<uint64_t>(40, to - offset);
      const absl::Status staged = Wait<absl::Status>(
          fixture, [&](auto done) { log.StageSnapshot(id, offset, bytes.subspan(offset, size), std::move(done)); });
      if (!staged.ok()) return staged;
      offset += size;
    }
    return absl::OkStatus();
  }
  static absl::Status Install(PartitionFixture& fixture, PartitionGroupLog& log, const SnapshotId& id) {
    return Wait<absl::Status>(fixture, [&](auto done) { log.InstallSnapshot(id, std::move(done)); });
  }
  // Repair: the entries above the sink's last op, read from the source, appended and
  // committed at the sink.
  static void Repair(PartitionFixture& source_fixture, PartitionGroupLog& source, PartitionFixture& sink_fixture,
                     PartitionGroupLog& sink) {
    int durable = 0;
    const uint64_t first = sink.last_op() + 1;
    for (uint64_t op = first; op <= source.last_op(); ++op) {
      absl::StatusOr<Bytes> frame =
          Wait<absl::StatusOr<Bytes>>(source_fixture, [&](auto done) { source.ReadEntry(op, std::move(done)); });
      ASSERT_TRUE(frame.ok()) << "op " << op << ": " << frame.status();
      ASSERT_TRUE(sink.Append(*frame, [&durable](absl::Status status) { durable += status.ok(); }).ok()) << "op " << op;
    }
    ASSERT_TRUE(sink_fixture.Run(sink.partition().Drain()).ok());
    ASSERT_EQ(durable, static_cast<int>(source.last_op() + 1 - first));
    sink.Commit(sink.last_op());
    ASSERT_TRUE(sink_fixture.Run(sink.partition().Drain()).ok());
  }
  static std::vector<uint64_t> PolledIds(PartitionFixture& fixture, PartitionGroupLog& log) {
    absl::StatusOr<partition::PollResult> result = fixture.Run(log.partition().PollByOffset(0, 1'000'000));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? partition::testing::PolledIds(*result) : std::vector<uint64_t>{};
  }
  // The sink converged with the source: same chain, offsets, messages.
  static void ExpectSame(PartitionFixture& source_fixture, PartitionGroupLog& source, PartitionFixture& sink_fixture,
                         PartitionGroupLog& sink) {
    EXPECT_EQ(sink.last_op(), source.last_op());
    EXPECT_EQ(sink.last_checksum(), source.last_checksum());
    EXPECT_EQ(sink.partition().consumer_offsets().offsets, source.partition().consumer_offsets().offsets);
    EXPECT_EQ(sink.partition().committed_next_offset(), source.partition().committed_next_offset());
    EXPECT_EQ(PolledIds(sink_fixture, sink), PolledIds(source_fixture, source));
  }

  // A source replica that committed the whole history (its anchor moved), and what
  // it serves.
  void SetUpSource() {
    Play(source_fixture_);
    ASSERT_FALSE(HasFatalFailure());
    source_ = Adopt(source_fixture_);
    ASSERT_NE(source_, nullptr);
    ASSERT_GT(source_->base_op(), 0u);
    ASSERT_TRUE(source_->ServedSnapshot().has_value());
    id_ = *source_->ServedSnapshot();
    bytes_ = ReadServed(source_fixture_, *source_, id_);
    ASSERT_EQ(bytes_.size(), id_.size_bytes);
  }
  // A lagging replica: it committed the first 3 ops only (below the source's anchor).
  std::unique_ptr<PartitionGroupLog> LaggingSink(PartitionFixture& fixture) {
    EXPECT_TRUE(fixture.Create().ok());
    Play(fixture, 3);
    return Adopt(fixture);
  }

  PartitionFixture source_fixture_{ClusterOptions(), /*seed=*/1};
  std::unique_ptr<PartitionGroupLog> source_;
  SnapshotId id_;
  Bytes bytes_;

 public:
  void SetUp() override {
    ASSERT_TRUE(source_fixture_.Create().ok());
    SetUpSource();
  }
};

TEST_F(PartitionStateSyncTest, ServesTheSnapshotOfItsAnchorTheSameOnEveryReplica_B15) {
  EXPECT_EQ(id_.op, source_->base_op());
  EXPECT_EQ(id_.op_checksum, source_->base_checksum());
  // What the snapshot says is the state after applying exactly ops 1..anchor.
  PartitionFixture as_of_anchor(ClusterOptions(), /*seed=*/5);
  ASSERT_TRUE(as_of_anchor.Create().ok());
  Play(as_of_anchor, id_.op);
  ASSERT_EQ(as_of_anchor.log_->last_op(), id_.op);
  absl::StatusOr<partition::PartitionSnapshot> snapshot = partition::DecodePartitionSnapshot(bytes_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->op, id_.op);
  EXPECT_EQ(snapshot->op_checksum, as_of_anchor.log_->last_checksum());
  EXPECT_EQ(snapshot->next_offset, as_of_anchor.log_->appended_next_offset());
  EXPECT_EQ(snapshot->offsets, as_of_anchor.log_->consumer_offsets().offsets);
  EXPECT_FALSE(snapshot->offsets.empty());
  EXPECT_FALSE(snapshot->offsets.contains(ConsumerKey{ConsumerKind::kConsumer, 0})) << "deleted below the anchor";
  EXPECT_NE(snapshot->offsets, source_->partition().consumer_offsets().offsets) << "stores above the anchor differ";

  // Another replica of the same history (another disk) serves the very same snapshot.
  PartitionFixture other_fixture(ClusterOptions(), /*seed=*/9);
  ASSERT_TRUE(other_fixture.Create().ok());
  Play(other_fixture);
  std::unique_ptr<PartitionGroupLog> other = Adopt(other_fixture);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->ServedSnapshot(), std::optional<SnapshotId>(id_));
  // And so does the source after a crash (the anchor's file, verified at recovery).
  source_ = CrashAndRecover(source_fixture_, std::move(source_));
  ASSERT_NE(source_, nullptr);
  EXPECT_EQ(source_->ServedSnapshot(), std::optional<SnapshotId>(id_));
  // A snapshot it no longer serves is not read.
  SnapshotId stale = id_;
  stale.op -= 1;
  EXPECT_EQ(Wait<absl::StatusOr<Bytes>>(source_fixture_,
                                        [&](auto done) { source_->ReadSnapshot(stale, 0, 40, std::move(done)); })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PartitionStateSyncTest, StagesAcrossACrashResumesInstallsRepairsAndConverges_B15) {
  PartitionFixture sink_fixture(ClusterOptions(), /*seed=*/2);
  std::unique_ptr<PartitionGroupLog> sink = LaggingSink(sink_fixture);
  ASSERT_NE(sink, nullptr);
  ASSERT_LT(sink->last_op(), id_.op);
  EXPECT_FALSE(sink->ServedSnapshot().has_value()) << "nothing to serve at base 0";
  const uint64_t lagging_last = sink->last_op();

  // Half staged, then the machine crashes: the staged chunks survive (each synced).
  const uint64_t half = id_.size_bytes / 2;
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, bytes_, 0, half).ok());
  EXPECT_EQ(StagedOf(*sink, id_), std::make_optional(std::make_pair(id_.op, half)));
  EXPECT_EQ(Wait<absl::Status>(sink_fixture, [&](auto done) { sink->InstallSnapshot(id_, std::move(done)); }).code(),
            absl::StatusCode::kFailedPrecondition)
      << "a partial staging is never installed";
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(StagedOf(*sink, id_), std::make_optional(std::make_pair(id_.op, half)));
  EXPECT_EQ(sink->base_op(), 0u);
  EXPECT_EQ(sink->last_op(), lagging_last);

  // The sync resumes where the staging ends, and installs.
  EXPECT_EQ(Stage(sink_fixture, *sink, id_, bytes_, 0 + 1, half).code(), absl::StatusCode::kFailedPrecondition)
      << "not where the staging ends";
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, bytes_, half, id_.size_bytes).ok());
  ASSERT_TRUE(Install(sink_fixture, *sink, id_).ok());
  EXPECT_EQ(sink->base_op(), id_.op);
  EXPECT_EQ(sink->base_checksum(), id_.op_checksum);
  EXPECT_EQ(sink->last_op(), id_.op);
  EXPECT_EQ(sink->ChecksumAt(id_.op), std::optional<absl::uint128>(id_.op_checksum));
  EXPECT_GE(sink->faulty_head_op(), lagging_last) << "never forgets what it may have acknowledged";
  EXPECT_FALSE(sink->Staged().has_value());
  EXPECT_EQ(sink->partition().commit_op(), id_.op);
  // It serves the same snapshot now: the installed state is the anchor state.
  EXPECT_EQ(sink->ServedSnapshot(), std::optional<SnapshotId>(id_));
  absl::StatusOr<partition::PartitionSnapshot> snapshot = partition::DecodePartitionSnapshot(bytes_);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(sink->partition().consumer_offsets().offsets, snapshot->offsets);
  EXPECT_EQ(sink->partition().committed_next_offset(), snapshot->next_offset);

  // Repair above the anchor, then the two replicas agree — also after a crash.
  Repair(source_fixture_, *source_, sink_fixture, *sink);
  ASSERT_FALSE(HasFatalFailure());
  ExpectSame(source_fixture_, *source_, sink_fixture, *sink);
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->base_op(), id_.op);
  EXPECT_EQ(sink->ServedSnapshot(), std::optional<SnapshotId>(id_));
  EXPECT_EQ(sink->last_op(), source_->last_op());
  // Recovery applies only what its evidence shows committed (B16); VSR commits the rest.
  sink->Commit(sink->last_op());
  ASSERT_TRUE(sink_fixture.Run(sink->partition().Drain()).ok());
  ExpectSame(source_fixture_, *source_, sink_fixture, *sink);
}

TEST_F(PartitionStateSyncTest, CorruptOrForeignStagingIsNeverInstalled_B15) {
  PartitionFixture sink_fixture(ClusterOptions(), /*seed=*/3);
  std::unique_ptr<PartitionGroupLog> sink = LaggingSink(sink_fixture);
  ASSERT_NE(sink, nullptr);
  const uint64_t lagging_last = sink->last_op();
  const absl::uint128 lagging_checksum = sink->last_checksum();
  auto expect_untouched = [&] {
    EXPECT_EQ(sink->base_op(), 0u);
    EXPECT_EQ(sink->last_op(), lagging_last);
    EXPECT_EQ(sink->last_checksum(), lagging_checksum);
    EXPECT_FALSE(sink->Staged().has_value()) << "the bad staging is discarded";
  };

  // A flipped bit in the staged bytes: the whole-snapshot checksum catches it.
  Bytes corrupt = bytes_;
  corrupt[corrupt.size() / 2] ^= 0x10;
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, corrupt, 0, id_.size_bytes).ok());
  EXPECT_EQ(Install(sink_fixture, *sink, id_).code(), absl::StatusCode::kDataLoss);
  expect_untouched();

  // Intact bytes under an id that names another chain anchor: not this snapshot.
  SnapshotId foreign = id_;
  foreign.op_checksum += 1;
  ASSERT_TRUE(Stage(sink_fixture, *sink, foreign, bytes_, 0, foreign.size_bytes).ok());
  EXPECT_EQ(Install(sink_fixture, *sink, foreign).code(), absl::StatusCode::kDataLoss);
  expect_untouched();

  // Bytes torn on disk after they were staged (a bit flip on the media).
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, bytes_, 0, id_.size_bytes).ok());
  const std::string staging = io::JoinPath(partition::PartitionDirectory(sink_fixture.options_.address),
                                           "sync-staging.bin");
  absl::StatusOr<Bytes> on_disk = sink_fixture.Run(io::ReadWholeFile(sink_fixture.interrupting_, staging));
  ASSERT_TRUE(on_disk.ok()) << on_disk.status();
  Bytes flipped = *on_disk;
  flipped.back() ^= 0x01;
  ASSERT_TRUE(sink_fixture.Run(io::WriteFileAtomically(sink_fixture.interrupting_, staging, flipped)).ok());
  EXPECT_EQ(Install(sink_fixture, *sink, id_).code(), absl::StatusCode::kDataLoss);
  expect_untouched();

  // The partition recovers as it was, and a good staging installs.
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  expect_untouched();
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, bytes_, 0, id_.size_bytes).ok());
  ASSERT_TRUE(Install(sink_fixture, *sink, id_).ok());
  EXPECT_EQ(sink->base_op(), id_.op);
}

// A purge moves the anchor to its own op: offsets restart at 0, every consumer
// offset is gone and the purge step is recorded. A lagging replica that installs that
// snapshot knows the purge is done (never purges twice) and continues at offset 0.
TEST_F(PartitionStateSyncTest, SyncsAcrossAPurge_B15) {
  PartitionFixture purged_fixture(ClusterOptions(), /*seed=*/7);
  ASSERT_TRUE(purged_fixture.Create().ok());
  Play(purged_fixture, 20);
  ASSERT_TRUE(purged_fixture.AppendEntry(wire::Operation::kPartitionPurge, partition::EncodePurge(77)).ok());
  const uint64_t purge_op = purged_fixture.log_->last_op();
  CommitAll(purged_fixture);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(purged_fixture.AppendBatch(2).ok());
  ASSERT_TRUE(purged_fixture.StoreOffset(4, 3).ok());
  CommitAll(purged_fixture);
  std::unique_ptr<PartitionGroupLog> purged = Adopt(purged_fixture);
  ASSERT_NE(purged, nullptr);
  ASSERT_EQ(purged->base_op(), purge_op);
  ASSERT_TRUE(purged->ServedSnapshot().has_value());
  const SnapshotId id = *purged->ServedSnapshot();
  const Bytes bytes = ReadServed(purged_fixture, *purged, id);
  absl::StatusOr<partition::PartitionSnapshot> snapshot = partition::DecodePartitionSnapshot(bytes);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->op, purge_op);
  EXPECT_EQ(snapshot->next_offset, 0u);
  EXPECT_EQ(snapshot->purge_step, 77u);
  EXPECT_TRUE(snapshot->offsets.empty());

  PartitionFixture sink_fixture(ClusterOptions(), /*seed=*/8);
  std::unique_ptr<PartitionGroupLog> sink = LaggingSink(sink_fixture);
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(Stage(sink_fixture, *sink, id, bytes, 0, id.size_bytes).ok());
  ASSERT_TRUE(Install(sink_fixture, *sink, id).ok());
  EXPECT_EQ(sink->partition().purged_through_step(), 77u);
  EXPECT_EQ(sink->partition().appended_next_offset(), 0u);
  Repair(purged_fixture, *purged, sink_fixture, *sink);
  ASSERT_FALSE(HasFatalFailure());
  ExpectSame(purged_fixture, *purged, sink_fixture, *sink);
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->partition().purged_through_step(), 77u);
  EXPECT_EQ(sink->ServedSnapshot(), std::optional<SnapshotId>(id));
}

// A replica whose log went its own way above the anchor (entries of an older view)
// may have acknowledged those entries: the install drops them from disk, but the
// promise stays — faulty_head_op() covers them, in memory and, through the state
// record, across a restart — until repair brings the log past them.
TEST_F(PartitionStateSyncTest, NeverForgetsWhatItMayHaveAcknowledgedAcrossAnInstall_B15) {
  PartitionFixture sink_fixture(ClusterOptions(), /*seed=*/6);
  ASSERT_TRUE(sink_fixture.Create().ok());
  while (sink_fixture.log_->last_op() < id_.op + 4) ASSERT_TRUE(sink_fixture.AppendBatch(1).ok());
  ASSERT_TRUE(sink_fixture.Drain().ok());
  const uint64_t head = sink_fixture.log_->last_op();
  std::unique_ptr<PartitionGroupLog> sink = Adopt(sink_fixture);
  ASSERT_NE(sink, nullptr);
  ASSERT_NE(sink->ChecksumAt(id_.op), std::optional<absl::uint128>(id_.op_checksum)) << "diverged below the anchor";
  ASSERT_TRUE(Stage(sink_fixture, *sink, id_, bytes_, 0, id_.size_bytes).ok());
  ASSERT_TRUE(Install(sink_fixture, *sink, id_).ok());
  EXPECT_EQ(sink->last_op(), id_.op);
  EXPECT_GE(sink->faulty_head_op(), head);
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->base_op(), id_.op);
  EXPECT_EQ(sink->last_op(), id_.op);
  EXPECT_GE(sink->faulty_head_op(), head) << "the promise survives a restart";

  ASSERT_GT(source_->last_op(), head);
  Repair(source_fixture_, *source_, sink_fixture, *sink);
  ASSERT_FALSE(HasFatalFailure());
  sink = CrashAndRecover(sink_fixture, std::move(sink));
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->faulty_head_op(), sink->last_op()) << "kept no longer than the log is below it";
  EXPECT_EQ(sink->last_checksum(), source_->last_checksum());
}

// The install's storage steps one by one: a crash after any of them (unsynced data
// lost, landed, or torn) recovers to the old partition (its staging still there, so
// the sync installs again) or the new one — recovery accepts either.
TEST_F(PartitionStateSyncTest, CrashAtEveryStepOfAnInstallLeavesTheOldOrTheNewPartition_B15) {
  struct Observed {
    uint64_t base_op = 0;
    uint64_t last_op = 0;
    std::map<ConsumerKey, uint64_t> offsets;
    uint64_t next_offset = 0;
    bool operator==(const Observed&) const = default;
  };
  auto observe = [](PartitionGroupLog& log) {
    return Observed{log.base_op(), log.last_op(), log.partition().consumer_offsets().offsets,
                    log.partition().appended_next_offset()};
  };
  auto show = [](const Observed& observed) {
    return absl::StrCat("base ", observed.base_op, " last ", observed.last_op, " offsets ", observed.offsets.size(),
                        " next offset ", observed.next_offset);
  };
  Observed before;
  Observed after;
  uint64_t total = 0;
  {
    PartitionFixture reference(ClusterOptions(), /*seed=*/4);
    std::unique_ptr<PartitionGroupLog> sink = LaggingSink(reference);
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(Stage(reference, *sink, id_, bytes_, 0, id_.size_bytes).ok());
    before = observe(*sink);
    const uint64_t start = reference.interrupting_.completions();
    ASSERT_TRUE(Install(reference, *sink, id_).ok());
    total = reference.interrupting_.completions() - start;
    after = observe(*sink);
    ASSERT_NE(before, after);
  }
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  uint64_t old_states = 0;
  uint64_t new_states = 0;
  for (uint64_t k = 0; k < total; ++k) {
    for (size_t landing = 0; landing < 3; ++landing) {
      PartitionFixture fixture(ClusterOptions(), /*seed=*/k * 3 + landing + 11);
      std::unique_ptr<PartitionGroupLog> sink = LaggingSink(fixture);
      ASSERT_NE(sink, nullptr);
      ASSERT_TRUE(Stage(fixture, *sink, id_, bytes_, 0, id_.size_bytes).ok());
      fixture.interrupting_.StopAfterCompletions(fixture.interrupting_.completions() + k);
      EXPECT_FALSE(Install(fixture, *sink, id_).ok()) << "stopped after operation " << k;
      sink.reset();
      fixture.storage_.CrashMachine(landings[landing], landings[landing]);
      partition::RecoveryReport report;
      const absl::Status reopened = fixture.Reopen(&report);
      ASSERT_TRUE(reopened.ok()) << "crash after operation " << k << " of " << total << ": " << reopened << "\n"
                                 << absl::StrJoin(report.decisions, "\n");
      sink = Adopt(fixture, report);
      ASSERT_NE(sink, nullptr);
      const Observed observed = observe(*sink);
      if (observed == before) {
        ++old_states;
        // The sync goes on from the staging: it installs now.
        ASSERT_TRUE(sink->Staged().has_value()) << "crash after operation " << k;
        ASSERT_TRUE(Install(fixture, *sink, id_).ok()) << "crash after operation " << k;
        EXPECT_EQ(observe(*sink), after);
      } else {
        ++new_states;
        EXPECT_EQ(observed, after) << "crash after operation " << k << " of " << total << " (landing " << landing
                                   << "): " << show(observed) << "\n  before: " << show(before)
                                   << "\n  after: " << show(after) << "\n"
                                   << absl::StrJoin(report.decisions, "\n");
        EXPECT_EQ(sink->ServedSnapshot(), std::optional<SnapshotId>(id_));
      }
    }
  }
  EXPECT_GT(old_states, 0u);
  EXPECT_GT(new_states, 0u);
}

}  // namespace
}  // namespace sluice::vsr
