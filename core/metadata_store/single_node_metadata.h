#pragma once
// SingleNodeMetadata: the metadata group of a one-replica cluster — recovery,
// prepares, group-committed appends, commit, apply and checkpoints — with no
// network. A one-replica cluster is its own quorum: an op is committed once its
// prepare is durable in the WAL, so the reply goes out then (DESIGN.md
// "Acknowledged"). The replicated metadata group (VSR) drives the same pieces —
// RecoverMetadata, the Journal, Apply, the checkpoint sequence — from its own
// protocol.
//
// Open(): RecoverMetadata (metadata_recovery.h), then commits the verified suffix
// recovery left unapplied (rule B16 leaves it to VSR; here VSR is a quorum of one,
// and recovery already made those entries durable again, rule B1).
//
// Submit(): stamps the op (op = last + 1, parent = last checksum, commit = the commit
// point, timestamp = max(requested, previous + 1)) and appends it; `on_reply` runs
// with Apply's result once the entry is durable and applied — never before (an
// acknowledged op survives any crash) — or with the error that lost it.
//
// Checkpoints (rules B6, B8): once the WAL has at most `checkpoint_margin_ops` appends
// left before it would wrap onto an op no checkpoint covers, a checkpoint runs in
// the background, in the order snapshot_store.h prescribes:
//   1. write the snapshot of the applied state (tmp → fsync → rename → fsync dir);
//   2. update the superblock: checkpoint {op, snapshot checksum, op's prepare
//      checksum}, commit watermark = the commit point; wait until all 4 copies are
//      durable;
//   3. only then tell the WAL (Journal::SetCheckpoint) it may overwrite those ops;
//   4. delete older snapshots.
// If the ring fills before a checkpoint completes, Submit() refuses with the WAL's
// ResourceExhausted ("take a checkpoint first (rule B8)") until it has.
//
// Failure policy (rule B1): a failed WAL write fails the ops it carried (their
// replies get the error; later ops reuse their numbers). A failed sync anywhere — the
// WAL, a snapshot, a superblock copy — or any checkpoint error is fail-stop:
// failure() is set and every later Submit() is refused until the process restarts
// and recovery re-establishes what is durable.
//
// Everything runs on one loop; nothing is thread-safe. Drain() before destroying, and
// do not destroy from the continuation of Drain() itself.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal.h"
#include "core/metadata/apply.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata_store/metadata_recovery.h"
#include "core/superblock/superblock.h"
#include "core/wire/operation.h"

namespace sluice::metadata_store {

struct SingleNodeOptions {
  MetadataIdentity identity;  // replica_count must be 1
  journal::JournalOptions journal;
  // Start a checkpoint when this few appends remain before rule B8 would stop the
  // WAL; 0 means half the ring.
  uint64_t checkpoint_margin_ops = 0;
};

// A request the primary has already validated and stamped (passwords hashed, ids and
// tokens generated: DESIGN.md "Deterministic apply").
struct MetadataRequest {
  wire::Operation operation = wire::Operation::kReserved;
  Bytes body;
  absl::uint128 client = 0;  // 0 for ops the primary makes
  uint64_t request = 0;
  uint64_t timestamp_us = 0;  // the primary's realtime clock
};

// A committed op as its reply needs it: Apply's result, and the op number and
// timestamp the primary stamped (a create's created_at; the reply header's op).
struct CommittedResult {
  metadata::ApplyResult result;
  uint64_t op = 0;
  uint64_t timestamp_us = 0;
};

class SingleNodeMetadata {
 public:
  using ReplyCallback = absl::AnyInvocable<void(absl::StatusOr<metadata::ApplyResult>)>;
  using CommittedCallback = absl::AnyInvocable<void(absl::StatusOr<CommittedResult>)>;

  // Errors: RecoverMetadata's; InvalidArgument if identity.replica_count != 1.
  static io::Task<absl::StatusOr<std::unique_ptr<SingleNodeMetadata>>> Open(
      io::Storage& storage, SingleNodeOptions options);

  SingleNodeMetadata(const SingleNodeMetadata&) = delete;
  SingleNodeMetadata& operator=(const SingleNodeMetadata&) = delete;
  ~SingleNodeMetadata();

  // Errors (nothing appended, `on_reply` dropped): FailedPrecondition after a
  // fail-stop; InvalidArgument for an operation that is not a metadata one or a body
  // over the WAL's prepare size; ResourceExhausted when rule B8 holds writes until a
  // checkpoint completes (one is running; retry later).
  absl::Status Submit(MetadataRequest request, ReplyCallback on_reply);
  // The same, with the committed op's number and timestamp in the reply.
  absl::Status SubmitForReply(MetadataRequest request, CommittedCallback on_committed);

  // Checkpoints cover only ops whose side effects outside the metadata (a created
  // partition's files) are durable: while `op` < commit_op(), no checkpoint starts,
  // so boot can require every partition created at or below the checkpoint op to
  // exist (rule B5). Default: no limit. Raising it may start a due checkpoint.
  void SetCheckpointableThrough(uint64_t op);

  // Waits until every submitted op is replied to and no checkpoint is running.
  // Returns failure().
  io::Task<absl::Status> Drain();
  // Drains, then closes the WAL.
  io::Task<absl::Status> Close();

  const metadata::MetadataState& state() const { return state_; }
  uint64_t commit_op() const { return state_.last_applied_op; }
  uint64_t last_op() const { return journal_->last_op(); }
  const superblock::OpenedSuperblock& superblock() const { return superblock_; }
  const absl::Status& failure() const { return failure_; }
  // Recovery's decisions and warnings, then one line per op committed at open.
  const std::vector<std::string>& decisions() const { return decisions_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  uint64_t checkpoints_completed() const { return checkpoints_completed_; }

 private:
  struct Pending {
    uint64_t op = 0;
    absl::uint128 checksum = 0;
    metadata::OpContext context;
    Bytes frame;
    CommittedCallback on_reply;
  };

  SingleNodeMetadata(io::Storage& storage, SingleNodeOptions options, RecoveredMetadata recovered);
  void CommitRecoveredSuffix(std::vector<journal::RecoveredEntry> unapplied);
  void OnDurable(uint64_t op, absl::Status status);
  bool CheckpointDue() const;
  void MaybeCheckpoint();
  io::Task<void> RunCheckpoints();
  io::Task<absl::Status> TakeCheckpoint();
  void FailStop(const absl::Status& cause);
  void WakeDrainWaiters();

  io::Storage& storage_;
  SingleNodeOptions options_;
  superblock::OpenedSuperblock superblock_;
  metadata::MetadataState state_;
  absl::uint128 applied_checksum_ = 0;  // prepare checksum of state_.last_applied_op
  std::unique_ptr<journal::Journal> journal_;
  std::vector<std::string> decisions_;
  std::vector<std::string> warnings_;

  uint64_t last_timestamp_us_ = 0;
  std::deque<Pending> pending_;  // appended, awaiting durability, in op order
  io::Task<void> checkpoint_runner_;
  bool checkpointing_ = false;
  uint64_t checkpointable_through_ = UINT64_MAX;
  uint64_t checkpoints_completed_ = 0;
  absl::Status failure_;
  std::vector<absl::AnyInvocable<void(bool)>> drain_waiters_;
};

}  // namespace sluice::metadata_store
