#pragma once
// SessionExpiryDriver: the deciding side of session expiry and of the removal of
// dead consumer-group members (DESIGN.md "Time-driven decisions", issue #6), on the
// primary of a cluster. Every `interval_ticks` it asks the replica for the sessions
// idle past their timeout, as the primary's own clock and activity table say
// (ClusterReplica::IdleSessions, session_activity.h), and ends each by submitting
// Logout{expired_client} as client 0 — the form only the primary may submit. The
// op's apply ends the session and with it the client's consumer-group memberships,
// rebalancing each group (metadata EndSession): so every replica applying the log
// removes exactly these members and reassigns their partitions identically.
//
// Every replica runs a driver (as with retention, retention_driver.h); only the
// primary of a normal view decides. Work is bounded: at most
// `expiries_per_run_max` submissions per run, one in flight per client. One
// submitted in an earlier view is forgotten (its reply may never come, or the op
// was discarded) and decided again by whoever leads; ending a session already
// ended is a no-op, so a duplicate is harmless. A failure that means the replica
// stopped (fail-stop) stops the driver, kept in failure(). Runs on the replica's
// loop; not thread-safe. Destroy it before the replica.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/io/loop.h"
#include "core/replica/cluster_replica.h"

namespace sluice::replica {

struct SessionExpiryOptions {
  uint64_t interval_ticks = 100;  // how often idle sessions are looked for (1 s)
  // A session idle this long is ended (0: never).
  uint64_t session_idle_ticks = 30'000;
  // A session holding a consumer-group membership, silent this long (if shorter),
  // is ended (0: only session_idle_ticks applies). Both should span several of the
  // backups' activity reports (ClusterReplicaOptions::activity_report_interval_ticks):
  // a report may be lost.
  uint64_t member_dead_ticks = 3'000;
  size_t expiries_per_run_max = 64;
};

class SessionExpiryDriver {
 public:
  SessionExpiryDriver(ClusterReplica& replica, io::Loop& loop, SessionExpiryOptions options);
  ~SessionExpiryDriver();
  SessionExpiryDriver(const SessionExpiryDriver&) = delete;
  SessionExpiryDriver& operator=(const SessionExpiryDriver&) = delete;

  // Looks for idle sessions now and submits their expiry; returns how many it
  // submitted (0 on a replica that does not decide now).
  absl::StatusOr<size_t> RunOnce();

  uint64_t ops_submitted() const { return ops_submitted_; }
  uint64_t ops_committed() const { return ops_committed_; }
  // The last kExpiredKept clients whose expiry this driver submitted and saw
  // committed, in order (tests, logs).
  static constexpr size_t kExpiredKept = 256;
  const std::deque<absl::uint128>& expired() const { return expired_; }
  const absl::Status& failure() const { return failure_; }

 private:
  struct InFlight {
    uint32_t view = 0;
    uint64_t token = 0;
  };

  void ScheduleNext();
  absl::Status Submit(absl::uint128 client);
  void Fail(const absl::Status& failure);

  ClusterReplica& replica_;
  io::Loop& loop_;
  const SessionExpiryOptions options_;
  io::TimerId timer_{};
  bool timer_pending_ = false;
  std::map<absl::uint128, InFlight> in_flight_;  // expiries not yet answered, by client
  uint64_t next_token_ = 0;
  uint64_t ops_submitted_ = 0;
  uint64_t ops_committed_ = 0;
  std::deque<absl::uint128> expired_;
  absl::Status failure_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sluice::replica
