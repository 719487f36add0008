// PartitionLog's read path (committed data only) and the truncation of an
// uncommitted suffix.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/io/storage_ops.h"
#include "core/partition/partition_log.h"
#include "core/partition/partition_log_internal.h"
#include "core/wire/batch.h"
#include "core/wire/prepare_batch.h"

namespace sluice::partition {

io::Task<absl::StatusOr<Bytes>> PartitionLog::ReadEntry(uint64_t op) {
  const ReaderLease lease(*this);
  if (segments_.empty() || op < segments_.front()->info.first_op || op > last_op_) {
    co_return absl::NotFoundError(absl::StrCat("op ", op, " is not in ", directory_));
  }
  const Segment& segment = *segments_[SegmentForOp(op)];
  const uint64_t index = op - segment.info.first_op;
  if (index >= segment.entries.size()) {
    co_return absl::UnavailableError(absl::StrCat("op ", op, " is not yet written to ", directory_));
  }
  // Copies, not references: retention or a purge may drop the segment while the read
  // is in flight (the read then fails, and its error still names the file).
  const io::FileHandle file = segment.log;
  const uint64_t first_op = segment.info.first_op;
  const uint64_t position = segment.entries[index].position;
  const uint64_t end = index + 1 < segment.entries.size() ? segment.entries[index + 1].position : segment.size;
  Bytes frame(end - position);
  CO_RETURN_IF_ERROR(co_await io::ReadExactly(storage_, file, position, MutableByteSpan(frame)),
                     "reading op ", op, " at offset ", position, " of ",
                     io::JoinPath(directory_, SegmentLogName(first_op)));
  co_return frame;
}

io::Task<absl::StatusOr<PollResult>> PartitionLog::PollByOffset(uint64_t start_offset, uint32_t count) {
  if (count == 0 || start_offset >= committed_next_offset_) co_return PollResult{{}, 0, CommittedOffset()};
  // The segment holding the offset: the last one (up to the commit point) starting at or below it.
  size_t segment = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i]->info.first_op > commit_op_ || segments_[i]->entries.empty()) break;
    if (segments_[i]->info.start_offset <= start_offset) segment = i;
  }
  const std::vector<IndexEntry>& entries = segments_[segment]->entries;
  // The last entry whose base offset is at or below the start.
  auto it = std::upper_bound(entries.begin(), entries.end(), start_offset,
                             [](uint64_t offset, const IndexEntry& entry) { return offset < entry.base_offset; });
  const size_t entry = it == entries.begin() ? 0 : static_cast<size_t>(it - entries.begin()) - 1;
  co_return co_await PollFrom(segment, entry, start_offset, count);
}

io::Task<absl::StatusOr<PollResult>> PartitionLog::PollByTimestamp(uint64_t timestamp, uint32_t count) {
  for (size_t segment = 0; segment < segments_.size(); ++segment) {
    const std::vector<IndexEntry>& entries = segments_[segment]->entries;
    auto it = std::lower_bound(entries.begin(), entries.end(), timestamp,
                               [](const IndexEntry& entry, uint64_t value) { return entry.timestamp < value; });
    if (it == entries.end()) continue;
    if (it->op > commit_op_) break;
    co_return co_await PollFrom(segment, static_cast<size_t>(it - entries.begin()), it->base_offset, count);
  }
  co_return PollResult{{}, 0, CommittedOffset()};
}

std::vector<SegmentSummary> PartitionLog::SegmentSummaries() const {
  std::vector<SegmentSummary> summaries;
  summaries.reserve(segments_.size());
  for (const auto& segment : segments_) {
    summaries.push_back({.first_op = segment->info.first_op,
                         .last_op = segment->last_op(),
                         .start_offset = segment->info.start_offset,
                         .size_bytes = segment->size,
                         .last_timestamp_us = segment->entries.empty() ? 0 : segment->entries.back().timestamp});
  }
  return summaries;
}

io::Task<absl::StatusOr<PollResult>> PartitionLog::PollFirst(uint32_t count) {
  co_return co_await PollByOffset(segments_.front()->info.start_offset, count);
}

io::Task<absl::StatusOr<PollResult>> PartitionLog::PollLast(uint32_t count) {
  const uint64_t end = committed_next_offset_;
  co_return co_await PollByOffset(end > count ? end - count : 0, count);
}

io::Task<absl::StatusOr<PollResult>> PartitionLog::PollNext(const ConsumerKey& consumer, uint32_t count) {
  const std::optional<uint64_t> stored = ConsumerOffset(consumer);
  co_return co_await PollByOffset(stored.has_value() ? *stored + 1 : 0, count);
}

std::optional<uint64_t> PartitionLog::CommittedOffset() const {
  if (committed_next_offset_ == 0) return std::nullopt;
  return committed_next_offset_ - 1;
}

// Reads entries from (segment, entry) on, keeping committed messages with offsets in
// [start_offset, start_offset + count). Every entry read is verified (a corrupt read
// is an error to this reader, never a crash). Retention or a purge may drop segments
// while a read is in flight, shifting the vector under an index: the position is
// found again by op after every read, and a poll whose next entry was dropped ends
// with what it has (contiguous; the reader's next poll starts at the oldest retained
// offset).
io::Task<absl::StatusOr<PollResult>> PartitionLog::PollFrom(size_t segment, size_t entry, uint64_t start_offset,
                                                            uint32_t count) {
  const ReaderLease lease(*this);
  PollResult result;
  result.committed_offset = CommittedOffset();
  const uint64_t end_offset = std::min<uint64_t>(committed_next_offset_, start_offset + count);
  std::optional<uint64_t> resume_op;  // set after a read: the next op to look at
  while (result.message_count < count) {
    if (resume_op.has_value()) {
      if (segments_.empty() || *resume_op < segments_.front()->info.first_op) break;  // dropped meanwhile
      segment = SegmentForOp(*resume_op);
      entry = static_cast<size_t>(*resume_op - segments_[segment]->info.first_op);
      resume_op.reset();
    }
    if (segment >= segments_.size()) break;
    const Segment& current = *segments_[segment];
    if (entry >= current.entries.size()) {
      ++segment;
      entry = 0;
      continue;
    }
    const IndexEntry index = current.entries[entry++];
    if (index.op > commit_op_ || index.base_offset >= end_offset) break;
    resume_op = index.op + 1;
    absl::StatusOr<Bytes> frame = co_await ReadEntry(index.op);
    if (!frame.ok() && (segments_.empty() || index.op < segments_.front()->info.first_op)) break;
    if (!frame.ok()) co_return frame.status();
    CO_ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare, wire::DecodePrepare(*frame, options_.cluster),
                        "op ", index.op, " of ", directory_);
    if (prepare.header().operation != wire::Operation::kSendMessages) continue;
    const wire::ValidatedBatch batch = wire::BatchOfPrepare(prepare);
    const uint64_t first = std::max(start_offset, batch.base_offset());
    const uint64_t last = std::min<uint64_t>(end_offset, batch.base_offset() + batch.message_count());
    if (first >= last) continue;
    PolledBatch polled;
    polled.first_message = static_cast<uint32_t>(first - batch.base_offset());
    polled.message_count = static_cast<uint32_t>(last - first);
    polled.batch.assign(prepare.body().begin(), prepare.body().end());
    result.message_count += polled.message_count;
    result.batches.push_back(std::move(polled));
  }
  co_return result;
}

// Drops the uncommitted suffix after `op`. Crash-safe: the state record first names
// the new end (log_end_op) and drops later segments, so recovery cuts whatever of
// the suffix a crash leaves behind; then the files follow.
io::Task<absl::Status> PartitionLog::TruncateAfter(uint64_t op) {
  CO_RETURN_IF_ERROR(co_await Drain());
  // VSR discards whatever lies above op: a promise above it (state_record.h) goes too.
  if (op >= last_op_) {
    if (record_.promised_op > op) {
      record_.promised_op = 0;
      CO_RETURN_IF_ERROR(co_await WriteStateRecord());
    }
    co_return absl::OkStatus();
  }
  if (op < commit_op_) {
    co_return absl::FailedPreconditionError(absl::StrCat("truncating after op ", op, " would drop committed op ",
                                                         commit_op_, " of ", directory_));
  }
  if (op + 1 < segments_.front()->info.first_op) {
    co_return absl::FailedPreconditionError(absl::StrCat("op ", op, " is older than the retained log of ", directory_));
  }
  // What the appended state becomes: read from the entry `op` itself.
  std::optional<wire::PrepareHeader> kept_header;
  absl::uint128 kept_checksum = segments_.front()->parent_of_first;
  uint64_t next_offset = segments_.front()->info.start_offset;
  if (op >= segments_.front()->info.first_op) {
    CO_ASSIGN_OR_RETURN(const Bytes frame, co_await ReadEntry(op));
    CO_ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare, wire::DecodePrepare(frame, options_.cluster));
    kept_header = prepare.header();
    kept_checksum = prepare.checksum();
    const Segment& holder = *segments_[SegmentForOp(op)];
    next_offset = holder.entries[op - holder.info.first_op].base_offset;
    if (kept_header->operation == wire::Operation::kSendMessages) {
      next_offset += wire::BatchOfPrepare(prepare).message_count();
    }
  }
  // From here the suffix is no longer promised: VSR truncates only under a durable log
  // view whose canonical log excludes it, so a crash before this truncation finishes
  // may leave the suffix on disk or not — either is safe, and durable_op() already
  // says what this replica still vouches for.
  durable_op_ = std::min(durable_op_, op);
  const size_t keep = SegmentForOp(op);
  std::vector<std::unique_ptr<Segment>> dropped;
  while (segments_.size() > keep + 1) {
    dropped.push_back(std::move(segments_.back()));
    segments_.pop_back();
  }
  record_.log_end_op = op;
  if (record_.promised_op > op) record_.promised_op = 0;
  CO_RETURN_IF_ERROR(co_await WriteStateRecord());
  Segment& active = *segments_.back();
  const uint64_t kept_entries = op + 1 - active.info.first_op;
  if (kept_entries < active.entries.size()) {
    active.size = active.entries[kept_entries].position;
    active.entries.resize(kept_entries);
  }
  CO_RETURN_IF_ERROR(co_await io::TruncateFile(storage_, active.log, active.size));
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, active.log), "syncing the truncated log");
  CO_RETURN_IF_ERROR(co_await io::TruncateFile(storage_, active.index, kept_entries * kIndexEntrySize));
  for (const auto& segment : dropped) {
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->log));
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->index));
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage_, io::JoinPath(directory_, SegmentLogName(segment->info.first_op))));
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage_, io::JoinPath(directory_, SegmentIndexName(segment->info.first_op))));
  }
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage_, directory_));
  last_op_ = op;
  last_checksum_ = kept_checksum;
  next_offset_ = next_offset;
  roll_before_next_ = kept_header.has_value() && kept_header->operation == wire::Operation::kPartitionPurge;
  if (roll_before_next_) next_offset_ = roll_start_offset_ = 0;
  active_bytes_planned_ = active.size;
  while (!unapplied_.empty() && unapplied_.back().op > op) unapplied_.pop_back();
  while (!recent_.empty() && recent_.back().op > op) recent_.pop_back();
  // Both slots: the other one still names the truncation point, and if the slot just
  // written were later lost (a flipped bit), recovery would fall back to it and cut
  // the entries appended above op since, which this replica may have acknowledged
  // (rule B7: a replica never forgets its promises).
  record_.log_end_op = kNoLogEnd;
  CO_RETURN_IF_ERROR(co_await WriteStateRecord());
  CO_RETURN_IF_ERROR(co_await WriteStateRecord());
  co_return absl::OkStatus();
}

}  // namespace sluice::partition
