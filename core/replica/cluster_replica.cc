#include "core/replica/cluster_replica.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/btree_set.h"
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/bootstrap/lost_state_record.h"
#include "core/bootstrap/remove_tree.h"
#include "core/io/storage_ops.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/snapshot_codec.h"
#include "core/partition/entry_body.h"
#include "core/partition/layout.h"
#include "core/replica/partition_refs.h"
#include "core/vsr/metadata_sync.h"
#include "core/wire/header.h"

namespace sluice::replica {
namespace {

constexpr uint64_t kTickInterval = 5;


partition::PartitionOptions OptionsFor(const ClusterReplicaOptions& options, const metadata::MetadataState& state,
                                       const PartitionRef& ref) {
  const bootstrap::PartitionDefaults& defaults = options.partitions;
  partition::PartitionOptions out;
  out.cluster = options.identity.cluster_id;
  out.address = {ref.stream, ref.topic, ref.partition, ref.incarnation};
  out.namespace_id = ref.namespace_id;
  out.segment_size_bytes = state.streams.at(ref.stream).topics.at(ref.topic).settings.segment_size_bytes;
  out.group_commit_bytes_max = defaults.group_commit_bytes_max;
  out.entry_size_bytes_max = defaults.entry_size_bytes_max;
  out.single_node = false;
  out.clamp_consumer_offsets = defaults.clamp_consumer_offsets;
  out.index_entries_reserved = defaults.index_entries_reserved;
  return out;
}

// Whether `directory` holds a partition's state record (then Open recovers it).
io::Task<absl::StatusOr<bool>> HasStateRecord(io::Storage& storage, std::string directory) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries = co_await io::ListDirectory(storage, directory);
  if (!entries.ok()) co_return false;  // absent: nothing to recover
  for (const io::DirectoryEntry& entry : *entries) {
    if (entry.name == partition::kStateRecordName) co_return true;
  }
  co_return false;
}

}  // namespace

io::Task<absl::StatusOr<std::unique_ptr<ClusterReplica>>> ClusterReplica::Open(io::Storage& base_storage, io::Loop& loop,
                                                                               io::Network& network,
                                                                               ClusterReplicaOptions options,
                                                                               ClusterReplicaObserver* observer) {
  options.journal.cluster = options.identity.cluster_id;
  options.partitions.cluster = options.identity.cluster_id;
  options.partitions.single_node = false;
  options.vsr.cluster = options.identity.cluster_id;
  options.vsr.replica_index = options.identity.replica_index;
  options.vsr.replica_count = options.identity.replica_count;
  if (options.checkpoint_interval_ops == 0) options.checkpoint_interval_ops = std::max<uint64_t>(1, options.journal.slot_count / 4);
  // Every I/O of this replica goes through the guard (rule B1: fail_stop_storage.h).
  auto guarded_storage = std::make_unique<FailStopStorage>(base_storage);
  io::Storage& storage = *guarded_storage;

  // 1. Metadata: the committed prefix only (B16); the rest is VSR's.
  CO_ASSIGN_OR_RETURN(metadata_store::RecoveredMetadata recovered,
                      co_await metadata_store::RecoverMetadata(
                          storage, {.identity = options.identity, .journal = options.journal, .single_node = false}),
                      "boot step 3 (metadata)");
  // 2. The durable view state and a sync to resume.
  CO_ASSIGN_OR_RETURN(vsr::MetadataSyncState sync, co_await vsr::LoadMetadataSyncState(storage),
                      "boot step 3 (view state)");
  std::unique_ptr<ClusterReplica> replica(
      new ClusterReplica(storage, loop, std::move(options), observer, std::move(recovered.state)));
  ClusterReplica& self = *replica;
  self.guarded_storage_ = std::move(guarded_storage);
  for (const std::string& decision : recovered.decisions) self.boot_log_.decisions.push_back("metadata: " + decision);
  for (const std::string& warning : recovered.warnings) self.boot_log_.warnings.push_back("metadata: " + warning);
  self.last_checkpoint_op_ = recovered.superblock.state.metadata_checkpoint.op;

  // 3. Partitions of the recovered state; stale directories.
  bootstrap::PartitionReports reports;
  absl::btree_set<vsr::GroupId> recorded;
  for (const vsr::GroupViewState& record : sync.view_state.groups) recorded.insert(record.group);
  CO_ASSIGN_OR_RETURN(bootstrap::PartitionLogs logs,
                      co_await bootstrap::RecoverPartitions(
                          storage, self.state_, self.last_checkpoint_op_, self.options_.partitions, self.boot_log_,
                          &reports,
                          [&recorded](uint64_t namespace_id, uint64_t incarnation) {
                            return !recorded.contains(vsr::GroupId{namespace_id, incarnation});
                          }),
                      "boot step 4 (partitions)");
  std::vector<std::string> stale;
  CO_RETURN_IF_ERROR(co_await bootstrap::RemoveStaleIncarnations(storage, self.state_, self.boot_log_, true,
                                                                 self.last_checkpoint_op_, &stale),
                     "boot step 4 (stale partition directories)");
  self.removable_through_ = self.last_checkpoint_op_;
  for (std::string& directory : stale) self.doomed_.push_back({self.state_.last_applied_op, std::move(directory)});

  // 4. Consensus groups from what recovery found (B4).
  std::vector<vsr::RecoveredGroup> groups;
  // RecoveredMetadata hands the journal, the unapplied suffix and the faulty ops out of
  // the WAL's report: the group log is built from the whole of it (B4, B7, B16).
  journal::JournalRecovery wal = std::move(recovered.journal_report);
  wal.journal = std::move(recovered.journal);
  wal.unapplied = std::move(recovered.unapplied);
  wal.faulty = std::move(recovered.faulty);
  vsr::VsrState view_state = sync.view_state;
  std::unique_ptr<vsr::JournalGroupLog> metadata_log = vsr::JournalGroupLog::FromRecovery(
      std::move(wal), loop, vsr::JournalGroupLog::MetadataSync{.storage = storage, .state = std::move(sync)});
  self.metadata_log_ = metadata_log.get();
  groups.push_back({.id = kMetadataGroup, .log = std::move(metadata_log)});
  for (const PartitionRef& ref : PartitionsOf(self.state_)) {
    auto log = logs.find(ref.namespace_id);
    SLUICE_ASSERT(log != logs.end(), "partition ", ref.namespace_id, " not recovered");
    CO_ASSIGN_OR_RETURN(std::unique_ptr<vsr::PartitionGroupLog> group,
                        co_await vsr::PartitionGroupLog::FromRecovery(std::move(log->second),
                                                                      std::move(reports[ref.namespace_id]), loop,
                                                                      {.cluster = self.options_.identity.cluster_id}),
                        "partition ", partition::PartitionDirectory({ref.stream, ref.topic, ref.partition, ref.incarnation}));
    self.hosted_[ref.namespace_id] = Hosted{.incarnation = ref.incarnation,
                                            .address = {ref.stream, ref.topic, ref.partition, ref.incarnation},
                                            .log = group.get()};
    groups.push_back({.id = {ref.namespace_id, ref.incarnation}, .log = std::move(group)});
  }
  for (const vsr::RecoveredGroup& group : groups) {
    self.recovered_faulty_ops_ += group.log->faulty_head_op() - group.log->last_op();
  }
  if (view_state.groups.empty()) view_state.groups.push_back({.group = kMetadataGroup});
  self.network_ = std::make_unique<FailStopNetwork>(network, self);
  CO_ASSIGN_OR_RETURN(self.replica_,
                      vsr::Replica::Restore(self.options_.vsr, loop, *self.network_, storage, std::move(view_state),
                                            std::move(groups), &self, self.metadata_log_));
  ClusterReplica* owner = &self;  // owns the consensus: outlives it
  self.replica_->SetVoterGate([owner] { return owner->HostsEveryGroup(); });
  SLUICE_ASSERT(self.replica_->commit(kMetadataGroup) == self.state_.last_applied_op || self.metadata_log_->base_op() > self.state_.last_applied_op,
                "replica ", int{self.options_.identity.replica_index}, ": consensus restored at metadata op ",
                self.replica_->commit(kMetadataGroup), ", state at ", self.state_.last_applied_op);
  self.boot_log_.decisions.push_back(absl::StrCat("metadata at op ", self.state_.last_applied_op, ", ",
                                                  self.hosted_.size(), " partition(s); view ",
                                                  self.replica_->view()));
  self.ScheduleTick();
  co_return replica;
}

ClusterReplica::ClusterReplica(io::Storage& storage, io::Loop& loop, ClusterReplicaOptions options,
                               ClusterReplicaObserver* observer, metadata::MetadataState state)
    : storage_(storage),
      loop_(loop),
      options_(std::move(options)),
      observer_(observer),
      state_(std::move(state)),
      activity_(state_.config.clients_max),
      pipeline_budget_(options_.pipeline_bytes_max) {}

ClusterReplica::~ClusterReplica() { loop_.CancelTimer(tick_timer_); }

void ClusterReplica::Fail(const absl::Status& cause) {
  if (failure_.ok()) failure_ = cause;
  if (observer_ != nullptr) observer_->OnFailStop(options_.identity.replica_index, cause);
}

bool ClusterReplica::Stopped() {
  // (The consensus may send while Restore builds it, before replica_ is set.)
  if (!failure_.ok() || (replica_ != nullptr && replica_->failed())) return true;
  if (!guarded_storage_->failed_sync().ok()) {
    Fail(guarded_storage_->failed_sync());
    return true;
  }
  for (auto& [ns, hosted] : hosted_) {
    vsr::PartitionGroupLog* log = hosted.log != nullptr ? hosted.log : hosted.pending.get();
    // PartitionLog reports both a fail-stop and a log closed for a state-sync install
    // (reopened right after) as its failure(), with one code: only the former stops.
    if (log != nullptr && absl::StrContains(log->partition().failure().message(), "fail-stop")) {
      Fail(log->partition().failure());
      return true;
    }
  }
  return false;
}

void ClusterReplica::FailStopNetwork::SetHandler(io::NetworkHandler* handler) {
  handler_ = handler;
  base_.SetHandler(handler == nullptr ? nullptr : this);
}

absl::Status ClusterReplica::FailStopNetwork::Send(io::PeerId to, ByteSpan frame) {
  if (replica_.Stopped()) return absl::OkStatus();  // as if lost: a stopped process sends nothing
  return base_.Send(to, frame);
}

void ClusterReplica::FailStopNetwork::OnFrame(io::PeerId from, ByteSpan frame) {
  if (handler_ == nullptr || replica_.Stopped()) return;
  if (frame.size() >= wire::kHeaderSize &&
      frame[wire::header_offset::kCommand] == static_cast<uint8_t>(wire::Command::kSessionActivity)) {
    return replica_.OnActivityReport(from, frame);
  }
  handler_->OnFrame(from, frame);
}

void ClusterReplica::FailStopNetwork::OnConnectionChange(io::PeerId peer, bool connected) {
  if (handler_ != nullptr) handler_->OnConnectionChange(peer, connected);
}

bool ClusterReplica::settled() const {
  if (!HostsEveryGroup() || !closing_.empty()) return false;
  for (const auto& [ns, hosted] : hosted_) {
    // Committed partition ops apply in the log (visible messages, offsets) in order.
    if (hosted.log->partition().applied_op() < replica_->commit({ns, hosted.incarnation})) return false;
  }
  return true;
}

bool ClusterReplica::HostsEveryGroup() const {
  if (applying_ || !to_apply_.empty()) return false;
  for (const auto& [ns, hosted] : hosted_) {
    if (hosted.log == nullptr) return false;
  }
  return state_.last_applied_op == replica_->commit(kMetadataGroup);
}

void ClusterReplica::ScheduleTick() {
  std::weak_ptr<int> alive = alive_;
  tick_timer_ = loop_.ScheduleAfterTicks(kTickInterval, [this, alive] {
    if (alive.lock() == nullptr || failed()) return;
    RetryPendingAdds();
    DrivePendingSteps();
    ReportActivity();
    StartApplier();  // directories a checkpoint released, if the applier is idle
    ScheduleTick();
  });
}

// --- writes ---

absl::Status ClusterReplica::SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply) {
  if (failed()) return absl::FailedPreconditionError("replica stopped (fail-stop, rule B1)");
  if (!metadata::IsMetadataOperation(request.operation)) {
    return absl::InvalidArgumentError(absl::StrCat("operation ", static_cast<int>(request.operation),
                                                   " is not a metadata one"));
  }
  NoteClientActivity(request.client);
  ASSIGN_OR_RETURN(PipelineBudget::Hold hold,
                   pipeline_budget_.Reserve(replica_->view(), wire::kHeaderSize + request.body.size()));
  RETURN_IF_ERROR(replica_->SubmitRequest(kMetadataGroup, request.operation, request.body, request.client,
                                          request.request));
  const uint64_t op = replica_->head_op(kMetadataGroup);
  replies_[op] = {.checksum = *metadata_log_->ChecksumAt(op),
                  .on_reply = [hold = std::move(hold), reply = std::move(on_reply)](
                                  absl::StatusOr<metadata_store::CommittedResult> result) mutable {
                    hold.Release();
                    reply(std::move(result));
                  }};
  return absl::OkStatus();
}

absl::Status ClusterReplica::SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                                             ByteSpan body, PartitionReply on_reply, absl::uint128 client) {
  if (failed()) return absl::FailedPreconditionError("replica stopped (fail-stop, rule B1)");
  const auto it = hosted_.find(namespace_id);
  if (it == hosted_.end() || it->second.incarnation != incarnation || it->second.log == nullptr) {
    // No fallback to another incarnation (rule B10).
    return absl::NotFoundError(absl::StrCat("partition group ", namespace_id, "/", incarnation, " is not hosted"));
  }
  if (!replica_->is_primary()) {
    return absl::FailedPreconditionError(absl::StrCat("replica ", int{options_.identity.replica_index},
                                                      " is not the primary"));
  }
  partition::PartitionLog& log = it->second.log->partition();
  const absl::uint128 request_checksum = client == 0 ? 0 : base::Checksum128(body);
  NoteClientActivity(client);
  if (client != 0) {
    ASSIGN_OR_RETURN(const std::optional<ClientWrite> first_copy,
                     FindClientWrite(it->second.address.stream, it->second.address.topic, client, request_checksum));
    if (first_copy.has_value()) {
      const vsr::GroupId first_group = first_copy->group;
      const uint64_t first_op = first_copy->op;
      ++duplicate_writes_;
      if (first_op <= replica_->commit(first_group)) {
        loop_.Post([reply = std::move(on_reply), op = first_op]() mutable { reply(op); });
      } else {
        const auto hosted = hosted_.find(first_group.namespace_id);
        partition_replies_[{first_group.namespace_id, first_group.incarnation}].emplace(
            first_op, std::make_pair(*hosted->second.log->ChecksumAt(first_op), std::move(on_reply)));
      }
      return absl::OkStatus();
    }
  }
  ASSIGN_OR_RETURN(PipelineBudget::Hold hold,
                   pipeline_budget_.Reserve(replica_->view(), wire::kHeaderSize + body.size()));
  timestamp_floor_us_ = std::max(timestamp_floor_us_ + 1, loop_.clock().RealtimeNs() / 1000);
  // The partition stamps the batch (offsets, partition id) against its own log; VSR
  // wraps the stamped body in its prepare.
  ASSIGN_OR_RETURN(const Bytes frame, log.PrepareNext(operation, body, timestamp_floor_us_, client, request_checksum));
  const vsr::GroupId group{namespace_id, incarnation};
  RETURN_IF_ERROR(replica_->SubmitRequest(group, operation, ByteSpan(frame).subspan(wire::kHeaderSize), client,
                                          /*request=*/0,
                                          client == 0 ? std::nullopt : std::make_optional(request_checksum)));
  const uint64_t op = replica_->head_op(group);
  PartitionReply held = [hold = std::move(hold), reply = std::move(on_reply)](absl::StatusOr<uint64_t> op) mutable {
    hold.Release();
    reply(std::move(op));
  };
  partition_replies_[{namespace_id, incarnation}].emplace(
      op, std::make_pair(*it->second.log->ChecksumAt(op), std::move(held)));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ClusterReplica::ClientWrite>> ClusterReplica::FindClientWrite(
    uint32_t stream, uint32_t topic, absl::uint128 client, absl::uint128 request_checksum) const {
  for (const auto& [namespace_id, hosted] : hosted_) {
    if (hosted.address.stream != stream || hosted.address.topic != topic) continue;
    if (hosted.log == nullptr) continue;  // being added or removed: no writes reach it
    const vsr::GroupId group{namespace_id, hosted.incarnation};
    const partition::PartitionLog& log = hosted.log->partition();
    if (log.last_op() < replica_->head_op(group)) {
      return absl::UnavailableError(absl::StrCat("partition ", namespace_id, " is still repairing ops ",
                                                 log.last_op() + 1, "..", replica_->head_op(group),
                                                 " of its head (a retry may be among them); retry"));
    }
    if (const std::optional<partition::RecentRequest> found = log.FindRecentRequest(client, request_checksum)) {
      return std::make_optional(ClientWrite{
          .group = group, .op = found->op, .partition = hosted.address.partition, .base_offset = found->base_offset});
    }
  }
  return std::nullopt;
}

// --- client activity (session_activity.h) ---

void ClusterReplica::NoteClientActivity(absl::uint128 client) {
  if (client == 0 || failed()) return;
  if (replica_->is_primary() && replica_->status() == vsr::Status::kNormal) {
    activity_.Seen(client, replica_->view(), loop_.clock().MonotonicTicks());
  } else {
    activity_.NoteForReport(client);
  }
}

std::vector<absl::uint128> ClusterReplica::IdleSessions(uint64_t idle_timeout_ticks, uint64_t member_timeout_ticks,
                                                        size_t limit) {
  if (failed() || !replica_->is_primary() || replica_->status() != vsr::Status::kNormal) return {};
  const uint64_t now_ticks = loop_.clock().MonotonicTicks();
  // What this replica heard as a backup counts too, now that it leads.
  for (const absl::uint128 client : activity_.TakeReport(SIZE_MAX)) activity_.Seen(client, replica_->view(), now_ticks);
  return activity_.IdleSessions(state_, replica_->view(), now_ticks, idle_timeout_ticks, member_timeout_ticks, limit);
}

void ClusterReplica::ReportActivity() {
  if (!activity_.report_pending() || failed() || replica_->status() != vsr::Status::kNormal) return;
  const uint64_t now_ticks = loop_.clock().MonotonicTicks();
  if (now_ticks < activity_reported_ticks_ + options_.activity_report_interval_ticks) return;
  activity_reported_ticks_ = now_ticks;
  const uint32_t view = replica_->view();
  if (replica_->is_primary()) {
    for (const absl::uint128 client : activity_.TakeReport(SIZE_MAX)) activity_.Seen(client, view, now_ticks);
    return;
  }
  // Bounded: one frame per interval; what does not fit waits for the next.
  const size_t fit = (network_->frame_size_max_bytes() - wire::kHeaderSize) / 16;
  ActivityReport report{.view = view,
                        .replica = options_.identity.replica_index,
                        .clients = activity_.TakeReport(std::min(fit, kActivityClientsPerFrameMax))};
  SLUICE_ASSERT(!report.clients.empty(), "a pending activity report with no client");
  const Bytes frame = EncodeActivityReport(options_.identity.cluster_id, report);
  const io::PeerId primary = view % options_.identity.replica_count;
  if (const absl::Status sent = network_->Send(primary, frame); sent.ok()) {
    ++activity_reports_sent_;
  } else {
    // A full queue toward the primary (backpressure): the ids go back for the next try.
    activity_.ReturnReport(report.clients);
  }
}

void ClusterReplica::OnActivityReport(io::PeerId from, ByteSpan frame) {
  absl::StatusOr<ActivityReport> report = DecodeActivityReport(frame, options_.identity.cluster_id);
  // Dropped: undecodable, not from the replica it names, or from another view (it
  // may be stale), or this replica does not lead the view.
  if (!report.ok() || from >= options_.identity.replica_count || report->replica != from) return;
  if (replica_ == nullptr || !replica_->is_primary() || replica_->status() != vsr::Status::kNormal ||
      report->view != replica_->view()) {
    return;
  }
  ++activity_reports_received_;
  const uint64_t now_ticks = loop_.clock().MonotonicTicks();
  for (const absl::uint128 client : report->clients) activity_.Seen(client, report->view, now_ticks);
}

absl::StatusOr<partition::PartitionLog*> ClusterReplica::Partition(uint64_t namespace_id, uint64_t incarnation) {
  const auto it = hosted_.find(namespace_id);
  if (it == hosted_.end() || it->second.incarnation != incarnation || it->second.log == nullptr) {
    return absl::NotFoundError(absl::StrCat("partition group ", namespace_id, "/", incarnation, " is not hosted"));
  }
  return &it->second.log->partition();
}

// --- what the consensus reports ---

void ClusterReplica::OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) {
  if (observer_ != nullptr) observer_->OnCommit(replica, group, op, checksum);
  if (group == kMetadataGroup) {
    to_apply_.push_back({.op = op});
  } else if (auto replies = partition_replies_.find({group.namespace_id, group.incarnation});
             replies != partition_replies_.end()) {
    // The op committed here is the one this primary prepared only if the checksums
    // agree: a view change may have put another op at that number (or a state sync
    // skipped it).
    while (!replies->second.empty() && replies->second.begin()->first <= op) {
      auto [expected, reply] = std::move(replies->second.begin()->second);
      const bool same = replies->second.begin()->first == op && expected == checksum;
      replies->second.erase(replies->second.begin());
      reply(same ? absl::StatusOr<uint64_t>(op)
                 : absl::StatusOr<uint64_t>(absl::UnavailableError("the write was replaced in a view change; retry")));
    }
  }
  StartApplier();
}

void ClusterReplica::OnPersist(uint8_t replica, const vsr::VsrState& state) {
  if (observer_ != nullptr) observer_->OnPersist(replica, state);
}

void ClusterReplica::OnFailStop(uint8_t replica, const absl::Status& cause) {
  if (observer_ != nullptr) observer_->OnFailStop(replica, cause);
}

void ClusterReplica::OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) {
  if (observer_ != nullptr) observer_->OnStateSync(replica, group, op, checksum);
  if (group == kMetadataGroup) to_apply_.push_back({.op = op, .state_sync = true});
  StartApplier();
}

void ClusterReplica::OnVoter(uint8_t replica) {
  if (observer_ != nullptr) observer_->OnVoter(replica);
}

// --- apply ---

io::Task<void> ClusterReplica::NextTick() {
  // Never resumed once this replica is gone: its task, and so the awaiting frame, went with it.
  std::weak_ptr<int> alive = alive_;
  co_await io::AwaitCompletion<bool>([&](absl::AnyInvocable<void(bool)> done) {
    loop_.ScheduleAfterTicks(1, [alive, done = std::move(done)]() mutable {
      if (alive.lock() != nullptr) done(true);
    });
  });
}

bool ClusterReplica::HasRemovable() const {
  return !doomed_.empty() && doomed_.front().first <= removable_through_;
}

io::Task<absl::Status> ClusterReplica::RemoveDoomed() {
  while (HasRemovable()) {
    const std::string directory = doomed_.front().second;
    CO_RETURN_IF_ERROR(co_await bootstrap::RemoveTree(storage_, directory), "removing deleted partition ", directory);
    doomed_.pop_front();
  }
  co_return absl::OkStatus();
}

void ClusterReplica::StartApplier() {
  if (applying_ || (to_apply_.empty() && !HasRemovable())) return;
  applying_ = true;
  applier_ = RunApplier();
  applier_.Start();
}

io::Task<void> ClusterReplica::RunApplier() {
  while ((!to_apply_.empty() || HasRemovable()) && failure_.ok()) {
    if (HasRemovable()) {
      if (absl::Status status = co_await RemoveDoomed(); !status.ok()) Fail(status);
      continue;
    }
    const Applying next = to_apply_.front();
    to_apply_.pop_front();
    if (absl::Status status = co_await ApplyOne(next); !status.ok()) {
      Fail(absl::InternalError(absl::StrCat("replica ", int{options_.identity.replica_index},
                                            " stopped (fail-stop, rule B1): ", status.ToString())));
    }
  }
  applying_ = false;
}

io::Task<absl::Status> ClusterReplica::ApplyOne(const Applying& next) {
  uint32_t created_view = UINT32_MAX;
  if (next.state_sync && next.op <= state_.last_applied_op) co_return absl::OkStatus();  // jumped there already
  if (next.state_sync) {
    // The installed snapshot is the state at its op (B15).
    const std::optional<vsr::SnapshotId> served = metadata_log_->ServedSnapshot();
    // A later state sync installed meanwhile (this applier was behind): its snapshot
    // covers this op, so the state jumps to it; its own entry then finds it done.
    if (served.has_value() && served->op > next.op) {
      co_return co_await ApplyOne({.op = served->op, .state_sync = true});
    }
    if (!served.has_value() || served->op != next.op) {
      co_return absl::InternalError(absl::StrCat("state sync to op ", next.op, " but the served snapshot differs"));
    }
    CO_ASSIGN_OR_RETURN(const Bytes bytes, co_await io::AwaitCompletion<absl::StatusOr<Bytes>>(
                                               [&](absl::AnyInvocable<void(absl::StatusOr<Bytes>)> done) {
                                                 metadata_log_->ReadSnapshot(*served, 0, served->size_bytes,
                                                                             std::move(done));
                                               }));
    const superblock::OpenedSuperblock* superblock = metadata_log_->durable_superblock();
    SLUICE_ASSERT(superblock != nullptr && superblock->state.metadata_checkpoint.op == next.op,
                  "a state sync installed without its superblock");
    CO_ASSIGN_OR_RETURN(state_, metadata::DecodeSnapshot(bytes, next.op,
                                                         superblock->state.metadata_checkpoint.snapshot_checksum),
                        "the snapshot a state sync installed");
    replies_.erase(replies_.begin(), replies_.upper_bound(next.op));
    removable_through_ = std::max(removable_through_, next.op);  // the installed snapshot is a checkpoint
  } else {
    if (next.op <= state_.last_applied_op) co_return absl::OkStatus();  // covered by a state sync
    SLUICE_ASSERT(next.op == state_.last_applied_op + 1, "replica ", int{options_.identity.replica_index},
                  ": metadata op ", next.op, " committed after op ", state_.last_applied_op);
    // A backup may commit an op (the cluster did) before its own copy is durable,
    // and the WAL reads only durable entries: wait for it.
    absl::StatusOr<Bytes> read;
    while (true) {
      read = co_await io::AwaitCompletion<absl::StatusOr<Bytes>>(
          [&](absl::AnyInvocable<void(absl::StatusOr<Bytes>)> done) {
            metadata_log_->ReadEntry(next.op, std::move(done));
          });
      if (!absl::IsUnavailable(read.status()) || replica_->failed()) break;
      co_await NextTick();
    }
    // A snapshot installed above it may have cleared its slot (the ring's slots there
    // stand for later ops now, Journal::InstallCheckpoint): the snapshot covers it, so
    // the state jumps to it now; the install's own state-sync entry then finds it done.
    if (!read.ok() && next.op <= metadata_log_->base_op()) {
      co_return co_await ApplyOne({.op = metadata_log_->base_op(), .state_sync = true});
    }
    CO_ASSIGN_OR_RETURN(const Bytes frame, std::move(read), "reading committed metadata op ", next.op);
    CO_ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare, wire::DecodePrepare(frame, options_.identity.cluster_id));
    const wire::PrepareHeader& header = prepare.header();
    created_view = header.view;
    const metadata::ApplyResult result = metadata::Apply(state_,
                                                         {.op = header.op,
                                                          .operation = header.operation,
                                                          .timestamp_us = header.timestamp,
                                                          .client = header.client,
                                                          .request = header.request},
                                                         prepare.body());
    // Reconcile before replying: a client may write to a created partition next.
    CO_RETURN_IF_ERROR(co_await Reconcile(created_view));
    if (auto reply = replies_.find(next.op); reply != replies_.end()) {
      PendingReply pending = std::move(reply->second);
      replies_.erase(reply);
      if (pending.checksum == prepare.checksum()) {
        pending.on_reply(metadata_store::CommittedResult{
            .result = result, .op = header.op, .timestamp_us = header.timestamp});
      } else {
        pending.on_reply(absl::UnavailableError("the request was replaced in a view change; retry"));
      }
    }
  }
  if (next.state_sync) CO_RETURN_IF_ERROR(co_await Reconcile(created_view));
  if (observer_ != nullptr) {
    observer_->OnMetadataApplied(options_.identity.replica_index, state_.last_applied_op,
                                 metadata::EncodeSnapshot(state_).checksum);
  }
  MaybeCheckpoint();
  co_return absl::OkStatus();
}

io::Task<absl::Status> ClusterReplica::Reconcile(uint32_t created_view) {
  // Hosted partitions the state no longer has (deleted; or replaced by a newer incarnation).
  absl::btree_map<uint64_t, uint64_t> wanted;  // namespace -> incarnation
  for (const PartitionRef& ref : PartitionsOf(state_)) wanted[ref.namespace_id] = ref.incarnation;
  std::vector<uint64_t> removals;
  for (const auto& [ns, hosted] : hosted_) {
    const auto it = wanted.find(ns);
    if (it == wanted.end() || it->second != hosted.incarnation) removals.push_back(ns);
  }
  for (uint64_t ns : removals) CO_RETURN_IF_ERROR(co_await RemovePartition(ns));
  for (const PartitionRef& ref : PartitionsOf(state_)) {
    if (hosted_.contains(ref.namespace_id)) continue;
    // Only the op that created it vouches for the view it was created in.
    const uint32_t view = ref.incarnation == state_.last_applied_op ? created_view : UINT32_MAX;
    CO_RETURN_IF_ERROR(co_await AddPartition(ref.stream, ref.topic, ref.partition, ref.incarnation,
                                             ref.namespace_id, view));
  }
  co_return absl::OkStatus();
}

io::Task<absl::Status> ClusterReplica::AddPartition(uint32_t stream, uint32_t topic, uint32_t partition_id,
                                                    uint64_t incarnation, uint64_t namespace_id,
                                                    uint32_t created_view) {
  const PartitionRef ref{stream, topic, partition_id, incarnation, namespace_id};
  const partition::PartitionOptions options = OptionsFor(options_, state_, ref);
  const std::string directory = partition::PartitionDirectory(options.address);
  std::unique_ptr<partition::PartitionLog> log;
  partition::RecoveryReport report;
  CO_ASSIGN_OR_RETURN(const bool exists, co_await HasStateRecord(storage_, directory));
  bool create = !exists;
  if (exists) {
    // A previous process created it (and may have acknowledged entries in it).
    absl::StatusOr<std::unique_ptr<partition::PartitionLog>> opened =
        co_await partition::PartitionLog::Open(storage_, options, &report);
    bool record_lost = false;
    if (absl::IsDataLoss(opened.status())) {
      // A failed sync of the record's rewrite is not a lost record (rule B1).
      CO_ASSIGN_OR_RETURN(record_lost, co_await bootstrap::StateRecordLost(storage_, directory), "recovering partition ",
                          directory);
    }
    if (record_lost) {
      // A crash inside Create leaves a state record with no valid copy: the creation
      // never counted — unless a segment holds entries (then the record was lost
      // after the fact, and recreating would drop acknowledged entries: rule B5).
      CO_ASSIGN_OR_RETURN(const std::optional<std::string> written, co_await bootstrap::NonEmptySegment(storage_, directory));
      if (written.has_value()) {
        // Its record was lost after the fact: repaired from peers (lost_state_record.h).
        CO_RETURN_IF_ERROR(co_await bootstrap::ReplaceLostStateRecord(storage_, options, opened.status(), boot_log_),
                           "recovering partition ", directory, " (", *written, " holds entries)");
        report = {};
        CO_ASSIGN_OR_RETURN(log, co_await partition::PartitionLog::Open(storage_, options, &report),
                            "recovering partition ", directory);
      } else {
        boot_log_.decisions.push_back(absl::StrCat("partition ", directory, ": its creation never completed (",
                                                   opened.status().message(), "); created again"));
        report = {};
        create = true;
      }
    } else {
      // A listed segment missing (rule B5): a sealed one is repaired from peers, a
      // missing active one is a clear error naming `format --recover` (lost_state_record.h).
      bool replaced = false;
      if (absl::IsDataLoss(opened.status())) {
        CO_ASSIGN_OR_RETURN(replaced,
                            co_await bootstrap::ReplaceLogMissingSegment(storage_, options, opened.status(), boot_log_),
                            "recovering partition ", directory);
      }
      if (replaced) {
        report = {};
        CO_ASSIGN_OR_RETURN(log, co_await partition::PartitionLog::Open(storage_, options, &report),
                            "recovering partition ", directory);
      } else {
        CO_ASSIGN_OR_RETURN(log, std::move(opened), "recovering partition ", directory);
      }
    }
  }
  if (create) {
    // A partial directory from a crash before its state record was durable goes first.
    CO_RETURN_IF_ERROR(co_await bootstrap::RemoveTree(storage_, directory));
    CO_ASSIGN_OR_RETURN(log, co_await partition::PartitionLog::Create(storage_, options),
                        "creating partition ", directory);
  }
  CO_ASSIGN_OR_RETURN(std::unique_ptr<vsr::PartitionGroupLog> group,
                      co_await vsr::PartitionGroupLog::FromRecovery(std::move(log), std::move(report), loop_,
                                                                    {.cluster = options_.identity.cluster_id}),
                      "partition ", directory);
  recovered_faulty_ops_ += group->faulty_head_op() - group->last_op();
  hosted_[namespace_id] = Hosted{.incarnation = incarnation,
                                 .address = options.address,
                                 .pending = std::move(group),
                                 .created_view = created_view};
  RetryPendingAdds();
  co_return absl::OkStatus();
}

void ClusterReplica::RetryPendingAdds() {
  // During a view change a group waits (AddGroup refuses it): added once normal again.
  for (auto& [ns, hosted] : hosted_) {
    // (An add on a primary may start a view change: the rest wait for its end.)
    if (replica_->failed() || replica_->status() != vsr::Status::kNormal) return;
    if (hosted.pending == nullptr) continue;
    vsr::PartitionGroupLog* log = hosted.pending.get();
    const absl::Status added = replica_->AddGroup({.id = {ns, hosted.incarnation}, .log = std::move(hosted.pending)},
                                                  hosted.created_view);
    if (!added.ok()) return Fail(added);
    hosted.log = log;
  }
}

io::Task<absl::Status> ClusterReplica::RemovePartition(uint64_t namespace_id) {
  Hosted hosted = std::move(hosted_.at(namespace_id));
  hosted_.erase(namespace_id);
  partition_replies_.erase({namespace_id, hosted.incarnation});
  std::unique_ptr<vsr::PartitionGroupLog> log = std::move(hosted.pending);
  if (hosted.log != nullptr) {
    CO_ASSIGN_OR_RETURN(std::unique_ptr<vsr::GroupLog> removed,
                        replica_->RemoveGroup({namespace_id, hosted.incarnation}));
    log.reset(static_cast<vsr::PartitionGroupLog*>(removed.release()));
  }
  vsr::PartitionGroupLog* closing = log.get();
  closing_.push_back(std::move(log));
  // What the consensus started on it (a truncation, a read) finishes first: a
  // truncation writes into the directory.
  while (!closing->idle()) co_await NextTick();
  CO_RETURN_IF_ERROR(co_await closing->partition().Drain(), "closing ", partition::PartitionDirectory(hosted.address));
  // Drain() resumed us from the log's own runner: the log goes once that has returned.
  co_await NextTick();
  std::erase_if(closing_, [closing](const auto& log) { return log.get() == closing; });
  // The directory goes once a checkpoint covers the deletion: until then, a boot's
  // state (at the commit watermark) may still hold the partition, and rule B5 wants
  // its directory there (the op is applied again, and the directory removed then).
  doomed_.push_back({state_.last_applied_op, partition::PartitionDirectory(hosted.address)});
  co_return absl::OkStatus();
}

void ClusterReplica::DrivePendingSteps() {
  if (!replica_->is_primary() || replica_->status() != vsr::Status::kNormal || !settled()) return;
  if (steps_view_ != replica_->view()) {
    steps_view_ = replica_->view();
    steps_submitted_.clear();
  }
  for (const auto& [id, step] : state_.pending_steps) {
    if (steps_submitted_.contains(id)) continue;
    absl::Status submitted;
    if (step.kind == metadata::StepKind::kDeletePartition) {
      // Its copy here is gone (settled): the step is done on this replica; the others
      // remove theirs as they apply the deletion (or at boot).
      submitted = SubmitCompleteStep(id);
    } else {
      submitted = DrivePartitionStep(id, step);
    }
    if (!submitted.ok()) return;  // not now (pipeline full, repairing): the next tick tries again
    steps_submitted_.insert(id);
  }
}

absl::Status ClusterReplica::SubmitCompleteStep(uint64_t step_id) {
  return SubmitMetadata({.operation = wire::Operation::kCompletePartitionStep,
                         .body = metadata::Encode(metadata::CompleteStepBody{step_id})},
                        [](absl::StatusOr<metadata_store::CommittedResult>) {});
}

// A purge or a deleted group's offsets: carried out through the partition's group,
// then marked done. Decided only once the group's log holds no uncommitted op (its
// head is committed and applied here): a previous primary's entry for the step is
// then either applied — the partition says the step is done — or gone for good, so a
// step is never carried out twice (a second purge would drop messages written since).
absl::Status ClusterReplica::DrivePartitionStep(uint64_t step_id, const metadata::PendingStep& step) {
  const absl::StatusOr<uint64_t> ns =
      metadata::PackNamespace(state_.config.widths, {step.stream, step.topic, step.partition});
  RETURN_IF_ERROR(ns.status());
  const auto hosted = hosted_.find(*ns);
  if (hosted == hosted_.end() || hosted->second.incarnation != step.incarnation) {
    return SubmitCompleteStep(step_id);  // the partition is gone: nothing left to do
  }
  if (hosted->second.log == nullptr) return absl::UnavailableError("the partition group is being added");
  const vsr::GroupId group{*ns, step.incarnation};
  const partition::PartitionLog& log = hosted->second.log->partition();
  if (replica_->commit(group) != replica_->head_op(group) || log.commit_op() != replica_->commit(group)) {
    return absl::UnavailableError("the partition group has uncommitted ops");
  }
  std::optional<std::pair<wire::Operation, Bytes>> entry;
  const partition::ConsumerKey consumer{partition::ConsumerKind::kGroup, step.group};
  if (step.kind == metadata::StepKind::kPurgePartition) {
    if (log.purged_through_step() < step_id) {
      entry.emplace(wire::Operation::kPartitionPurge, partition::EncodePurge(step_id));
    }
  } else if (log.ConsumerOffset(consumer).has_value()) {
    entry.emplace(wire::Operation::kDeleteConsumerOffset, partition::EncodeDeleteOffset(consumer));
  }
  if (!entry.has_value()) return SubmitCompleteStep(step_id);
  return SubmitPartition(*ns, step.incarnation, entry->first, entry->second,
                         [this, step_id](absl::StatusOr<uint64_t> op) {
                           // Done through the partition: mark it so. If either fails (a
                           // view change), a primary decides the step again.
                           if (!op.ok() || !SubmitCompleteStep(step_id).ok()) steps_submitted_.erase(step_id);
                         });
}

void ClusterReplica::MaybeCheckpoint() {
  if (checkpointing_ || metadata_log_->checkpoint_busy()) return;
  const uint64_t op = state_.last_applied_op;
  if (op < last_checkpoint_op_ + options_.checkpoint_interval_ops || op <= metadata_log_->base_op()) return;
  // B5: every partition the covered ops created exists durably (Create/Open finished).
  for (const auto& [ns, hosted] : hosted_) {
    if (hosted.log == nullptr && hosted.pending == nullptr) return;
  }
  checkpointing_ = true;
  std::weak_ptr<int> alive = alive_;
  metadata_log_->TakeCheckpoint(state_, [this, alive, op](absl::Status status) {
    if (alive.lock() == nullptr) return;
    checkpointing_ = false;
    if (absl::IsFailedPrecondition(status)) return;  // busy or out of reach: a later op tries again
    if (!status.ok()) return Fail(status);
    last_checkpoint_op_ = op;
    ++checkpoints_;
    removable_through_ = std::max(removable_through_, op);
    StartApplier();
  });
}

}  // namespace sluice::replica
