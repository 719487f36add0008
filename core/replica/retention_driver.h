#pragma once
// RetentionDriver: the deciding side of retention (DESIGN.md "Time-driven
// decisions"), on a single node or on the primary of a cluster. Every
// `interval_ticks` it plans each topic's retention from the replica's realtime clock
// and the prepare timestamps in its segments (retention_plan.h) and submits the
// cutoffs as PartitionRetention ops through the partition groups, so the decision is
// in the log: recovery re-applies it and every replica applying the log drops exactly
// these segments. A cluster replica plans only while it is the primary of a normal
// view; every replica runs a driver, so a new primary takes over (retention_host.h).
//
// At most one retention op per partition group is in flight; one submitted in an
// earlier view is forgotten (its reply may never come) and planned again. A
// partition whose group is being created or deleted is skipped. A failure that means
// the replica stopped (fail-stop, rule B1: on a single node every failed submission)
// stops the driver; that error is kept in failure(). Everything runs on the
// replica's loop; not thread-safe. Destroy it before the replica: replies still in
// flight are then ignored.

#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "core/io/loop.h"
#include "core/replica/retention_host.h"

namespace sluice::replica {

struct RetentionDriverOptions {
  uint64_t interval_ticks = 1000;  // how often topics are planned (UringLoop: 10 ms a tick)
};

class RetentionDriver {
 public:
  RetentionDriver(SingleNodeReplica& replica, io::Loop& loop, RetentionDriverOptions options);
  RetentionDriver(ClusterReplica& replica, io::Loop& loop, RetentionDriverOptions options);
  RetentionDriver(std::unique_ptr<RetentionHost> host, io::Loop& loop, RetentionDriverOptions options);
  ~RetentionDriver();
  RetentionDriver(const RetentionDriver&) = delete;
  RetentionDriver& operator=(const RetentionDriver&) = delete;

  // Plans every topic now and submits what goes; returns how many ops it submitted
  // (0 on a replica that does not decide now).
  absl::StatusOr<size_t> RunOnce();

  uint64_t ops_submitted() const { return ops_submitted_; }
  uint64_t ops_committed() const { return ops_committed_; }
  const absl::Status& failure() const { return failure_; }

 private:
  struct InFlight {
    uint64_t epoch = 0;
    uint64_t token = 0;
  };
  using GroupKey = std::pair<uint64_t, uint64_t>;  // (namespace, incarnation)

  void ScheduleNext();
  absl::Status Submit(GroupKey group, uint64_t cutoff, uint64_t now_us);
  void Fail(const absl::Status& failure);

  std::unique_ptr<RetentionHost> host_;
  io::Loop& loop_;
  RetentionDriverOptions options_;
  io::TimerId timer_{};
  bool timer_pending_ = false;
  std::map<GroupKey, InFlight> in_flight_;  // groups with a retention op not yet answered
  uint64_t next_token_ = 0;
  uint64_t ops_submitted_ = 0;
  uint64_t ops_committed_ = 0;
  absl::Status failure_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sluice::replica
