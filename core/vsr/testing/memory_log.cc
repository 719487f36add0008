#include "core/vsr/testing/memory_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/wire/header.h"

namespace sluice::vsr::testing {
namespace {

constexpr size_t kStateRecordHeaderSize = 8 + 16 + 4;

}  // namespace

void ApplyToState(Bytes& state, ByteSpan prepare_frame) {
  const wire::PrepareHeader header = wire::LoadPrepareFields(prepare_frame);
  const ByteSpan body = prepare_frame.subspan(wire::kHeaderSize);
  const size_t at = state.size();
  state.resize(at + kStateRecordHeaderSize + body.size());
  base::StoreLittleEndian<uint64_t>(state, at, header.op);
  base::StoreU128(state, at + 8, wire::PrepareChecksum(prepare_frame));
  base::StoreLittleEndian<uint32_t>(state, at + 24, static_cast<uint32_t>(body.size()));
  std::copy(body.begin(), body.end(), state.begin() + at + kStateRecordHeaderSize);
}

absl::StatusOr<std::vector<StateRecord>> DecodeState(ByteSpan state) {
  std::vector<StateRecord> records;
  size_t at = 0;
  while (at < state.size()) {
    if (state.size() - at < kStateRecordHeaderSize) {
      return absl::DataLossError(absl::StrCat("state record at byte ", at, " is cut short"));
    }
    const uint32_t body_size = base::LoadLittleEndian<uint32_t>(state, at + 24);
    if (state.size() - at - kStateRecordHeaderSize < body_size) {
      return absl::DataLossError(absl::StrCat("state record body at byte ", at, " is cut short"));
    }
    records.push_back({.op = base::LoadLittleEndian<uint64_t>(state, at),
                       .checksum = base::LoadU128(state, at + 8)});
    at += kStateRecordHeaderSize + body_size;
  }
  return records;
}

// --- the medium ---

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

absl::Status MemoryLogDisk::CorruptSnapshot() {
  if (snapshot_.bytes.empty()) return absl::FailedPreconditionError("no snapshot bytes to corrupt");
  snapshot_.bytes[snapshot_.bytes.size() / 2] ^= 0x40;
  return absl::OkStatus();
}

absl::Status MemoryLogDisk::CorruptStaged() {
  if (!staging_.has_value() || staging_->bytes.empty()) {
    return absl::FailedPreconditionError("no staged bytes to corrupt");
  }
  staging_->bytes[staging_->bytes.size() / 2] ^= 0x40;
  return absl::OkStatus();
}

void MemoryLogDisk::DropAfter(uint64_t op) { entries_.erase(entries_.upper_bound(op), entries_.end()); }

void MemoryLogDisk::Wipe() { *this = MemoryLogDisk(); }

// --- one process's log ---

MemoryLog::MemoryLog(MemoryLogDisk& disk, io::Loop& loop, Options options)
    : disk_(disk), loop_(loop), options_(options) {}

MemoryLog::~MemoryLog() = default;

std::unique_ptr<MemoryLog> MemoryLog::Recover(MemoryLogDisk& disk, io::Loop& loop,
                                              Options options) {
  std::unique_ptr<MemoryLog> log(new MemoryLog(disk, loop, options));
  log->WalkChain();
  log->faulty_head_op_ = disk.entries_.empty() ? log->last_op_ : std::max(log->last_op_, disk.entries_.rbegin()->first);
  // A watermark above the verified chain means committed entries were damaged: they
  // are faulty here and repaired from peers; the watermark itself stays known.
  log->recovered_commit_ = std::max(disk.commit_watermark_, log->base_op());
  return log;
}

void MemoryLog::WalkChain() {
  // The verified chain: consecutive intact entries from the base, each linking to the previous.
  uint64_t op = base_op();
  absl::uint128 checksum = base_checksum();
  bool durable = true;
  checksums_.clear();
  durable_op_ = op;
  for (auto it = disk_.entries_.upper_bound(op); it != disk_.entries_.end(); ++it) {
    const auto& [entry_op, entry] = *it;
    if (entry_op != op + 1) break;
    absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(entry.frame, options_.cluster);
    if (!prepare.ok() || prepare->header().parent != checksum || prepare->header().op != entry_op) break;
    op = entry_op;
    checksum = prepare->checksum();
    checksums_[op] = checksum;
    durable = durable && entry.durable;
    if (durable) durable_op_ = op;
  }
  last_op_ = op;
  last_checksum_ = checksum;
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
                                                        ", base op ", base_op(), " and last op ", last_op_));
  } else {
    disk_.entries_.erase(disk_.entries_.upper_bound(op), disk_.entries_.end());
    checksums_.erase(checksums_.upper_bound(op), checksums_.end());
    last_op_ = op;
    last_checksum_ = op == base_op() ? base_checksum() : checksums_.at(op);
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
  const uint64_t interval = options_.checkpoint_interval_ops;
  if (interval > 0 && op >= base_op() + interval + options_.checkpoint_lag_ops) {
    const absl::Status status = Checkpoint(op - options_.checkpoint_lag_ops);
    SLUICE_ASSERT(status.ok(), status.ToString());
  }
}

absl::Status MemoryLog::Checkpoint(uint64_t op) {
  if (op <= base_op() || op > last_op_ || op > disk_.commit_watermark_) {
    return absl::FailedPreconditionError(absl::StrCat("checkpoint at op ", op, " with base op ", base_op(),
                                                      ", last op ", last_op_, " and commit watermark ",
                                                      disk_.commit_watermark_));
  }
  Bytes state = StateAt(op);
  MemoryLogDisk::Snapshot& snapshot = disk_.snapshot_;
  snapshot.id = {.op = op, .op_checksum = checksums_.at(op), .size_bytes = state.size(),
                 .checksum = base::Checksum128(state)};
  snapshot.bytes = std::move(state);
  disk_.entries_.erase(disk_.entries_.begin(), disk_.entries_.upper_bound(op));
  checksums_.erase(checksums_.begin(), checksums_.upper_bound(op));
  durable_op_ = std::max(durable_op_, op);  // the snapshot is durable
  return absl::OkStatus();
}

Bytes MemoryLog::StateAt(uint64_t op) const {
  SLUICE_ASSERT(op >= base_op() && op <= last_op_, "state at op ", op, " outside ", base_op(), "..", last_op_);
  Bytes state = disk_.snapshot_.bytes;
  for (auto it = disk_.entries_.upper_bound(base_op()); it != disk_.entries_.end() && it->first <= op; ++it) {
    ApplyToState(state, it->second.frame);
  }
  return state;
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

// --- state sync ---

std::optional<SnapshotId> MemoryLog::ServedSnapshot() const {
  if (base_op() == 0) return std::nullopt;
  return disk_.snapshot_.id;
}

void MemoryLog::ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                             ReadCallback done) {
  absl::StatusOr<Bytes> result = absl::NotFoundError(absl::StrCat("snapshot at op ", snapshot.op,
                                                                  " is not the served one"));
  const MemoryLogDisk::Snapshot& served = disk_.snapshot_;
  if (base_op() != 0 && served.id == snapshot) {
    if (base::Checksum128(served.bytes) != served.id.checksum) {
      result = absl::DataLossError(absl::StrCat("snapshot at op ", snapshot.op, " fails its checksum"));
    } else if (offset >= served.bytes.size() && !(offset == 0 && served.bytes.empty())) {
      result = absl::OutOfRangeError(absl::StrCat("offset ", offset, " beyond the snapshot's ",
                                                  served.bytes.size(), " bytes"));
    } else {
      const size_t size = std::min<uint64_t>(size_max_bytes, served.bytes.size() - offset);
      result = Bytes(served.bytes.begin() + offset, served.bytes.begin() + offset + size);
    }
  }
  Later(0, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

std::optional<StagedSnapshot> MemoryLog::Staged() const {
  if (!disk_.staging_.has_value()) return std::nullopt;
  return StagedSnapshot{.id = disk_.staging_->id, .staged_bytes = disk_.staging_->bytes.size()};
}

void MemoryLog::StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes, DoneCallback done) {
  absl::Status status;
  std::optional<MemoryLogDisk::Staging>& staging = disk_.staging_;
  if (offset + bytes.size() > snapshot.size_bytes) {
    status = absl::FailedPreconditionError(absl::StrCat("staging ", bytes.size(), " bytes at ", offset,
                                                        " of a ", snapshot.size_bytes, "-byte snapshot"));
  } else if (offset != 0 && (!staging.has_value() || !(staging->id == snapshot) ||
                             staging->bytes.size() != offset)) {
    status = absl::FailedPreconditionError(absl::StrCat("staging at offset ", offset,
                                                        " does not continue the staged snapshot"));
  } else {
    if (offset == 0) staging = MemoryLogDisk::Staging{.id = snapshot, .bytes = {}};
    staging->bytes.insert(staging->bytes.end(), bytes.begin(), bytes.end());
  }
  // A write and its sync: reported when an entry's sync would be.
  Later(options_.sync_delay_ticks, [done = std::move(done), status]() mutable { done(status); });
}

void MemoryLog::InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) {
  // Atomic at its completion (a model of the superblock write naming the new
  // checkpoint): a crash before it leaves the old state and the staging.
  Later(options_.sync_delay_ticks, [this, snapshot, done = std::move(done)]() mutable {
    done(Install(snapshot));
  });
}

absl::Status MemoryLog::Install(const SnapshotId& snapshot) {
  std::optional<MemoryLogDisk::Staging>& staging = disk_.staging_;
  if (!staging.has_value() || !(staging->id == snapshot) || staging->bytes.size() != snapshot.size_bytes) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot at op ", snapshot.op, " is not completely staged"));
  }
  if (snapshot.op <= base_op()) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot at op ", snapshot.op, " is not above the base op ",
                                                      base_op()));
  }
  if (base::Checksum128(staging->bytes) != snapshot.checksum) {
    staging.reset();
    return SnapshotRejected(absl::StrCat("staged snapshot at op ", snapshot.op, " fails its checksum"));
  }
  const uint64_t highest_entry = disk_.entries_.empty() ? 0 : disk_.entries_.rbegin()->first;
  disk_.snapshot_ = {.id = snapshot, .bytes = std::move(staging->bytes)};
  staging.reset();
  disk_.commit_watermark_ = std::max(disk_.commit_watermark_, snapshot.op);
  disk_.entries_.erase(disk_.entries_.begin(), disk_.entries_.upper_bound(snapshot.op));
  WalkChain();
  faulty_head_op_ = std::max({faulty_head_op_, highest_entry, last_op_});
  // Durable callbacks of entries the snapshot replaced, or no longer in the chain, never run.
  pending_.erase(pending_.begin(), pending_.upper_bound(snapshot.op));
  pending_.erase(pending_.upper_bound(last_op_), pending_.end());
  return absl::OkStatus();
}

}  // namespace sluice::vsr::testing
