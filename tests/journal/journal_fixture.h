#pragma once
// Test-only: a metadata WAL on SimStorage, driven synchronously, with a model of the
// superblock's part (checkpoint and commit watermark) that recovery is given.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "core/io/testing/blocking_storage.h"
#include "core/io/testing/interrupting_storage.h"
#include "core/journal/format_journal.h"
#include "core/journal/journal.h"
#include "core/journal/journal_recovery.h"
#include "core/journal/testing/journal_entries.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::journal::testing {

inline constexpr absl::uint128 kCluster = 0xC1;
inline const std::string kWal(kJournalPath);

inline JournalOptions TestOptions(uint64_t slot_count = 16) {
  return {.cluster = kCluster, .slot_count = slot_count, .message_size_max = 1024};
}

inline bool Contains(absl::string_view text, absl::string_view part) {
  return absl::StrContains(text, part);
}
inline std::string AllDecisions(const JournalRecovery& recovery) {
  return absl::StrJoin(recovery.decisions, "\n");
}
inline std::vector<uint64_t> OpsOf(const std::vector<RecoveredEntry>& entries) {
  std::vector<uint64_t> ops;
  for (const RecoveredEntry& entry : entries) ops.push_back(entry.op);
  return ops;
}
inline std::vector<uint64_t> OpsOf(const std::vector<FaultyOp>& faulty) {
  std::vector<uint64_t> ops;
  for (const FaultyOp& entry : faulty) ops.push_back(entry.op);
  return ops;
}
inline std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> ops;
  for (uint64_t op = first; op <= last; ++op) ops.push_back(op);
  return ops;
}

class JournalFixture {
 public:
  explicit JournalFixture(JournalOptions options = TestOptions(), bool single_node = true,
                          uint64_t seed = 1)
      : options_(options),
        single_node_(single_node),
        storage_(loop_, {.seed = seed, .sector_size_bytes = 512}),
        interrupting_(storage_, loop_),
        disk_(storage_, loop_),
        layout_(options) {}

  ~JournalFixture() {
    if (journal_ != nullptr) (void)Drain();
  }

  template <typename T>
  T Run(io::Task<T> task) {
    return io::testing::RunTask(loop_, std::move(task));
  }

  absl::Status Format() { return Run(FormatJournal(interrupting_, options_)); }

  // What bootstrap would pass: the modelled superblock's checkpoint and watermark.
  RecoveryInputs Inputs() const {
    return {.checkpoint_op = checkpoint_op_,
            .checkpoint_checksum = checkpoint_checksum_,
            .commit_watermark = commit_watermark_,
            .single_node = single_node_};
  }

  // Recovers (the process starting): the journal is kept, the rest returned.
  // `stop_after` (crash tests): the process dies after that many storage completions.
  absl::StatusOr<JournalRecovery> Recover(std::optional<RecoveryInputs> inputs = std::nullopt,
                                          uint64_t stop_after = UINT64_MAX) {
    journal_.reset();
    interrupting_.StopAfterCompletions(
        stop_after == UINT64_MAX ? UINT64_MAX : interrupting_.completions() + stop_after);
    absl::StatusOr<JournalRecovery> recovery =
        Run(RecoverJournal(interrupting_, options_, inputs.value_or(Inputs())));
    if (recovery.ok()) {
      journal_ = std::move(recovery->journal);
      committed_op_ = std::max(committed_op_, recovery->commit_op);
    }
    return recovery;
  }

  absl::Status FormatAndRecover() {
    if (absl::Status status = Format(); !status.ok()) return status;
    return Recover().status();
  }

  // The next prepare: op last_op + 1 chained to the last checksum; its commit field
  // is the spec's, or (by default) the highest op acknowledged so far, as a single
  // node's primary would stamp it.
  Bytes NextFrame(EntrySpec spec = {}, bool explicit_commit = false) {
    EntryChain chain(kCluster, journal_->last_op() + 1, journal_->last_checksum());
    if (!explicit_commit) spec.commit = committed_op_;
    return chain.Next(spec);
  }

  absl::Status AppendFrame(const Bytes& frame) {
    const uint64_t op = OpOf(frame);
    const absl::Status appended = journal_->Append(frame, [this, op, frame](absl::Status status) {
      acks_[op] = status;
      if (status.ok()) {
        acked_[op] = wire::PrepareChecksum(frame);
        committed_op_ = std::max(committed_op_, op);
      }
    });
    if (appended.ok()) frames_[op] = frame;
    return appended;
  }

  absl::Status Append(EntrySpec spec = {}) { return AppendFrame(NextFrame(spec)); }
  absl::Status AppendWithCommit(uint64_t commit, EntrySpec spec = {}) {
    spec.commit = commit;
    return AppendFrame(NextFrame(spec, /*explicit_commit=*/true));
  }

  absl::Status Drain() { return Run(journal_->Drain()); }

  // Appends `count` entries one group commit after another, each waited for.
  absl::Status AppendDurably(int count) {
    for (int i = 0; i < count; ++i) {
      if (absl::Status status = Append(); !status.ok()) return status;
      if (absl::Status status = Drain(); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // The superblock model: a checkpoint at `op` becomes durable, then the WAL is told.
  absl::Status Checkpoint(uint64_t op) {
    if (absl::Status status = journal_->SetCheckpoint(op); !status.ok()) return status;
    checkpoint_op_ = op;
    checkpoint_checksum_ = journal_->checkpoint_checksum();
    commit_watermark_ = std::max(commit_watermark_, op);
    return absl::OkStatus();
  }

  // The process dies after finishing what it was doing (groups in flight fail once
  // the interrupting storage stops them).
  void RestartProcess() {
    (void)Drain();
    journal_.reset();
    storage_.RestartProcess();
  }
  void CrashMachine(base::Ratio lands) {
    if (journal_ != nullptr) (void)Drain();
    journal_.reset();
    storage_.CrashMachine(lands, lands);
  }

  uint64_t PrepareOffset(uint64_t op) const { return layout_.PrepareOffset(layout_.SlotOf(op)); }
  uint64_t HeaderOffset(uint64_t op) const { return layout_.HeaderOffset(layout_.SlotOf(op)); }

  // Writes bytes into the WAL and syncs them (a test laying out what a fault left).
  void WriteDurably(uint64_t offset, ByteSpan bytes) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(kWal, io::OpenMode::kExisting);
    SLUICE_ASSERT(file.ok(), file.status().ToString());
    SLUICE_ASSERT(disk_.Write(*file, offset, bytes).ok(), "raw write");
    SLUICE_ASSERT(disk_.Sync(*file).ok(), "raw sync");
    SLUICE_ASSERT(disk_.Close(*file).ok(), "raw close");
  }
  // Places a frame's prepare and/or header copy into its slot, durably.
  void PlaceDurably(const Bytes& frame, bool header_copy = true, bool prepare = true) {
    const uint64_t op = OpOf(frame);
    if (header_copy) WriteDurably(HeaderOffset(op), ByteSpan(frame).first(wire::kHeaderSize));
    if (prepare) WriteDurably(PrepareOffset(op), frame);
  }

  JournalOptions options_;
  bool single_node_;
  sim::SimLoop loop_;
  sim::SimStorage storage_;
  // The journal's storage: forwards to storage_, and can stop the "process" after
  // its k-th completed operation (crash-at-every-step tests).
  io::testing::InterruptingStorage interrupting_;
  io::testing::BlockingStorage disk_;
  JournalLayout layout_;
  std::unique_ptr<Journal> journal_;

  // The superblock model.
  uint64_t checkpoint_op_ = 0;
  absl::uint128 checkpoint_checksum_ = 0;
  uint64_t commit_watermark_ = 0;
  // What the journal reported.
  uint64_t committed_op_ = 0;                // the commit field the next prepare carries
  std::map<uint64_t, absl::Status> acks_;    // op -> durable-callback result
  std::map<uint64_t, absl::uint128> acked_;  // op -> checksum, acknowledged durable
  std::map<uint64_t, Bytes> frames_;         // op -> the frame appended last
};

}  // namespace sluice::journal::testing
