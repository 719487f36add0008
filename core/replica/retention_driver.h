#pragma once
// RetentionDriver: a single node's primary side of retention (DESIGN.md
// "Time-driven decisions"). Every `interval_ticks` it plans each topic's retention
// from the node's realtime clock and the prepare timestamps in its segments
// (retention_plan.h) and submits the cutoffs as PartitionRetention ops through the
// partition groups, so the decision is in the log: recovery re-applies it and a
// replica applying the log drops exactly these segments.
//
// At most one retention op per partition is in flight; a partition whose group is
// being deleted (a pending step) is skipped. A submission refused because the node
// has failed (rule B1, fail-stop) stops the driver; that error is kept in failure().
// Everything runs on the replica's loop; not thread-safe. Destroy it before the
// replica: replies still in flight are then ignored.

#include <cstdint>
#include <memory>

#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"
#include "core/io/loop.h"
#include "core/replica/single_node_replica.h"

namespace sluice::replica {

struct RetentionDriverOptions {
  uint64_t interval_ticks = 1000;  // how often topics are planned (UringLoop: 10 ms a tick)
};

class RetentionDriver {
 public:
  RetentionDriver(SingleNodeReplica& replica, io::Loop& loop, RetentionDriverOptions options);
  ~RetentionDriver();
  RetentionDriver(const RetentionDriver&) = delete;
  RetentionDriver& operator=(const RetentionDriver&) = delete;

  // Plans every topic now and submits what goes; returns how many ops it submitted.
  absl::StatusOr<size_t> RunOnce();

  uint64_t ops_committed() const { return ops_committed_; }
  const absl::Status& failure() const { return failure_; }

 private:
  void ScheduleNext();

  SingleNodeReplica& replica_;
  io::Loop& loop_;
  RetentionDriverOptions options_;
  io::TimerId timer_{};
  bool timer_pending_ = false;
  absl::btree_set<uint64_t> in_flight_;  // namespaces with a retention op not yet committed
  uint64_t ops_committed_ = 0;
  absl::Status failure_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace sluice::replica
