// Replica: construction (rule B4), dispatch, ticks and the normal case.
#include "core/vsr/replica.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "core/vsr/replica_internal.h"
#include "core/wire/header.h"

namespace sluice::vsr {

Replica::Replica(const ReplicaOptions& options, io::Loop& loop, io::Network& network,
                 io::Storage& storage, VsrState state, ReplicaObserver* observer)
    : options_(options),
      loop_(loop),
      network_(network),
      storage_(storage),
      observer_(observer),
      view_(state.view),
      log_view_(state.log_view),
      durable_(std::move(state)) {
  recovering_ = durable_.recovering;
}

Replica::~Replica() { loop_.CancelTimer(tick_timer_); }

absl::StatusOr<std::unique_ptr<Replica>> Replica::Restore(const ReplicaOptions& options,
                                                          io::Loop& loop, io::Network& network,
                                                          io::Storage& storage, VsrState state,
                                                          std::vector<RecoveredGroup> groups,
                                                          ReplicaObserver* observer,
                                                          ViewStateStore* view_state_store) {
  if (options.replica_count == 0 || options.replica_count > 32 ||
      options.replica_index >= options.replica_count) {
    return absl::InvalidArgumentError(absl::StrCat("replica ", int{options.replica_index}, " of ",
                                                   int{options.replica_count}));
  }
  if (options.pipeline_max == 0 || options.repair_prepares_max == 0 || options.repair_headers_max == 0) {
    return absl::InvalidArgumentError("pipeline and repair bounds must be positive");
  }
  std::sort(groups.begin(), groups.end(),
            [](const RecoveredGroup& a, const RecoveredGroup& b) { return a.id < b.id; });
  for (size_t i = 1; i < groups.size(); ++i) {
    if (groups[i - 1].id == groups[i].id) {
      return absl::InvalidArgumentError(absl::StrCat("group ", groups[i].id.namespace_id, " twice"));
    }
  }
  absl::btree_map<GroupId, GroupViewState> durable_groups;
  for (const GroupViewState& group : state.groups) durable_groups[group.group] = group;

  std::unique_ptr<Replica> replica(new Replica(options, loop, network, storage, state, observer));
  replica->view_state_store_ = view_state_store;
  for (RecoveredGroup& recovered : groups) {
    if (recovered.log == nullptr) return absl::InvalidArgumentError("group without a log");
    GroupViewState durable{.group = recovered.id, .log_view = 0, .head_op = recovered.log->base_op(),
                           .head_checksum = recovered.log->base_checksum()};
    if (auto it = durable_groups.find(recovered.id); it != durable_groups.end() && it->second.log_view != kRemovedLogView) {
      durable = it->second;
    }
    std::unique_ptr<Group> group = replica->RestoreGroup(recovered, durable);
    group->serial = ++replica->group_serials_;
    // A group (added after the last view change it took part in) whose record is of an
    // older log view than the replica's own joins again, as AddGroup has it.
    if (group->log_view < replica->log_view_) replica->AwaitJoin(*group);
    replica->group_index_[group->id] = replica->groups_.size();
    replica->groups_.push_back(std::move(group));
  }

  network.SetHandler(replica.get());
  if (replica->recovering_) {
    // B17: whatever view it stored, it waits for a start_view it may trust, and
    // asks for it by pinging every peer (a nonce of this boot: older answers never count).
    replica->ping_nonce_ = base::DeriveSeed(loop.clock().RealtimeNs(), loop.clock().MonotonicNs()) | 1;
    replica->EnterViewChange(replica->view_);
    replica->SendPing();
  } else if (replica->view_ > replica->log_view_) {
    // It persisted this view before sending do_view_change, which it did only once a
    // quorum had started the view change: it resumes by sending it again.
    replica->EnterViewChange(replica->view_);
    replica->svc_votes_ = (uint32_t{1} << options.replica_count) - 1;
  } else if (replica->is_primary() && options.replica_count > 1) {
    replica->BeginViewChange(replica->view_ + 1);
  }
  for (auto& group : replica->groups_) replica->Advance(*group);
  replica->ScheduleTick();
  return replica;
}

std::unique_ptr<Replica::Group> Replica::RestoreGroup(RecoveredGroup& recovered, const GroupViewState& durable) {
  auto group = std::make_unique<Group>();
  group->id = recovered.id;
  group->log = std::move(recovered.log);
  const GroupLog& log = *group->log;
  group->log_view = durable.log_view;
  // The canonical head of the log view: the one start_view named, extended by the
  // local ops prepared in that very view on top of it (only the primary of a view
  // prepares ops in it, one per op number, so they are canonical in it).
  uint64_t head = durable.head_op;
  absl::uint128 head_checksum = durable.head_checksum;
  if (head <= log.base_op()) {
    // A checkpoint (or installed snapshot) at or beyond the head: the base is
    // committed, so canonical in every view, and the ops of the log view above it
    // extend it as below. Not extending would let Advance truncate them as stale,
    // though this replica may have acknowledged them.
    head = log.base_op();
    head_checksum = log.base_checksum();
  }
  if (log.ChecksumAt(head) == std::optional<absl::uint128>(head_checksum)) {
    while (head < log.last_op()) {
      const std::optional<ByteSpan> header = log.Header(head + 1);
      if (!header.has_value() || wire::LoadPrepareFields(*header).view != group->log_view) break;
      ++head;
      head_checksum = *log.ChecksumAt(head);
    }
  }
  group->commit_max = std::max(log.recovered_commit(), log.base_op());
  group->commit = std::min(group->commit_max, log.last_op());
  group->verified_op = group->commit;
  group->head_op = std::max(head, group->commit);
  group->head_checksum = group->head_op == head ? head_checksum : *log.ChecksumAt(group->commit);
  group->vouched_op = group->head_op;
  group->vouched_checksum = group->head_checksum;
  if (group->head_op > group->verified_op) group->canonical[group->head_op] = group->head_checksum;
#ifdef SLUICE_MUTATION_B4
  // Mutation proof only (tests/mutation/run_mutation_proofs.sh; never in a product
  // build): the group boots fresh-zero — log view 0, head and commit at its base —
  // instead of from its recovered state, which rule B4 forbids.
  group->log_view = 0;
  group->commit_max = group->commit = group->verified_op = group->head_op = group->vouched_op = log.base_op();
  group->head_checksum = group->vouched_checksum = log.base_checksum();
  group->canonical.clear();
#endif
  // A state sync the last process left staged resumes (B15); it is acted on only
  // once complete and verified (GroupLog::InstallSnapshot).
  if (const std::optional<StagedSnapshot> staged = log.Staged();
      staged.has_value() && staged->id.op > group->verified_op) {
    group->sync = Group::Sync{.id = staged->id, .staged_bytes = staged->staged_bytes, .stalled_rounds = 1};
    group->sync->peer = static_cast<uint8_t>((options_.replica_index + 1) % options_.replica_count);
    counters_.sync_bytes_resumed += staged->staged_bytes;
  }
  return group;
}

Replica::Group* Replica::FindGroup(GroupId id) {
  const auto it = group_index_.find(id);
  return it == group_index_.end() ? nullptr : groups_[it->second].get();
}

Replica::Group* Replica::FindLive(GroupId id, uint64_t serial) {
  Group* group = FindGroup(id);
  return group != nullptr && group->serial == serial ? group : nullptr;
}

void Replica::ReindexGroups() {
  group_index_.clear();
  for (size_t i = 0; i < groups_.size(); ++i) group_index_[groups_[i]->id] = i;
}

absl::Status Replica::AddGroup(RecoveredGroup recovered, uint32_t created_view) {
  if (failed()) return absl::FailedPreconditionError("replica stopped");
  if (recovered.log == nullptr) return absl::InvalidArgumentError("group without a log");
  if (FindGroup(recovered.id) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("group ", recovered.id.namespace_id, " is hosted"));
  }
  if (status_ != Status::kNormal) {
    return absl::UnavailableError(absl::StrCat("replica ", int{options_.replica_index}, " is changing view ", view_));
  }
  removed_groups_.erase(recovered.id);
  GroupViewState durable{.group = recovered.id, .log_view = 0, .head_op = recovered.log->base_op(),
                         .head_checksum = recovered.log->base_checksum()};
  bool recorded = false;
  for (const GroupViewState& record : durable_.groups) {
    if (record.group == recovered.id && record.log_view != kRemovedLogView) {
      durable = record;
      recorded = true;
    }
  }
  const bool fresh = recovered.log->base_op() == 0 && recovered.log->faulty_head_op() == 0;
  std::unique_ptr<Group> group = RestoreGroup(recovered, durable);
  group->serial = ++group_serials_;
  // A record of the current log view is one this replica held before (it installed or
  // joined this view's state of the group). Otherwise its claim stays the old one (log
  // view 0 for a new group: never above what it holds), and it joins the view with the
  // primary's record of the group (JoinFromStartView, asked for by a ping), persisted
  // before it acknowledges anything.
  if (!recorded || group->log_view < log_view_) AwaitJoin(*group);
  if (is_primary()) {
    if (fresh && created_view == view_) {
      // No primary could have prepared in it before this view: its empty log is the
      // group's whole canonical log in this view.
      group->log_view = view_;
      group->start_head_op = group->log->base_op();
      group->start_head_checksum = group->log->base_checksum();
    } else {
      group->undecided = true;
    }
  }
  const bool undecided = group->undecided;
  const bool persist = group->joining && group->log_view == log_view_;
  groups_.push_back(std::move(group));
  std::sort(groups_.begin(), groups_.end(),
            [](const std::unique_ptr<Group>& a, const std::unique_ptr<Group>& b) { return a->id < b->id; });
  ReindexGroups();
  if (persist) Persist(StateWith(view_, log_view_, nullptr), [] {});
  if (undecided) {
    BeginViewChange(view_ + 1);
  } else if (!is_primary()) {
    Send(PrimaryOf(view_), EncodePing(options_.cluster, Ping{.from = From(), .nonce = ping_nonce_}));
  }
  return absl::OkStatus();
}

void Replica::AwaitJoin(Group& group) {
  group.joining = true;
  // What it learned as canonical in its old log view says nothing of the current one:
  // only its committed prefix is canonical here. Its entries above stay untouched
  // (Advance and repair wait for the join: it may have acknowledged them in its old
  // log view), and its old claim, vouched_op, stays the head it reports for that view.
  group.canonical.clear();
  group.verified_op = group.commit;
  group.head_op = group.commit;
  group.head_checksum = group.log->ChecksumAt(group.commit).value_or(0);
}

void Replica::JoinFromStartView(const std::vector<StartViewRecord>& records) {
  bool joined = false;
  for (const StartViewRecord& record : records) {
    Group* group = FindGroup(record.group);
    // The record names the head the view started the group at (SendStartView): a
    // claim of this log view must reach at least every op committed before the view (a
    // do_view_change trusts the highest log view's heads), and that head is one a
    // quorum member holds (repairable), which a head in the pipeline may not be.
    if (group == nullptr || !group->joining || group->log_view == view_ || group->truncating ||
        group->commit > record.head_op) {
      continue;
    }
    // As InstallView does for a group in a view's start_view.
    group->log_view = view_;
    group->commit_max = std::max(group->commit_max, record.commit);
    group->primary_commit = record.commit;
    ResetCanonical(*group, record.head_op, record.head_checksum);
    group->vouched_op = record.head_op;
    group->vouched_checksum = record.head_checksum;
    group->drop_faulty_above_head = true;
    if (recovering_) group->recovery_target = std::max(group->recovery_target, group->commit_max);  // B17
    joined = true;
  }
  if (joined) Persist(StateWith(view_, log_view_, nullptr), [] {});
}

absl::StatusOr<std::unique_ptr<GroupLog>> Replica::RemoveGroup(GroupId id) {
  const auto it = group_index_.find(id);
  if (it == group_index_.end()) return absl::NotFoundError(absl::StrCat("no group ", id.namespace_id));
  std::unique_ptr<GroupLog> log = std::move(groups_[it->second]->log);
  groups_.erase(groups_.begin() + static_cast<ptrdiff_t>(it->second));
  ReindexGroups();
  removed_groups_.insert(id);
  return log;
}

void Replica::JoinRecordedGroups() {
  for (const GroupViewState& record : durable_.groups) {
    Group* group = FindGroup(record.group);
    if (group == nullptr || !group->joining || record.log_view != group->log_view || record.log_view != log_view_) {
      continue;
    }
    group->joining = false;
    Advance(*group);
  }
}

uint64_t Replica::commit(GroupId group) const { return groups_[group_index_.at(group)]->commit; }
uint64_t Replica::head_op(GroupId group) const { return groups_[group_index_.at(group)]->head_op; }
const GroupLog& Replica::log(GroupId group) const { return *groups_[group_index_.at(group)]->log; }
std::vector<GroupId> Replica::groups() const {
  std::vector<GroupId> ids;
  for (const auto& group : groups_) ids.push_back(group->id);
  return ids;
}

std::string Replica::DebugString() const {
  std::string out = absl::StrCat("replica ", int{options_.replica_index}, " view ", view_, " log_view ",
                                 log_view_, status_ == Status::kNormal ? " normal" : " view_change",
                                 is_primary() ? " primary" : "", failed() ? " FAILED" : "",
                                 recovering_ ? absl::StrCat(" RECOVERING pongs ", pong_replies_, " floor ", view_floor_,
                                                            recovery_view_installed_ ? " installed" : "")
                                             : "",
                                 " svc ", svc_votes_, " dvc ", dvc_.size(), dvc_ready_ ? " dvc_ready" : "",
                                 " durable view ", durable_.view, "/", durable_.log_view, "\n");
  for (const auto& group : groups_) {
    if (groups_.size() > 8 && group->head_op == group->commit && group->verified_op == group->head_op) continue;
    absl::StrAppend(&out, "  ns ", group->id.namespace_id & ~(uint64_t{1} << 63), " commit ", group->commit, "/",
                    group->commit_max, " verified ", group->verified_op, " head ", group->head_op, " base ",
                    group->log->base_op(), " last ", group->log->last_op(), " durable ", group->log->durable_op(),
                    " faulty ", group->log->faulty_head_op(), " canonical ", group->canonical.size(), " buffered ",
                    group->buffered.size(), group->truncating ? " truncating" : "");
    if (group->sync.has_value()) {
      absl::StrAppend(&out, " syncing to ", group->sync->id.op, " staged ", group->sync->staged_bytes, "/",
                      group->sync->id.size_bytes, group->sync->staging ? " staging" : "",
                      group->sync->installing ? " installing" : "", " stalled ", group->sync->stalled_rounds);
    }
    if (recovering_) absl::StrAppend(&out, " recovery target ", group->recovery_target);
    absl::StrAppend(&out, "\n");
  }
  return out;
}

void Replica::Send(uint8_t to, ByteSpan frame) {
  SLUICE_ASSERT(to != options_.replica_index, "sending to itself");
  // Delivery is a hint (io::Network): a full queue is a lost frame, and VSR retries.
  // Anything else (a frame beyond the frame limit) is a bug in the chunking here.
  const absl::Status status = network_.Send(to, frame);
  SLUICE_ASSERT(status.ok() || absl::IsResourceExhausted(status), "replica ",
                int{options_.replica_index}, " cannot send: ", status.ToString());
}

void Replica::Broadcast(ByteSpan frame) {
  for (uint8_t to = 0; to < options_.replica_count; ++to) {
    if (to != options_.replica_index) Send(to, frame);
  }
}

void Replica::FailStop(const absl::Status& cause) {
  if (failed()) return;
  failure_ = cause;
  loop_.CancelTimer(tick_timer_);
  if (observer_ != nullptr) observer_->OnFailStop(options_.replica_index, cause);
}

void Replica::ScheduleTick() {
  std::weak_ptr<int> alive = alive_;
  tick_timer_ = loop_.ScheduleAfterTicks(1, [this, alive] {
    if (alive.lock() == nullptr) return;
    OnTick();
  });
}

void Replica::OnTick() {
  if (failed()) return;
  ++ticks_;
  ScheduleTick();
  if (status_ == Status::kViewChange && recovering_) {
    // B17: never a vote, never a view change of its own: it asks for the view.
    if ((ticks_ - view_change_start_tick_) % options_.view_change_resend_ticks == 0) SendPing();
    return;
  }
  if (status_ == Status::kViewChange) {
    const uint64_t elapsed = ticks_ - view_change_start_tick_;
    if (elapsed >= options_.view_change_timeout_ticks) {
      BeginViewChange(view_ + 1);
      return;
    }
    if (elapsed % options_.view_change_resend_ticks == 0) {
      Broadcast(EncodeStartViewChange(options_.cluster, From()));
      if (dvc_ready_ && !is_primary()) SendDoViewChange();
    }
    MaybeSendDoViewChange();
    MaybeDecideView();
    return;
  }
  // Joining groups (AddGroup): one whose record's write was superseded (a queued
  // persist replaced by a newer one) writes it again; one still waiting for the
  // primary's record of it asks again.
  if (ticks_ % options_.repair_retry_ticks == 0) {
    bool persist = false, ask = false;
    for (const auto& group : groups_) {
      if (!group->joining) continue;
      persist |= group->log_view == log_view_;
      ask |= group->log_view != log_view_;
    }
    if (persist && !persist_in_flight_) Persist(StateWith(view_, log_view_, nullptr), [] {});
    if (ask && !is_primary()) {
      Send(PrimaryOf(view_), EncodePing(options_.cluster, Ping{.from = From(), .nonce = ping_nonce_}));
    }
  }
  if (is_primary()) {
    if (PrimaryStalled()) {
      // This view cannot commit: e.g. its head names a prepare whose only copy turned
      // faulty after the view was decided, which no repair can bring back. Only a view
      // change can discard such an uncommitted op (with a nack quorum), so the primary
      // abdicates, as TigerBeetle's does when it cannot commit.
      BeginViewChange(view_ + 1);
      return;
    }
    if (ticks_ % options_.heartbeat_interval_ticks == 0) SendHeartbeat();
    if (ticks_ % options_.prepare_retry_ticks == 0) RetransmitPrepares();
  } else {
    if (ticks_ - primary_contact_tick_ > options_.primary_timeout_ticks) {
      if (recovering_) {
        EnterViewChange(view_);  // B17: it lost the primary; it waits for the cluster's next view
        SendPing();
        return;
      }
      BeginViewChange(view_ + 1);
      return;
    }
    if (ticks_ % options_.prepare_retry_ticks == 0) ResendPrepareOks();
  }
  if (ticks_ % options_.repair_retry_ticks == 0) {
    ++repair_rotor_;
    for (auto& group : groups_) {
      Advance(*group);
      RequestRepair(*group);
    }
    MaybeBecomeVoter();
  }
}

bool Replica::PrimaryStalled() {
  bool stalled = false;
  for (const auto& group : groups_) {
    if (group->head_op <= group->commit || group->commit != group->stalled_commit ||
        group->stalled_view != view_) {
      group->stalled_commit = group->commit;
      group->stalled_view = view_;
      group->stalled_since_tick = ticks_;
      continue;
    }
    stalled |= ticks_ - group->stalled_since_tick >= options_.primary_abdicate_ticks;
  }
  return stalled;
}

void Replica::OnFrame(io::PeerId from, ByteSpan frame) {
  if (failed()) return;
  if (from >= options_.replica_count || from == options_.replica_index ||
      frame.size() < wire::kHeaderSize) {
    ++counters_.frames_rejected;
    return;
  }
  // A message names its sender, except a prepare, which names the replica that
  // prepared it: repair forwards prepares unchanged (their checksum covers the byte).
  if (PeekCommand(frame) != wire::Command::kPrepare && frame[wire::header_offset::kReplica] != from) {
    ++counters_.frames_rejected;
    return;
  }
  const uint8_t sender = static_cast<uint8_t>(from);
  auto handle = [&](auto decoded, auto handler) {
    if (!decoded.ok()) {
      ++counters_.frames_rejected;
      return;
    }
    (this->*handler)(sender, *decoded);
  };
  const absl::uint128 cluster = options_.cluster;
  switch (PeekCommand(frame)) {
    case wire::Command::kPrepare:
      return OnPrepare(sender, frame);
    case wire::Command::kPrepareOk:
      return handle(DecodePrepareOk(frame, cluster), &Replica::OnPrepareOk);
    case wire::Command::kCommit:
      return handle(DecodeCommit(frame, cluster), &Replica::OnCommit);
    case wire::Command::kStartViewChange:
      return handle(DecodeStartViewChange(frame, cluster), &Replica::OnStartViewChange);
    case wire::Command::kDoViewChange:
      return handle(DecodeDoViewChange(frame, cluster), &Replica::OnDoViewChange);
    case wire::Command::kStartView:
      return handle(DecodeStartView(frame, cluster), &Replica::OnStartView);
    case wire::Command::kRequestPrepare:
      return handle(DecodeRequestPrepare(frame, cluster), &Replica::OnRequestPrepare);
    case wire::Command::kRequestHeaders:
      return handle(DecodeRequestHeaders(frame, cluster), &Replica::OnRequestHeaders);
    case wire::Command::kHeaders:
      return handle(DecodeHeaders(frame, cluster), &Replica::OnHeaders);
    case wire::Command::kRequestSync:
      return handle(DecodeRequestSync(frame, cluster), &Replica::OnRequestSync);
    case wire::Command::kSyncChunk:
      return handle(DecodeSyncChunk(frame, cluster), &Replica::OnSyncChunk);
    case wire::Command::kPing:
      return handle(DecodePing(frame, cluster), &Replica::OnPing);
    case wire::Command::kPong:
      return handle(DecodePong(frame, cluster), &Replica::OnPong);
    default:
      ++counters_.frames_rejected;
  }
}

// --- the normal case ---

absl::Status Replica::SubmitRequest(GroupId id, wire::Operation operation, ByteSpan body,
                                    absl::uint128 client, uint64_t request,
                                    std::optional<absl::uint128> request_checksum) {
  if (failed()) return absl::FailedPreconditionError("replica stopped");
  if (status_ != Status::kNormal || !is_primary()) {
    return absl::FailedPreconditionError(absl::StrCat("replica ", int{options_.replica_index},
                                                      " is not the primary of view ", view_));
  }
  Group* group = FindGroup(id);
  if (group == nullptr) return absl::NotFoundError(absl::StrCat("no group ", id.namespace_id));
  GroupLog& log = *group->log;
  if (group->joining || group->undecided) return absl::UnavailableError("group is joining the view");
  if (group->truncating || group->verified_op != log.last_op() || group->head_op != log.last_op()) {
    return absl::UnavailableError("group is repairing");
  }
  if (group->head_op - group->commit >= options_.pipeline_max) {
    return absl::UnavailableError("pipeline full");
  }
  if (body.size() > options_.prepare_body_size_max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("prepare body of ", body.size(), " bytes"));
  }
  uint64_t previous_timestamp = 0;
  if (const std::optional<ByteSpan> header = log.Header(log.last_op()); header.has_value()) {
    previous_timestamp = wire::LoadPrepareFields(*header).timestamp;
  }
  const uint64_t now_us = loop_.clock().RealtimeNs() / 1000;
  const uint64_t op = log.last_op() + 1;
  const wire::PrepareHeader header{.cluster = options_.cluster,
                                   .view = view_,
                                   .release = 0,
                                   .replica = options_.replica_index,
                                   .client = client,
                                   .parent = log.last_checksum(),
                                   .request_checksum = request_checksum.value_or(base::Checksum128(body)),
                                   .op = op,
                                   .commit = group->commit,
                                   .timestamp = std::max(now_us, previous_timestamp + 1),
                                   .request = request,
                                   .operation = operation,
                                   .namespace_id = id.namespace_id,
                                   .incarnation = id.incarnation};
  Bytes frame = wire::EncodePrepare(header, body);
  const uint64_t serial = group->serial;
  const uint64_t epoch = group->epoch;
  std::weak_ptr<int> alive = alive_;
  if (absl::Status status = log.Append(frame, [this, alive, id, serial, epoch, op](absl::Status status) {
        if (alive.lock() != nullptr) OnDurable(id, serial, epoch, op, status);
      });
      !status.ok()) {
    return status;
  }
  group->verified_op = op;
  group->head_op = op;
  group->head_checksum = wire::PrepareChecksum(frame);
  group->acks[op] = 0;
  Broadcast(frame);
  group->pipeline[op] = std::move(frame);
  return absl::OkStatus();
}

void Replica::OnDurable(GroupId id, uint64_t serial, uint64_t epoch, uint64_t op, absl::Status status) {
  if (failed()) return;
  Group* live = FindLive(id, serial);
  if (live == nullptr) return;  // removed: its log's completions say nothing any more
  if (!status.ok()) return FailStop(status);
  Group& group = *live;
  if (group.epoch != epoch || status_ != Status::kNormal) return;
  if (is_primary()) {
    CommitProgress(group);
  } else if (op > group.commit_max && op <= group.verified_op) {
    SendPrepareOk(group, op);
  }
}

void Replica::OnPrepare(uint8_t from, ByteSpan frame) {
  absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, options_.cluster);
  if (!prepare.ok()) {
    ++counters_.frames_rejected;
    return;
  }
  const wire::PrepareHeader& header = prepare->header();
  Group* group = FindGroup({header.namespace_id, header.incarnation});
  if (group == nullptr) {
    ++counters_.frames_rejected;  // unknown group, or another incarnation: never rerouted
    return;
  }
  if (header.view > view_ && from == PrimaryOf(header.view)) {
    BeginViewChange(header.view);  // a view we missed: its primary answers with start_view
    return;
  }
  if (status_ != Status::kNormal) return;
  const absl::uint128 checksum = prepare->checksum();
  const bool from_primary = !is_primary() && header.view == view_ && from == PrimaryOf(view_);
  if (from_primary) {
    primary_contact_tick_ = ticks_;
  } else if (Canonical(*group, header.op) != std::optional<absl::uint128>(checksum)) {
    return;  // neither the primary's nor a repair answer we can link
  }
  Learn(*group, header.op, checksum, header.parent);
  const uint64_t last = group->log->last_op();
  if (header.op > last && header.op <= last + options_.prepare_buffer_max) {
    group->buffered[header.op] = Bytes(frame.begin(), frame.end());
  } else if (from_primary && header.op <= group->verified_op && header.op <= group->log->durable_op() &&
             header.op > group->commit_max) {
    SendPrepareOk(*group, header.op);  // a retransmission: our prepare_ok was lost
  }
  Advance(*group);
}

void Replica::SendPrepareOk(Group& group, uint64_t op) {
  if (recovering_) return;  // B17: its acknowledgements must not count toward a commit quorum
  if (group.joining) return;  // a restart would not know the log view it acknowledged in
  const std::optional<ByteSpan> header = group.log->Header(op);
  const std::optional<absl::uint128> checksum = group.log->ChecksumAt(op);
  // The base has no header (a checkpoint): its prepare_ok names only the op and its
  // checksum, which is all a primary reads besides the commit point.
  if (!checksum.has_value() || (!header.has_value() && op != group.log->base_op())) return;
  const wire::PrepareHeader fields = header.has_value() ? wire::LoadPrepareFields(*header) : wire::PrepareHeader{};
  Send(PrimaryOf(view_), EncodePrepareOk(options_.cluster,
                                         PrepareOk{.from = From(),
                                                   .group = group.id,
                                                   .parent = fields.parent,
                                                   .prepare_checksum = *checksum,
                                                   .op = op,
                                                   .commit = group.commit,
                                                   .timestamp = fields.timestamp,
                                                   .request = fields.request,
                                                   .operation = fields.operation}));
}

void Replica::OnPrepareOk(uint8_t from, const PrepareOk& message) {
  if (status_ != Status::kNormal || !is_primary() || message.from.view != view_) return;
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  // A backup commits only committed ops: its commit point is the cluster's too (and
  // committed ops are canonical in this view). A view change can leave this primary
  // below it; the backup will not acknowledge those ops again.
  if (message.commit > group->commit_max) {
    group->commit_max = message.commit;
    CommitProgress(*group);
  }
  if (message.op <= group->commit || message.op > group->head_op) return;
  if (Canonical(*group, message.op) != std::optional<absl::uint128>(message.prepare_checksum)) return;
  group->acks[message.op] |= uint32_t{1} << from;
  CommitProgress(*group);
}

uint64_t Replica::AckCount(const Group& group, uint64_t op) const {
  const auto it = group.acks.find(op);
  const uint32_t self = uint32_t{1} << options_.replica_index;
  uint64_t count = it == group.acks.end() ? 0 : std::popcount(it->second & ~self);
  if (op <= group.verified_op && op <= group.log->durable_op()) ++count;
  return count;
}

void Replica::CommitProgress(Group& group) {
  if (failed() || status_ != Status::kNormal) return;
  if (is_primary()) {
    while (group.commit < group.head_op) {
      const uint64_t op = group.commit + 1;
      if (op > group.verified_op) break;
      if (op > group.commit_max && AckCount(group, op) < options_.quorum()) break;
      CommitOne(group, op);
    }
    return;
  }
  while (group.commit < std::min(group.commit_max, group.verified_op)) {
    CommitOne(group, group.commit + 1);
  }
}

void Replica::CommitOne(Group& group, uint64_t op) {
  SLUICE_ASSERT(op == group.commit + 1 && op <= group.verified_op, "commit of op ", op);
  const std::optional<absl::uint128> checksum = group.log->ChecksumAt(op);
  SLUICE_ASSERT(checksum.has_value(), "committing op ", op, " whose checksum is unknown");
  group.commit = op;
  group.commit_max = std::max(group.commit_max, op);
  group.log->Commit(op);
  group.acks.erase(op);
  group.pipeline.erase(op);
  if (observer_ != nullptr) observer_->OnCommit(options_.replica_index, group.id, op, *checksum);
}

void Replica::SendHeartbeat() {
  std::vector<CommitPoint> points;
  points.reserve(groups_.size());
  for (const auto& group : groups_) {
    uint64_t commit = group->commit;
    std::optional<absl::uint128> checksum = group->log->ChecksumAt(commit);
    if (!checksum.has_value() && group->log->base_op() > commit) {
      // A snapshot being installed moved the log's base past the commit point before
      // the install reported back: the base is committed, and its checksum is known.
      commit = group->log->base_op();
      checksum = group->log->base_checksum();
    }
    if (!checksum.has_value()) continue;  // never a commit point whose checksum it does not know
    points.push_back({.group = group->id, .commit = commit, .commit_checksum = *checksum});
  }
  for (const Bytes& frame :
       EncodeCommit(options_.cluster, From(), points, network_.frame_size_max_bytes())) {
    Broadcast(frame);
  }
}

void Replica::OnCommit(uint8_t from, const CommitChunk& message) {
  if (message.from.view > view_ && from == PrimaryOf(message.from.view)) {
    BeginViewChange(message.from.view);
    return;
  }
  if (message.from.view != view_ || status_ != Status::kNormal || is_primary() ||
      from != PrimaryOf(view_)) {
    return;
  }
  primary_contact_tick_ = ticks_;
  for (const CommitPoint& point : message.points) {
    Group* group = FindGroup(point.group);
    if (group == nullptr) {
      ++counters_.frames_rejected;
      continue;
    }
    if (point.commit > group->log->base_op()) {
      Learn(*group, point.commit, point.commit_checksum, std::nullopt);
    }
    group->commit_max = std::max(group->commit_max, point.commit);
    group->primary_commit = point.commit;
    Advance(*group);
  }
  MaybeBecomeVoter();
}

void Replica::RetransmitPrepares() {
  for (const auto& group : groups_) {
    for (const auto& [op, frame] : group->pipeline) {
      const auto acks = group->acks.find(op);
      const uint32_t acked = acks == group->acks.end() ? 0 : acks->second;
      for (uint8_t to = 0; to < options_.replica_count; ++to) {
        if (to != options_.replica_index && (acked & (uint32_t{1} << to)) == 0) Send(to, frame);
      }
    }
  }
}

void Replica::ResendPrepareOks() {
  for (const auto& group : groups_) {
    // The primary is behind this replica's commit point: tell it (see primary_commit).
    if (group->commit > group->primary_commit) SendPrepareOk(*group, group->commit);
    const uint64_t top = std::min(group->verified_op, group->log->durable_op());
    const uint64_t bottom = std::max(group->commit_max, top > 2 * options_.pipeline_max
                                                            ? top - 2 * options_.pipeline_max
                                                            : 0);
    for (uint64_t op = bottom + 1; op <= top; ++op) SendPrepareOk(*group, op);
  }
}

}  // namespace sluice::vsr
