// Journal's group commits and its failure policy (rule B1).
#include "absl/strings/str_cat.h"
#include "core/io/storage_ops.h"
#include "core/journal/concurrent_writes.h"
#include "core/journal/journal.h"
#include "core/journal/journal_internal.h"
#include "core/wire/header.h"

namespace sluice::journal {

void Journal::Kick() {
  if (running_ || groups_.empty()) return;
  running_ = true;
  io::Spawn(RunGroups(), [] {});
}

void Journal::FailStop(const absl::Status& cause) {
  if (!failure_.ok()) return;
  failure_ = absl::FailedPreconditionError(
      absl::StrCat(kJournalPath, " stopped (fail-stop, rule B1): ", cause.message(),
                   "; restart the replica so recovery can make the WAL's tail durable again"));
}

io::Task<void> Journal::RunGroups() {
  while (!groups_.empty()) {
    Group& group = *groups_.front();
    group.in_flight = true;
    // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
    absl::Status status = failure_;
    if (status.ok() && !group.failed) status = co_await WriteGroup(group);
    if (!status.ok()) {
      FailStop(status);
      // The group whose sync failed learns the cause (e.g. EIO); later ones the stop.
      for (DurableCallback& ack : group.acks) ack(status);
      group.acks.clear();
    }
    groups_.pop_front();
  }
  running_ = false;
  std::vector<absl::AnyInvocable<void()>> waiters = std::move(drain_waiters_);
  drain_waiters_.clear();
  for (auto& waiter : waiters) waiter();
}

// Writes every prepare of the group into its slot and the redundant headers (one
// write per run of consecutive slots, two when the group wraps), then syncs once.
io::Task<absl::Status> Journal::WriteGroup(Group& group) {
  std::vector<Bytes> header_runs;
  std::vector<WriteRequest> writes;
  uint64_t run_first_slot = layout_.SlotOf(group.first_op);
  for (size_t i = 0; i < group.frames.size(); ++i) {
    const uint64_t slot = layout_.SlotOf(group.first_op + i);
    writes.push_back({layout_.PrepareOffset(slot), group.frames[i]});
    if (i == 0 || slot == 0) {
      header_runs.emplace_back();
      run_first_slot = slot;
    }
    header_runs.back().insert(header_runs.back().end(), group.frames[i].begin(),
                              group.frames[i].begin() + wire::kHeaderSize);
    if (i + 1 == group.frames.size() || layout_.SlotOf(group.first_op + i + 1) == 0) {
      writes.push_back({layout_.HeaderOffset(run_first_slot), header_runs.back()});
    }
  }
  const absl::Status written = co_await WriteAll(storage_, file_, std::move(writes));
  if (!written.ok()) {
    // Not fail-stop: nothing of this group was acknowledged, and the slots it may
    // have half-written held only ops the checkpoint covers (rule B8).
    // A group that adopted entries above its frames is fail-stop: failing it would
    // forget them, and they may be acknowledged promises (a restart finds them again).
    if (group.adopted) co_return written;
    FailGroupsFrom(group, written);
    co_return absl::OkStatus();
  }
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, file_), "syncing ", kJournalPath, " (ops ",
                     group.first_op, "..", group.last_op, ")");
  durable_op_ = group.last_op;
  for (DurableCallback& ack : group.acks) ack(absl::OkStatus());
  group.acks.clear();
  co_return absl::OkStatus();
}

void Journal::FailGroupsFrom(const Group& failed, const absl::Status& error) {
  const absl::Status reported = base::Annotate(
      error, absl::StrCat("appending op ", failed.first_op, " and the ops queued after it"));
  for (uint64_t op = failed.first_op; op <= last_op_; ++op) {
    slots_[layout_.SlotOf(op)].known = false;
  }
  last_op_ = failed.first_op - 1;
  last_checksum_ = failed.checksum_before;
  // Mark first, then call back: a callback may append again (into a new group).
  std::vector<DurableCallback> acks;
  for (auto& group : groups_) {
    if (group->first_op < failed.first_op || group->failed) continue;
    for (DurableCallback& ack : group->acks) acks.push_back(std::move(ack));
    group->acks.clear();
    group->frames.clear();
    group->failed = true;
  }
  for (DurableCallback& ack : acks) ack(reported);
}

}  // namespace sluice::journal
