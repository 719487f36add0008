#pragma once
// Internal to core/vsr: the per-group and chunk-assembly state of a Replica.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/btree_map.h"
#include "core/vsr/replica.h"

namespace sluice::vsr {

struct Replica::Group {
  GroupId id;
  // Unique among every group this replica object ever hosted: a completion of a
  // removed group's log never touches a group added later under the same id.
  uint64_t serial = 0;
  std::unique_ptr<GroupLog> log;
  // Added after the restore (AddGroup) and its view-state record not durable yet: it
  // acknowledges nothing, and a primary prepares nothing in it, until the record is
  // (a restart must find the log view it acknowledged entries in).
  bool joining = false;
  // Primary: added in a view it cannot vouch for (the group may hold ops other
  // replicas prepared before): it prepares nothing until a view change decides it.
  bool undecided = false;
  // Primary: the head this view started the group at (decided by the view change, or
  // empty for a group created in this view). Its start_view names this head, not the
  // current one: a decided head is held durably by a quorum member (repairable), and
  // it is at least every op committed before the view — what a replica installing or
  // joining the view may claim for it, unlike ops still in the pipeline.
  uint64_t start_head_op = 0;
  absl::uint128 start_head_checksum = 0;
  uint32_t log_view = 0;
  // Every op <= commit is committed, in the log and reported to the observer.
  uint64_t commit = 0;
  // The highest op known committed in the cluster (>= commit; may be above the log).
  uint64_t commit_max = 0;
  // Backup: the primary's commit point as its heartbeats (or start_view) last said. A
  // new primary's can be below this replica's (the view change's quorum did not
  // include it): this replica then tells it, since it will never acknowledge ops at
  // or below its own commit again (and may have checkpointed them).
  uint64_t primary_commit = 0;
  // The canonical head of the current log view as far as this replica knows it.
  uint64_t head_op = 0;
  absl::uint128 head_checksum = 0;
  // The head this replica vouches for in a do_view_change: an op of its log view it
  // holds durably and verified (or that its log view's start_view named, which a
  // quorum member held when the view was decided). Never an op it merely heard of:
  // a head no replica holds could never be repaired.
  uint64_t vouched_op = 0;
  absl::uint128 vouched_checksum = 0;
  // The local log is canonical up to here (commit <= verified_op <= log->last_op()).
  uint64_t verified_op = 0;
  // Canonical checksums learned for ops in (verified_op, head_op].
  absl::btree_map<uint64_t, absl::uint128> canonical;
  // Canonical prepares received above the log's last op, waiting for their turn.
  absl::btree_map<uint64_t, Bytes> buffered;
  // Bumped at every truncation: durable callbacks of dropped entries are ignored.
  uint64_t epoch = 0;
  bool truncating = false;
  // Set when a view is installed: faulty entries above that view's head are from
  // older views and not committed (every committed op is at or below the head), so
  // they are dropped — otherwise they would never be nacked in later view changes.
  // Not on restart within a log view: there they may be ops this replica
  // acknowledged in that very view.
  bool drop_faulty_above_head = false;
  // Primary: which replicas acknowledged each uncommitted op in this view (bitmask),
  // and the prepares it made in this view (for retransmission).
  absl::btree_map<uint64_t, uint32_t> acks;
  absl::btree_map<uint64_t, Bytes> pipeline;

  // State sync (B15): the snapshot this group is syncing to.
  struct Sync {
    SnapshotId id;
    uint64_t staged_bytes = 0;
    uint8_t peer = 0;              // the last peer that sent a chunk of it
    bool staging = false;          // a StageSnapshot in flight
    bool installing = false;       // InstallSnapshot in flight
    uint64_t stalled_rounds = 0;   // repair rounds since the last staged chunk
  };
  std::optional<Sync> sync;
  bool sync_unsupported = false;   // the log cannot stage snapshots: never try again
  // Source side: peers sent an offer this tick (one per peer and tick at most).
  uint64_t offer_tick = 0;
  uint32_t offered_to = 0;
  // --recover (B17): the commit point the installed start_view named.
  uint64_t recovery_target = 0;
  // Primary: since when (tick) its head has been above a commit point that has not
  // moved, in which view (Replica::PrimaryStalled).
  uint64_t stalled_commit = 0;
  uint32_t stalled_view = 0;
  uint64_t stalled_since_tick = 0;
};

// Chunks of one sender's do_view_change or start_view for one view.
struct Replica::Assembly {
  uint32_t view = 0;
  uint32_t log_view = 0;
  uint8_t sender = 0;
  absl::uint128 content = 0;
  std::vector<bool> have;
  std::vector<std::vector<DoViewChangeRecord>> dvc_chunks;
  std::vector<std::vector<StartViewRecord>> sv_chunks;

  bool complete() const {
    for (bool chunk : have) {
      if (!chunk) return false;
    }
    return !have.empty();
  }
  // Starts over when a chunk names another content or chunk count (the sender's
  // state changed, e.g. it restarted): only chunks of one snapshot are combined.
  void Accept(const ChunkInfo& chunk, uint32_t view_number) {
    if (view != view_number || content != chunk.content_checksum || have.size() != chunk.chunk_count) {
      view = view_number;
      content = chunk.content_checksum;
      have.assign(chunk.chunk_count, false);
      dvc_chunks.assign(chunk.chunk_count, {});
      sv_chunks.assign(chunk.chunk_count, {});
    }
    have[chunk.chunk_index] = true;
  }
};

}  // namespace sluice::vsr
