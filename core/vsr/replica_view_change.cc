// Replica: the replica-wide view change (start_view_change, do_view_change,
// start_view) and the one durable write per view change.
#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/vsr/replica.h"
#include "core/vsr/replica_internal.h"
#include "core/wire/header.h"

namespace sluice::vsr {

void Replica::EnterViewChange(uint32_t new_view) {
  // A recovering replica may go back below a view it only heard of (B17): it never
  // voted in it, and the cluster may have settled below it.
  SLUICE_ASSERT(new_view >= view_ || (recovering_ && new_view >= durable_.view), "view ", new_view, " below ", view_);
  view_ = new_view;
  status_ = Status::kViewChange;
  svc_votes_ = uint32_t{1} << options_.replica_index;
  dvc_ready_ = false;
  deciding_ = false;
  sv_persisting_ = false;
  dvc_.clear();
  sv_.reset();
  view_change_start_tick_ = ticks_;
  ++counters_.view_changes_started;
  for (auto& group : groups_) {
    group->acks.clear();
    group->pipeline.clear();
  }
}

void Replica::BeginViewChange(uint32_t new_view) {
  SLUICE_ASSERT(new_view > view_, "view change to ", new_view, " from ", view_);
  EnterViewChange(new_view);
  if (recovering_) {
    SendPing();  // B17: it follows the view change without voting in it
    return;
  }
  Broadcast(EncodeStartViewChange(options_.cluster, From()));
  MaybeSendDoViewChange();
}

void Replica::OnStartViewChange(uint8_t from, const StartViewChange& message) {
  if (message.from.view > view_) BeginViewChange(message.from.view);
  if (message.from.view != view_) return;
  if (status_ == Status::kNormal) {
    // A replica that missed this view's start_view asks for it this way.
    if (is_primary()) SendStartView(from);
    return;
  }
  svc_votes_ |= uint32_t{1} << from;
  MaybeSendDoViewChange();
}

bool Replica::LogsQuiescent() const {
  for (const auto& group : groups_) {
    if (group->truncating || group->log->durable_op() != group->log->last_op()) return false;
  }
  return true;
}

uint64_t Replica::PromisedHeadOp(const Group& group, uint64_t head_op) const {
  const GroupLog& log = *group.log;
  // Faulty entries above the log: their views are unknown, so any may be an entry of
  // the log view this replica acknowledged.
  if (log.faulty_head_op() > log.last_op() || log.last_op() <= head_op) return log.faulty_head_op();
  // Above its log view's head, a prepare of that view was made by the view's primary on
  // top of the head; an entry of an older view there is a leftover of a suffix the
  // view change to the log view discarded (every op committed before that view is at
  // or below its start head, and only the log view's primary prepares above it), so
  // it was never committed. Views never decrease along the hash chain: the first
  // older entry from the top ends the search.
  for (uint64_t op = log.last_op(); op > head_op; --op) {
    const std::optional<ByteSpan> header = log.Header(op);
    if (!header.has_value() || wire::LoadPrepareFields(*header).view >= group.log_view) return op;
  }
  return head_op;
}

std::optional<absl::uint128> Replica::BestLogChecksum(const Group& group, uint32_t best_log_view, uint64_t op,
                                                      const std::vector<DoViewChangeRecord>& records) const {
  for (const DoViewChangeRecord& record : records) {
    if (record.log_view == best_log_view && record.head_op == op) return record.head_checksum;
  }
  if (group.log_view == best_log_view && op <= group.verified_op) return group.log->ChecksumAt(op);
  return std::nullopt;
}

std::vector<DoViewChangeRecord> Replica::OwnDoViewChange() const {
  std::vector<DoViewChangeRecord> records;
  records.reserve(groups_.size());
  for (const auto& group : groups_) {
    uint64_t head_op = group->vouched_op;
    absl::uint128 head_checksum = group->vouched_checksum;
    if (group->verified_op > head_op && group->verified_op <= group->log->durable_op()) {
      head_op = group->verified_op;
      head_checksum = *group->log->ChecksumAt(head_op);
    }
    records.push_back({.group = group->id,
                       .log_view = group->log_view,
                       .commit = group->commit_max,
                       .head_op = head_op,
                       .head_checksum = head_checksum,
                       .faulty_head_op = PromisedHeadOp(*group, head_op)});
  }
  // A group this replica does not host now but holds a record of (a restart whose
  // metadata has yet to add it again) may hold entries it acknowledged: never a nack.
  // Its record is what it vouches for; what lies above is unknown.
  // A group it removed (deleted by a committed op) is reported as such (a tombstone).
  for (const GroupViewState& record : durable_.groups) {
    if (group_index_.contains(record.group) || removed_groups_.contains(record.group)) continue;
    records.push_back({.group = record.group,
                       .log_view = record.log_view,
                       .commit = 0,
                       .head_op = record.head_op,
                       .head_checksum = record.head_checksum,
                       .faulty_head_op = UINT64_MAX});
  }
  for (const GroupId id : removed_groups_) records.push_back({.group = id, .log_view = kRemovedLogView});
  std::sort(records.begin(), records.end(),
            [](const DoViewChangeRecord& a, const DoViewChangeRecord& b) { return a.group < b.group; });
  return records;
}

void Replica::MaybeSendDoViewChange() {
  if (failed() || status_ != Status::kViewChange || deciding_ || recovering_) return;
  const bool quorum = static_cast<uint64_t>(std::popcount(svc_votes_)) >= options_.quorum();
  if (PrimaryOf(view_) == options_.replica_index) {
    if (!quorum && dvc_.empty()) return;
    // Its own do_view_change: taken only once every entry it reports is durable (an
    // entry it might lose in a crash must not become a view's head).
    if (!dvc_.contains(options_.replica_index)) {
      if (!LogsQuiescent()) return;
      auto own = std::make_unique<Assembly>();
      own->Accept(ChunkInfo{.chunk_index = 0, .chunk_count = 1, .content_checksum = 0}, view_);
      own->sender = options_.replica_index;
      own->log_view = log_view_;
      own->dvc_chunks[0] = OwnDoViewChange();
      dvc_[options_.replica_index] = std::move(own);
    }
    MaybeDecideView();
    return;
  }
  if (!quorum || dvc_ready_ || persist_in_flight_ || !LogsQuiescent()) return;
  if (durable_.view >= view_) {
    dvc_ready_ = true;
    SendDoViewChange();
    return;
  }
  // do_view_change promises not to accept prepares of older views: make the view
  // durable first, so a restart cannot forget the promise.
  const uint32_t view = view_;
  Persist(StateWith(view, log_view_, nullptr), [this, view] {
    if (view_ != view || status_ != Status::kViewChange || dvc_ready_) return;
    dvc_ready_ = true;
    SendDoViewChange();
  });
}

void Replica::SendDoViewChange() {
  for (const Bytes& frame : EncodeDoViewChange(options_.cluster, From(), log_view_, OwnDoViewChange(),
                                               network_.frame_size_max_bytes())) {
    Send(PrimaryOf(view_), frame);
  }
}

void Replica::OnDoViewChange(uint8_t from, const DoViewChangeChunk& message) {
  if (message.from.view > view_) BeginViewChange(message.from.view);
  if (message.from.view != view_ || PrimaryOf(view_) != options_.replica_index || recovering_) return;
  if (status_ == Status::kNormal) {
    SendStartView(from);  // it did not get this view's start_view
    return;
  }
  if (deciding_) return;
  std::unique_ptr<Assembly>& assembly = dvc_[from];
  if (assembly == nullptr) assembly = std::make_unique<Assembly>();
  assembly->Accept(message.chunk, view_);
  assembly->sender = from;
  assembly->log_view = message.log_view;
  assembly->dvc_chunks[message.chunk.chunk_index] = message.records;
  svc_votes_ |= uint32_t{1} << from;
  if (assembly->complete()) MaybeSendDoViewChange();
}

void Replica::MaybeDecideView() {
  if (failed() || deciding_ || status_ != Status::kViewChange || recovering_ ||
      PrimaryOf(view_) != options_.replica_index) {
    return;
  }
  std::vector<absl::btree_map<GroupId, DoViewChangeRecord>> votes;
  for (const auto& [sender, assembly] : dvc_) {
    if (!assembly->complete()) continue;
    absl::btree_map<GroupId, DoViewChangeRecord>& records = votes.emplace_back();
    for (const auto& chunk : assembly->dvc_chunks) {
      for (const DoViewChangeRecord& record : chunk) records[record.group] = record;
    }
  }
  if (votes.size() < options_.quorum()) return;

  std::vector<StartViewRecord> decisions;
  decisions.reserve(groups_.size());
  for (const auto& group : groups_) {
    // A replica that does not know the group holds nothing of it: a nack for every op.
    std::vector<DoViewChangeRecord> records;
    bool removed = false;
    for (const auto& vote : votes) {
      const auto it = vote.find(group->id);
      records.push_back(it != vote.end() ? it->second : DoViewChangeRecord{.group = group->id});
      removed |= records.back().log_view == kRemovedLogView;
    }
    // A replica removed it: its deletion is committed, and this primary will remove it
    // too once it applies that op. Nothing is decided for it (it prepares nothing in it,
    // InstallView), and its backups keep it as it is until they remove it.
    if (removed) continue;
    uint32_t best_log_view = 0;
    uint64_t commit = 0;
    for (const DoViewChangeRecord& record : records) {
      best_log_view = std::max(best_log_view, record.log_view);
      commit = std::max(commit, record.commit);
    }
    const DoViewChangeRecord* head = nullptr;
    uint64_t faulty_top = 0;
    for (const DoViewChangeRecord& record : records) {
      if (record.log_view != best_log_view) continue;
      faulty_top = std::max(faulty_top, record.faulty_head_op);
      if (head != nullptr && record.head_op == head->head_op) {
        SLUICE_ASSERT(record.head_checksum == head->head_checksum, "replica ",
                      int{options_.replica_index}, " view ", view_, " namespace ",
                      group->id.namespace_id, ": two heads of log view ", best_log_view, " at op ",
                      record.head_op, " differ");
      }
      if (head == nullptr || record.head_op > head->head_op) head = &record;
    }
    SLUICE_ASSERT(head != nullptr, "no candidate log");
    if (faulty_top > head->head_op) {
      // An op above the head that some replica of the best log view holds only as a
      // faulty entry may have been committed: discard it only with a nack quorum.
      const uint64_t op = head->head_op + 1;
      uint64_t nacks = 0;
      for (const DoViewChangeRecord& record : records) {
        if (record.faulty_head_op < op) ++nacks;
      }
      if (nacks < options_.nack_quorum()) return;  // wait for more do_view_changes
    }
    // The head itself may be held by no replica any more: a start_view names a head a
    // quorum member held when that view was decided, and the others vouch for it
    // before they have repaired it; if that copy then turns faulty, no repair can
    // bring it back and the view could never commit. An op that a nack quorum of
    // these do_view_changes never acknowledged (their logs, faulty entries included,
    // end below it) was never committed, so the new view's log may end below it — as
    // far down as the checksum of an op under it is known (a head of the best log
    // view, or this primary's verified log of that view). Ops in between whose
    // checksums nobody knows any more are skipped over, each nacked by a quorum too.
    uint64_t head_op = head->head_op;
    absl::uint128 head_checksum = head->head_checksum;
    for (uint64_t op = head_op; op > commit; --op) {
      uint64_t nacks = 0;
      for (const DoViewChangeRecord& record : records) {
        if (record.faulty_head_op < op) ++nacks;
      }
      if (nacks < options_.nack_quorum()) break;
      const std::optional<absl::uint128> below = BestLogChecksum(*group, best_log_view, op - 1, records);
      if (!below.has_value()) continue;
      head_op = op - 1;
      head_checksum = *below;
    }
    SLUICE_ASSERT(commit <= head_op, "replica ", int{options_.replica_index}, " view ", view_,
                  " namespace ", group->id.namespace_id, ": committed op ", commit,
                  " above the new head ", head_op);
    decisions.push_back({.group = group->id, .commit = commit, .head_op = head_op, .head_checksum = head_checksum});
  }
  deciding_ = true;
  const uint32_t view = view_;
  Persist(StateWith(view, view, &decisions), [this, view, decisions] {
    if (view_ != view || status_ != Status::kViewChange || !deciding_) return;
    InstallView(view, decisions, true);
    SendStartView(std::nullopt);
  });
}

void Replica::SendStartView(std::optional<uint8_t> to) {
  std::vector<StartViewRecord> records;
  records.reserve(groups_.size());
  for (const auto& group : groups_) {
    if (group->undecided) continue;  // not this view's to name (a peer removed it, or added late)
    records.push_back({.group = group->id,
                       .commit = std::min(group->commit_max, group->start_head_op),
                       .head_op = group->start_head_op,
                       .head_checksum = group->start_head_checksum});
  }
  for (const Bytes& frame :
       EncodeStartView(options_.cluster, From(), records, network_.frame_size_max_bytes())) {
    if (to.has_value()) {
      Send(*to, frame);
    } else {
      Broadcast(frame);
    }
  }
}

void Replica::OnStartView(uint8_t from, const StartViewChunk& message) {
  const uint32_t view = message.from.view;
  if ((view < view_ && !recovering_) || from != PrimaryOf(view) || from == options_.replica_index) return;
  if (view == view_ && status_ == Status::kNormal) {
    // The primary's answer to a ping: the view's state of groups this replica is
    // joining (added after it installed the view).
    // A recovering replica joins too, once it installed a view (B17: it then repairs the
    // group up to the record's commit before it may vote, MaybeBecomeVoter).
    if ((!recovering_ || recovery_view_installed_) && from == PrimaryOf(view_)) JoinFromStartView(message.records);
    return;
  }
  if (sv_persisting_ && view == view_) return;
  if (recovering_ && (persist_in_flight_ || !RecoveringMayInstall(view))) return;  // B17: it asks again (ping)
  if (sv_ == nullptr || sv_->view != view) sv_ = std::make_unique<Assembly>();
  sv_->Accept(message.chunk, view);
  sv_->sv_chunks[message.chunk.chunk_index] = message.records;
  if (!sv_->complete()) return;
  std::vector<StartViewRecord> records;
  for (const auto& chunk : sv_->sv_chunks) records.insert(records.end(), chunk.begin(), chunk.end());
  if (view != view_) EnterViewChange(view);
  sv_persisting_ = true;
  Persist(StateWith(view, view, &records), [this, view, records] {
    if (view_ != view || status_ != Status::kViewChange || !sv_persisting_) return;
    InstallView(view, records, false);
  });
}

void Replica::InstallView(uint32_t view, const std::vector<StartViewRecord>& records, bool as_primary) {
  SLUICE_ASSERT(view == view_ && durable_.view == view && durable_.log_view == view,
                "installing view ", view, " before it is durable");
  SLUICE_ASSERT(as_primary == is_primary(), "primary mismatch installing view ", view);
  SLUICE_ASSERT(!(recovering_ && as_primary), "a recovering replica decided view ", view);
  log_view_ = view;
  status_ = Status::kNormal;
  primary_contact_tick_ = ticks_;
  deciding_ = false;
  sv_persisting_ = false;
  dvc_.clear();
  sv_.reset();
  svc_votes_ = 0;
  ++counters_.views_started;
  // A primary's groups left out of its decision (removed by a peer) stay undecided.
  if (as_primary) {
    for (auto& group : groups_) group->undecided = true;
  }
  for (const StartViewRecord& record : records) {
    Group* group = FindGroup(record.group);
    if (group == nullptr) continue;  // a group this replica does not host (yet)
    // A recovering replica takes the start_view of a view it already took (it lost its
    // primary, or restarted) again: its commit, reached in this view, may be above the
    // view's start head. Committed ops are canonical in this view (in every view).
    uint64_t head_op = record.head_op;
    absl::uint128 head_checksum = record.head_checksum;
    if (recovering_ && group->log_view == view && group->commit > head_op) {
      const std::optional<absl::uint128> committed = group->log->ChecksumAt(group->commit);
      SLUICE_ASSERT(committed.has_value(), "replica ", int{options_.replica_index}, " namespace ",
                    record.group.namespace_id, ": no checksum at its commit ", group->commit);
      head_op = group->commit;
      head_checksum = *committed;
    }
    SLUICE_ASSERT(group->commit <= head_op, "replica ", int{options_.replica_index}, " view ",
                  view, " namespace ", record.group.namespace_id, ": committed op ", group->commit,
                  " above the view's head ", record.head_op);
    group->log_view = view;
    group->undecided = false;
    group->start_head_op = record.head_op;
    group->start_head_checksum = record.head_checksum;
    group->commit_max = std::max(group->commit_max, record.commit);
    group->primary_commit = record.commit;
    ResetCanonical(*group, head_op, head_checksum);
    group->vouched_op = head_op;
    group->vouched_checksum = head_checksum;
    group->drop_faulty_above_head = true;
    // B17: the commit point it must reach before it may vote.
    if (recovering_) group->recovery_target = std::max(group->recovery_target, group->commit_max);
  }
  if (recovering_) recovery_view_installed_ = true;
  for (auto& group : groups_) Advance(*group);
}

VsrState Replica::StateWith(uint32_t view, uint32_t log_view,
                            const std::vector<StartViewRecord>* heads) const {
  absl::btree_map<GroupId, GroupViewState> groups;
  // A removed group's record goes. The record of a group not hosted (yet) stays: after
  // a restart, the metadata may add it again only once VSR commits its creation anew,
  // and its record is the log view it acknowledged entries in. A group added since the
  // last write (AddGroup) gets the record it joined with.
  for (const GroupViewState& group : durable_.groups) groups[group.group] = group;
  for (const GroupId id : removed_groups_) groups[id] = {.group = id, .log_view = kRemovedLogView};
  for (const auto& group : groups_) {
    // (A joining group's claim is its old log view, or this view once it joined.)
    if (group->joining && (!groups.contains(group->id) || groups[group->id].log_view == kRemovedLogView ||
                           group->log_view == log_view)) {
      groups[group->id] = {.group = group->id,
                           .log_view = group->log_view,
                           .head_op = group->vouched_op,
                           .head_checksum = group->vouched_checksum};
    }
  }
  if (heads != nullptr) {
    for (const StartViewRecord& record : *heads) {
      if (!group_index_.contains(record.group)) continue;
      groups[record.group] = {.group = record.group,
                              .log_view = log_view,
                              .head_op = record.head_op,
                              .head_checksum = record.head_checksum};
    }
  }
  // A start_view made durable whose installation was overtaken by a newer view change
  // leaves the durable log view above the one in memory: never write it back down.
  VsrState state{.view = view, .log_view = std::max(log_view, durable_.log_view), .groups = {},
                 .recovering = recovering_};
  state.groups.reserve(groups.size());
  for (const auto& [id, group] : groups) state.groups.push_back(group);
  return state;
}

void Replica::Persist(VsrState state, absl::AnyInvocable<void()> then) {
  SLUICE_ASSERT(state.view >= durable_.view && state.log_view >= durable_.log_view,
                "durable view state moving backwards");
  // The recovering flag is never set again once cleared (B17); a state composed
  // while the clearing write was in flight carries the flag as it was then.
  state.recovering = state.recovering && durable_.recovering;
  if (persist_in_flight_) {
    persist_pending_.emplace(std::move(state), std::move(then));
    return;
  }
  persist_in_flight_ = true;
  std::weak_ptr<int> alive = alive_;
  VsrState copy = state;
  auto persisted = [this, alive, state = std::move(copy), then = std::move(then)](absl::Status status) mutable {
    if (alive.lock() == nullptr) return;
    persist_in_flight_ = false;
    if (!status.ok()) return FailStop(status);
    durable_ = std::move(state);
    ++counters_.persists;
    if (observer_ != nullptr) observer_->OnPersist(options_.replica_index, durable_);
    then();
    JoinRecordedGroups();
    if (persist_pending_.has_value() && !failed()) {
      auto [next, next_then] = std::move(*persist_pending_);
      persist_pending_.reset();
      // A state queued behind a newer one is stale: its step was superseded.
      if (next.view >= durable_.view && next.log_view >= durable_.log_view) {
        Persist(std::move(next), std::move(next_then));
      }
    }
  };
  // One durable write per view change, whatever the group count (DESIGN.md).
  if (view_state_store_ != nullptr) {
    view_state_store_->PersistViewState(state, std::move(persisted));
  } else {
    PersistVsrState(storage_, state, options_.cluster, options_.replica_index, std::move(persisted));
  }
}

}  // namespace sluice::vsr
