#include "core/replica/single_node_replica.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bootstrap/remove_tree.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/entry_body.h"
#include "core/partition/layout.h"
#include "core/replica/partition_refs.h"

namespace sluice::replica {

io::Task<absl::StatusOr<std::unique_ptr<SingleNodeReplica>>> SingleNodeReplica::Open(
    io::Storage& storage, SingleNodeReplicaOptions options, SaltSource salt_source) {
  CO_ASSIGN_OR_RETURN(bootstrap::BootedSingleNode booted,
                      co_await bootstrap::BootSingleNode(storage, options.boot));
  std::unique_ptr<SingleNodeReplica> replica(new SingleNodeReplica(
      storage, std::move(options), std::move(salt_source), std::move(booted)));
  if (replica->metadata_->state().last_applied_op == 0) {
    // The first primary's first op (DESIGN.md "Deterministic apply").
    CO_RETURN_IF_ERROR(replica->CreateRootUser(), "creating the root user");
  }
  // Finish what a crash may have left: partition deletions still pending.
  replica->Reconcile([] {});
  CO_RETURN_IF_ERROR(co_await replica->Drain(), "finishing boot");
  co_return replica;
}

SingleNodeReplica::SingleNodeReplica(io::Storage& storage, SingleNodeReplicaOptions options,
                                     SaltSource salt_source, bootstrap::BootedSingleNode booted)
    : storage_(storage),
      options_(std::move(options)),
      salt_source_(std::move(salt_source)),
      metadata_(std::move(booted.metadata)),
      partitions_(std::move(booted.partitions)),
      boot_log_(std::move(booted.log)) {
  for (const PartitionRef& ref : PartitionsOf(metadata_->state())) {
    router_.Add(ref.namespace_id, ref.incarnation, partitions_.at(ref.namespace_id).get());
  }
}

SingleNodeReplica::~SingleNodeReplica() = default;

absl::Status SingleNodeReplica::CreateRootUser() {
  const Bytes salt = salt_source_();
  ASSIGN_OR_RETURN(Bytes hash, metadata::HashPassword(salt, options_.root.password,
                                                      options_.password_cost));
  const Bytes body = metadata::Encode(metadata::CreateUserBody{
      .name = options_.root.name, .password = {.salt = salt, .hash = std::move(hash)}});
  return SubmitMetadata({.operation = wire::Operation::kCreateUser, .body = body},
                        [this](absl::StatusOr<metadata::ApplyResult> result) {
                          if (!result.ok()) {
                            if (failure_.ok()) failure_ = result.status();
                          } else if (!result->ok()) {
                            failure_ = absl::InternalError(absl::StrCat(
                                "creating the root user failed with error code ",
                                static_cast<int>(result->error)));
                          }
                        });
}

absl::Status SingleNodeReplica::SubmitMetadata(metadata_store::MetadataRequest request,
                                               MetadataReply on_reply) {
  return SubmitMetadataForReply(
      std::move(request),
      [on_reply = std::move(on_reply)](
          absl::StatusOr<metadata_store::CommittedResult> committed) mutable {
        if (!committed.ok()) {
          on_reply(std::move(committed).status());
        } else {
          on_reply(std::move(committed->result));
        }
      });
}

absl::Status SingleNodeReplica::SubmitMetadataForReply(metadata_store::MetadataRequest request,
                                                       CommittedMetadataReply on_reply) {
  if (!failure_.ok()) return failure_;
  return metadata_->SubmitForReply(
      std::move(request),
      [this, on_reply = std::move(on_reply)](
          absl::StatusOr<metadata_store::CommittedResult> result) mutable {
        if (!result.ok()) {
          on_reply(std::move(result));
          return;
        }
        // Until this op's partitions exist durably, no checkpoint may cover it.
        metadata_->SetCheckpointableThrough(metadata_->commit_op() - 1);
        Reconcile([on_reply = std::move(on_reply), result = std::move(result)]() mutable {
          on_reply(std::move(result));
        });
      });
}

absl::Status SingleNodeReplica::SubmitPartition(uint64_t namespace_id, uint64_t incarnation,
                                                wire::Operation operation, ByteSpan body,
                                                uint64_t timestamp_us, PartitionReply on_reply) {
  if (!failure_.ok()) return failure_;
  ASSIGN_OR_RETURN(partition::PartitionLog * log, router_.Route(namespace_id, incarnation));
  if (operation != wire::Operation::kSendMessages &&
      operation != wire::Operation::kStoreConsumerOffset &&
      operation != wire::Operation::kDeleteConsumerOffset &&
      operation != wire::Operation::kPartitionRetention && operation != wire::Operation::kPartitionPurge) {
    return absl::InvalidArgumentError(absl::StrCat(
        "operation ", static_cast<int>(operation), " is not a partition write"));
  }
  clock_floor_us_ = std::max(clock_floor_us_ + 1, timestamp_us);
  ASSIGN_OR_RETURN(const Bytes frame, log->PrepareNext(operation, body, clock_floor_us_));
  const uint64_t op = log->last_op() + 1;
  return log->Append(frame, [log, op, on_reply = std::move(on_reply)](absl::Status status) mutable {
    if (!status.ok()) {
      on_reply(std::move(status));
      return;
    }
    log->Commit(op);  // a quorum of one: durable here means committed
    on_reply(op);
  });
}

absl::StatusOr<partition::PartitionLog*> SingleNodeReplica::Partition(uint64_t namespace_id,
                                                                      uint64_t incarnation) {
  return router_.Route(namespace_id, incarnation);
}

void SingleNodeReplica::Reconcile(absl::AnyInvocable<void()> then) {
  after_reconcile_.push_back(std::move(then));
  if (reconciling_) return;  // the running pass loops until nothing is queued
  reconciling_ = true;
  reconciler_ = RunReconciles();  // the previous runner, if any, has finished
  reconciler_.Start();
}

io::Task<void> SingleNodeReplica::RunReconciles() {
  while (!after_reconcile_.empty()) {
    std::vector<absl::AnyInvocable<void()>> waiting;
    waiting.swap(after_reconcile_);
    const absl::Status status = co_await ReconcileOnce();
    if (!status.ok() && failure_.ok()) {
      failure_ = absl::FailedPreconditionError(
          absl::StrCat("replica stopped (fail-stop, rule B1): ", status.message()));
    }
    if (failure_.ok()) metadata_->SetCheckpointableThrough(UINT64_MAX);
    for (auto& then : waiting) then();
  }
  reconciling_ = false;
  std::vector<absl::AnyInvocable<void(bool)>> idle;
  idle.swap(idle_waiters_);
  for (auto& waiter : idle) waiter(true);
}

partition::PartitionOptions SingleNodeReplica::OptionsFor(uint32_t stream, uint32_t topic,
                                                          uint32_t partition,
                                                          uint64_t incarnation) const {
  const metadata::MetadataState& state = metadata_->state();
  const bootstrap::PartitionDefaults& defaults = options_.boot.partitions;
  partition::PartitionOptions options;
  options.cluster = options_.boot.metadata.journal.cluster;
  options.address = {stream, topic, partition, incarnation};
  options.namespace_id = *metadata::PackNamespace(state.config.widths, {stream, topic, partition});
  options.segment_size_bytes =
      state.streams.at(stream).topics.at(topic).settings.segment_size_bytes;
  options.group_commit_bytes_max = defaults.group_commit_bytes_max;
  options.entry_size_bytes_max = defaults.entry_size_bytes_max;
  options.single_node = true;
  options.clamp_consumer_offsets = defaults.clamp_consumer_offsets;
  options.index_entries_reserved = defaults.index_entries_reserved;
  return options;
}

io::Task<absl::Status> SingleNodeReplica::ReconcileOnce() {
  // 1. Pending partition deletions (before creations: a recreated topic reuses the
  //    namespace with a new incarnation).
  std::vector<std::pair<uint64_t, metadata::PendingStep>> deletions;
  for (const auto& [id, step] : metadata_->state().pending_steps) {
    if (step.kind == metadata::StepKind::kDeletePartition) deletions.emplace_back(id, step);
  }
  for (const auto& [step_id, step] : deletions) {
    const partition::PartitionAddress address{step.stream, step.topic, step.partition,
                                              step.incarnation};
    const absl::StatusOr<uint64_t> ns = metadata::PackNamespace(
        metadata_->state().config.widths, {step.stream, step.topic, step.partition});
    CO_RETURN_IF_ERROR(ns.status());
    std::unique_ptr<partition::PartitionLog> closing;
    if (router_.Route(*ns, step.incarnation).ok()) {
      CO_RETURN_IF_ERROR(co_await partitions_.at(*ns)->Drain(), "closing ",
                         partition::PartitionDirectory(address));
      router_.Remove(*ns);
      closing = std::move(partitions_.at(*ns));
      partitions_.erase(*ns);
    }
    // Drain() resumed us from inside the log's own runner: the log is destroyed only
    // after the next suspension (the removal's I/O), once that runner has returned.
    CO_RETURN_IF_ERROR(co_await bootstrap::RemoveTree(storage_, partition::PartitionDirectory(address)));
    closing.reset();
    CO_RETURN_IF_ERROR(CompleteStep(step_id));
  }
  // 2. Pending purges and consumer-group offset deletions, each carried out through its
  //    partition group and then marked done. Both are idempotent: a purge names its
  //    step and the partition keeps the last one applied (a purge found done is never
  //    redone: messages written since would go), and deleting an absent offset is
  //    skipped. A step whose partition is gone (deleted since) has nothing left to do.
  std::vector<std::pair<uint64_t, metadata::PendingStep>> partition_steps;
  for (const auto& [id, step] : metadata_->state().pending_steps) {
    if (step.kind == metadata::StepKind::kPurgePartition || step.kind == metadata::StepKind::kDeleteGroupOffsets) {
      partition_steps.emplace_back(id, step);
    }
  }
  for (const auto& [step_id, step] : partition_steps) {
    const absl::StatusOr<uint64_t> ns = metadata::PackNamespace(
        metadata_->state().config.widths, {step.stream, step.topic, step.partition});
    CO_RETURN_IF_ERROR(ns.status());
    const absl::StatusOr<partition::PartitionLog*> log = router_.Route(*ns, step.incarnation);
    std::optional<std::pair<wire::Operation, Bytes>> entry;
    const partition::ConsumerKey group{partition::ConsumerKind::kGroup, step.group};
    if (!log.ok()) {
      // gone: nothing to do
    } else if (step.kind == metadata::StepKind::kPurgePartition) {
      if ((*log)->purged_through_step() < step_id) {
        entry.emplace(wire::Operation::kPartitionPurge, partition::EncodePurge(step_id));
      }
    } else if ((*log)->ConsumerOffset(group).has_value()) {
      entry.emplace(wire::Operation::kDeleteConsumerOffset, partition::EncodeDeleteOffset(group));
    }
    if (entry.has_value()) {
      auto written = std::make_shared<absl::Status>();
      CO_RETURN_IF_ERROR(SubmitPartition(*ns, step.incarnation, entry->first, entry->second, clock_floor_us_ + 1,
                                         [written](absl::StatusOr<uint64_t> op) {
                                           if (!op.ok()) *written = op.status();
                                         }));
      CO_RETURN_IF_ERROR(co_await (*log)->Drain(), "step ", step_id, " on ", partition::PartitionDirectory(
          {step.stream, step.topic, step.partition, step.incarnation}));
      CO_RETURN_IF_ERROR(*written);
    }
    CO_RETURN_IF_ERROR(CompleteStep(step_id));
  }
  // 3. Partitions the committed metadata has and this replica does not yet.
  for (const PartitionRef& ref : PartitionsOf(metadata_->state())) {
    if (partitions_.contains(ref.namespace_id)) continue;
    const partition::PartitionOptions options =
        OptionsFor(ref.stream, ref.topic, ref.partition, ref.incarnation);
    // A partial directory from a crashed earlier attempt goes first (B5 holds: no
    // checkpoint covers this op until the creation below is durable).
    CO_RETURN_IF_ERROR(co_await bootstrap::RemoveTree(storage_,
                                                      partition::PartitionDirectory(options.address)));
    CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> log,
                        co_await partition::PartitionLog::Create(storage_, options),
                        "creating partition ", partition::PartitionDirectory(options.address));
    router_.Add(ref.namespace_id, ref.incarnation, log.get());
    partitions_.emplace(ref.namespace_id, std::move(log));
  }
  co_return absl::OkStatus();
}

absl::Status SingleNodeReplica::CompleteStep(uint64_t step_id) {
  const absl::Status submitted = metadata_->Submit(
      {.operation = wire::Operation::kCompletePartitionStep,
       .body = metadata::Encode(metadata::CompleteStepBody{step_id})},
      [this](absl::StatusOr<metadata::ApplyResult> result) {
        if (!result.ok() && failure_.ok()) failure_ = result.status();
      });
  // Refused (B8 until a checkpoint, or a stop): the step stays pending and is driven
  // again by the next pass or boot — every step's work is idempotent.
  if (!submitted.ok() && !absl::IsResourceExhausted(submitted)) return submitted;
  return absl::OkStatus();
}

io::Task<absl::Status> SingleNodeReplica::Drain() {
  // Metadata commits queue reconcile passes, and passes submit metadata ops: settle
  // both until neither has work left.
  for (int round = 0; round < 1000; ++round) {
    const absl::Status metadata = co_await metadata_->Drain();
    if (!metadata.ok() && failure_.ok()) failure_ = metadata;
    while (reconciling_) {
      co_await io::AwaitCompletion<bool>([this](absl::AnyInvocable<void(bool)> done) {
        idle_waiters_.push_back(std::move(done));
      });
    }
    if (metadata_->last_op() == metadata_->commit_op() && !reconciling_) break;
  }
  for (auto& [ns, log] : partitions_) {
    const absl::Status drained = co_await log->Drain();
    if (!drained.ok() && failure_.ok()) failure_ = drained;
  }
  co_return failure_;
}

io::Task<absl::Status> SingleNodeReplica::Close() {
  const absl::Status drained = co_await Drain();
  const absl::Status closed = co_await metadata_->Close();
  if (!drained.ok()) co_return drained;
  co_return closed;
}

}  // namespace sluice::replica
