#include "core/vsr/journal_group_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"
#include "core/base/checksum.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/snapshot_store.h"
#include "core/io/task.h"
#include "core/wire/header.h"

namespace sluice::vsr {

JournalGroupLog::JournalGroupLog(std::unique_ptr<journal::Journal> journal, io::Loop& loop)
    : journal_(std::move(journal)), loop_(loop) {}

JournalGroupLog::~JournalGroupLog() = default;

std::unique_ptr<JournalGroupLog> JournalGroupLog::FromRecovery(journal::JournalRecovery recovery, io::Loop& loop,
                                                               std::optional<MetadataSync> sync) {
  SLUICE_ASSERT(recovery.journal != nullptr, "recovery without a journal");
  std::unique_ptr<JournalGroupLog> log(new JournalGroupLog(std::move(recovery.journal), loop));
  const uint64_t last = log->journal_->last_op();
  for (const journal::ChainedOp& op : recovery.verified_chain) {
    if (op.op <= last) log->checksums_[op.op] = op.checksum;
  }
  // Verified entries above the journal's last op (beyond a gap) are remembered too:
  // they join the chain if a snapshot installed at one of them (Journal::
  // InstallCheckpoint), and an append or a truncation replaces them first otherwise
  // (Header() and ChecksumAt() never look above the last op).
  for (const auto* entries : {&recovery.to_apply, &recovery.unapplied}) {
    for (const journal::RecoveredEntry& entry : *entries) {
      log->Remember(entry.op, entry.checksum, ByteSpan(entry.frame).first(wire::kHeaderSize));
    }
  }
  log->faulty_head_op_ = std::max(recovery.head_op, last);
  log->recovered_commit_ = recovery.commit_op;
  if (sync.has_value()) {
    log->sync_storage_ = &sync->storage;
    log->superblock_ = std::move(sync->state.superblock);
    // Serve only the snapshot of the WAL's own checkpoint (its chain's anchor).
    if (sync->state.served.has_value() && sync->state.served->id.op == log->base_op()) {
      log->served_ = std::move(sync->state.served);
    }
    if (sync->state.staged.has_value() && sync->state.staged->id.op > log->base_op()) {
      log->staged_ = sync->state.staged;
    }
  }
  return log;
}

void JournalGroupLog::Remember(uint64_t op, absl::uint128 checksum, ByteSpan header) {
  checksums_[op] = checksum;
  std::array<uint8_t, 256>& copy = headers_[op];
  std::copy(header.begin(), header.end(), copy.begin());
  // The ring holds at most slot_count ops: forget what it can no longer serve.
  const uint64_t slots = journal_->layout().slot_count();
  if (op > slots) {
    headers_.erase(headers_.begin(), headers_.upper_bound(op - slots));
    checksums_.erase(checksums_.begin(), checksums_.upper_bound(op - slots));
  }
}

void JournalGroupLog::Forget(uint64_t after_op) {
  headers_.erase(headers_.upper_bound(after_op), headers_.end());
  checksums_.erase(checksums_.upper_bound(after_op), checksums_.end());
}

absl::Status JournalGroupLog::Append(ByteSpan frame, DurableCallback on_durable) {
  const uint64_t op = journal_->last_op() + 1;
  if (absl::Status status = journal_->Append(frame, std::move(on_durable)); !status.ok()) return status;
  // The journal may carry on through whole entries recovery found above op (a repair
  // of the faulty op they link to: Journal::Append): their headers were remembered
  // at recovery (FromRecovery), so the log serves them like any other.
  SLUICE_ASSERT(journal_->last_op() >= op, "journal appended op ", journal_->last_op(), " not ", op);
  Remember(op, wire::PrepareChecksum(frame), frame.first(wire::kHeaderSize));
  for (uint64_t adopted = op + 1; adopted <= journal_->last_op(); ++adopted) {
    SLUICE_ASSERT(headers_.contains(adopted) && checksums_.contains(adopted), "op ", adopted,
                  " joined the chain without the header recovery found");
  }
  SLUICE_ASSERT(ChecksumAt(journal_->last_op()) == std::optional<absl::uint128>(journal_->last_checksum()),
                "the log's last op ", journal_->last_op(), " has another checksum than the journal's");
  faulty_head_op_ = std::max(faulty_head_op_, journal_->last_op());
  return absl::OkStatus();
}

void JournalGroupLog::ReadEntry(uint64_t op, ReadCallback done) {
  std::weak_ptr<int> alive = alive_;
  io::Spawn(journal_->ReadEntry(op), [this, alive, done = std::move(done)](absl::StatusOr<Bytes> entry) mutable {
    if (alive.lock() == nullptr) return;
    // Never inside the call that asked (GroupLog's contract), even if it completed at once.
    loop_.Post([alive, done = std::move(done), entry = std::move(entry)]() mutable {
      if (alive.lock() != nullptr) done(std::move(entry));
    });
  });
}

void JournalGroupLog::TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) {
  std::weak_ptr<int> alive = alive_;
  io::Spawn(journal_->TruncateAfter(op, commit_watermark),
            [this, alive, op, done = std::move(done)](absl::Status status) mutable {
              if (alive.lock() == nullptr) return;
              if (status.ok()) {
                Forget(op);
                faulty_head_op_ = journal_->last_op();
              }
              loop_.Post([alive, done = std::move(done), status]() mutable {
                if (alive.lock() != nullptr) done(status);
              });
            });
}

std::optional<ByteSpan> JournalGroupLog::Header(uint64_t op) const {
  if (op <= base_op() || op > last_op()) return std::nullopt;
  const auto it = headers_.find(op);
  if (it == headers_.end()) return std::nullopt;
  return ByteSpan(it->second);
}

std::optional<ByteSpan> JournalGroupLog::RecoveredHeaderAbove(uint64_t op) const {
  if (op <= last_op() || op > faulty_head_op()) return std::nullopt;
  const auto it = headers_.find(op);
  if (it == headers_.end()) return std::nullopt;
  return ByteSpan(it->second);
}

std::optional<absl::uint128> JournalGroupLog::ChecksumAt(uint64_t op) const {
  if (op == base_op()) return base_checksum();
  if (op < base_op() || op > last_op()) return std::nullopt;
  const auto it = checksums_.find(op);
  if (it == checksums_.end()) return std::nullopt;
  return it->second;
}

void JournalGroupLog::Report(DoneCallback done, absl::Status status) {
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done), status = std::move(status)]() mutable {
    if (alive.lock() != nullptr) done(std::move(status));
  });
}

std::optional<SnapshotId> JournalGroupLog::ServedSnapshot() const {
  if (!served_.has_value() || served_->id.op != base_op()) return std::nullopt;
  return served_->id;
}

void JournalGroupLog::ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                                   ReadCallback done) {
  absl::StatusOr<Bytes> chunk = absl::NotFoundError(absl::StrCat("the metadata snapshot of op ", snapshot.op,
                                                                 " is not the one this log serves"));
  if (ServedSnapshot() == std::optional<SnapshotId>(snapshot) && offset < snapshot.size_bytes) {
    const uint64_t size = std::min<uint64_t>(size_max_bytes, snapshot.size_bytes - offset);
    chunk = Bytes(served_->bytes.begin() + offset, served_->bytes.begin() + offset + size);
  }
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done), chunk = std::move(chunk)]() mutable {
    if (alive.lock() != nullptr) done(std::move(chunk));
  });
}

void JournalGroupLog::StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes,
                                    DoneCallback done) {
  if (sync_storage_ == nullptr) {
    return Report(std::move(done), absl::UnimplementedError("metadata state sync is not wired for this log"));
  }
  const bool continues = staged_.has_value() && staged_->id == snapshot && staged_->staged_bytes == offset;
  if (sync_busy_ || (offset != 0 && !continues) || offset + bytes.size() > snapshot.size_bytes) {
    return Report(std::move(done), absl::FailedPreconditionError(absl::StrCat(
                                       "staging ", bytes.size(), " bytes at offset ", offset, " of the snapshot of op ",
                                       snapshot.op, ": not where its staging ends")));
  }
  sync_busy_ = true;
  if (offset == 0) staged_.reset();  // the file is recreated: an older staging is gone
  const uint64_t end = offset + bytes.size();
  std::weak_ptr<int> alive = alive_;
  io::Spawn(StageMetadataChunk(*sync_storage_, snapshot, offset, Bytes(bytes.begin(), bytes.end())),
            [this, alive, snapshot, end, done = std::move(done)](absl::Status status) mutable {
              if (alive.lock() == nullptr) return;
              sync_busy_ = false;
              if (status.ok()) staged_ = StagedSnapshot{.id = snapshot, .staged_bytes = end};
              Report(std::move(done), std::move(status));
            });
}

void JournalGroupLog::InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) {
  if (sync_storage_ == nullptr) {
    return Report(std::move(done), absl::UnimplementedError("metadata state sync is not wired for this log"));
  }
  if (sync_busy_ || !staged_.has_value() || staged_->id != snapshot || staged_->staged_bytes != snapshot.size_bytes ||
      snapshot.op <= base_op()) {
    return Report(std::move(done), absl::FailedPreconditionError(absl::StrCat(
                                       "the snapshot of op ", snapshot.op, " is not completely staged above base op ",
                                       base_op())));
  }
  sync_busy_ = true;
  std::weak_ptr<int> alive = alive_;
  io::Spawn(Install(snapshot), [this, alive, done = std::move(done)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    sync_busy_ = false;
    Report(std::move(done), std::move(status));
  });
}

io::Task<absl::Status> JournalGroupLog::Install(SnapshotId snapshot) {
  // The appends in flight finish first: the WAL's checkpoint moves only between groups.
  CO_RETURN_IF_ERROR(co_await journal_->Drain(), "draining the WAL before installing a snapshot");
  co_await LockSuperblock();
  absl::StatusOr<ServedMetadataSnapshot> installed =
      co_await InstallMetadataSnapshot(*sync_storage_, *superblock_, snapshot);
  UnlockSuperblock();
  if (!installed.ok()) {
    if (IsSnapshotRejected(installed.status())) staged_.reset();  // discarded: never installed
    co_return installed.status();
  }
  // The superblock names the snapshot now (durable): only then does the WAL move. The
  // snapshot is served from the moment base_op() names it: an applier behind it that
  // finds its next op's slot cleared by the move jumps to this snapshot at once.
  served_ = *std::move(installed);
  const uint64_t previous_last = journal_->last_op();
  CO_RETURN_IF_ERROR(co_await journal_->InstallCheckpoint(snapshot.op, snapshot.op_checksum));
  faulty_head_op_ = std::max(faulty_head_op_, previous_last);
  recovered_commit_ = std::max(recovered_commit_, snapshot.op);
  checksums_.erase(checksums_.begin(), checksums_.upper_bound(snapshot.op));
  headers_.erase(headers_.begin(), headers_.upper_bound(snapshot.op));
  if (journal_->last_op() == snapshot.op) Forget(snapshot.op);  // the chain restarted at the base
  staged_.reset();
  CO_RETURN_IF_ERROR(co_await CleanUpAfterInstall(*sync_storage_, snapshot.op));
  co_return absl::OkStatus();
}

void JournalGroupLog::TakeCheckpoint(const metadata::MetadataState& state, DoneCallback done) {
  const uint64_t op = state.last_applied_op;
  const std::optional<absl::uint128> prepare_checksum = ChecksumAt(op);
  if (sync_storage_ == nullptr || sync_busy_ || op <= base_op() || op > last_op() || !prepare_checksum.has_value()) {
    return Report(std::move(done), absl::FailedPreconditionError(absl::StrCat(
                                       "no checkpoint at op ", op, " (base op ", base_op(), ", last op ", last_op(),
                                       sync_busy_ ? ", a sync or checkpoint in flight)" : ")")));
  }
  sync_busy_ = true;
  metadata::EncodedSnapshot encoded = metadata::EncodeSnapshot(state);
  std::weak_ptr<int> alive = alive_;
  io::Spawn(Checkpoint(op, *prepare_checksum, std::move(encoded.bytes), encoded.checksum),
            [this, alive, done = std::move(done)](absl::Status status) mutable {
              if (alive.lock() == nullptr) return;
              sync_busy_ = false;
              Report(std::move(done), std::move(status));
            });
}

io::Task<absl::Status> JournalGroupLog::Checkpoint(uint64_t op, absl::uint128 prepare_checksum, Bytes snapshot,
                                                   absl::uint128 snapshot_checksum) {
  // Rule B6's order: the snapshot durable, then the superblock naming it, then the WAL.
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(*sync_storage_, metadata::SnapshotPath(op), snapshot),
                     "writing the snapshot of op ", op);
  co_await LockSuperblock();
  superblock::SuperblockState next = superblock_->state;
  next.metadata_checkpoint = {.op = op, .snapshot_checksum = snapshot_checksum, .prepare_checksum = prepare_checksum};
  next.metadata_commit_watermark = std::max(next.metadata_commit_watermark, op);
  const absl::Status updated = co_await superblock::UpdateSuperblock(*sync_storage_, *superblock_, next);
  UnlockSuperblock();
  CO_RETURN_IF_ERROR(updated, "naming the snapshot of op ", op, " in the superblock");
  CO_RETURN_IF_ERROR(journal_->SetCheckpoint(op), "moving the WAL's checkpoint to op ", op);
  SLUICE_ASSERT(journal_->checkpoint_checksum() == prepare_checksum, "checkpoint op ", op, " changed its checksum");
  checksums_.erase(checksums_.begin(), checksums_.upper_bound(op));
  headers_.erase(headers_.begin(), headers_.upper_bound(op));
  served_ = ServedMetadataSnapshot{.id = MetadataSnapshotId(op, prepare_checksum, snapshot), .bytes = std::move(snapshot)};
  // A staging at or below the new checkpoint can never be installed.
  if (staged_.has_value() && staged_->id.op <= op) staged_.reset();
  CO_RETURN_IF_ERROR(co_await metadata::DeleteSnapshotsOlderThan(*sync_storage_, op));
  co_return absl::OkStatus();
}

io::Task<void> JournalGroupLog::LockSuperblock() {
  if (!superblock_locked_) {
    superblock_locked_ = true;
    co_return;
  }
  co_await io::CompletionAwaiter<bool>(
      [this](absl::AnyInvocable<void(bool)> done) { superblock_waiters_.push_back(std::move(done)); });
  SLUICE_ASSERT(superblock_locked_, "the superblock lock was handed over unlocked");
}

void JournalGroupLog::UnlockSuperblock() {
  SLUICE_ASSERT(superblock_locked_, "unlocking an unlocked superblock");
  if (superblock_waiters_.empty()) {
    superblock_locked_ = false;
    return;
  }
  // Handed over locked: the next holder resumes now, inside this holder's step.
  absl::AnyInvocable<void(bool)> next = std::move(superblock_waiters_.front());
  superblock_waiters_.pop_front();
  next(true);
}

void JournalGroupLog::PersistViewState(const VsrState& state, absl::AnyInvocable<void(absl::Status)> done) {
  if (sync_storage_ == nullptr) {
    return Report(std::move(done), absl::UnimplementedError("no superblock to persist the view state in"));
  }
  std::weak_ptr<int> alive = alive_;
  io::Spawn(PersistView(state), [this, alive, done = std::move(done)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    Report(std::move(done), std::move(status));
  });
}

io::Task<absl::Status> JournalGroupLog::PersistView(VsrState state) {
  co_await LockSuperblock();
  const superblock::SuperblockState& current = superblock_->state;
  const uint64_t sequence = current.partition_log_views.op + 1;
  const Bytes table = EncodeVsrState(state, current.cluster_id, current.replica_index);
  absl::Status status = co_await io::WriteFileAtomically(*sync_storage_, ViewTablePath(sequence), table);
  if (status.ok()) {
    superblock::SuperblockState next = current;
    next.view = state.view;
    for (const GroupViewState& group : state.groups) {
      if (group.group.namespace_id == 0) next.metadata_log_view = std::max(next.metadata_log_view, group.log_view);
    }
    next.partition_log_views = {.op = sequence, .checksum = base::Checksum128(table)};
    next.recovering = state.recovering;
    status = co_await superblock::UpdateSuperblock(*sync_storage_, *superblock_, next);
  }
  UnlockSuperblock();
  CO_RETURN_IF_ERROR(status, "persisting view ", state.view, " in ", ViewTablePath(sequence), " and the superblock");
  // Only now that the superblock names the new table may the old one go.
  if (sequence > 1) {
    const absl::Status removed = co_await io::UnlinkFile(*sync_storage_, ViewTablePath(sequence - 1));
    if (!removed.ok() && !io::IsEnoent(removed)) co_return removed;
  }
  co_return absl::OkStatus();
}

}  // namespace sluice::vsr
