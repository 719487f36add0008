#include "core/replica/session_expiry_driver.h"

#include <utility>

#include "core/base/assert.h"
#include "core/metadata/body_codec.h"
#include "core/wire/operation.h"

namespace sluice::replica {

SessionExpiryDriver::SessionExpiryDriver(ClusterReplica& replica, io::Loop& loop, SessionExpiryOptions options)
    : replica_(replica), loop_(loop), options_(options) {
  SLUICE_ASSERT(options_.interval_ticks > 0 && options_.expiries_per_run_max > 0,
                "session expiry needs an interval and room for one expiry per run");
  ScheduleNext();
}

SessionExpiryDriver::~SessionExpiryDriver() {
  if (timer_pending_) loop_.CancelTimer(timer_);
}

void SessionExpiryDriver::ScheduleNext() {
  timer_pending_ = true;
  timer_ = loop_.ScheduleAfterTicks(options_.interval_ticks, [this] {
    timer_pending_ = false;
    if (const absl::StatusOr<size_t> submitted = RunOnce(); !submitted.ok()) return;  // failure_ keeps why
    ScheduleNext();
  });
}

void SessionExpiryDriver::Fail(const absl::Status& failure) {
  if (failure_.ok()) failure_ = failure;
}

absl::StatusOr<size_t> SessionExpiryDriver::RunOnce() {
  if (!failure_.ok()) return failure_;
  if (replica_.failed()) {
    Fail(absl::FailedPreconditionError("the replica stopped (fail-stop)"));
    return failure_;
  }
  // Empty unless this replica is the primary of a normal view.
  const std::vector<absl::uint128> idle =
      replica_.IdleSessions(options_.session_idle_ticks, options_.member_dead_ticks, options_.expiries_per_run_max);
  if (idle.empty()) return 0;
  const uint32_t view = replica_.consensus().view();
  // A reply to an expiry submitted in an earlier view may never come: decide again.
  std::erase_if(in_flight_, [view](const auto& entry) { return entry.second.view != view; });
  size_t submitted = 0;
  for (const absl::uint128 client : idle) {
    if (in_flight_.contains(client)) continue;
    if (const absl::Status status = Submit(client); !status.ok()) {
      if (!replica_.failed()) return submitted;  // a view change began, a full pipeline: the next run tries
      Fail(status);
      return status;
    }
    ++submitted;
  }
  return submitted;
}

absl::Status SessionExpiryDriver::Submit(absl::uint128 client) {
  const uint64_t token = ++next_token_;
  RETURN_IF_ERROR(replica_.SubmitMetadata(
      {.operation = wire::Operation::kLogout, .body = metadata::Encode(metadata::LogoutBody{.expired_client = client})},
      [this, alive = std::weak_ptr<int>(alive_), client, token](
          absl::StatusOr<metadata_store::CommittedResult> committed) {
        if (alive.lock() == nullptr) return;
        const auto entry = in_flight_.find(client);
        if (entry != in_flight_.end() && entry->second.token == token) in_flight_.erase(entry);
        if (!committed.ok()) {
          // Replaced in a view change (decided again by the next primary), unless the
          // replica stopped.
          if (replica_.failed()) Fail(committed.status());
          return;
        }
        SLUICE_ASSERT(committed->result.ok(), "the primary's Logout of an idle session was refused");
        ++ops_committed_;
        expired_.push_back(client);
        if (expired_.size() > kExpiredKept) expired_.pop_front();
      }));
  in_flight_[client] = {.view = replica_.consensus().view(), .token = token};
  ++ops_submitted_;
  return absl::OkStatus();
}

}  // namespace sluice::replica
