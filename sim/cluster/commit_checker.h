#pragma once
// CommitChecker: what every simulated VSR cluster (sim/vsr_cluster.h on in-memory
// logs, sim/cluster/journal_cluster.h on the real WAL) checks in what its replicas
// report, and the run's trace digest.
//
// Checks, per group:
//  - hash-chain agreement: every replica's committed op N has the checksum the first
//    report of op N fixed;
//  - in order: each replica reports ops without gaps, from the commit point it was
//    restored at (Restored) or the snapshot it installed (OnStateSync);
//  - a state sync installs a committed op above the replica's last report;
//  - CheckChain: a log (recovered or live) holds the committed checksums from its
//    base up to a given op — nothing committed is lost or changed.
// A violation is recorded (the first one is kept), never aborted on, so a test can
// print the seed and the replay command.
//
// The trace digest is a running hash (XXH3-128) over one text line per observed
// event, in the order they happen: every commit report (replica, group, op,
// checksum), every snapshot installed, every durable view-state write (replica,
// view, log view) and whatever the harness records (crashes, restarts, faults). The
// same seed must give the same digest in another process and with the other
// toolchain (DESIGN.md "Determinism rules"): only event data enters it, never
// addresses or hash-map order.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "core/base/checksum.h"
#include "core/vsr/group_log.h"
#include "core/vsr/vsr_state.h"

namespace sluice::sim {

// "0x" and 32 hex digits.
std::string Hex(absl::uint128 value);

class CommitChecker final {
 public:
  // `groups` sorted (GroupIndex searches them).
  CommitChecker(std::vector<vsr::GroupId> groups, uint8_t replica_count);

  const std::vector<vsr::GroupId>& groups() const { return groups_; }
  size_t GroupIndex(vsr::GroupId id) const;

  // The replica booted with `group` committed to `commit`: its reports continue there.
  void Restored(uint8_t replica, size_t group, uint64_t commit) { reported_[replica][group] = commit; }
  // What a live replica reports (vsr::ReplicaObserver).
  void OnCommit(uint8_t replica, size_t group, uint64_t op, absl::uint128 checksum);
  void OnStateSync(uint8_t replica, size_t group, uint64_t op, absl::uint128 checksum);
  void OnPersist(uint8_t replica, const vsr::VsrState& state);
  // `log` holds the committed checksums from its base (or op 1) through
  // min(through, committed); `what` names the log in the message.
  void CheckChain(uint8_t replica, size_t group, const vsr::GroupLog& log, uint64_t through, absl::string_view what);

  // A harness event for the trace digest (one line, no newline).
  void Record(absl::string_view event);
  // The trace digest so far, 32 hex digits.
  std::string Digest() const;

  void Violation(std::string message);
  const std::string& violation() const { return violation_; }
  uint64_t reported(uint8_t replica, size_t group) const { return reported_[replica][group]; }
  uint64_t committed(size_t group) const { return committed_[group].size(); }
  const std::vector<absl::uint128>& committed_checksums(size_t group) const { return committed_[group]; }
  uint64_t state_syncs() const { return state_syncs_; }

 private:
  std::vector<vsr::GroupId> groups_;
  std::vector<std::vector<uint64_t>> reported_;         // [replica][group]: the last op reported
  std::vector<std::vector<absl::uint128>> committed_;   // [group]: op N at [N-1]
  base::Checksum128Builder digest_;
  std::string violation_;
  uint64_t state_syncs_ = 0;
};

}  // namespace sluice::sim
