// PartitionLog's serialized I/O: group commits, segment rolls, state records, and
// applying committed entries (consumer offsets, retention, purge).
#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/entry_body.h"
#include "core/partition/partition_log.h"
#include "core/partition/partition_log_internal.h"

namespace sluice::partition {

io::Task<absl::Status> PartitionLog::WriteStateRecord() {
  StateRecord next = record_;
  next.sequence = record_.sequence + 1;
  next.commit_watermark = std::max(record_.commit_watermark, std::min(commit_op_, durable_op_));
  next.segments.clear();
  for (const auto& segment : segments_) next.segments.push_back(segment->info);
  next.anchor_op = segments_.front()->info.first_op;
  next.anchor_parent = segments_.front()->parent_of_first;
  if (next.promised_op <= durable_op_) next.promised_op = 0;  // the log holds that far again
  CO_RETURN_IF_ERROR(co_await StoreStateRecord(storage_, directory_, next));
  record_ = std::move(next);
  bytes_since_record_ = 0;
  co_return absl::OkStatus();
}

// A roll is crash-safe in this order: the new files exist durably (directory synced)
// before the state record lists them, and entries go in only after that. A crash
// before the record leaves empty stray files, which recovery removes.
io::Task<absl::Status> PartitionLog::Roll(uint64_t first_op, uint64_t start_offset,
                                          absl::uint128 parent_of_first) {
  if (segments_.back()->info.first_op == first_op) co_return absl::OkStatus();  // a purge already rolled
  if (segments_.size() >= kMaxSegments) {
    co_return absl::ResourceExhaustedError(absl::StrCat("partition ", directory_, " has ", kMaxSegments,
                                                        " segments, the most a state record holds"));
  }
  // The sealed segment gives back its reserved index capacity, and its index becomes
  // durable with it, so recovery need not rebuild it.
  segments_.back()->entries.shrink_to_fit();
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, segments_.back()->index), "syncing the index of ",
                     SegmentLogName(segments_.back()->info.first_op));
  auto segment = std::make_unique<Segment>();
  segment->info = {first_op, start_offset};
  segment->parent_of_first = parent_of_first;
  segment->entries.reserve(options_.index_entries_reserved);
  const std::string log_path = io::JoinPath(directory_, SegmentLogName(first_op));
  const std::string index_path = io::JoinPath(directory_, SegmentIndexName(first_op));
  CO_ASSIGN_OR_RETURN(segment->log, co_await io::OpenFile(storage_, log_path, io::OpenMode::kCreateExclusive),
                      "rolling to ", log_path);
  CO_ASSIGN_OR_RETURN(segment->index, co_await io::OpenFile(storage_, index_path, io::OpenMode::kCreateExclusive),
                      "rolling to ", index_path);
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage_, directory_), "syncing ", directory_);
  segments_.push_back(std::move(segment));
  co_return co_await WriteStateRecord();
}

io::Task<absl::Status> PartitionLog::WriteGroup(Unit& unit) {
  if (unit.roll.has_value()) {
    // The chain anchor of the new segment is the checksum of the entry before it.
    CO_RETURN_IF_ERROR(co_await Roll(unit.roll->first_op, unit.roll->start_offset, unit.checksum_before));
  }
  Segment& segment = *segments_.back();
  const uint64_t position = segment.size;
  absl::Status written = co_await io::WriteAt(storage_, segment.log, position, unit.bytes);
  if (!written.ok()) {
    // Not fail-stop: nothing of this group was acknowledged. Put the file back, undo
    // the appended state and fail this group and every group queued behind it
    // (they chain onto it). Appends resume with the same ops once space returns.
    CO_RETURN_IF_ERROR(co_await io::TruncateFile(storage_, segment.log, position),
                       "undoing a failed write to ", SegmentLogName(segment.info.first_op));
    co_return FailGroupsFrom(unit, written);
  }
  Bytes& index_bytes = unit.index_bytes;
  index_bytes.resize(unit.index_entries.size() * kIndexEntrySize);
  for (size_t i = 0; i < unit.index_entries.size(); ++i) {
    unit.index_entries[i].position += position;
    EncodeIndexEntry(unit.index_entries[i], MutableByteSpan(index_bytes).subspan(i * kIndexEntrySize));
  }
  // The index is derived data: a failed index write only means recovery rebuilds it.
  const absl::Status indexed =
      co_await io::WriteAt(storage_, segment.index, segment.entries.size() * kIndexEntrySize, index_bytes);
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, segment.log), "syncing ",
                     SegmentLogName(segment.info.first_op), " (ops ", unit.first_op, "..", unit.last_op, ")");
  segment.size = position + unit.bytes.size();
  segment.entries.insert(segment.entries.end(), unit.index_entries.begin(), unit.index_entries.end());
  if (!indexed.ok()) ++index_write_failures_;
  durable_op_ = unit.last_op;
  bytes_since_record_ += unit.bytes.size();
  for (PendingAck& ack : unit.acks) ack.callback(absl::OkStatus());
  unit.acks.clear();
  if (bytes_since_record_ >= options_.state_checkpoint_bytes) CO_RETURN_IF_ERROR(co_await WriteStateRecord());
  // Ops committed before they were durable here apply now.
  if (commit_op_ > applied_op_) CO_RETURN_IF_ERROR(co_await ApplyCommitted());
  co_return absl::OkStatus();
}

absl::Status PartitionLog::FailGroupsFrom(Unit& failed, const absl::Status& error) {
  last_op_ = failed.first_op - 1;
  last_checksum_ = failed.checksum_before;
  next_offset_ = failed.next_offset_before;
  roll_before_next_ = failed.roll_before_next_before;
  while (!unapplied_.empty() && unapplied_.back().op >= failed.first_op) unapplied_.pop_back();
  while (!recent_.empty() && recent_.back().op >= failed.first_op) recent_.pop_back();
  active_bytes_planned_ = segments_.back()->size;
  const absl::Status reported =
      base::Annotate(error, absl::StrCat("appending op ", failed.first_op, " and the ops queued after it"));
  for (size_t i = 0; i < units_.size(); ++i) {
    Unit* unit = units_[i].get();
    if (unit->kind != Unit::Kind::kGroup || unit->first_op < failed.first_op) continue;
    for (PendingAck& ack : unit->acks) ack.callback(reported);
    unit->acks.clear();
    unit->bytes.clear();
    unit->index_entries.clear();
    unit->roll.reset();
    unit->last_op = 0;
  }
  return absl::OkStatus();
}

}  // namespace sluice::partition

namespace sluice::partition {

io::Task<absl::Status> PartitionLog::ApplyCommitted() {
  while (!unapplied_.empty() && unapplied_.front().op <= commit_op_ && unapplied_.front().op <= durable_op_) {
    const UncommittedEntry entry = std::move(unapplied_.front());
    unapplied_.pop_front();
    CO_RETURN_IF_ERROR(co_await ApplyEntry(entry), "applying op ", entry.op);
    applied_op_ = entry.op;
  }
  co_return absl::OkStatus();
}

io::Task<absl::Status> PartitionLog::ApplyEntry(const UncommittedEntry& entry) {
  switch (entry.operation) {
    case wire::Operation::kSendMessages:
      committed_next_offset_ = entry.next_offset_after;
      co_return absl::OkStatus();
    case wire::Operation::kStoreConsumerOffset: {
      // Offsets already reflect this op (a checkpoint ahead of the log, whose missing
      // entries come back by repair): applying it again would roll a later store back.
      if (entry.op <= consumer_offsets_.applied_op) co_return absl::OkStatus();
      CO_ASSIGN_OR_RETURN(const StoreOffsetBody body, DecodeStoreOffset(entry.small_body));
      consumer_offsets_.offsets[body.consumer] = body.offset;
      consumer_offsets_.applied_op = entry.op;
      co_return absl::OkStatus();
    }
    case wire::Operation::kDeleteConsumerOffset: {
      if (entry.op <= consumer_offsets_.applied_op) co_return absl::OkStatus();  // as above
      CO_ASSIGN_OR_RETURN(const ConsumerKey key, DecodeDeleteOffset(entry.small_body));
      consumer_offsets_.offsets.erase(key);
      consumer_offsets_.applied_op = entry.op;
      co_return absl::OkStatus();
    }
    case wire::Operation::kPartitionRetention:
    case wire::Operation::kPartitionDeleteSegments:
    case wire::Operation::kPartitionPurge:
      co_return co_await ApplySegmentStep(entry);
    default:
      co_return absl::InvalidArgumentError(
          absl::StrCat("operation ", wire::OperationName(entry.operation), " is not a partition operation"));
  }
}

// Applies a retention, delete-segments or purge step. A purge empties the partition:
// the log continues in a segment that starts at offset 0 (the entry after the purge
// opens it; if none was appended yet, it is opened now), every older segment is
// dropped, and consumer offsets are cleared.
io::Task<absl::Status> PartitionLog::ApplySegmentStep(const UncommittedEntry& entry) {
  if (entry.operation == wire::Operation::kPartitionPurge) {
    committed_next_offset_ = 0;
    if (entry.op > consumer_offsets_.applied_op) {  // else the offsets already reflect it
      consumer_offsets_.offsets.clear();
      consumer_offsets_.applied_op = entry.op;
    }
  }
  co_return co_await DropSegmentsFor(entry.op, entry.operation, entry.checksum, entry.small_body);
}

// The segment-dropping part of a step, idempotent so recovery can re-apply a step a
// crash interrupted: the cutoff is an op, never a count.
io::Task<absl::Status> PartitionLog::DropSegmentsFor(uint64_t op, wire::Operation operation,
                                                      absl::uint128 checksum, ByteSpan body) {
  uint64_t cutoff = op + 1;
  if (operation == wire::Operation::kPartitionPurge) {
    CO_ASSIGN_OR_RETURN(const uint64_t step, DecodePurge(body), "op ", op);
    if (segments_.back()->info.first_op <= op) {
      CO_RETURN_IF_ERROR(co_await Roll(op + 1, 0, checksum));
      active_bytes_planned_ = 0;
    }
    // The step is recorded with the drop below (or on its own when nothing is left to
    // drop): only then is the purge done, and a step found recorded is never redone.
    if (record_.purge_step < step) {
      record_.purge_step = step;
      if (SegmentsBelow(cutoff) == 0) CO_RETURN_IF_ERROR(co_await WriteStateRecord());
    }
  } else {
    CO_ASSIGN_OR_RETURN(cutoff, DecodeRetention(body), "op ", op);
    cutoff = std::min(cutoff, op);
  }
  co_return co_await DropSealedSegments(SegmentsBelow(cutoff), op);
}

// How many leading segments hold only ops below `op` (and are sealed: the segment
// holding `op` or any later op is never counted). Retention at op X therefore never
// drops an entry that is not yet applied.
size_t PartitionLog::SegmentsBelow(uint64_t op) const {
  size_t count = 0;
  while (count + 1 < segments_.size() && segments_[count + 1]->info.first_op <= op) ++count;
  return count;
}

io::Task<absl::Status> PartitionLog::CheckpointConsumerOffsets() {
  const Bytes encoded = EncodeConsumerOffsets(
      consumer_offsets_, {.namespace_id = options_.namespace_id, .incarnation = options_.address.incarnation});
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(
      storage_, io::JoinPath(directory_, kConsumerOffsetsName), encoded));
  co_return absl::OkStatus();
}

// Retention in a crash-safe order: the snapshot of the new anchor (state sync, B15:
// partition_snapshot.h), then checkpoint the consumer offsets (the dropped segments
// may hold their stores; the checkpoint reflects every op up to the applying one, so
// it is never older than the new anchor), then the state record without the
// segments (the new chain anchor with it), then unlink the files and the previous
// anchor's snapshot and sync the directory. A crash after the record leaves stray
// files that recovery removes.
io::Task<absl::Status> PartitionLog::DropSealedSegments(size_t count, uint64_t applying_op) {
  if (count == 0) co_return absl::OkStatus();
  SLUICE_ASSERT(count < segments_.size(), "retention would drop the active segment");
  SLUICE_ASSERT(segments_[count]->info.first_op <= applying_op + 1,
                "retention at op ", applying_op, " would drop later ops");
  CO_ASSIGN_OR_RETURN(std::optional<EncodedPartitionSnapshot> anchor, co_await WriteAnchorSnapshot(count));
  const uint64_t previous_anchor = segments_.front()->info.first_op - 1;
  consumer_offsets_.applied_op = std::max(consumer_offsets_.applied_op, applying_op);
  CO_RETURN_IF_ERROR(co_await CheckpointConsumerOffsets());
  std::vector<std::unique_ptr<Segment>> dropped;
  for (size_t i = 0; i < count; ++i) dropped.push_back(std::move(segments_[i]));
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(count));
  CO_RETURN_IF_ERROR(co_await WriteStateRecord());
  anchor_snapshot_ = std::move(anchor);
  if (previous_anchor > 0) {
    const absl::Status removed =
        co_await io::UnlinkFile(storage_, io::JoinPath(directory_, AnchorSnapshotName(previous_anchor)));
    if (!removed.ok() && !io::IsEnoent(removed)) co_return removed;
  }
  for (const auto& segment : dropped) {
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->log));
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->index));
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage_, io::JoinPath(directory_, SegmentLogName(segment->info.first_op))));
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage_, io::JoinPath(directory_, SegmentIndexName(segment->info.first_op))));
  }
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage_, directory_));
  co_return absl::OkStatus();
}

}  // namespace sluice::partition
