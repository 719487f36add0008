#pragma once
// VsrCluster: a simulated cluster of VSR replicas (core/vsr) on one SimLoop — each
// replica with its own SimStorage (its durable VSR state file), SimNetwork endpoint
// and crash-faithful in-memory group logs — plus a checker.
//
// The checker runs on every commit any replica reports:
//  - hash-chain agreement: every replica's committed op N of a group has the same
//    checksum as every other replica's op N (the first report fixes it);
//  - in order: each replica reports ops 1, 2, 3, ... of a group without gaps (from
//    its restored commit point after a restart);
//  - nothing committed is lost or changed: a restarted replica's recovered
//    committed prefix, and (CheckLogs) every live replica's log, hold exactly
//    the committed checksums;
//  - state sync (B15): a replica that installs a snapshot at op N reports it
//    (OnStateSync) with the committed checksum of op N, after its last reported op;
//    CheckLogs decodes every replica's state (the test state machine of
//    core/vsr/testing/memory_log.h: snapshot + applied ops) and requires exactly the
//    committed ops 1..N with their checksums, so a state that arrived by sync is
//    checked like one built op by op.
// Checkpoints (checkpoint_interval_ops) make the logs forget their committed prefix,
// so a replica down long enough can only catch up by state sync. Wipe() models a
// lost data directory re-created with `format --recover` (B17).
// The checks, and the run's trace digest, are sim/cluster/commit_checker.h's.
// A violation is recorded (violation()) rather than aborting, so a test can print
// the seed and the replay command.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/prng.h"
#include "core/vsr/replica.h"
#include "core/vsr/testing/memory_log.h"
#include "sim/cluster/commit_checker.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"
#include "sim/sim_storage.h"

namespace sluice::sim {

struct VsrClusterOptions {
  uint64_t seed = 1;
  uint8_t replica_count = 3;
  // Group 0 is the metadata group; groups 1.. are partition groups (bit 63 set, each
  // with its own incarnation).
  uint64_t group_count = 1;
  NetworkFaultProfile network = NetworkFaultProfile::None();
  size_t frame_size_max_bytes = io::kFrameSizeMaxBytesDefault;
  uint64_t log_sync_delay_ticks = 0;
  // Odds that an unsynced log entry survives a machine crash.
  base::Ratio crash_entry_lands = {1, 2};
  // Each group log checkpoints every this many committed ops (0: never), this far
  // behind its commit point (MemoryLog::Options).
  uint64_t checkpoint_interval_ops = 0;
  uint64_t checkpoint_lag_ops = 0;
  vsr::ReplicaOptions replica;  // cluster, replica_index and replica_count are set here
};

class VsrCluster final : private vsr::ReplicaObserver {
 public:
  explicit VsrCluster(VsrClusterOptions options);
  ~VsrCluster() override;

  // Formats every replica (its initial VSR state) and boots it; returns once all are up.
  void Start();

  SimLoop& loop() { return loop_; }
  PacketSimulator& packets() { return packets_; }
  const VsrClusterOptions& options() const { return options_; }
  const std::vector<vsr::GroupId>& groups() const { return checker_.groups(); }

  // nullptr while the replica is down or booting.
  vsr::Replica* replica(uint8_t index) { return nodes_[index].replica.get(); }
  vsr::testing::MemoryLogDisk& disk(uint8_t index, size_t group) { return nodes_[index].disks[group]; }
  SimStorage& storage(uint8_t index) { return *nodes_[index].storage; }

  // The process dies and the machine crashes: unsynced log entries land or vanish
  // (crash_entry_lands), unsynced storage is torn per SimStorage's model.
  void Crash(uint8_t index, std::optional<base::Ratio> entry_lands = std::nullopt);
  // Whether the replica's disk holds a group log with a gap (an uncertain tail).
  bool HasTornLog(uint8_t index) const;
  // Boots the replica again from its disk: loads the VSR state file, recovers every
  // group log, Replica::Restore (rule B4). Asynchronous: up once the state is read.
  // Not while a Wipe()'s format is still being written (formatting()).
  void Restart(uint8_t index);
  // The replica's data directory is lost (it crashes if up; every group log and its
  // snapshot are gone) and re-created with `format --recover` (B17): a VSR state file
  // with view 0, no log views and the recovering flag. Asynchronous like a format:
  // Restart() once formatting() is false.
  void Wipe(uint8_t index);
  bool formatting(uint8_t index) const { return nodes_[index].formatting; }
  // From Wipe() until the replica became a voter again (up or down meanwhile).
  bool lost_directory(uint8_t index) const { return nodes_[index].lost_directory; }

  // The current primary in normal status, if exactly one replica claims it.
  std::optional<uint8_t> Primary();
  // Submits a request for `group` to whichever replica accepts it (the primary).
  absl::Status Submit(size_t group, ByteSpan body);

  void RunTicks(uint64_t ticks);
  // Runs until `done()` or `max_ticks` pass; returns whether done() held (and no
  // violation was found). `done()` is evaluated once per simulated tick, not per
  // event: a check over every group of every replica would dominate the run.
  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t max_ticks) {
    const uint64_t deadline = loop_.MonotonicNs() + max_ticks * io::kTickNs;
    while (violation().empty() && !done()) {
      if (loop_.MonotonicNs() >= deadline) return false;
      const uint64_t next_check = loop_.MonotonicNs() + io::kTickNs;
      if (!loop_.RunUntil([&] { return loop_.MonotonicNs() >= next_check || !violation().empty(); },
                          deadline)) {
        return done() && violation().empty();  // nothing left to run before the deadline
      }
    }
    return violation().empty();
  }

  // Every replica up, a voter, normal in one view, every group committed to the same
  // op on all, which is the highest op ever committed.
  bool Converged();
  // After Converged(): checks every replica's log, and its state at its commit point,
  // against the committed checksums; records a violation on a difference.
  void CheckLogs();
  // The live process's log of `group` (nullptr while down).
  vsr::testing::MemoryLog* memory_log(uint8_t index, size_t group) {
    return nodes_[index].logs.empty() ? nullptr : nodes_[index].logs[group];
  }

  // The highest op of `group` committed anywhere, and its committed checksums.
  uint64_t committed(size_t group) const { return checker_.committed(group); }
  const std::vector<absl::uint128>& committed_checksums(size_t group) const {
    return checker_.committed_checksums(group);
  }
  const std::string& violation() const { return checker_.violation(); }
  // The run's trace digest so far (commit_checker.h).
  std::string Digest() const { return checker_.Digest(); }
  // Every replica's DebugString (or "down"), for failure messages.
  std::string Describe();
  // Durable VSR state writes per replica (each: write + fsync + rename + directory fsync).
  uint64_t persists(uint8_t index) const { return nodes_[index].persists; }
  uint64_t fail_stops() const { return fail_stops_; }
  // Snapshots installed by state sync, and recovering replicas that became voters, so far.
  uint64_t state_syncs() const { return checker_.state_syncs(); }
  uint64_t voters_restored() const { return voters_restored_; }

 private:
  struct Node {
    std::unique_ptr<SimStorage> storage;
    std::unique_ptr<SimNetwork> network;
    std::vector<vsr::testing::MemoryLogDisk> disks;  // one per group
    std::unique_ptr<vsr::Replica> replica;
    std::vector<vsr::testing::MemoryLog*> logs;  // the replica's, while it is up
    bool formatting = false;
    bool lost_directory = false;
    uint64_t boot = 0;               // bumped at every crash: stale boots do nothing
    uint64_t persists = 0;
  };

  void Boot(uint8_t index);
  void Violation(std::string message) { checker_.Violation(std::move(message)); }
  // vsr::ReplicaObserver
  void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
    checker_.OnCommit(replica, checker_.GroupIndex(group), op, checksum);
  }
  void OnPersist(uint8_t replica, const vsr::VsrState& state) override {
    ++nodes_[replica].persists;
    checker_.OnPersist(replica, state);
  }
  void OnFailStop(uint8_t replica, const absl::Status& cause) override;
  void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
    checker_.OnStateSync(replica, checker_.GroupIndex(group), op, checksum);
  }
  void OnVoter(uint8_t replica) override {
    ++voters_restored_;
    nodes_[replica].lost_directory = false;
  }

  VsrClusterOptions options_;
  base::Prng prng_;
  SimLoop loop_;
  PacketSimulator packets_;
  CommitChecker checker_;
  std::vector<Node> nodes_;
  uint64_t fail_stops_ = 0;
  uint64_t voters_restored_ = 0;
};

}  // namespace sluice::sim
