#pragma once
// SingleNodeReplica: a one-replica cluster's replica (DESIGN.md "Replication model",
// quorum of one) — the booted metadata group and partition groups, routed by
// namespace and incarnation (rule B10), with the effects of committed metadata ops on
// the partition groups applied by the primary (which a single node always is):
//
//   - a committed CreateTopic / CreatePartitions: the new partitions are created on
//     disk before the reply goes out (a client may write to them next), and no
//     metadata checkpoint covers the op until their files are durable (rule B5 at
//     boot: SingleNodeMetadata::SetCheckpointableThrough);
//   - a pending kDeletePartition step (DeleteStream, DeleteTopic, DeletePartitions):
//     the partition group is closed and its directory removed, then the step is
//     marked done by a CompletePartitionStep op (idempotent: a crash before that op
//     commits repeats the removal at the next boot or reconcile);
//   - a pending kPurgePartition step (PurgeStream, PurgeTopic): a PartitionPurge op
//     naming the step goes through the partition group, then the step is marked
//     done (a purge the partition recorded as done is not redone); a pending
//     kDeleteGroupOffsets step (DeleteConsumerGroup): the group's offset is deleted
//     by a DeleteConsumerOffset op, then the step is marked done.
//   The metadata reply waits for these effects.
//
// The first boot of an empty directory creates the root user as the first metadata
// op, hashing the configured password (Argon2id, salt from `salt_source`).
//
// Everything runs on one loop; not thread-safe. Drain() before destroying.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/metadata/password_kdf.h"
#include "core/metadata_store/single_node_metadata.h"
#include "core/replica/group_router.h"

namespace sluice::replica {

struct RootCredentials {
  std::string name = "iggy";
  std::string password = "iggy";
};

struct SingleNodeReplicaOptions {
  bootstrap::SingleNodeBootOptions boot;
  RootCredentials root;
  metadata::Argon2Cost password_cost;  // tests lower it
};

// Fills a salt (kPasswordSaltBytes) — the OS's randomness in production, a seeded
// PRNG in the simulator.
using SaltSource = absl::AnyInvocable<Bytes()>;

class SingleNodeReplica {
 public:
  using MetadataReply = metadata_store::SingleNodeMetadata::ReplyCallback;
  using CommittedMetadataReply = metadata_store::SingleNodeMetadata::CommittedCallback;
  // The op of the committed entry, or why it was not.
  using PartitionReply = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;

  static io::Task<absl::StatusOr<std::unique_ptr<SingleNodeReplica>>> Open(
      io::Storage& storage, SingleNodeReplicaOptions options, SaltSource salt_source);
  ~SingleNodeReplica();

  // A validated, stamped metadata request (secrets already hashed). The reply runs
  // once the op is committed and its partition effects are done.
  absl::Status SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply);
  // The same, with the committed op's number and timestamp (a client's reply needs them).
  absl::Status SubmitMetadataForReply(metadata_store::MetadataRequest request,
                                      CommittedMetadataReply on_reply);

  // A partition write (SendMessages with a validated batch, StoreConsumerOffset,
  // DeleteConsumerOffset; or PartitionRetention, the primary's own decision made by
  // retention_driver.h — never a client's) for the group (namespace, incarnation):
  // routed with no fallback (rule B10), prepared, appended and committed once durable.
  absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation,
                               wire::Operation operation, ByteSpan body, uint64_t timestamp_us,
                               PartitionReply on_reply);

  // The partition group for reads (polls, offsets); errors as GroupRouter::Route.
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation);

  // Waits for every submitted op, partition effect and checkpoint. Returns the first
  // failure seen (fail-stop).
  io::Task<absl::Status> Drain();
  io::Task<absl::Status> Close();

  const metadata::MetadataState& metadata() const { return metadata_->state(); }
  const bootstrap::BootLog& boot_log() const { return boot_log_; }
  const RouterCounters& router_counters() const { return router_.counters(); }
  size_t partition_count() const { return partitions_.size(); }
  // The Argon2id cost stored hashes were made with: a login hashes with the same.
  const metadata::Argon2Cost& password_cost() const { return options_.password_cost; }

 private:
  SingleNodeReplica(io::Storage& storage, SingleNodeReplicaOptions options,
                    SaltSource salt_source, bootstrap::BootedSingleNode booted);
  absl::Status CreateRootUser();
  void Reconcile(absl::AnyInvocable<void()> then);
  io::Task<void> RunReconciles();
  io::Task<absl::Status> ReconcileOnce();
  // Submits the CompletePartitionStep op of a step whose work is done (idempotent).
  absl::Status CompleteStep(uint64_t step_id);
  partition::PartitionOptions OptionsFor(uint32_t stream, uint32_t topic, uint32_t partition,
                                         uint64_t incarnation) const;

  io::Storage& storage_;
  SingleNodeReplicaOptions options_;
  SaltSource salt_source_;
  std::unique_ptr<metadata_store::SingleNodeMetadata> metadata_;
  bootstrap::PartitionLogs partitions_;
  GroupRouter<partition::PartitionLog> router_;
  bootstrap::BootLog boot_log_;
  uint64_t clock_floor_us_ = 0;

  // Reconciling partition groups with the committed metadata, one pass at a time.
  io::Task<void> reconciler_;
  bool reconciling_ = false;
  std::vector<absl::AnyInvocable<void()>> after_reconcile_;  // queued for the next pass
  std::vector<absl::AnyInvocable<void(bool)>> idle_waiters_;  // Drain(), woken when idle
  absl::Status failure_;
};

}  // namespace sluice::replica
