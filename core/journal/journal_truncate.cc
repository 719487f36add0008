// Journal::TruncateAfter: dropping an uncommitted suffix durably.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/io/storage_ops.h"
#include "core/journal/concurrent_writes.h"
#include "core/journal/journal.h"
#include "core/wire/header.h"

namespace sluice::journal {

// Zeroes the header copy and the prepare's header of ops first..last, then syncs:
// recovery then reads those slots as empty. Zeroing 256 bytes per prepare is enough
// because a prepare is only believed through its header checksum.
io::Task<absl::Status> Journal::ClearSlots(uint64_t first_op, uint64_t last_op) {
  const Bytes zeros(wire::kHeaderSize * (last_op - first_op + 1), 0);
  std::vector<WriteRequest> writes;
  uint64_t run_first = first_op;
  for (uint64_t op = first_op; op <= last_op; ++op) {
    const uint64_t slot = layout_.SlotOf(op);
    writes.push_back({layout_.PrepareOffset(slot), ByteSpan(zeros).first(wire::kHeaderSize)});
    if (op == last_op || layout_.SlotOf(op + 1) == 0) {
      const uint64_t run_slots = op - run_first + 1;
      writes.push_back({layout_.HeaderOffset(layout_.SlotOf(run_first)),
                        ByteSpan(zeros).first(run_slots * wire::kHeaderSize)});
      run_first = op + 1;
    }
  }
  CO_RETURN_IF_ERROR(co_await WriteAll(storage_, file_, std::move(writes)), "clearing ops ",
                     first_op, "..", last_op, " of ", kJournalPath);
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, file_), "syncing ", kJournalPath,
                     " after clearing ops ", first_op, "..", last_op);
  co_return absl::OkStatus();
}

io::Task<absl::Status> Journal::TruncateAfter(uint64_t op, uint64_t commit_watermark) {
  CO_RETURN_IF_ERROR(co_await Drain());
  if (op < commit_watermark || op < checkpoint_op_) {
    co_return absl::FailedPreconditionError(absl::StrCat(
        "truncating ", kJournalPath, " after op ", op, " would drop op ", op + 1,
        ", at or below the commit watermark op ", std::max(commit_watermark, checkpoint_op_),
        ": committed ops are never truncated"));
  }
  const uint64_t end = std::max(last_op_, extent_op_);
  if (op >= end) co_return absl::OkStatus();
  const std::optional<absl::uint128> kept_checksum = ChecksumOf(std::min(op, last_op_));
  if (!kept_checksum.has_value()) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("op ", op, " is no longer in the WAL ring"));
  }
  // The suffix is no longer promised from here, whether or not a crash lets the clear
  // finish: VSR truncates only under a durable log view whose log excludes it.
  durable_op_ = std::min(durable_op_, op);
  truncating_ = true;
  const absl::Status cleared = co_await ClearSlots(op + 1, end);
  truncating_ = false;
  if (!cleared.ok()) {
    // Some clears may have landed and the sync may have failed: fail-stop (B1).
    FailStop(cleared);
    co_return cleared;
  }
  on_disk_above_.erase(on_disk_above_.upper_bound(op), on_disk_above_.end());
  for (uint64_t dropped = op + 1; dropped <= end; ++dropped) {
    slots_[layout_.SlotOf(dropped)].known = false;
  }
  last_op_ = std::min(op, last_op_);
  last_checksum_ = *kept_checksum;
  durable_op_ = std::min(durable_op_, last_op_);
  extent_op_ = last_op_;
  co_return absl::OkStatus();
}

}  // namespace sluice::journal
