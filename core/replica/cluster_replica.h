#pragma once
// ClusterReplica: one replica of a replicated cluster (DESIGN.md "Replication model")
// — VSR (core/vsr) over the metadata group and every partition group, with the
// committed ops applied to the state machines.
//
// Boot (DESIGN.md "Bootstrap", built from recovered state only, rule B4):
//   1. RecoverMetadata in cluster mode: superblock → snapshot → WAL; the state is the
//      snapshot plus the ops known committed (the commit watermark); ops above it are
//      VSR's to commit or discard (rule B16), corrupt or uncertain ones faulty (B7);
//   2. LoadMetadataSyncState: the durable view state (the view table the superblock
//      names) and a state sync to resume (B15);
//   3. every partition of that state recovered (RecoverPartitions, cluster mode);
//      directories of deleted incarnations removed, those above the applied op kept;
//   4. vsr::Replica::Restore with the metadata group (JournalGroupLog, also the view
//      state store) and one PartitionGroupLog per partition.
//
// Apply: every op VSR reports committed in the metadata group is read from the WAL
// and applied in op order (metadata::Apply); a state sync replaces the state by the
// installed snapshot. After each applied op the partition groups follow the state:
// a partition the state has and the replica does not is opened from its directory
// (a previous process may have created it) or created, then added to VSR
// (Replica::AddGroup, with the view of the op that created it); a hosted partition
// the state no longer has is removed from VSR and drained, and its directory deleted
// once a checkpoint covers the deleting op (until then a boot, whose state is at the
// commit watermark, may still list it, and rule B5 wants its directory there).
// The primary then marks pending kDeletePartition steps done (CompletePartitionStep),
// once its own copy is gone. Partition ops apply inside their PartitionLog (Commit).
// A metadata checkpoint (snapshot, superblock, WAL ring) is taken every
// `checkpoint_interval_ops` applied ops, only once every partition those ops created
// exists durably (rule B5).
//
// Writes (primary only; FailedPrecondition elsewhere, so the caller tries another
// replica): SubmitMetadata replies once the op is applied here — with Unavailable if
// a view change replaced it by another op; SubmitPartition stamps the batch
// (offsets, partition id) against the partition's log and prepares it, and replies
// with the op once it is committed.
//
// Client activity (issue #6, session_activity.h): requests the primary executes
// count as activity of their client, and so does whatever the server notes
// (NoteClientActivity); a backup reports the clients it heard from to the primary of
// its view every `activity_report_interval_ticks`, in a replica-level
// session_activity frame this replica's network filter takes before VSR sees it.
// The primary's table starts afresh in each view it leads (grace). Expiring idle
// sessions is the expiry driver's (session_expiry_driver.h), from IdleSessions().
//
// Not here yet (issue #8): purge and consumer-group offset steps, memory budgets.
//
// Everything runs on one loop; not thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/memory_budget.h"
#include "core/bootstrap/partition_bootstrap.h"
#include "core/io/loop.h"
#include "core/io/network.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata_store/metadata_recovery.h"
#include "core/metadata_store/single_node_metadata.h"
#include "core/partition/partition_log.h"
#include "core/replica/fail_stop_storage.h"
#include "core/replica/pipeline_budget.h"
#include "core/replica/session_activity.h"
#include "core/vsr/journal_group_log.h"
#include "core/vsr/partition_group_log.h"
#include "core/vsr/replica.h"

namespace sluice::replica {

inline constexpr vsr::GroupId kMetadataGroup{.namespace_id = 0, .incarnation = 0};

struct ClusterReplicaOptions {
  metadata_store::MetadataIdentity identity;
  journal::JournalOptions journal;       // journal.cluster = identity.cluster_id
  bootstrap::PartitionDefaults partitions;  // single_node is set false here
  vsr::ReplicaOptions vsr;               // cluster, index and count come from identity
  uint64_t checkpoint_interval_ops = 0;  // 0: a quarter of the WAL ring
  // How often a backup reports its clients' activity to the primary (a session
  // timeout must be several of these: a report may be lost).
  uint64_t activity_report_interval_ticks = 100;
  // The pipeline's share of the replica's memory budget (pipeline_budget.h): bytes of
  // requests this primary prepared and has not answered yet, all groups together. A
  // request past it is refused with Unavailable.
  uint64_t pipeline_bytes_max = base::MemoryPool::kUnbounded;
};

// What a replica reports besides VSR's own events (tests and the simulator's checkers).
class ClusterReplicaObserver : public vsr::ReplicaObserver {
 public:
  // The metadata state applied op `op` (or jumped to it by a state sync); `digest` is
  // the checksum of the state's snapshot encoding — equal on every replica at one op.
  virtual void OnMetadataApplied(uint8_t replica, uint64_t op, absl::uint128 digest) {}
};

class ClusterReplica final : public vsr::ReplicaObserver {
 public:
  using MetadataReply = metadata_store::SingleNodeMetadata::CommittedCallback;
  using PartitionReply = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;

  // Boots the replica from `storage` (steps above). `observer` (may be null) must
  // outlive the replica. Errors: the recovery steps', naming file, op and rule.
  static io::Task<absl::StatusOr<std::unique_ptr<ClusterReplica>>> Open(io::Storage& storage, io::Loop& loop,
                                                                        io::Network& network,
                                                                        ClusterReplicaOptions options,
                                                                        ClusterReplicaObserver* observer);
  ~ClusterReplica() override;
  ClusterReplica(const ClusterReplica&) = delete;
  ClusterReplica& operator=(const ClusterReplica&) = delete;

  // A validated, stamped metadata request; `on_reply` runs once the op is applied here.
  absl::Status SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply);
  // A partition write for the group (namespace, incarnation); `on_reply` gets the op
  // once committed here. NotFound for a partition this replica does not host.
  //
  // A client's write (non-zero `client`: its session's client id) is de-duplicated
  // (issue #6, DESIGN.md "Clients"): Iggy's SDKs resend an unchanged SendMessages
  // after a transient error, possibly balanced to another partition, possibly to a
  // new primary. The write is keyed by (client, checksum of `body` as sent), recorded
  // in its prepare's header, and looked up in the recent requests of every hosted
  // partition of the same topic — a window backups keep as they append, view
  // changes truncate with the log and recovery rebuilds from the logs' tails
  // (PartitionLog::FindRecentRequest). A retry found there prepares nothing: its
  // `on_reply` gets the first copy's op once that is committed. While a partition of
  // the topic still misses entries of its head (a new primary repairing), the write
  // is refused with Unavailable: the first copy may be among them.
  absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                               ByteSpan body, PartitionReply on_reply, absl::uint128 client = 0);
  // The pipeline's bytes held now, their high-water mark and the refusals (tests).
  const base::MemoryPool& pipeline_memory() const { return pipeline_budget_.pool(); }
  // Client writes answered from the de-duplication window, since this process booted.
  uint64_t duplicate_writes() const { return duplicate_writes_; }
  // Where the de-duplication window has a client's write with this request checksum
  // (of the body as sent) to a partition of topic (stream, topic): the first copy's
  // group, op, partition id and base offset (a resend's confirmation names them).
  // Nothing if there is none; Unavailable while a partition of the topic still
  // misses entries of its head (the first copy may be among them).
  struct ClientWrite {
    vsr::GroupId group;
    uint64_t op = 0;
    uint32_t partition = 0;
    uint64_t base_offset = 0;
  };
  absl::StatusOr<std::optional<ClientWrite>> FindClientWrite(uint32_t stream, uint32_t topic, absl::uint128 client,
                                                             absl::uint128 request_checksum) const;

  // `client` (a registered client's id; 0 is ignored) was heard from now: on the
  // primary of a normal view it is stamped with this replica's clock, elsewhere it
  // goes into the next activity report to the primary.
  void NoteClientActivity(absl::uint128 client);
  // The primary of a normal view: up to `limit` sessions idle past their timeout
  // (SessionActivity::IdleSessions, from this replica's clock). Empty elsewhere.
  std::vector<absl::uint128> IdleSessions(uint64_t idle_timeout_ticks, uint64_t member_timeout_ticks, size_t limit);
  const SessionActivity& session_activity() const { return activity_; }
  uint64_t activity_reports_sent() const { return activity_reports_sent_; }
  uint64_t activity_reports_received() const { return activity_reports_received_; }
  // The hosted partition for reads (committed data only); NotFound otherwise.
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation);

  const metadata::MetadataState& metadata() const { return state_; }
  vsr::Replica& consensus() { return *replica_; }
  const bootstrap::BootLog& boot_log() const { return boot_log_; }
  uint64_t checkpoints() const { return checkpoints_; }
  // Entries the recoveries of this process (boot, and partitions opened later from
  // their directories) reported faulty (corrupt or uncertain, rule B7): tests check
  // that injected damage was found.
  uint64_t recovered_faulty_ops() const { return recovered_faulty_ops_; }
  bool failed() const { return !failure_.ok() || replica_->failed(); }
  // Whether every committed op was applied (metadata, and each partition's log) and
  // the partition groups follow the metadata.
  bool settled() const;
  // Whether every committed metadata op was applied and every partition group it
  // created was added to the consensus (the gate of a --recover replica's vote, B17).
  bool HostsEveryGroup() const;

  // vsr::ReplicaObserver (the consensus reports to this object).
  void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override;
  void OnPersist(uint8_t replica, const vsr::VsrState& state) override;
  void OnFailStop(uint8_t replica, const absl::Status& cause) override;
  void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override;
  void OnVoter(uint8_t replica) override;

 private:
  // First, so that it is destroyed last: everything below does its I/O through it.
  std::unique_ptr<FailStopStorage> guarded_storage_;
  struct Hosted {
    uint64_t incarnation = 0;
    partition::PartitionAddress address;
    vsr::PartitionGroupLog* log = nullptr;  // owned by the consensus while added
    std::unique_ptr<vsr::PartitionGroupLog> pending;  // opened, not yet added (view change)
    uint32_t created_view = UINT32_MAX;
  };
  struct PendingReply {
    absl::uint128 checksum = 0;
    MetadataReply on_reply;
  };
  struct Applying {
    uint64_t op = 0;
    bool state_sync = false;
  };

  ClusterReplica(io::Storage& storage, io::Loop& loop, ClusterReplicaOptions options,
                 ClusterReplicaObserver* observer, metadata::MetadataState state);
  io::Task<void> RunApplier();
  void StartApplier();
  bool HasRemovable() const;
  io::Task<absl::Status> RemoveDoomed();
  io::Task<void> NextTick();
  io::Task<absl::Status> ApplyOne(const Applying& next);
  io::Task<absl::Status> Reconcile(uint32_t created_view);
  io::Task<absl::Status> AddPartition(uint32_t stream, uint32_t topic, uint32_t partition, uint64_t incarnation,
                                      uint64_t namespace_id, uint32_t created_view);
  io::Task<absl::Status> RemovePartition(uint64_t namespace_id);
  void RetryPendingAdds();
  // Primary: carries out the pending steps of operations spanning groups (delete
  // topic, purge, delete consumer group) and marks each done; a new primary resumes.
  void DrivePendingSteps();
  absl::Status SubmitCompleteStep(uint64_t step_id);
  absl::Status DrivePartitionStep(uint64_t step_id, const metadata::PendingStep& step);
  // Sends this backup's pending activity report to the primary of its view.
  void ReportActivity();
  // A session_activity frame from a peer (taken by the network filter).
  void OnActivityReport(io::PeerId from, ByteSpan frame);
  void MaybeCheckpoint();
  void ScheduleTick();
  void Fail(const absl::Status& cause);

  io::Storage& storage_;
  io::Loop& loop_;
  ClusterReplicaOptions options_;
  ClusterReplicaObserver* observer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  absl::Status failure_;
  bootstrap::BootLog boot_log_;

  metadata::MetadataState state_;
  SessionActivity activity_;
  uint64_t activity_reported_ticks_ = 0;
  uint64_t activity_reports_sent_ = 0;
  uint64_t activity_reports_received_ = 0;
  // Between the consensus and the network: once this replica failed — the consensus,
  // the applier, a checkpoint, or any hosted partition's log (whose apply-side
  // failures, e.g. a failed sync of its state record, reach the consensus only at
  // that partition's next append) — nothing leaves and nothing arrives. A fail-stop
  // is silent: no acknowledgement of any group after a failed fsync (rule B1).
  // Session-activity frames are the replica's own: taken here, never passed to VSR.
  class FailStopNetwork final : public io::Network, public io::NetworkHandler {
   public:
    FailStopNetwork(io::Network& base, ClusterReplica& replica) : base_(base), replica_(replica) {}
    void SetHandler(io::NetworkHandler* handler) override;
    absl::Status Send(io::PeerId to, ByteSpan frame) override;
    size_t frame_size_max_bytes() const override { return base_.frame_size_max_bytes(); }
    void OnFrame(io::PeerId from, ByteSpan frame) override;
    void OnConnectionChange(io::PeerId peer, bool connected) override;

   private:
    io::Network& base_;
    ClusterReplica& replica_;
    io::NetworkHandler* handler_ = nullptr;
  };
  // Whether this replica stopped; a hosted partition's failure stops it now.
  bool Stopped();

  std::unique_ptr<FailStopNetwork> network_;  // outlives replica_
  std::unique_ptr<vsr::Replica> replica_;
  vsr::JournalGroupLog* metadata_log_ = nullptr;  // owned by replica_
  std::map<uint64_t, Hosted> hosted_;             // by namespace
  std::vector<std::unique_ptr<vsr::GroupLog>> closing_;  // removed, draining
  // Deleted partitions' directories, by the op that deleted them, removed once a
  // checkpoint covers that op (removable_through_).
  std::deque<std::pair<uint64_t, std::string>> doomed_;
  uint64_t removable_through_ = 0;

  std::deque<Applying> to_apply_;
  io::Task<void> applier_;
  bool applying_ = false;
  PipelineBudget pipeline_budget_;  // outlives the replies, which hold its bytes
  std::map<uint64_t, PendingReply> replies_;  // by op (primary)
  std::map<std::pair<uint64_t, uint64_t>, std::multimap<uint64_t, std::pair<absl::uint128, PartitionReply>>>
      partition_replies_;  // (namespace, incarnation) -> op -> (checksum, reply); a retry adds one
  uint64_t duplicate_writes_ = 0;
  std::set<uint64_t> steps_submitted_;  // steps being carried out or marked done, this view
  uint32_t steps_view_ = 0;
  uint64_t last_checkpoint_op_ = 0;
  bool checkpointing_ = false;
  uint64_t checkpoints_ = 0;
  uint64_t recovered_faulty_ops_ = 0;
  uint64_t timestamp_floor_us_ = 0;
  io::TimerId tick_timer_;
};

}  // namespace sluice::replica
