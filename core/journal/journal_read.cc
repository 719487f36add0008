// Journal::ReadEntry: a durable op's prepare, read back and verified.
#include "absl/strings/str_cat.h"
#include "core/io/storage_ops.h"
#include "core/journal/entry_copy.h"
#include "core/journal/journal.h"

namespace sluice::journal {

io::Task<absl::StatusOr<Bytes>> Journal::ReadEntry(uint64_t op) {
  if (op == 0 || op > last_op_) {
    co_return absl::NotFoundError(
        absl::StrCat("op ", op, " is not in ", kJournalPath, " (last op ", last_op_, ")"));
  }
  if (op > durable_op_) {
    co_return absl::UnavailableError(absl::StrCat("op ", op, " is appended but not yet durable"));
  }
  const uint64_t slot = layout_.SlotOf(op);
  if (last_op_ - op >= options_.slot_count) {
    co_return absl::NotFoundError(absl::StrCat(
        "op ", op, " was overwritten: ", layout_.DescribeSlot(slot), " holds a later op"));
  }
  Bytes buffer(options_.message_size_max);
  CO_RETURN_IF_ERROR(co_await io::ReadExactly(storage_, file_, layout_.PrepareOffset(slot),
                                              MutableByteSpan(buffer)),
                     "reading op ", op, " from ", kJournalPath, " ", layout_.DescribeSlot(slot));
  Bytes frame;
  const EntryCopy copy = DecodePrepareCopy(buffer, slot, options_, frame);
  if (copy.state != CopyState::kValid) {
    co_return absl::DataLossError(
        absl::StrCat(kJournalPath, ": op ", op, " in ", layout_.DescribeSlot(slot),
                     " is unreadable: ", copy.state == CopyState::kZero ? "zero" : copy.problem));
  }
  if (copy.header.op != op) {
    co_return absl::NotFoundError(
        absl::StrCat(layout_.DescribeSlot(slot), " holds op ", copy.header.op, ", not op ", op));
  }
  const std::optional<absl::uint128> expected = ChecksumOf(op);
  if (expected.has_value() && *expected != copy.checksum) {
    co_return absl::DataLossError(
        absl::StrCat(kJournalPath, ": ", layout_.DescribeSlot(slot), " holds op ", op,
                     " with checksum ", Hex128(copy.checksum), ", expected ", Hex128(*expected)));
  }
  co_return frame;
}

}  // namespace sluice::journal
