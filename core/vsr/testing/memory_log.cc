#include "core/vsr/testing/memory_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/header.h"

namespace sluice::vsr::testing {

void MemoryLogDisk::Crash(base::Prng& prng, base::Ratio lands) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.durable) {
      ++it;
      continue;
    }
    const bool landed = prng.Chance(lands);
    if (landed) {
      it->second.durable = true;
      ++it;
    } else {
      it = entries_.erase(it);
    }
  }
}

absl::Status MemoryLogDisk::Corrupt(uint64_t op) {
  auto it = entries_.find(op);
  if (it == entries_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("no entry for op ", op, " to corrupt"));
  }
  Bytes& frame = it->second.frame;
  frame[frame.size() - 1] ^= 0x40;  // the body's last byte, or the header's if no body
  return absl::OkStatus();
}

void MemoryLogDisk::DropAfter(uint64_t op) { entries_.erase(entries_.upper_bound(op), entries_.end()); }

MemoryLog::MemoryLog(MemoryLogDisk& disk, io::Loop& loop, Options options)
    : disk_(disk), loop_(loop), options_(options) {}

MemoryLog::~MemoryLog() = default;

std::unique_ptr<MemoryLog> MemoryLog::Recover(MemoryLogDisk& disk, io::Loop& loop,
                                              Options options) {
  std::unique_ptr<MemoryLog> log(new MemoryLog(disk, loop, options));
  // The verified chain: consecutive intact entries, each linking to the previous.
  uint64_t op = 0;
  absl::uint128 checksum = 0;
  for (const auto& [entry_op, entry] : disk.entries_) {
    if (entry_op != op + 1) break;
    absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(entry.frame, options.cluster);
    if (!prepare.ok() || prepare->header().parent != checksum || prepare->header().op != entry_op) break;
    op = entry_op;
    checksum = prepare->checksum();
    log->checksums_[op] = checksum;
  }
  log->last_op_ = op;
  log->last_checksum_ = checksum;
  log->durable_op_ = op;  // Everything recovered is on the medium.
  log->faulty_head_op_ = disk.entries_.empty() ? 0 : std::max(op, disk.entries_.rbegin()->first);
  // A watermark above the verified chain means committed entries were damaged: they
  // are faulty here and repaired from peers; the watermark itself stays known.
  log->recovered_commit_ = disk.commit_watermark_;
  return log;
}

template <typename Callback>
void MemoryLog::Later(uint64_t ticks, Callback callback) {
  std::weak_ptr<int> alive = alive_;
  loop_.ScheduleAfterTicks(ticks, [alive, callback = std::move(callback)]() mutable {
    if (alive.lock() != nullptr) callback();
  });
}

absl::Status MemoryLog::Append(ByteSpan frame, DurableCallback on_durable) {
  absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, options_.cluster);
  if (!prepare.ok()) return prepare.status();
  const wire::PrepareHeader& header = prepare->header();
  if (header.op != last_op_ + 1 || header.parent != last_checksum_) {
    return absl::InvalidArgumentError(absl::StrCat("append of op ", header.op, " after op ",
                                                   last_op_, " does not extend the chain"));
  }
  if (header.namespace_id != options_.group.namespace_id ||
      header.incarnation != options_.group.incarnation) {
    return absl::InvalidArgumentError("append of another group's prepare");
  }
  disk_.entries_[header.op] = MemoryLogDisk::Entry{.frame = Bytes(frame.begin(), frame.end()),
                                                  .durable = false};
  last_op_ = header.op;
  last_checksum_ = prepare->checksum();
  checksums_[last_op_] = last_checksum_;
  faulty_head_op_ = std::max(faulty_head_op_, last_op_);
  pending_[last_op_] = std::move(on_durable);
  ScheduleSync();
  return absl::OkStatus();
}

void MemoryLog::ScheduleSync() {
  if (sync_scheduled_) return;
  sync_scheduled_ = true;
  Later(options_.sync_delay_ticks, [this] { Sync(); });
}

void MemoryLog::Sync() {
  sync_scheduled_ = false;
  ++disk_.syncs_;
  for (auto& [op, entry] : disk_.entries_) {
    if (op <= last_op_) entry.durable = true;
  }
  durable_op_ = last_op_;
  std::map<uint64_t, DurableCallback> done = std::move(pending_);
  pending_.clear();
  std::weak_ptr<int> alive = alive_;
  for (auto& [op, callback] : done) {
    if (alive.lock() == nullptr) return;  // a callback destroyed the log
    callback(absl::OkStatus());
  }
}

void MemoryLog::ReadEntry(uint64_t op, ReadCallback done) {
  absl::StatusOr<Bytes> result = absl::NotFoundError(absl::StrCat("op ", op, " not in the log"));
  if (op > base_op() && op <= last_op_) {
    const auto it = disk_.entries_.find(op);
    SLUICE_ASSERT(it != disk_.entries_.end(), "op ", op, " of the chain missing on disk");
    if (wire::DecodePrepare(it->second.frame, options_.cluster).ok()) {
      result = it->second.frame;
    } else {
      result = absl::DataLossError(absl::StrCat("op ", op, " is corrupt"));
    }
  }
  Later(0, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void MemoryLog::TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) {
  absl::Status status;
  if (op < commit_watermark || op < base_op() || op > last_op_) {
    status = absl::FailedPreconditionError(absl::StrCat("truncate after op ", op,
                                                        " with commit watermark ", commit_watermark,
                                                        " and last op ", last_op_));
  } else {
    disk_.entries_.erase(disk_.entries_.upper_bound(op), disk_.entries_.end());
    checksums_.erase(checksums_.upper_bound(op), checksums_.end());
    last_op_ = op;
    last_checksum_ = op == 0 ? base_checksum() : checksums_.at(op);
    durable_op_ = std::min(durable_op_, op);
    faulty_head_op_ = op;
    // Entries dropped before their sync are never acknowledged.
    for (auto it = pending_.upper_bound(op); it != pending_.end();) it = pending_.erase(it);
  }
  Later(0, [done = std::move(done), status]() mutable { done(status); });
}

void MemoryLog::Commit(uint64_t op) {
  SLUICE_ASSERT(op <= last_op_, "commit of op ", op, " beyond last op ", last_op_);
  disk_.commit_watermark_ = std::max(disk_.commit_watermark_, op);
}

std::optional<ByteSpan> MemoryLog::Header(uint64_t op) const {
  if (op <= base_op() || op > last_op_) return std::nullopt;
  const auto it = disk_.entries_.find(op);
  if (it == disk_.entries_.end()) return std::nullopt;
  return ByteSpan(it->second.frame).first(wire::kHeaderSize);
}

std::optional<absl::uint128> MemoryLog::ChecksumAt(uint64_t op) const {
  if (op == base_op()) return base_checksum();
  const auto it = checksums_.find(op);
  if (it == checksums_.end() || op > last_op_) return std::nullopt;
  return it->second;
}

}  // namespace sluice::vsr::testing
