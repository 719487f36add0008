// Journal: construction, Append's checks and grouping, checkpoints (rule B8).
#include "core/journal/journal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"
#include "core/io/storage_ops.h"
#include "core/journal/entry_copy.h"
#include "core/journal/journal_internal.h"
#include "core/wire/header.h"

namespace sluice::journal {

Journal::Journal(io::Storage& storage, const JournalOptions& options, io::FileHandle file)
    : storage_(storage),
      options_(options),
      layout_(options),
      file_(file),
      slots_(options.slot_count) {}

Journal::~Journal() = default;

absl::Status Journal::CheckAppendable(ByteSpan frame, uint64_t op, absl::uint128 parent) const {
  if (op != last_op_ + 1) {
    return absl::InvalidArgumentError(absl::StrCat("append of op ", op, " after op ", last_op_));
  }
  if (parent != last_checksum_) {
    return absl::InvalidArgumentError(
        absl::StrCat("append of op ", op, " breaks the hash chain: parent ", Hex128(parent),
                     ", last checksum ", Hex128(last_checksum_)));
  }
  if (frame.size() > options_.message_size_max) {
    return absl::InvalidArgumentError(absl::StrCat("prepare of op ", op, " is ", frame.size(),
                                                   " bytes, more than message_size_max ",
                                                   options_.message_size_max));
  }
  // Recovery validates a slot's header copy exactly like this: an entry it would
  // reject must never be acknowledged.
  const EntryCopy copy =
      DecodeHeaderCopy(frame.first(wire::kHeaderSize), layout_.SlotOf(op), options_);
  if (copy.state != CopyState::kValid) {
    return absl::InvalidArgumentError(
        absl::StrCat("prepare of op ", op, " is not a metadata WAL entry: ", copy.problem));
  }
  if (op > options_.slot_count && op - options_.slot_count > checkpoint_op_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("appending op ", op, ": the WAL ring would overwrite op ",
                     op - options_.slot_count, ", which checkpoint op ", checkpoint_op_,
                     " does not cover; take a checkpoint first (rule B8)"));
  }
  return absl::OkStatus();
}

Journal::Group& Journal::OpenGroup() {
  if (!groups_.empty()) {
    Group& last = *groups_.back();
    if (!last.in_flight && !last.failed && !last.adopted) return last;
  }
  auto group = std::make_unique<Group>();
  group->first_op = last_op_ + 1;
  group->checksum_before = last_checksum_;
  groups_.push_back(std::move(group));
  return *groups_.back();
}

absl::Status Journal::Append(ByteSpan frame, DurableCallback on_durable) {
  if (!failure_.ok()) return failure_;
  if (closed_) return absl::FailedPreconditionError("the metadata WAL is closed");
  if (truncating_) {
    return absl::UnavailableError("the metadata WAL is truncating; append after it completes");
  }
  ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare,
                   wire::DecodePrepare(frame, options_.cluster));
  const uint64_t op = prepare.header().op;
  RETURN_IF_ERROR(CheckAppendable(frame, op, prepare.header().parent));
  Group& group = OpenGroup();
  group.frames.emplace_back(frame.begin(), frame.end());
  group.acks.push_back(std::move(on_durable));
  group.last_op = op;
  slots_[layout_.SlotOf(op)] = SlotEntry{op, prepare.checksum(), true};
  last_op_ = op;
  last_checksum_ = prepare.checksum();
  extent_op_ = std::max(extent_op_, op);
  AdoptEntriesAbove(group);
  on_disk_above_.erase(on_disk_above_.lower_bound(op), on_disk_above_.end());
  Kick();
  return absl::OkStatus();
}

// A repair appends the faulty op recovery found beyond the chain's end with the
// checksum recovery saw for it (its header copy, or the parent of the whole entry
// above it): the chain then carries on through the whole entries above it, as a
// restart would find it. They are this replica's promises (it may have acknowledged
// them, rule B7) and may be the only copies of committed ops; recovery rewrote and
// synced them (B1), so they are durable once the group's write of the repaired op is.
void Journal::AdoptEntriesAbove(Group& group) {
  const auto found = on_disk_above_.find(last_op_);
  if (found == on_disk_above_.end() || found->second.checksum != last_checksum_) return;
  for (auto next = std::next(found);
       next != on_disk_above_.end() && next->first == last_op_ + 1 && next->second.whole; ++next) {
    last_op_ = next->first;
    last_checksum_ = next->second.checksum;
    slots_[layout_.SlotOf(last_op_)] = SlotEntry{last_op_, last_checksum_, true};
    group.last_op = last_op_;
    group.adopted = true;
  }
  SLUICE_ASSERT(last_op_ <= extent_op_, "adopted op ", last_op_, " above the extent op ", extent_op_);
}

std::optional<absl::uint128> Journal::ChecksumOf(uint64_t op) const {
  if (op == checkpoint_op_) return checkpoint_checksum_;
  const SlotEntry& entry = slots_[layout_.SlotOf(op)];
  if (!entry.known || entry.op != op) return std::nullopt;
  return entry.checksum;
}

absl::Status Journal::SetCheckpoint(uint64_t op) {
  if (op < checkpoint_op_ || op > last_op_) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint op ", op,
                                                   " outside [current checkpoint op ",
                                                   checkpoint_op_, ", last op ", last_op_, "]"));
  }
  const std::optional<absl::uint128> checksum = ChecksumOf(op);
  if (!checksum.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint op ", op, " is no longer in the WAL ring"));
  }
  checkpoint_op_ = op;
  checkpoint_checksum_ = *checksum;
  return absl::OkStatus();
}

io::Task<absl::Status> Journal::InstallCheckpoint(uint64_t op, absl::uint128 checksum) {
  if (op <= checkpoint_op_) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("installing checkpoint op ", op, " at or below checkpoint op ", checkpoint_op_));
  }
  if (running_ || !groups_.empty() || truncating_) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("installing checkpoint op ", op, " while appends or a truncation are in flight"));
  }
  if (!failure_.ok()) co_return failure_;
  const bool linked = op <= last_op_ && ChecksumOf(op) == std::optional<absl::uint128>(checksum);
  checkpoint_op_ = op;
  checkpoint_checksum_ = checksum;
  if (linked) co_return absl::OkStatus();
  // What this process holds above op does not continue the peer's chain: the chain
  // restarts at the installed checkpoint (recovery sees the same: the ops on disk
  // above it do not link to its checksum) ...
  last_op_ = op;
  last_checksum_ = checksum;
  const auto found = on_disk_above_.find(op);
  if (found != on_disk_above_.end() && found->second.checksum == checksum) {
    // ... unless recovery found op on its verified chain (beyond a gap the snapshot
    // now covers) with whole entries linking above it, which it rewrote and synced
    // (rule B1): the chain goes on through them, as it would after a restart
    // anchored at this checkpoint.
    for (auto next = std::next(found);
         next != on_disk_above_.end() && next->first == last_op_ + 1 && next->second.whole; ++next) {
      last_op_ = next->first;
      last_checksum_ = next->second.checksum;
      slots_[layout_.SlotOf(last_op_)] = SlotEntry{last_op_, last_checksum_, true};
    }
  }
  on_disk_above_.clear();
  durable_op_ = last_op_;  // the snapshot covers op; recovery synced the entries above it
  // The ring's slots now stand for ops op+1 .. op+slot_count. Those above extent_op_
  // were never written as those ops: they hold bytes of ops the snapshot covers — the
  // log this replica jumped over, including entries it never repaired (a torn or
  // corrupt copy). Recovery would read such a damaged slot as a torn write of the op
  // it now stands for, a write this replica may have acknowledged (slot_verdict.h),
  // and could then never nack it, though no replica ever prepared it. So they are
  // cleared (one sync), as a truncation clears; the slots at or below extent_op_
  // keep the faulty entries this replica may have acknowledged above op. A crash
  // before the clearing is synced leaves them as they were.
  const uint64_t first_cleared = std::max(extent_op_, op) + 1;
  const uint64_t last_cleared = op + options_.slot_count;
  extent_op_ = std::max(extent_op_, op);
  if (first_cleared > last_cleared) co_return absl::OkStatus();
  truncating_ = true;  // appends wait (Unavailable) until the slots are clear
  const absl::Status cleared = co_await ClearSlots(first_cleared, last_cleared);
  truncating_ = false;
  if (!cleared.ok()) {
    FailStop(cleared);  // some clears may have landed and the sync may have failed (B1)
    co_return cleared;
  }
  for (uint64_t dropped = first_cleared; dropped <= last_cleared; ++dropped) {
    slots_[layout_.SlotOf(dropped)].known = false;
  }
  co_return absl::OkStatus();
}

uint64_t Journal::ops_until_checkpoint_needed() const {
  return checkpoint_op_ + options_.slot_count - last_op_;
}

io::Task<absl::Status> Journal::Drain() {
  if (!running_ && groups_.empty()) co_return failure_;
  co_await io::CompletionAwaiter<bool>([this](absl::AnyInvocable<void(bool)> done) {
    drain_waiters_.push_back([done = std::move(done)]() mutable { done(true); });
  });
  co_return failure_;
}

io::Task<absl::Status> Journal::Close() {
  const absl::Status drained = co_await Drain();
  closed_ = true;
  const absl::Status closed = co_await io::CloseFile(storage_, file_);
  CO_RETURN_IF_ERROR(drained);
  CO_RETURN_IF_ERROR(closed, "closing ", kJournalPath);
  co_return absl::OkStatus();
}

}  // namespace sluice::journal
