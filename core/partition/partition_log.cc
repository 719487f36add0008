#include "core/partition/partition_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/entry_body.h"
#include "core/partition/partition_log_internal.h"
#include "core/wire/batch.h"
#include "core/wire/prepare_batch.h"

namespace sluice::partition {

std::string Hex(absl::uint128 value) {
  return absl::StrFormat("0x%016x%016x", absl::Uint128High64(value), absl::Uint128Low64(value));
}

PartitionLog::PartitionLog(io::Storage& storage, PartitionOptions options)
    : storage_(storage),
      options_(std::move(options)),
      directory_(PartitionDirectory(options_.address)),
      units_(16) {}

PartitionLog::~PartitionLog() = default;

absl::StatusOr<Bytes> PartitionLog::PrepareNext(wire::Operation operation, ByteSpan body, uint64_t timestamp,
                                                absl::uint128 client, absl::uint128 request_checksum,
                                                uint64_t request) {
  Bytes frame;
  RETURN_IF_ERROR(PrepareNextInto(frame, operation, body, timestamp, client, request_checksum, request));
  return frame;
}

absl::Status PartitionLog::PrepareNextInto(Bytes& frame, wire::Operation operation, ByteSpan body,
                                           uint64_t timestamp, absl::uint128 client,
                                           absl::uint128 request_checksum, uint64_t request) {
  if (!failure_.ok()) return failure_;
  wire::PrepareHeader header;
  header.cluster = options_.cluster;
  header.client = client;
  header.parent = last_checksum_;
  header.request_checksum = request_checksum;
  header.op = last_op_ + 1;
  header.commit = commit_op_;
  header.timestamp = timestamp;
  header.request = request;
  header.operation = operation;
  header.namespace_id = options_.namespace_id;
  header.incarnation = options_.address.incarnation;
  frame.resize(wire::kHeaderSize + body.size());
  std::copy(body.begin(), body.end(), frame.begin() + wire::kHeaderSize);
  const MutableByteSpan frame_body = MutableByteSpan(frame).subspan(wire::kHeaderSize);
  if (operation == wire::Operation::kSendMessages) {
    absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(frame_body);
    if (!batch.ok()) return batch.status();
    wire::StampBatch(*batch, frame_body,
                     {.partition_id = options_.address.partition,
                      .base_offset = roll_before_next_ ? roll_start_offset_ : next_offset_,
                      .base_timestamp = timestamp});
  }
  wire::EncodePrepareHeader(header, frame_body, MutableByteSpan(frame).subspan(0, wire::kHeaderSize));
  return absl::OkStatus();
}

absl::Status PartitionLog::CheckAppendable(const wire::ValidatedPrepare& prepare) const {
  const wire::PrepareHeader& header = prepare.header();
  if (header.namespace_id != options_.namespace_id || header.incarnation != options_.address.incarnation) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "entry for namespace %d incarnation %d appended to %s (namespace %d incarnation %d)",
        header.namespace_id, header.incarnation, directory_, options_.namespace_id,
        options_.address.incarnation));
  }
  if (header.op != last_op_ + 1) {
    return absl::InvalidArgumentError(absl::StrCat("append of op ", header.op, " after op ", last_op_));
  }
  if (header.parent != last_checksum_) {
    return absl::InvalidArgumentError(absl::StrCat("append of op ", header.op, " breaks the hash chain: parent ",
                                                   Hex(header.parent), ", last checksum ", Hex(last_checksum_)));
  }
  if (prepare.frame().size() > options_.entry_size_bytes_max) {
    return absl::InvalidArgumentError(absl::StrCat("entry of ", prepare.frame().size(),
                                                   " bytes exceeds the maximum ", options_.entry_size_bytes_max));
  }
  return absl::OkStatus();
}

PartitionLog::Unit& PartitionLog::OpenUnitFor(uint64_t entry_size, bool needs_roll) {
  if (!needs_roll && !units_.empty()) {
    Unit& last = *units_.back();
    if (last.kind == Unit::Kind::kGroup && !last.in_flight &&
        last.bytes.size() + entry_size <= options_.group_commit_bytes_max) {
      return last;
    }
  }
  std::unique_ptr<Unit> unit = NewUnit();
  unit->first_op = last_op_ + 1;
  unit->checksum_before = last_checksum_;
  unit->next_offset_before = next_offset_;
  unit->roll_before_next_before = roll_before_next_;
  units_.push_back(std::move(unit));
  return *units_.back();
}

absl::Status PartitionLog::Append(ByteSpan frame, DurableCallback on_durable) {
  if (!failure_.ok()) return failure_;
  absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, options_.cluster);
  if (!prepare.ok()) return prepare.status();
  RETURN_IF_ERROR(CheckAppendable(*prepare));
  const wire::PrepareHeader& header = prepare->header();
  const bool rolls = roll_before_next_;
  const uint64_t base_offset = rolls ? roll_start_offset_ : next_offset_;
  uint32_t message_count = 0;
  if (header.operation == wire::Operation::kSendMessages) {
    const wire::ValidatedBatch batch = wire::BatchOfPrepare(*prepare);
    if (batch.base_offset() != base_offset) {
      return absl::InvalidArgumentError(absl::StrCat("batch of op ", header.op, " stamped with base offset ",
                                                     batch.base_offset(), ", the partition's next is ", base_offset));
    }
    message_count = batch.message_count();
  }
  const bool too_big = active_bytes_planned_ > 0 &&
                       active_bytes_planned_ + frame.size() > options_.segment_size_bytes;
  Unit& unit = OpenUnitFor(frame.size(), rolls || too_big);
  if (rolls || too_big) {
    unit.roll = SegmentInfo{header.op, base_offset};
    active_bytes_planned_ = 0;
  }
  unit.index_entries.push_back({header.op, base_offset, header.timestamp, unit.bytes.size()});
  unit.bytes.insert(unit.bytes.end(), frame.begin(), frame.end());
  unit.acks.push_back({header.op, std::move(on_durable)});
  unit.last_op = header.op;
  active_bytes_planned_ += frame.size();
  last_op_ = header.op;
  last_checksum_ = prepare->checksum();
  next_offset_ = base_offset + message_count;
  roll_before_next_ = false;
  UncommittedEntry entry{header.op, header.operation, next_offset_, prepare->checksum(), {}};
  if (header.operation != wire::Operation::kSendMessages) entry.small_body.assign(prepare->body().begin(), prepare->body().end());
  if (header.operation == wire::Operation::kPartitionPurge) {
    // Offsets restart at 0 in a new segment, which the next entry opens.
    roll_before_next_ = true;
    roll_start_offset_ = 0;
    next_offset_ = 0;
    entry.next_offset_after = 0;
  }
  unapplied_.push_back(std::move(entry));
  if (header.client != 0) RecordRecent({header.client, header.request_checksum, header.op, base_offset});
  Kick();
  return absl::OkStatus();
}

std::unique_ptr<PartitionLog::Unit> PartitionLog::NewUnit() {
  if (free_units_.empty()) {
    auto unit = std::make_unique<Unit>();
    unit->bytes.reserve(std::min<uint64_t>(options_.group_commit_bytes_max, 1 << 20));
    return unit;
  }
  std::unique_ptr<Unit> unit = std::move(free_units_.back());
  free_units_.pop_back();
  return unit;
}

// Clears a finished unit but keeps its buffers' capacity for the next one.
void PartitionLog::RecycleUnit(std::unique_ptr<Unit> unit) {
  unit->kind = Unit::Kind::kGroup;
  unit->in_flight = false;
  unit->roll.reset();
  unit->bytes.clear();
  unit->index_entries.clear();
  unit->index_bytes.clear();
  unit->acks.clear();
  unit->first_op = unit->last_op = 0;
  if (free_units_.size() < 8) free_units_.push_back(std::move(unit));
}

void PartitionLog::RecordRecent(const RecentRequest& request) {
  recent_.push_back(request);
  while (recent_.size() > options_.recent_requests_max) recent_.pop_front();
}

std::optional<RecentRequest> PartitionLog::FindRecentRequest(absl::uint128 client,
                                                             absl::uint128 request_checksum) const {
  for (size_t i = recent_.size(); i > 0; --i) {
    const RecentRequest& request = recent_[i - 1];
    if (request.client == client && request.request_checksum == request_checksum) return request;
  }
  return std::nullopt;
}

std::vector<RecentRequest> PartitionLog::RecentRequests() const {
  std::vector<RecentRequest> requests;
  for (size_t i = 0; i < recent_.size(); ++i) requests.push_back(recent_[i]);
  return requests;
}

void PartitionLog::Commit(uint64_t op) {
  if (op <= commit_op_) return;
  SLUICE_ASSERT(op <= last_op_, "commit of op ", op, " beyond the last appended op ", last_op_);
  commit_op_ = op;
  if (!units_.empty() && units_.back()->kind == Unit::Kind::kApply && !units_.back()->in_flight) return;
  std::unique_ptr<Unit> unit = NewUnit();
  unit->kind = Unit::Kind::kApply;
  units_.push_back(std::move(unit));
  Kick();
}

void PartitionLog::Kick() {
  if (running_ || units_.empty()) return;
  running_ = true;
  runner_ = RunUnits();  // the previous runner, if any, has finished
  runner_.Start();
}

void PartitionLog::FailStop(const absl::Status& status) {
  if (!failure_.ok()) return;
  failure_ = absl::FailedPreconditionError(absl::StrCat(
      "partition ", directory_, " stopped (fail-stop, rule B1): ", status.message(),
      "; restart the replica so recovery can make its tail durable again"));
}

io::Task<void> PartitionLog::RunUnits() {
  // Waiters woken at the end may append (queueing more units) or drain again:
  // running_ stays true until nothing is left, so Kick() never starts a second
  // runner while this one is still on the stack.
  while (true) {
    co_await RunQueuedUnits();
    drain_waiters_running_.swap(drain_waiters_);
    for (auto& waiter : drain_waiters_running_) waiter(true);
    drain_waiters_running_.clear();
    if (units_.empty() && drain_waiters_.empty()) break;
  }
  running_ = false;
}

io::Task<void> PartitionLog::RunQueuedUnits() {
  while (!units_.empty()) {
    Unit& unit = *units_.front();
    unit.in_flight = true;
    // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
    absl::Status status = failure_;
    if (status.ok()) status = co_await RunUnit(unit);
    if (!status.ok()) {
      FailStop(status);
      for (PendingAck& ack : unit.acks) ack.callback(failure_);
    }
    std::unique_ptr<Unit> finished = std::move(units_.front());
    units_.pop_front();
    RecycleUnit(std::move(finished));
  }
}

io::Task<absl::Status> PartitionLog::RunUnit(Unit& unit) {
  if (unit.kind == Unit::Kind::kApply) co_return co_await ApplyCommitted();
  if (unit.bytes.empty()) co_return absl::OkStatus();  // failed before it ran
  co_return co_await WriteGroup(unit);
}

io::Task<absl::Status> PartitionLog::Drain() {
  if (running_ || !units_.empty()) {
    co_await io::AwaitCompletion<bool>(
        [this](absl::AnyInvocable<void(bool)> done) { drain_waiters_.push_back(std::move(done)); });
  }
  while (readers_ > 0) {
    co_await io::AwaitCompletion<bool>(
        [this](absl::AnyInvocable<void(bool)> done) { reader_waiters_.push_back(std::move(done)); });
  }
  co_return failure_;
}

PartitionLog::ReaderLease::~ReaderLease() {
  if (--log.readers_ > 0 || log.reader_waiters_.empty()) return;
  // The last thing done here: a woken Drain() may destroy the log.
  std::vector<absl::AnyInvocable<void(bool)>> waiters = std::move(log.reader_waiters_);
  log.reader_waiters_.clear();
  for (auto& waiter : waiters) waiter(true);
}

std::optional<uint64_t> PartitionLog::ConsumerOffset(const ConsumerKey& consumer) const {
  const auto found = consumer_offsets_.offsets.find(consumer);
  if (found == consumer_offsets_.offsets.end()) return std::nullopt;
  return found->second;
}

size_t PartitionLog::SegmentForOp(uint64_t op) const {
  size_t index = 0;
  while (index + 1 < segments_.size() && segments_[index + 1]->info.first_op <= op) ++index;
  return index;
}

}  // namespace sluice::partition
