// Replica: state sync (rule B15) — serving the checkpoint's snapshot to a peer that
// lags beyond the logs, and staging, verifying and installing a peer's snapshot.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"
#include "core/vsr/replica.h"
#include "core/vsr/replica_internal.h"

namespace sluice::vsr {

// --- source side ---

void Replica::ServeSnapshot(uint8_t to, Group& group, uint64_t op_min, uint64_t snapshot_op,
                            absl::uint128 snapshot_checksum, uint64_t offset) {
  const std::optional<SnapshotId> served = group.log->ServedSnapshot();
  if (!served.has_value() || served->op < op_min) return;  // it would not help
  // Another snapshot than the one asked for: its first chunk (the peer may switch).
  const bool same = served->op == snapshot_op && served->checksum == snapshot_checksum;
  const uint64_t at = same ? offset : 0;
  if (at >= served->size_bytes && served->size_bytes != 0) return;
  const uint64_t size_max = std::min<uint64_t>(options_.sync_chunk_size_max_bytes,
                                               network_.frame_size_max_bytes() - wire::kHeaderSize);
  std::weak_ptr<int> alive = alive_;
  group.log->ReadSnapshot(*served, at, size_max,
                          [this, alive, to, id = group.id, snapshot = *served, at](absl::StatusOr<Bytes> bytes) {
                            if (alive.lock() == nullptr || failed() || !bytes.ok()) return;
                            Send(to, EncodeSyncChunk(options_.cluster, SyncChunk{.from = From(),
                                                                                 .group = id,
                                                                                 .snapshot = snapshot,
                                                                                 .offset = at,
                                                                                 .bytes = *bytes}));
                          });
}

void Replica::OfferSnapshot(uint8_t to, Group& group, uint64_t op_min) {
  // A peer asked for ops this log no longer holds: they are in its checkpoint. At
  // most one offer per peer and tick (repair asks for many ops per round).
  if (group.log->base_op() == 0 || op_min > group.log->base_op()) return;
  if (group.offer_tick != ticks_) {
    group.offer_tick = ticks_;
    group.offered_to = 0;
  }
  if ((group.offered_to & (uint32_t{1} << to)) != 0) return;
  group.offered_to |= uint32_t{1} << to;
  ++counters_.sync_offers;
  ServeSnapshot(to, group, op_min, 0, 0, 0);
}

void Replica::OnRequestSync(uint8_t from, const RequestSync& message) {
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  ServeSnapshot(from, *group, message.op_min, message.snapshot_op, message.snapshot_checksum, message.offset);
}

// --- sink side ---

std::optional<StagedSnapshot> Replica::sync_progress(GroupId id) const {
  const Group& group = *groups_[group_index_.at(id)];
  if (!group.sync.has_value()) return std::nullopt;
  return StagedSnapshot{.id = group.sync->id, .staged_bytes = group.sync->staged_bytes};
}

void Replica::OnSyncChunk(uint8_t from, const SyncChunk& message) {
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  // Only from a peer in this very view: the snapshot's op is committed, so it is
  // canonical in this view, and consistent with what this replica learned in it.
  if (status_ != Status::kNormal || message.from.view != view_ || group->sync_unsupported) return;
  const SnapshotId& id = message.snapshot;
  if (id.op <= group->verified_op) return;  // it holds that far already
  if (const std::optional<absl::uint128> known = Canonical(*group, id.op);
      known.has_value() && *known != id.op_checksum) {
    ++counters_.frames_rejected;
    return;
  }
  bool started = false;
  if (!group->sync.has_value() || !(group->sync->id == id)) {
    if (group->sync.has_value()) {
      const Group::Sync& current = *group->sync;
      if (current.staging || current.installing) return;
      // Keep the current target unless this one is newer (the peers checkpointed again).
      if (current.id.op >= id.op) return;
    }
    group->sync = Group::Sync{.id = id};
    started = true;
    ++counters_.syncs_started;
    // A staging of this very snapshot left by an earlier sync (or process) continues.
    if (const std::optional<StagedSnapshot> staged = group->log->Staged(); staged.has_value() && staged->id == id) {
      group->sync->staged_bytes = staged->staged_bytes;
    }
  }
  Group::Sync& sync = *group->sync;
  sync.peer = from;
  if (sync.staging || sync.installing || message.offset != sync.staged_bytes ||
      sync.staged_bytes == id.size_bytes) {
    // A duplicate or a chunk out of turn; a new target asks for the chunk it needs.
    if (started) ContinueSync(*group);
    return;
  }
  StageChunk(*group, message);
}

void Replica::StageChunk(Group& group, const SyncChunk& message) {
  Group::Sync& sync = *group.sync;
  sync.staging = true;
  const GroupId group_id = group.id;
  const uint64_t serial = group.serial;
  const SnapshotId id = message.snapshot;
  const uint64_t size = message.bytes.size();
  std::weak_ptr<int> alive = alive_;
  group.log->StageSnapshot(id, message.offset, message.bytes, [this, alive, group_id, serial, id, size](absl::Status status) {
    if (alive.lock() == nullptr || failed()) return;
    Group* live = FindLive(group_id, serial);
    if (live == nullptr) return;  // removed meanwhile
    Group& group = *live;
    SLUICE_ASSERT(group.sync.has_value() && group.sync->id == id && group.sync->staging,
                  "a sync target changed while its chunk was being staged");
    group.sync->staging = false;
    if (!status.ok()) return SyncFailed(group, status);
    group.sync->staged_bytes += size;
    group.sync->stalled_rounds = 0;
    ++counters_.sync_chunks_staged;
    ContinueSync(group);
  });
}

void Replica::ContinueSync(Group& group) {
  if (failed() || !group.sync.has_value()) return;
  Group::Sync& sync = *group.sync;
  if (sync.staging || sync.installing) return;
  if (group.verified_op >= sync.id.op) {
    group.sync.reset();  // repair got there first
    return;
  }
  if (sync.staged_bytes < sync.id.size_bytes) {
    if (status_ == Status::kNormal) RequestSyncChunk(group, sync.peer);
    return;
  }
  if (!group.truncating) InstallSync(group);  // otherwise at the next repair round
}

void Replica::RequestSyncChunk(Group& group, uint8_t to) {
  const Group::Sync& sync = *group.sync;
  ++counters_.repair_requests;
  Send(to, EncodeRequestSync(options_.cluster, RequestSync{.from = From(),
                                                           .group = group.id,
                                                           .snapshot_op = sync.id.op,
                                                           .snapshot_checksum = sync.id.checksum,
                                                           .offset = sync.staged_bytes,
                                                           .op_min = group.verified_op + 1}));
}

void Replica::SyncRound(Group& group) {
  Group::Sync& sync = *group.sync;
  if (sync.staging || sync.installing) return;
  if (group.verified_op >= sync.id.op || sync.staged_bytes == sync.id.size_bytes) return ContinueSync(group);
  if (++sync.stalled_rounds > options_.sync_stall_rounds_max) {
    // No peer serves it any more (they checkpointed past it, or are down): drop it;
    // repair asks again, and a peer offers what it serves now.
    ++counters_.syncs_failed;
    group.sync.reset();
    return;
  }
  // Each staged chunk asks for the next one at once (ContinueSync); a round without
  // progress since the previous one asks again: the last sender first, then the
  // others in turn, in case it went away.
  if (sync.stalled_rounds < 2) return;
  RequestSyncChunk(group, sync.stalled_rounds == 2 ? sync.peer : RepairPeer(sync.id.op + sync.stalled_rounds));
}

void Replica::InstallSync(Group& group) {
  Group::Sync& sync = *group.sync;
  sync.installing = true;
  const GroupId group_id = group.id;
  const uint64_t serial = group.serial;
  const SnapshotId id = sync.id;
  std::weak_ptr<int> alive = alive_;
  group.log->InstallSnapshot(id, [this, alive, group_id, serial, id](absl::Status status) {
    if (alive.lock() == nullptr || failed()) return;
    Group* live = FindLive(group_id, serial);
    if (live == nullptr) return;  // removed meanwhile
    Group& group = *live;
    SLUICE_ASSERT(group.sync.has_value() && group.sync->id == id && group.sync->installing,
                  "a sync target changed while it was being installed");
    group.sync->installing = false;
    if (!status.ok()) return SyncFailed(group, status);
    Installed(group, id);
  });
}

void Replica::SyncFailed(Group& group, const absl::Status& status) {
  // An I/O error is fail-stop whatever its code (rule B1): a failed sync's EIO is
  // DataLoss, like a rejected snapshot, and must not read as one.
  if (io::IsOsError(status)) return FailStop(status);
  switch (status.code()) {
    case absl::StatusCode::kDataLoss:             // the staged bytes failed verification
      if (!IsSnapshotRejected(status)) return FailStop(status);
      [[fallthrough]];
    case absl::StatusCode::kFailedPrecondition:   // the staging is not what this sync expected
      ++counters_.syncs_failed;
      group.sync.reset();  // start over with whatever a peer offers next
      return;
    case absl::StatusCode::kUnimplemented:
      group.sync_unsupported = true;
      group.sync.reset();
      return;
    default:
      FailStop(status);  // an I/O error on the staging or the install (rule B1)
  }
}

void Replica::Installed(Group& group, const SnapshotId& snapshot) {
  const GroupLog& log = *group.log;
  const uint64_t op = snapshot.op;
  SLUICE_ASSERT(log.base_op() == op && log.base_checksum() == snapshot.op_checksum, "replica ",
                int{options_.replica_index}, " namespace ", group.id.namespace_id, ": installed snapshot at op ",
                op, " but the log's base is op ", log.base_op());
  SLUICE_ASSERT(op > group.commit, "installed snapshot at op ", op, " at or below commit ", group.commit);
  group.sync.reset();
  ++group.epoch;  // durable callbacks of replaced entries say nothing any more
  ++counters_.syncs_installed;
  group.commit = op;
  group.commit_max = std::max(group.commit_max, op);
  group.verified_op = op;
  group.canonical.erase(group.canonical.begin(), group.canonical.upper_bound(op));
  group.buffered.erase(group.buffered.begin(), group.buffered.upper_bound(op));
  group.acks.erase(group.acks.begin(), group.acks.upper_bound(op));
  group.pipeline.erase(group.pipeline.begin(), group.pipeline.upper_bound(op));
  if (group.head_op < op) {
    group.head_op = op;
    group.head_checksum = snapshot.op_checksum;
  }
  if (group.vouched_op < op) {  // committed, and held now
    group.vouched_op = op;
    group.vouched_checksum = snapshot.op_checksum;
  }
  if (observer_ != nullptr) observer_->OnStateSync(options_.replica_index, group.id, op, snapshot.op_checksum);
  Advance(group);
  MaybeBecomeVoter();
}

}  // namespace sluice::vsr
