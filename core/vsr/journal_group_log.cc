#include "core/vsr/journal_group_log.h"

#include <algorithm>
#include <utility>

#include "core/base/assert.h"
#include "core/io/task.h"
#include "core/wire/header.h"

namespace sluice::vsr {

JournalGroupLog::JournalGroupLog(std::unique_ptr<journal::Journal> journal, io::Loop& loop)
    : journal_(std::move(journal)), loop_(loop) {}

JournalGroupLog::~JournalGroupLog() = default;

std::unique_ptr<JournalGroupLog> JournalGroupLog::FromRecovery(journal::JournalRecovery recovery,
                                                               io::Loop& loop) {
  SLUICE_ASSERT(recovery.journal != nullptr, "recovery without a journal");
  std::unique_ptr<JournalGroupLog> log(new JournalGroupLog(std::move(recovery.journal), loop));
  const uint64_t last = log->journal_->last_op();
  for (const journal::ChainedOp& op : recovery.verified_chain) {
    if (op.op <= last) log->checksums_[op.op] = op.checksum;
  }
  for (const auto* entries : {&recovery.to_apply, &recovery.unapplied}) {
    for (const journal::RecoveredEntry& entry : *entries) {
      if (entry.op <= last) log->Remember(entry.op, entry.checksum, ByteSpan(entry.frame).first(wire::kHeaderSize));
    }
  }
  log->faulty_head_op_ = std::max(recovery.head_op, last);
  log->recovered_commit_ = recovery.commit_op;
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
  SLUICE_ASSERT(journal_->last_op() == op, "journal appended op ", journal_->last_op(), " not ", op);
  Remember(op, journal_->last_checksum(), frame.first(wire::kHeaderSize));
  faulty_head_op_ = std::max(faulty_head_op_, op);
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

std::optional<absl::uint128> JournalGroupLog::ChecksumAt(uint64_t op) const {
  if (op == base_op()) return base_checksum();
  if (op < base_op() || op > last_op()) return std::nullopt;
  const auto it = checksums_.find(op);
  if (it == checksums_.end()) return std::nullopt;
  return it->second;
}

void JournalGroupLog::ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                                   ReadCallback done) {
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done)]() mutable {
    if (alive.lock() != nullptr) done(absl::NotFoundError("the metadata log serves no snapshot yet"));
  });
}

void JournalGroupLog::StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes,
                                    DoneCallback done) {
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done)]() mutable {
    if (alive.lock() != nullptr) done(absl::UnimplementedError("metadata state sync is not wired yet"));
  });
}

void JournalGroupLog::InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) {
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done)]() mutable {
    if (alive.lock() != nullptr) done(absl::UnimplementedError("metadata state sync is not wired yet"));
  });
}

}  // namespace sluice::vsr
