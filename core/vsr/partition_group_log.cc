#include "core/vsr/partition_group_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/partition/partition_snapshot.h"
#include "core/vsr/partition_sync.h"
#include "core/wire/header.h"

namespace sluice::vsr {

PartitionGroupLog::PartitionGroupLog(std::unique_ptr<partition::PartitionLog> log, io::Loop& loop, Options options)
    : log_(std::move(log)), loop_(loop), options_(options) {}

PartitionGroupLog::~PartitionGroupLog() = default;

io::Task<absl::StatusOr<std::unique_ptr<PartitionGroupLog>>> PartitionGroupLog::FromRecovery(
    std::unique_ptr<partition::PartitionLog> log, partition::RecoveryReport report, io::Loop& loop,
    Options options) {
  SLUICE_ASSERT(log != nullptr && !log->segments().empty(), "a recovered partition log has a segment");
  SLUICE_ASSERT(options.headers_max > 0, "headers_max must be positive");
  std::unique_ptr<PartitionGroupLog> adapter(new PartitionGroupLog(std::move(log), loop, options));
  partition::PartitionLog& partition = *adapter->log_;
  const uint64_t anchor = partition.segments().front().first_op;  // the first retained op
  const uint64_t last = partition.last_op();
  SLUICE_ASSERT(anchor >= 1 && anchor <= last + 1, "anchor op ", anchor, " above last op ", last);
  // The recent window; the base checksum is the anchor's parent (the state record's).
  const uint64_t first = std::max(anchor, last >= options.headers_max ? last - options.headers_max + 1 : 1);
  std::optional<absl::uint128> previous;
  for (uint64_t op = first; op <= last; ++op) {
    CO_ASSIGN_OR_RETURN(const Bytes frame, co_await partition.ReadEntry(op), "reading op ", op, " for VSR");
    absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, options.cluster);
    if (!prepare.ok()) {
      co_return absl::DataLossError(absl::StrCat("op ", op, " of ", partition.directory(),
                                                 " fails its checks: ", prepare.status().message()));
    }
    if (op == anchor && prepare->header().parent != partition.anchor_parent()) {
      co_return absl::DataLossError(absl::StrCat("op ", op, " of ", partition.directory(),
                                                 " does not link to the partition's chain anchor"));
    }
    if (previous.has_value() && prepare->header().parent != *previous) {
      co_return absl::DataLossError(absl::StrCat("op ", op, " of ", partition.directory(),
                                                 " does not link to the op before it"));
    }
    previous = prepare->checksum();
    adapter->Remember(op, prepare->checksum(), ByteSpan(frame).first(wire::kHeaderSize));
  }
  if (last >= anchor && previous != std::optional<absl::uint128>(partition.last_checksum())) {
    co_return absl::DataLossError(absl::StrCat("the last op of ", partition.directory(),
                                               " read back with another checksum"));
  }
  for (uint64_t op : report.faulty_ops) adapter->faulty_head_op_ = std::max(adapter->faulty_head_op_, op);
  adapter->recovered_commit_ = std::max(report.commit_op, adapter->base_op());
  // A sync this replica was in the middle of resumes from its staging.
  CO_ASSIGN_OR_RETURN(adapter->staged_,
                      co_await LoadPartitionStaging(partition.storage(), partition.directory(), adapter->base_op()));
  co_return std::move(adapter);
}

void PartitionGroupLog::Remember(uint64_t op, absl::uint128 checksum, ByteSpan header) {
  checksums_[op] = checksum;
  std::copy(header.begin(), header.end(), headers_[op].begin());
  if (op > options_.headers_max) {
    headers_.erase(headers_.begin(), headers_.upper_bound(op - options_.headers_max));
    checksums_.erase(checksums_.begin(), checksums_.upper_bound(op - options_.headers_max));
  }
}

void PartitionGroupLog::Forget(uint64_t after_op) {
  headers_.erase(headers_.upper_bound(after_op), headers_.end());
  checksums_.erase(checksums_.upper_bound(after_op), checksums_.end());
}

template <typename Result>
void PartitionGroupLog::Report(absl::AnyInvocable<void(Result)> done, Result result) {
  // Never inside the call that asked (GroupLog's contract), even if it completed at once.
  std::weak_ptr<int> alive = alive_;
  loop_.Post([alive, done = std::move(done), result = std::move(result)]() mutable {
    if (alive.lock() != nullptr) done(std::move(result));
  });
}

absl::Status PartitionGroupLog::Append(ByteSpan frame, DurableCallback on_durable) {
  if (installing_) return absl::UnavailableError("installing a snapshot");
  const uint64_t op = log_->last_op() + 1;
  if (absl::Status status = log_->Append(frame, std::move(on_durable)); !status.ok()) return status;
  SLUICE_ASSERT(log_->last_op() == op, "partition appended op ", log_->last_op(), " not ", op);
  Remember(op, log_->last_checksum(), frame.first(wire::kHeaderSize));
  faulty_head_op_ = std::max(faulty_head_op_, op);
  return absl::OkStatus();
}

void PartitionGroupLog::ReadEntry(uint64_t op, ReadCallback done) {
  if (installing_) {
    return Report<absl::StatusOr<Bytes>>(std::move(done), absl::UnavailableError("installing a snapshot"));
  }
  if (op <= base_op() || op > log_->last_op()) {
    return Report<absl::StatusOr<Bytes>>(std::move(done),
                                         absl::NotFoundError(absl::StrCat("op ", op, " not in the log")));
  }
  std::weak_ptr<int> alive = alive_;
  ++in_flight_;
  io::Spawn(log_->ReadEntry(op), [this, alive, op, done = std::move(done)](absl::StatusOr<Bytes> entry) mutable {
    if (alive.lock() == nullptr) return;
    --in_flight_;
    if (entry.ok() && !wire::DecodePrepare(*entry, options_.cluster).ok()) {
      entry = absl::DataLossError(absl::StrCat("op ", op, " of ", log_->directory(), " fails its checksums"));
    }
    Report(std::move(done), std::move(entry));
  });
}

void PartitionGroupLog::TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) {
  if (installing_ || op < commit_watermark || op < base_op() || op > log_->last_op()) {
    return Report<absl::Status>(std::move(done),
                                absl::FailedPreconditionError(absl::StrCat(
                                    "truncate after op ", op, " with commit watermark ", commit_watermark,
                                    ", base op ", base_op(), " and last op ", log_->last_op(),
                                    installing_ ? " while installing a snapshot" : "")));
  }
  std::weak_ptr<int> alive = alive_;
  ++in_flight_;
  io::Spawn(log_->TruncateAfter(op), [this, alive, op, done = std::move(done)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    --in_flight_;
    if (status.ok()) {
      Forget(op);
      faulty_head_op_ = op;
    }
    Report(std::move(done), std::move(status));
  });
}

std::optional<ByteSpan> PartitionGroupLog::Header(uint64_t op) const {
  if (op <= base_op() || op > log_->last_op()) return std::nullopt;
  const auto it = headers_.find(op);
  if (it == headers_.end()) return std::nullopt;
  return ByteSpan(it->second);
}

std::optional<absl::uint128> PartitionGroupLog::ChecksumAt(uint64_t op) const {
  if (op == base_op()) return base_checksum();
  if (op < base_op() || op > log_->last_op()) return std::nullopt;
  const auto it = checksums_.find(op);
  if (it == checksums_.end()) return std::nullopt;
  return it->second;
}

std::optional<SnapshotId> PartitionGroupLog::ServedSnapshot() const {
  const std::optional<partition::EncodedPartitionSnapshot>& anchor = log_->anchor_snapshot();
  if (installing_ || !anchor.has_value() || anchor->op == 0 || anchor->op != base_op()) return std::nullopt;
  return SnapshotId{
      .op = anchor->op, .op_checksum = anchor->op_checksum, .size_bytes = anchor->bytes.size(), .checksum = anchor->checksum};
}

void PartitionGroupLog::ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                                     ReadCallback done) {
  absl::StatusOr<Bytes> chunk = absl::NotFoundError(
      absl::StrCat("the snapshot of op ", snapshot.op, " is not the one ", log_->directory(), " serves"));
  if (ServedSnapshot() == std::optional<SnapshotId>(snapshot) && offset < snapshot.size_bytes) {
    const Bytes& bytes = log_->anchor_snapshot()->bytes;
    const uint64_t size = std::min<uint64_t>(size_max_bytes, snapshot.size_bytes - offset);
    chunk = Bytes(bytes.begin() + static_cast<ptrdiff_t>(offset), bytes.begin() + static_cast<ptrdiff_t>(offset + size));
  }
  Report(std::move(done), std::move(chunk));
}

void PartitionGroupLog::StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes,
                                      DoneCallback done) {
  const bool continues = staged_.has_value() && staged_->id == snapshot && staged_->staged_bytes == offset;
  if (staging_ || installing_ || (offset != 0 && !continues) || offset + bytes.size() > snapshot.size_bytes ||
      snapshot.op <= base_op()) {
    return Report<absl::Status>(std::move(done), absl::FailedPreconditionError(absl::StrCat(
                                                     "staging ", bytes.size(), " bytes at offset ", offset,
                                                     " of the snapshot of op ", snapshot.op, " in ",
                                                     log_->directory(), ": not where its staging ends")));
  }
  staging_ = true;
  if (offset == 0) staged_.reset();  // the file is recreated: an older staging is gone
  const uint64_t end = offset + bytes.size();
  std::weak_ptr<int> alive = alive_;
  ++in_flight_;
  io::Spawn(StagePartitionChunk(log_->storage(), log_->directory(), snapshot, offset, Bytes(bytes.begin(), bytes.end())),
            [this, alive, snapshot, end, done = std::move(done)](absl::Status status) mutable {
              if (alive.lock() == nullptr) return;
              --in_flight_;
              staging_ = false;
              if (status.ok()) staged_ = StagedSnapshot{.id = snapshot, .staged_bytes = end};
              Report(std::move(done), std::move(status));
            });
}

void PartitionGroupLog::InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) {
  if (staging_ || installing_ || !staged_.has_value() || !(staged_->id == snapshot) ||
      staged_->staged_bytes != snapshot.size_bytes || snapshot.op <= base_op()) {
    return Report<absl::Status>(std::move(done), absl::FailedPreconditionError(absl::StrCat(
                                                     "the snapshot of op ", snapshot.op,
                                                     " is not completely staged above base op ", base_op(), " in ",
                                                     log_->directory())));
  }
  installing_ = true;
  std::weak_ptr<int> alive = alive_;
  ++in_flight_;
  io::Spawn(Install(snapshot), [this, alive, done = std::move(done)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    --in_flight_;
    installing_ = false;
    Report(std::move(done), std::move(status));
  });
}

io::Task<absl::Status> PartitionGroupLog::Install(SnapshotId snapshot) {
  io::Storage& storage = log_->storage();
  const std::string directory = log_->directory();
  const partition::PartitionOptions options = log_->options();
  // 1. The whole staging verified, then its content as this partition's snapshot of op.
  absl::StatusOr<Bytes> bytes = co_await ReadStagedPartitionSnapshot(storage, directory, snapshot);
  if (IsSnapshotRejected(bytes.status())) staged_.reset();  // removed: never installed
  CO_RETURN_IF_ERROR(bytes.status());
  absl::StatusOr<partition::PartitionSnapshot> decoded = partition::VerifyAnchorSnapshot(
      *bytes, snapshot.op, snapshot.op_checksum,
      {.namespace_id = options.namespace_id, .incarnation = options.address.incarnation},
      io::JoinPath(directory, kPartitionStagingName));
  if (!decoded.ok()) {
    staged_.reset();
    CO_RETURN_IF_ERROR(co_await RemovePartitionStaging(storage, directory));
    co_return SnapshotRejected(decoded.status().message());
  }
  // 2. The partition stops (appends drained), the snapshot becomes its durable state.
  const uint64_t promised = faulty_head_op();  // what this replica may have acknowledged
  CO_RETURN_IF_ERROR(co_await log_->Close());
  CO_RETURN_IF_ERROR(co_await partition::InstallAnchorSnapshot(storage, directory, *std::move(bytes),
                                                               *std::move(decoded), promised));
  // 3. Recovered from disk like at boot: the install's result is what recovery accepts.
  partition::RecoveryReport report;
  CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> reopened,
                      co_await partition::PartitionLog::Open(storage, options, &report),
                      "recovering ", directory, " after installing the snapshot of op ", snapshot.op);
  log_ = std::move(reopened);
  SLUICE_ASSERT(base_op() == snapshot.op && base_checksum() == snapshot.op_checksum && log_->last_op() == snapshot.op,
                directory, ": installed the snapshot of op ", snapshot.op, " but the base is op ", base_op());
  faulty_head_op_ = std::max(faulty_head_op_, promised);
  for (uint64_t op : report.faulty_ops) faulty_head_op_ = std::max(faulty_head_op_, op);
  recovered_commit_ = std::max(recovered_commit_, snapshot.op);
  headers_.clear();
  checksums_.clear();
  staged_.reset();
  CO_RETURN_IF_ERROR(co_await RemovePartitionStaging(storage, directory));
  co_return absl::OkStatus();
}

}  // namespace sluice::vsr
