#pragma once
// Replica: Viewstamped Replication for every consensus group of one replica, as an
// explicit state machine driven by frames (io::NetworkHandler) and ticks (io::Loop).
//
// Replica-wide (DESIGN.md "Replication model"): one view number, one status
// (normal / view_change), one failure detector (the primary's commit heartbeat, one
// per replica, carrying every group's commit point). The primary of view v is
// replica v mod replica_count, for every group.
//
// Per group: request -> prepare (hash chain: parent = previous checksum) ->
// prepare_ok (a backup sends it only once the entry is durable) -> commit, with at
// most `pipeline_max` uncommitted ops.
//
// View change, for all groups under one view number: start_view_change from a
// quorum, then do_view_change to the new primary (one record per group, in chunks
// within the frame limit), then start_view. The new primary picks, per group, the
// head of the log with the highest log view (committed ops are in it). Above that
// head, ops some replica holds only as faulty entries are discarded only if a nack
// quorum (replica_count - quorum + 1 replicas that hold no entry at that op at
// all, or only a leftover of a view older than their log view above its head: the
// view change into that log view discarded it) proves them uncommitted; a faulty
// entry is never a nack. Otherwise the
// primary waits for more do_view_changes. The view and every group's log view and
// head are persisted once per view change (vsr_state.h: one atomic file write,
// whatever the group count) before the replica acts on them; a backup also
// persists its view before sending do_view_change, since that message is a promise
// not to accept prepares of older views.
//
// Repair: every replica keeps, per group, the canonical head of its log view and
// checksums it learned (from start_view, the primary's prepares and heartbeats,
// and parents of headers linking down from them). Its log is canonical up to
// `verified_op`; above that it asks peers for headers (request_headers) until a
// local op links, truncates what does not link (never below its commit), and
// fetches missing prepares by (op, checksum) (request_prepare). Faulty entries,
// missing entries and a divergent tail are all repaired this way.
//
// Restore (rule B4): Restore() builds the replica from what recovery found — the
// durable VsrState and each group's recovered GroupLog — never a fresh replica
// patched afterwards. A replica restored as the primary of its log view starts a
// view change (its pipeline is gone: it may have lost prepares its backups acked),
// which is also how a newly formatted cluster starts.
//
// State sync (rule B15, replica_sync.cc): a replica lagging beyond what the logs
// can repair — the ops it lacks are at or below a peer's checkpoint (base_op) — is
// told so by that peer, which answers the repair request it cannot serve with the
// first chunk of its served snapshot (an offer). The lagging replica stages the
// snapshot chunk by chunk (request_sync / sync_chunk, each chunk within the frame
// limit and `sync_chunk_size_max_bytes`), durably, through its GroupLog; only a
// complete snapshot whose checksum verifies is installed, as the group's new base
// (its commit point jumps to the snapshot's op, reported to the observer as
// OnStateSync), and repair continues above it. Chunks are accepted only from a peer
// in the same view (the snapshot's op is then canonical in it). A staging survives a
// crash and the sync resumes from it if a peer still serves that snapshot; a newer
// snapshot replaces an older target; a sync that makes no progress for
// `sync_stall_rounds_max` repair rounds is dropped (repair finds a peer to offer
// another). Entries above the snapshot stay (faulty if they do not link), so the
// replica never nacks an op it may have acknowledged.
//
// `--recover` (rule B17, replica_recovery.cc): a replica restored from a VsrState
// with `recovering` set lost its directory and with it its promises. It never
// votes: it sends no start_view_change, do_view_change or prepare_ok, never decides
// a view, and never starts a view change on its own timeouts. It learns the view by
// pinging every peer (a nonce per boot): once a quorum of *other* replicas answered
// (any view a quorum promised is then at most the highest view they report), it
// accepts a start_view of a view at least that high from its primary (who answers a
// recovering replica's ping with one). The floor is fixed once a quorum answered.
// In that view it repairs and state-syncs as any backup; once every group's commit
// reaches the commit point that start_view named, and the view is above the floor,
// it clears the flag durably and becomes a voter. In a view at or below the floor
// its lost incarnation may have acknowledged ops beyond that commit point (ops the
// primary may commit with that acknowledgement, the only other copies of which may
// be lost next): as a voter it would nack them. So there, once caught up, it asks
// for the next view with a start_view_change (a request, not a promise: it still
// sends no do_view_change), and becomes a voter once caught up in that view. Assumes
// the lost process's own messages are no longer in flight (its connections died with it).
//
// Groups come and go with the state machine (AddGroup, RemoveGroup): a partition
// group is created when its CreateTopic commits and removed when its deletion does;
// the observer applies each commit in order (core/replica/cluster_replica.h), and a
// state sync replaces a prefix of them (OnStateSync).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/io/loop.h"
#include "core/io/network.h"
#include "core/io/storage.h"
#include "core/vsr/group_log.h"
#include "core/vsr/messages.h"
#include "core/vsr/vsr_state.h"
#include "core/wire/operation.h"

namespace sluice::vsr {

struct ReplicaOptions {
  absl::uint128 cluster = 0;
  uint8_t replica_index = 0;
  uint8_t replica_count = 3;
  uint64_t pipeline_max = 8;                 // uncommitted ops per group
  uint64_t prepare_body_size_max_bytes = 64 * 1024;
  uint64_t heartbeat_interval_ticks = 5;     // primary: commit heartbeat period
  uint64_t primary_timeout_ticks = 30;       // backup: heartbeat silence before a view change
  uint64_t view_change_timeout_ticks = 40;   // a view change not done by then moves on
  uint64_t primary_abdicate_ticks = 500;     // primary: a group's commit stalled below its head
  uint64_t view_change_resend_ticks = 5;     // start_view_change / do_view_change resend
  uint64_t prepare_retry_ticks = 5;          // primary: resend unacknowledged prepares
  uint64_t repair_retry_ticks = 2;           // repair requests per lagging group
  uint64_t repair_headers_max = 128;         // headers asked for per request
  uint64_t repair_prepares_max = 8;          // prepares asked for per group per round
  uint64_t prepare_buffer_max = 64;          // out-of-order prepares kept per group
  uint64_t sync_chunk_size_max_bytes = 64 * 1024;  // state sync: bytes per sync_chunk (and the frame limit)
  uint64_t sync_stall_rounds_max = 32;       // repair rounds without a staged chunk before a sync is dropped

  uint64_t quorum() const { return replica_count / 2 + 1; }
  // Replicas that must hold no entry at an op to prove it was never committed.
  uint64_t nack_quorum() const { return replica_count - quorum() + 1; }
};

enum class Status : uint8_t { kNormal, kViewChange };

// What a replica reports, in order, for tests and (later) the state machines.
class ReplicaObserver {
 public:
  virtual ~ReplicaObserver() = default;
  // op of `group` is committed at this replica; ops are reported in order per group.
  virtual void OnCommit(uint8_t replica, GroupId group, uint64_t op, absl::uint128 checksum) = 0;
  // The replica persisted its VSR state (for counting durable writes).
  virtual void OnPersist(uint8_t replica, const VsrState& state) {}
  // The replica stopped (rule B1: a failed write or sync of its durable state or log).
  virtual void OnFailStop(uint8_t replica, const absl::Status& cause) {}
  // `group` installed a snapshot (state sync, B15): every op <= op is committed and
  // applied at once (op's checksum is `checksum`); OnCommit continues from op + 1.
  virtual void OnStateSync(uint8_t replica, GroupId group, uint64_t op, absl::uint128 checksum) {}
  // A replica formatted with --recover caught up and durably became a voter (B17).
  virtual void OnVoter(uint8_t replica) {}
};

struct RecoveredGroup {
  GroupId id;
  std::unique_ptr<GroupLog> log;
};

// Counters for tests and logs.
struct ReplicaCounters {
  uint64_t frames_rejected = 0;      // failed validation, or named another incarnation
  uint64_t view_changes_started = 0;
  uint64_t views_started = 0;        // normal status entered in a new view
  uint64_t persists = 0;             // durable VSR state writes completed
  uint64_t truncations = 0;
  uint64_t repair_requests = 0;
  uint64_t sync_offers = 0;          // first chunks sent to a peer that asked for ops below the base
  uint64_t syncs_started = 0;        // snapshots chosen as a sync target
  uint64_t sync_chunks_staged = 0;
  uint64_t syncs_installed = 0;
  uint64_t syncs_failed = 0;         // a staged snapshot that failed verification, or a dropped sync
  uint64_t sync_bytes_resumed = 0;   // staged bytes found at restore that a sync continued from
  uint64_t pings = 0;                // recovering (B17): pings broadcast
};

class Replica final : public io::NetworkHandler {
 public:
  // Builds the replica from recovered state and starts its tick. `groups` must all
  // be distinct. `state` is what the durable view state held (LoadVsrState, or the
  // table the superblock names). Sets itself as the network's handler. The view state
  // is persisted through `view_state_store` if given (it must outlive the replica:
  // e.g. one of its own group logs), else to the `vsr_state` file on `storage`.
  // Errors: InvalidArgument for inconsistent options or groups.
  static absl::StatusOr<std::unique_ptr<Replica>> Restore(const ReplicaOptions& options,
                                                          io::Loop& loop, io::Network& network,
                                                          io::Storage& storage, VsrState state,
                                                          std::vector<RecoveredGroup> groups,
                                                          ReplicaObserver* observer,
                                                          ViewStateStore* view_state_store = nullptr);
  ~Replica() override;
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // io::NetworkHandler
  void OnFrame(io::PeerId from, ByteSpan frame) override;
  void OnConnectionChange(io::PeerId peer, bool connected) override {}

  // The client entry point (a test API until the client protocol lands): the primary
  // prepares `body` as the next op of `group`. FailedPrecondition when not the
  // primary in normal status (the caller tries another replica); Unavailable while
  // the group is repairing or its pipeline is full; NotFound for an unknown group.
  // The header's request checksum is `request_checksum` when given (the checksum of
  // the client's request as sent, which a state machine may have stamped into
  // `body`: its de-duplication key), else that of `body`.
  absl::Status SubmitRequest(GroupId group, wire::Operation operation, ByteSpan body,
                             absl::uint128 client = 0, uint64_t request = 0,
                             std::optional<absl::uint128> request_checksum = std::nullopt);

  // Adds a group its state machine created after the restore (a partition group a
  // committed CreateTopic made), built from what recovery found in its directory (an
  // empty log for a new partition). `created_view` is the view of the prepare that
  // created it. A group must not claim a log view whose start_view it did not take
  // (a do_view_change trusts the highest log view's heads): a backup's group keeps its
  // old claim (log view 0 if new), asks the primary for the view's record of it (a
  // ping, answered by a start_view), takes that record and persists it (one durable
  // write) before it acknowledges anything. On the primary, a new group created by an
  // op prepared in this very view holds no op anywhere (no primary could prepare in it
  // before that op committed): its empty log is canonical in this view, and the
  // primary prepares in it once that record is durable; any other group added on a
  // primary waits for a view change, which this starts. Errors: FailedPrecondition after a fail-stop; Unavailable during a view
  // change (add it again once normal: its own do_view_change may not have named it);
  // AlreadyExists; InvalidArgument for a null log.
  absl::Status AddGroup(RecoveredGroup group, uint32_t created_view);
  // Removes a group (its partition was deleted by a committed op) and returns its log,
  // which the caller drains before destroying it. Completions of the removed log are
  // ignored. NotFound for an unknown group.
  absl::StatusOr<std::unique_ptr<GroupLog>> RemoveGroup(GroupId group);
  bool has_group(GroupId group) const { return group_index_.contains(group); }

  uint8_t index() const { return options_.replica_index; }
  uint32_t view() const { return view_; }
  uint32_t log_view() const { return log_view_; }
  Status status() const { return status_; }
  bool is_primary() const { return PrimaryOf(view_) == options_.replica_index; }
  bool failed() const { return !failure_.ok(); }
  // Formatted with --recover and not a voter yet (B17).
  bool recovering() const { return recovering_; }
  // B17: a recovering replica becomes a voter only once `hosts_every_group` says so as
  // well — the host has applied every committed metadata op and added every group
  // they created. Its lost incarnation may have acknowledged ops of a group created
  // while it was gone; voting before it hosts that group (and has repaired it) would
  // nack them.
  void SetVoterGate(std::function<bool()> hosts_every_group) { voter_gate_ = std::move(hosts_every_group); }
  // Whether `group` is state-syncing, and how far its staging got.
  std::optional<StagedSnapshot> sync_progress(GroupId group) const;
  const ReplicaCounters& counters() const { return counters_; }
  const VsrState& durable_state() const { return durable_; }

  // Per-group facts for tests (the group must exist).
  uint64_t commit(GroupId group) const;
  uint64_t head_op(GroupId group) const;
  const GroupLog& log(GroupId group) const;
  std::vector<GroupId> groups() const;
  // One line per replica and group (view, status, commit, heads), for test failures.
  std::string DebugString() const;

 private:
  struct Group;
  struct Assembly;

  Replica(const ReplicaOptions& options, io::Loop& loop, io::Network& network,
          io::Storage& storage, VsrState state, ReplicaObserver* observer);

  uint8_t PrimaryOf(uint32_t view) const {
    return static_cast<uint8_t>(view % options_.replica_count);
  }
  MessageFrom From() const { return {.view = view_, .replica = options_.replica_index}; }
  // One group as recovery left it (rule B4), with the durable view state of it.
  std::unique_ptr<Group> RestoreGroup(RecoveredGroup& recovered, const GroupViewState& durable);
  Group* FindGroup(GroupId id);
  // The group `id` if it is still the one with `serial` (not removed and re-added).
  Group* FindLive(GroupId id, uint64_t serial);
  void ReindexGroups();
  // Joining groups whose record of the current log view is durable now join (AddGroup).
  void JoinRecordedGroups();
  // Marks a group as joining the current log view (AddGroup, Restore).
  void AwaitJoin(Group& group);
  // A normal backup takes the primary's records of the groups it is joining.
  void JoinFromStartView(const std::vector<StartViewRecord>& records);
  void Send(uint8_t to, ByteSpan frame);
  void Broadcast(ByteSpan frame);
  void FailStop(const absl::Status& cause);
  void ScheduleTick();
  void OnTick();

  // --- normal case (replica.cc) ---
  void OnPrepare(uint8_t from, ByteSpan frame);
  void OnPrepareOk(uint8_t from, const PrepareOk& message);
  void OnCommit(uint8_t from, const CommitChunk& message);
  void SendHeartbeat();
  void RetransmitPrepares();
  void ResendPrepareOks();
  void SendPrepareOk(Group& group, uint64_t op);
  void OnDurable(GroupId id, uint64_t serial, uint64_t epoch, uint64_t op, absl::Status status);
  void CommitProgress(Group& group);
  void CommitOne(Group& group, uint64_t op);
  uint64_t AckCount(const Group& group, uint64_t op) const;

  // --- view change (replica_view_change.cc) ---
  void BeginViewChange(uint32_t new_view);
  void EnterViewChange(uint32_t new_view);
  void OnStartViewChange(uint8_t from, const StartViewChange& message);
  void OnDoViewChange(uint8_t from, const DoViewChangeChunk& message);
  void OnStartView(uint8_t from, const StartViewChunk& message);
  void MaybeSendDoViewChange();
  void SendDoViewChange();
  std::vector<DoViewChangeRecord> OwnDoViewChange() const;
  // The checksum of `op` in the best log view of a view change: a do_view_change's head
  // there, or this replica's verified log of that view; nullopt if neither knows it.
  std::optional<absl::uint128> BestLogChecksum(const Group& group, uint32_t best_log_view, uint64_t op,
                                               const std::vector<DoViewChangeRecord>& records) const;
  // The highest op of `group` this replica may have acknowledged in its log view (its
  // do_view_change's faulty_head_op; it is a nack for every op above), given the head
  // it vouches for: its faulty entries, and local entries above the head unless they
  // are provably leftovers of older views.
  uint64_t PromisedHeadOp(const Group& group, uint64_t head_op) const;
  void MaybeDecideView();
  void SendStartView(std::optional<uint8_t> to);
  void InstallView(uint32_t view, const std::vector<StartViewRecord>& records, bool as_primary);
  bool LogsQuiescent() const;
  VsrState StateWith(uint32_t view, uint32_t log_view,
                     const std::vector<StartViewRecord>* heads) const;
  void Persist(VsrState state, absl::AnyInvocable<void()> then);

  // --- repair (replica_repair.cc) ---
  // Learns a canonical checksum (from a trusted source) for op in the current log view.
  void Learn(Group& group, uint64_t op, absl::uint128 checksum, std::optional<absl::uint128> parent);
  void ResetCanonical(Group& group, uint64_t head_op, absl::uint128 head_checksum);
  std::optional<absl::uint128> Canonical(const Group& group, uint64_t op) const;
  void Advance(Group& group);
  void RequestRepair(Group& group);
  void LearnFromRecoveredHeaders(Group& group);
  void Truncate(Group& group, uint64_t op);
  void OnRequestPrepare(uint8_t from, const RequestPrepare& message);
  void OnRequestHeaders(uint8_t from, const RequestHeaders& message);
  // Sends `to` the headers of ops op_min..op_max (at most repair_headers_max, the
  // newest) read from their entries, for a log that keeps older headers on disk only.
  void SendHeadersFromEntries(uint8_t to, Group& group, uint64_t op_min, uint64_t op_max);
  void OnHeaders(uint8_t from, const HeadersMessage& message);
  uint8_t RepairPeer(uint64_t op) const;

  // --- state sync (replica_sync.cc) ---
  void ServeSnapshot(uint8_t to, Group& group, uint64_t op_min, uint64_t snapshot_op,
                     absl::uint128 snapshot_checksum, uint64_t offset);
  void OfferSnapshot(uint8_t to, Group& group, uint64_t op_min);
  void OnRequestSync(uint8_t from, const RequestSync& message);
  void OnSyncChunk(uint8_t from, const SyncChunk& message);
  // One repair round of a syncing group: request the next chunk, install, or give up.
  void SyncRound(Group& group);
  void RequestSyncChunk(Group& group, uint8_t to);
  void ContinueSync(Group& group);
  void StageChunk(Group& group, const SyncChunk& message);
  void InstallSync(Group& group);
  void Installed(Group& group, const SnapshotId& snapshot);
  void SyncFailed(Group& group, const absl::Status& status);

  // --- --recover (replica_recovery.cc) ---
  void SendPing();
  void OnPing(uint8_t from, const Ping& message);
  void OnPong(uint8_t from, const Pong& message);
  // Whether a start_view of `view` may be installed by a recovering replica.
  bool RecoveringMayInstall(uint32_t view) const;
  void MaybeBecomeVoter();
  // Primary: whether some group's head has stood above its commit point, which has not
  // moved, for primary_abdicate_ticks in this view.
  bool PrimaryStalled();

  ReplicaOptions options_;
  io::Loop& loop_;
  io::Network& network_;
  io::Storage& storage_;
  ViewStateStore* view_state_store_ = nullptr;  // null: the vsr_state file on storage_
  ReplicaObserver* observer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  io::TimerId tick_timer_;
  uint64_t ticks_ = 0;
  absl::Status failure_;
  ReplicaCounters counters_;

  uint32_t view_ = 0;
  uint32_t log_view_ = 0;
  Status status_ = Status::kNormal;
  VsrState durable_;  // what the state file holds

  // --recover (B17): not a voter until caught up.
  bool recovering_ = false;
  bool voter_persisting_ = false;     // the durable write clearing the flag is in flight
  bool recovery_view_installed_ = false;  // a start_view was installed since the restore
  std::function<bool()> voter_gate_;      // SetVoterGate
  uint64_t ping_nonce_ = 0;
  uint32_t pong_replies_ = 0;         // bitmask of peers that answered this boot's nonce
  uint32_t view_floor_ = 0;           // the highest view they reported (fixed once a quorum did)
  uint64_t voter_view_asked_tick_ = 0;  // caught up in a view <= the floor: when it last asked for the next one

  std::vector<std::unique_ptr<Group>> groups_;  // sorted by id
  uint64_t group_serials_ = 0;
  absl::btree_set<GroupId> removed_groups_;  // RemoveGroup: tombstones the next write records
  absl::btree_map<GroupId, size_t> group_index_;

  // Failure detector and timers, in ticks.
  uint64_t primary_contact_tick_ = 0;
  uint64_t view_change_start_tick_ = 0;
  uint64_t repair_rotor_ = 0;  // advances once per repair round

  // View change.
  uint32_t svc_votes_ = 0;           // bitmask of replicas that sent start_view_change for view_
  bool dvc_ready_ = false;           // this backup may send (persisted view_)
  bool deciding_ = false;            // primary: decided, persisting
  bool sv_persisting_ = false;       // backup: persisting a complete start_view
  absl::btree_map<uint8_t, std::unique_ptr<Assembly>> dvc_;  // by sender, for view_
  std::unique_ptr<Assembly> sv_;     // start_view chunks from the new primary
  bool persist_in_flight_ = false;
  std::optional<std::pair<VsrState, absl::AnyInvocable<void()>>> persist_pending_;
};

}  // namespace sluice::vsr
