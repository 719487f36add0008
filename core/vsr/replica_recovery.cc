// Replica: a replica formatted with `--recover` (rule B17) — learning the view from
// a quorum of peers, and becoming a voter once it has caught up.
#include <algorithm>
#include <bit>
#include <utility>

#include "core/base/assert.h"
#include "core/vsr/replica.h"
#include "core/vsr/replica_internal.h"

namespace sluice::vsr {

void Replica::SendPing() {
  SLUICE_ASSERT(recovering_, "only a recovering replica pings");
  ++counters_.pings;
  Broadcast(EncodePing(options_.cluster, Ping{.from = From(), .nonce = ping_nonce_}));
}

void Replica::OnPing(uint8_t from, const Ping& message) {
  Send(from, EncodePong(options_.cluster, Pong{.from = From(),
                                               .nonce = message.nonce,
                                               .normal = status_ == Status::kNormal,
                                               .durable_view = durable_.view}));
  // The primary of a view in normal status tells it the view (the replica asks no
  // other way: a start_view_change would be a vote).
  if (status_ == Status::kNormal && is_primary() && !recovering_) SendStartView(from);
}

void Replica::OnPong(uint8_t from, const Pong& message) {
  if (!recovering_ || message.nonce != ping_nonce_) return;  // an answer to another boot's ping
  // Only a persisted view is a promise (a backup persists its view before its
  // do_view_change, a new primary before it decides): views held only in memory may
  // be forgotten by a crash, and the cluster may settle below them. The floor is fixed
  // once a quorum answered: it bounds the views the lost incarnation may have
  // acknowledged in, and a later answer, naming a view the cluster started since,
  // would only keep this replica from ever becoming a voter (MaybeBecomeVoter).
  if (static_cast<uint64_t>(std::popcount(pong_replies_)) < options_.quorum()) {
    view_floor_ = std::max(view_floor_, message.durable_view);
  }
  pong_replies_ |= uint32_t{1} << from;
  if (message.from.view > view_) EnterViewChange(message.from.view);  // follow, silently
}

bool Replica::RecoveringMayInstall(uint32_t view) const {
  // A view decided before this replica lost its directory may have counted its lost
  // do_view_change; every other member of that quorum persisted the view, and a
  // quorum of the *others* intersects that quorum, so the highest durable view they
  // report (answering this boot's nonce) is at least that view. Below its own
  // in-memory view is fine: a recovering replica promised nothing in this boot.
  return static_cast<uint64_t>(std::popcount(pong_replies_)) >= options_.quorum() && view >= view_floor_ &&
         view >= durable_.view;
}

void Replica::MaybeBecomeVoter() {
  if (!recovering_ || voter_persisting_ || !recovery_view_installed_ || failed() ||
      status_ != Status::kNormal || (voter_gate_ && !voter_gate_())) {
    return;
  }
  // Every group it hosts has joined the view and reached the commit point the view
  // named for it: a group its metadata added after the install (created while this
  // replica's directory was lost, and acknowledged by its lost incarnation) is no
  // exception — voting with it empty would nack those ops.
  for (const auto& group : groups_) {
    if (group->joining || group->commit < group->recovery_target) return;
  }
  if (view_ <= view_floor_) {
    // The lost incarnation may have acknowledged ops of this very view beyond the
    // start_view's head (and the primary may commit them with that acknowledgement):
    // a voter here would nack them in the next view change, and claim a head below
    // them. In a view above the floor it acknowledged nothing, so it asks for the next
    // view (a start_view_change is no promise: the voters run the view change) and
    // becomes a voter once it has caught up in that one.
    if (voter_view_asked_tick_ == 0 || ticks_ - voter_view_asked_tick_ >= options_.view_change_resend_ticks) {
      voter_view_asked_tick_ = ticks_;
      Broadcast(EncodeStartViewChange(options_.cluster,
                                      MessageFrom{.view = view_ + 1, .replica = options_.replica_index}));
    }
    return;
  }
  voter_persisting_ = true;
  VsrState state = StateWith(view_, log_view_, nullptr);
  state.recovering = false;
  Persist(std::move(state), [this] {
    voter_persisting_ = false;
    recovering_ = false;
    if (observer_ != nullptr) observer_->OnVoter(options_.replica_index);
  });
}

}  // namespace sluice::vsr
