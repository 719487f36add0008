#pragma once
// OffsetChecker: the cluster workload's model of consumer offsets and its checker of
// rule B3's last sentence — a committed consumer offset changes only by a store, a
// delete, a purge, or the deletion of its topic or group (BOOTSTRAP_CONTRACT.md).
// The workload deletes no offset, purges nothing and deletes no consumer group, so
// here it changes only by a store, until its topic's deletion is submitted.
//
// The model: per partition group and consumer, every value a client submitted for a
// store (strictly increasing in submission order: a client stores only past what it
// stored before) and, for the acknowledged ones, the op the store committed at.
// Committed ops keep the submission order (a later submission is prepared after
// every op that survives before it), so the committed offset after op A is the value
// of the last store committed at or below A: at least the last acknowledged one.
//
// Checked on every live replica, for every group not being deleted, after each step
// of the workload and at its end, at the op A its offsets reflect — the larger of
// the log's applied op and the offsets' own (after a boot over a damaged segment the
// offsets checkpoint may be ahead of the log, whose missing committed entries are
// repaired from peers: consumer_offsets.h, partition_recovery.cc):
//  - each committed offset is a value some client submitted for that consumer (never
//    invented, never another consumer's or another partition's);
//  - if an acknowledged store committed at an op <= A, the consumer has an offset,
//    at least that store's value (no acknowledged store lost or rolled back, also
//    across crashes, recoveries and state syncs);
//  - a value whose store was acknowledged at op X is not there while A < X;
//  - replicas at the same A of a group have the same offsets;
//  - within one process of a replica (one boot), no offset ever decreases (nothing
//    here deletes or purges): a repair re-applying older stores must not show them.
//
// Deterministic: ordered containers only.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/partition/entry_body.h"

namespace sluice::sim {

class OffsetChecker {
 public:
  using GroupKey = std::pair<uint64_t, uint64_t>;  // (namespace, incarnation)

  // The last value submitted for `consumer` in `group`, if any.
  std::optional<uint64_t> LastSubmitted(const GroupKey& group, const partition::ConsumerKey& consumer) const;
  // A store of `value` was submitted (larger than every earlier one of the consumer).
  void Submitted(const GroupKey& group, const partition::ConsumerKey& consumer, uint64_t value);
  // That store was acknowledged: committed at `op`.
  void Acknowledged(const GroupKey& group, const partition::ConsumerKey& consumer, uint64_t value, uint64_t op);
  // The group's topic deletion was submitted: its offsets may go, nothing is checked.
  void Forget(const GroupKey& group) { forgotten_.insert(group); }

  // Checks one replica's committed offsets of `group`, which reflect every op up to
  // `applied_op`, in the replica's process `boot`; appends a line per violation.
  void Check(uint8_t replica, uint64_t boot, const GroupKey& group, uint64_t applied_op,
             const std::map<partition::ConsumerKey, uint64_t>& offsets, std::vector<std::string>& violations);

  uint64_t stores_submitted() const { return stores_submitted_; }
  uint64_t stores_acknowledged() const { return stores_acknowledged_; }
  uint64_t checks() const { return checks_; }

 private:
  struct ConsumerModel {
    std::set<uint64_t> submitted;
    std::map<uint64_t, uint64_t> acknowledged_by_op;  // op -> value
    std::map<uint64_t, uint64_t> op_of_value;         // acknowledged value -> op
  };
  using GroupOffsets = std::map<partition::ConsumerKey, uint64_t>;

  std::map<GroupKey, std::map<partition::ConsumerKey, ConsumerModel>> groups_;
  std::set<GroupKey> forgotten_;
  // The first offsets seen at (group, applied op), and on which replica.
  std::map<std::pair<GroupKey, uint64_t>, std::pair<uint8_t, GroupOffsets>> seen_at_op_;
  // The offsets last seen per (replica, group), and in which process.
  std::map<std::pair<uint8_t, GroupKey>, std::pair<uint64_t, GroupOffsets>> last_seen_;
  uint64_t stores_submitted_ = 0;
  uint64_t stores_acknowledged_ = 0;
  uint64_t checks_ = 0;
};

}  // namespace sluice::sim
