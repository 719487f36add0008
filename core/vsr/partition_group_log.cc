#include "core/vsr/partition_group_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
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
  adapter->base_op_ = anchor - 1;
  adapter->base_checksum_ = partition.last_checksum();  // when nothing above the anchor is retained
  // The recent window, and the anchor's entry for its parent (the base checksum).
  const uint64_t first = std::max(anchor, last >= options.headers_max ? last - options.headers_max + 1 : 1);
  if (anchor <= last && first > anchor) {
    CO_ASSIGN_OR_RETURN(const Bytes frame, co_await partition.ReadEntry(anchor), "reading op ", anchor, " for VSR");
    if (frame.size() < wire::kHeaderSize) {
      co_return absl::DataLossError(absl::StrCat("op ", anchor, " of ", partition.directory(), " is cut short"));
    }
    absl::uint128 checksum = 0;
    absl::StatusOr<wire::PrepareHeader> header =
        DecodeLonePrepareHeader(ByteSpan(frame).first(wire::kHeaderSize), options.cluster, &checksum);
    if (!header.ok()) {
      co_return absl::DataLossError(absl::StrCat("op ", anchor, " of ", partition.directory(),
                                                 " fails its checks: ", header.status().message()));
    }
    adapter->base_checksum_ = header->parent;
  }
  std::optional<absl::uint128> previous;
  for (uint64_t op = first; op <= last; ++op) {
    CO_ASSIGN_OR_RETURN(const Bytes frame, co_await partition.ReadEntry(op), "reading op ", op, " for VSR");
    absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, options.cluster);
    if (!prepare.ok()) {
      co_return absl::DataLossError(absl::StrCat("op ", op, " of ", partition.directory(),
                                                 " fails its checks: ", prepare.status().message()));
    }
    if (op == anchor) adapter->base_checksum_ = prepare->header().parent;
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
  adapter->recovered_commit_ = std::max(report.commit_op, adapter->base_op_);
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
  const uint64_t op = log_->last_op() + 1;
  if (absl::Status status = log_->Append(frame, std::move(on_durable)); !status.ok()) return status;
  SLUICE_ASSERT(log_->last_op() == op, "partition appended op ", log_->last_op(), " not ", op);
  Remember(op, log_->last_checksum(), frame.first(wire::kHeaderSize));
  faulty_head_op_ = std::max(faulty_head_op_, op);
  return absl::OkStatus();
}

void PartitionGroupLog::ReadEntry(uint64_t op, ReadCallback done) {
  if (op <= base_op_ || op > log_->last_op()) {
    return Report<absl::StatusOr<Bytes>>(std::move(done),
                                         absl::NotFoundError(absl::StrCat("op ", op, " not in the log")));
  }
  std::weak_ptr<int> alive = alive_;
  io::Spawn(log_->ReadEntry(op), [this, alive, op, done = std::move(done)](absl::StatusOr<Bytes> entry) mutable {
    if (alive.lock() == nullptr) return;
    if (entry.ok() && !wire::DecodePrepare(*entry, options_.cluster).ok()) {
      entry = absl::DataLossError(absl::StrCat("op ", op, " of ", log_->directory(), " fails its checksums"));
    }
    Report(std::move(done), std::move(entry));
  });
}

void PartitionGroupLog::TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) {
  if (op < commit_watermark || op < base_op_ || op > log_->last_op()) {
    return Report<absl::Status>(std::move(done),
                                absl::FailedPreconditionError(absl::StrCat(
                                    "truncate after op ", op, " with commit watermark ", commit_watermark,
                                    ", base op ", base_op_, " and last op ", log_->last_op())));
  }
  std::weak_ptr<int> alive = alive_;
  io::Spawn(log_->TruncateAfter(op), [this, alive, op, done = std::move(done)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    if (status.ok()) {
      Forget(op);
      faulty_head_op_ = op;
    }
    Report(std::move(done), std::move(status));
  });
}

std::optional<ByteSpan> PartitionGroupLog::Header(uint64_t op) const {
  if (op <= base_op_ || op > log_->last_op()) return std::nullopt;
  const auto it = headers_.find(op);
  if (it == headers_.end()) return std::nullopt;
  return ByteSpan(it->second);
}

std::optional<absl::uint128> PartitionGroupLog::ChecksumAt(uint64_t op) const {
  if (op == base_op_) return base_checksum_;
  if (op < base_op_ || op > log_->last_op()) return std::nullopt;
  const auto it = checksums_.find(op);
  if (it == checksums_.end()) return std::nullopt;
  return it->second;
}

void PartitionGroupLog::ReadSnapshot(const SnapshotId& snapshot, uint64_t offset, uint64_t size_max_bytes,
                                     ReadCallback done) {
  Report<absl::StatusOr<Bytes>>(std::move(done), absl::NotFoundError("the partition log serves no snapshot yet"));
}

void PartitionGroupLog::StageSnapshot(const SnapshotId& snapshot, uint64_t offset, ByteSpan bytes,
                                      DoneCallback done) {
  Report<absl::Status>(std::move(done), absl::UnimplementedError("partition state sync is not wired yet"));
}

void PartitionGroupLog::InstallSnapshot(const SnapshotId& snapshot, DoneCallback done) {
  Report<absl::Status>(std::move(done), absl::UnimplementedError("partition state sync is not wired yet"));
}

}  // namespace sluice::vsr
