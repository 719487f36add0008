#include "core/metadata_store/single_node_metadata.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/metadata/apply.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata_store/prepare_fields.h"
#include "core/wire/header.h"

namespace sluice::metadata_store {
io::Task<absl::StatusOr<std::unique_ptr<SingleNodeMetadata>>> SingleNodeMetadata::Open(
    io::Storage& storage, SingleNodeOptions options) {
  if (options.identity.replica_count != 1) {
    co_return absl::InvalidArgumentError(
        absl::StrCat("single-node metadata needs a one-replica cluster, not ",
                     options.identity.replica_count, " replicas"));
  }
  MetadataRecoveryOptions recovery{
      .identity = options.identity, .journal = options.journal, .single_node = true};
  CO_ASSIGN_OR_RETURN(RecoveredMetadata recovered,
                      co_await RecoverMetadata(storage, std::move(recovery)));
  std::vector<journal::RecoveredEntry> unapplied = std::move(recovered.unapplied);
  std::unique_ptr<SingleNodeMetadata> store(
      new SingleNodeMetadata(storage, std::move(options), std::move(recovered)));
  store->CommitRecoveredSuffix(std::move(unapplied));
  co_return store;
}

SingleNodeMetadata::SingleNodeMetadata(io::Storage& storage, SingleNodeOptions options,
                                       RecoveredMetadata recovered)
    : storage_(storage),
      options_(std::move(options)),
      superblock_(std::move(recovered.superblock)),
      state_(std::move(recovered.state)),
      applied_checksum_(recovered.applied_checksum),
      journal_(std::move(recovered.journal)),
      decisions_(std::move(recovered.decisions)),
      warnings_(std::move(recovered.warnings)) {
  if (options_.checkpoint_margin_ops == 0) {
    options_.checkpoint_margin_ops = std::max<uint64_t>(1, options_.journal.slot_count / 2);
  }
  for (const journal::RecoveredEntry& entry : recovered.journal_report.to_apply) {
    last_timestamp_us_ = std::max(last_timestamp_us_, entry.header.timestamp);
  }
}

SingleNodeMetadata::~SingleNodeMetadata() = default;

void SingleNodeMetadata::CommitRecoveredSuffix(std::vector<journal::RecoveredEntry> unapplied) {
  // Rule B16 left these to VSR; a one-replica cluster's quorum is this WAL, which
  // holds them durably (recovery rewrote and synced everything above the watermark).
  uint64_t committed = 0;
  for (const journal::RecoveredEntry& entry : unapplied) {
    if (entry.op != state_.last_applied_op + 1 || entry.op > journal_->last_op()) {
      warnings_.push_back(absl::StrCat("single node: WAL op ", entry.op,
                                       " is not on the journal's verified prefix (last op ",
                                       journal_->last_op(), "); not committed"));
      break;
    }
    // Replies to these ops were lost with the process (or sent); a client's retry
    // finds the cached result in the client table.
    (void)metadata::Apply(state_, ContextOf(entry.header), BodyOf(entry.frame));
    applied_checksum_ = entry.checksum;
    last_timestamp_us_ = std::max(last_timestamp_us_, entry.header.timestamp);
    ++committed;
  }
  decisions_.push_back(absl::StrCat("single node: committed ", committed,
                                    " recovered op(s) beyond the commit bound; state at op ",
                                    state_.last_applied_op));
}

absl::Status SingleNodeMetadata::Submit(MetadataRequest request, ReplyCallback on_reply) {
  return SubmitForReply(std::move(request),
                        [on_reply = std::move(on_reply)](
                            absl::StatusOr<CommittedResult> committed) mutable {
                          if (!committed.ok()) {
                            on_reply(std::move(committed).status());
                          } else {
                            on_reply(std::move(committed->result));
                          }
                        });
}

absl::Status SingleNodeMetadata::SubmitForReply(MetadataRequest request,
                                                CommittedCallback on_reply) {
  if (!failure_.ok()) return failure_;
  if (!metadata::IsMetadataOperation(request.operation)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "operation ", static_cast<int>(request.operation), " is not a metadata operation"));
  }
  const uint64_t body_max = options_.journal.message_size_max - wire::kHeaderSize;
  if (request.body.size() > body_max) {
    return absl::InvalidArgumentError(absl::StrCat("metadata op body of ", request.body.size(),
                                                   " bytes exceeds the maximum of ", body_max));
  }
  wire::PrepareHeader header;
  header.cluster = options_.journal.cluster;
  header.view = superblock_.state.view;
  header.client = request.client;
  header.parent = journal_->last_checksum();
  header.op = journal_->last_op() + 1;
  header.commit = state_.last_applied_op;
  header.timestamp = std::max(request.timestamp_us, last_timestamp_us_ + 1);
  header.request = request.request;
  header.operation = request.operation;
  Pending pending{.op = header.op,
                  .checksum = 0,
                  .context = ContextOf(header),
                  .frame = wire::EncodePrepare(header, request.body),
                  .on_reply = std::move(on_reply)};
  pending.checksum = wire::PrepareChecksum(pending.frame);
  const uint64_t op = header.op;
  const absl::Status appended = journal_->Append(
      pending.frame, [this, op](absl::Status status) { OnDurable(op, std::move(status)); });
  if (!appended.ok()) {
    if (absl::IsResourceExhausted(appended)) MaybeCheckpoint();
    return appended;
  }
  last_timestamp_us_ = header.timestamp;
  pending_.push_back(std::move(pending));
  return absl::OkStatus();
}

void SingleNodeMetadata::OnDurable(uint64_t op, absl::Status status) {
  SLUICE_ASSERT(!pending_.empty() && pending_.front().op == op, "WAL op ", op,
                " completed out of order");
  Pending done = std::move(pending_.front());
  pending_.pop_front();
  if (!status.ok()) {
    if (!journal_->failure().ok()) FailStop(journal_->failure());
    done.on_reply(std::move(status));
    return;
  }
  if (!failure_.ok()) {
    // Durable, but the replica stopped (a checkpoint failed): it must not act on
    // anything more; recovery will commit the op after the restart.
    done.on_reply(failure_);
    return;
  }
  // Committed: the only replica's WAL holds it durably.
  metadata::ApplyResult result = metadata::Apply(state_, done.context, BodyOf(done.frame));
  applied_checksum_ = done.checksum;
  done.on_reply(CommittedResult{
      .result = std::move(result), .op = done.op, .timestamp_us = done.context.timestamp_us});
  MaybeCheckpoint();
}

bool SingleNodeMetadata::CheckpointDue() const {
  return failure_.ok() && state_.last_applied_op > superblock_.state.metadata_checkpoint.op &&
         state_.last_applied_op <= checkpointable_through_ &&
         journal_->ops_until_checkpoint_needed() <= options_.checkpoint_margin_ops;
}

void SingleNodeMetadata::SetCheckpointableThrough(uint64_t op) {
  checkpointable_through_ = op;
  MaybeCheckpoint();
}

void SingleNodeMetadata::MaybeCheckpoint() {
  if (checkpointing_ || !CheckpointDue()) return;
  checkpointing_ = true;
  checkpoint_runner_ = RunCheckpoints();  // the previous runner, if any, has finished
  checkpoint_runner_.Start();
}

io::Task<void> SingleNodeMetadata::RunCheckpoints() {
  // Ops committed while a checkpoint ran may already need the next one (the ring
  // kept filling): take it right away rather than wait for another commit.
  do {
    const absl::Status status = co_await TakeCheckpoint();
    if (!status.ok()) {
      FailStop(status);
    } else {
      ++checkpoints_completed_;
    }
  } while (CheckpointDue());
  checkpointing_ = false;
  WakeDrainWaiters();
}

io::Task<absl::Status> SingleNodeMetadata::TakeCheckpoint() {
  const uint64_t op = state_.last_applied_op;
  const absl::uint128 prepare_checksum = applied_checksum_;
  // 1. The snapshot (encoded now, so later commits do not change it).
  CO_ASSIGN_OR_RETURN(const absl::uint128 snapshot_checksum,
                      co_await metadata::WriteSnapshot(storage_, state_, op),
                      "checkpoint at op ", op);
  // 2. The superblock naming it; durable in all 4 copies before anything relies on it.
  superblock::SuperblockState next = superblock_.state;
  next.metadata_checkpoint = {
      .op = op, .snapshot_checksum = snapshot_checksum, .prepare_checksum = prepare_checksum};
  next.metadata_commit_watermark =
      std::max(next.metadata_commit_watermark, state_.last_applied_op);
  CO_RETURN_IF_ERROR(co_await superblock::UpdateSuperblock(storage_, superblock_, next),
                     "checkpoint at op ", op);
  // 3. Only now may the WAL overwrite ops up to `op` (rule B8).
  CO_RETURN_IF_ERROR(journal_->SetCheckpoint(op), "checkpoint at op ", op);
  // 4. Rule B6: the durable superblock names the new snapshot; older ones can go.
  CO_RETURN_IF_ERROR(co_await metadata::DeleteSnapshotsOlderThan(storage_, op),
                     "checkpoint at op ", op);
  co_return absl::OkStatus();
}

void SingleNodeMetadata::FailStop(const absl::Status& cause) {
  if (!failure_.ok()) return;
  failure_ = absl::FailedPreconditionError(
      absl::StrCat("metadata stopped (fail-stop, rule B1): ", cause.message(),
                   "; restart the replica so recovery can re-establish what is durable"));
}

void SingleNodeMetadata::WakeDrainWaiters() {
  std::vector<absl::AnyInvocable<void(bool)>> waiters;
  waiters.swap(drain_waiters_);
  for (auto& waiter : waiters) waiter(true);
}

io::Task<absl::Status> SingleNodeMetadata::Drain() {
  const absl::Status drained = co_await journal_->Drain();
  if (!drained.ok()) FailStop(drained);
  while (checkpointing_) {
    co_await io::AwaitCompletion<bool>(
        [this](absl::AnyInvocable<void(bool)> done) { drain_waiters_.push_back(std::move(done)); });
  }
  co_return failure_;
}

io::Task<absl::Status> SingleNodeMetadata::Close() {
  const absl::Status drained = co_await Drain();
  const absl::Status closed = co_await journal_->Close();
  if (!drained.ok()) co_return drained;
  co_return closed;
}

}  // namespace sluice::metadata_store
