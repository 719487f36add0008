// PartitionLog's part in state sync (rule B15, partition_snapshot.h): the snapshot of
// its anchor, derived when a retention, delete-segments or purge step moves the
// anchor, and closing the log for an install.
#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/partition_log.h"
#include "core/partition/partition_log_internal.h"
#include "core/partition/partition_snapshot.h"

namespace sluice::partition {

absl::uint128 PartitionLog::anchor_parent() const {
  SLUICE_ASSERT(!segments_.empty(), "partition ", directory_, " has no segment");
  return segments_.front()->parent_of_first;
}

io::Task<absl::Status> PartitionLog::Close() {
  CO_RETURN_IF_ERROR(co_await Drain(), "draining ", directory_, " before closing it");
  failure_ = absl::FailedPreconditionError(absl::StrCat("partition ", directory_, " is closed"));
  for (const auto& segment : segments_) {
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->log), "closing a segment of ", directory_);
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage_, segment->index), "closing an index of ", directory_);
  }
  co_return absl::OkStatus();
}

// The snapshot of the new anchor A (the op before segment `count`) is the previous
// anchor's, advanced by the consumer-offset entries of the segments being dropped
// (every one of them committed and applied). A batch carrying messages changes no
// offsets: the index shows it (the next entry's base offset is higher) and it is not
// read. Deterministic: the result depends only on the committed ops <= A.
io::Task<absl::StatusOr<std::optional<EncodedPartitionSnapshot>>> PartitionLog::WriteAnchorSnapshot(size_t count) {
  SLUICE_ASSERT(count >= 1 && count < segments_.size(), "anchor after dropping ", count, " of ", segments_.size(),
                " segments");
  const Segment& kept = *segments_[count];
  const uint64_t previous = segments_.front()->info.first_op - 1;
  PartitionSnapshot snapshot{.op = kept.info.first_op - 1,
                             .op_checksum = kept.parent_of_first,
                             .owner = {.namespace_id = options_.namespace_id,
                                       .incarnation = options_.address.incarnation},
                             .next_offset = kept.info.start_offset,
                             .purge_step = record_.purge_step,
                             .offsets = {}};
  if (previous > 0) {
    // Without the previous anchor's snapshot (a directory from before anchor
    // snapshots) the offsets at or below it are unknown: serve none.
    if (!anchor_snapshot_.has_value() || anchor_snapshot_->op != previous) co_return std::nullopt;
    CO_ASSIGN_OR_RETURN(PartitionSnapshot before, DecodePartitionSnapshot(anchor_snapshot_->bytes),
                        "the snapshot of anchor op ", previous, " of ", directory_);
    snapshot.offsets = std::move(before.offsets);
  }
  for (size_t i = 0; i < count; ++i) {
    const Segment& segment = *segments_[i];
    for (size_t e = 0; e < segment.entries.size(); ++e) {
      const uint64_t next_base =
          e + 1 < segment.entries.size() ? segment.entries[e + 1].base_offset : segments_[i + 1]->info.start_offset;
      if (next_base > segment.entries[e].base_offset) continue;  // a batch with messages
      const uint64_t op = segment.entries[e].op;
      CO_ASSIGN_OR_RETURN(const Bytes frame, co_await ReadEntry(op), "deriving the anchor snapshot");
      CO_ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare, wire::DecodePrepare(frame, options_.cluster), "op ",
                          op, " of ", directory_);
      CO_RETURN_IF_ERROR(ApplyOffsetOperation(snapshot.offsets, prepare.header().operation, prepare.body()), "op ",
                         op, " of ", directory_);
    }
  }
  EncodedPartitionSnapshot encoded = EncodeServedSnapshot(snapshot);
  const std::string path = io::JoinPath(directory_, AnchorSnapshotName(snapshot.op));
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage_, path, encoded.bytes), "writing ", path);
  co_return std::optional<EncodedPartitionSnapshot>(std::move(encoded));
}

}  // namespace sluice::partition
