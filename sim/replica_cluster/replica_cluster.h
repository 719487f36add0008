#pragma once
// ReplicaCluster: 1, 3 or 5 simulated replicas of the real replica
// (core/replica/cluster_replica.h) — metadata WAL, partition logs, VSR over both —
// each on its own SimStorage and SimNetwork endpoint, all on one SimLoop with the
// packet simulator's faults. A crash is the process dying with its I/O in flight
// (process_io.h) and the machine losing, keeping or tearing unsynced sectors; a
// restart is the real bootstrap (ClusterReplica::Open, rule B4).
//
// Checkers, on every report of a live process (a violation is recorded, not
// aborted on, so a test can print the seed):
//  - hash-chain agreement per group: every replica's committed op N of a group has
//    the checksum the first report of (group, N) fixed (a group's ops are keyed by
//    namespace and incarnation: a recreated partition is another group);
//  - applied metadata agrees: the state digest at op N is the same on every replica;
//  - nothing fail-stops unless the test injected an I/O fault (ExpectFailStop), or a
//    sync failed on the replica's disk since its process started (rule B1: a failed
//    fsync is fail-stop, also when it comes during boot);
//  - with `check_promises`, promises kept across a restart (rules B4, B7): after a
//    boot, every group's log reaches — with its faulty entries — at least the op its
//    previous process had made durable (and so may have acknowledged), unless the
//    disk was wiped.
// Converged() is the liveness condition: every replica up, normal in one view, every
// group committed to the same op everywhere and every replica settled.
//
// Test-only (sim/).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "core/base/memory_budget.h"
#include "core/journal/journal_layout.h"
#include "core/replica/cluster_replica.h"
#include "sim/cluster/process_io.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"
#include "sim/sim_storage.h"

namespace sluice::sim {

struct ReplicaClusterOptions {
  uint64_t seed = 1;
  uint8_t replica_count = 3;
  NetworkFaultProfile network = NetworkFaultProfile::None();
  uint64_t slot_count = 256;               // metadata WAL ring
  uint64_t checkpoint_interval_ops = 0;    // 0: the replica's default
  base::Ratio crash_sector_lands = {1, 2};
  vsr::ReplicaOptions replica;             // cluster, index and count are set here
  uint64_t pipeline_bytes_max = base::MemoryPool::kUnbounded;  // each replica's (cluster_replica.h)
  // The promise check below (off by default: two seeds of `./sluice sim --replicas 3`
  // still fail it, tests/mutation/README.md).
  bool check_promises = false;
};

class ReplicaCluster final {
 public:
  explicit ReplicaCluster(ReplicaClusterOptions options);
  ~ReplicaCluster();

  // Formats every replica's directory and boots it; returns once all are up.
  void Start();

  SimLoop& loop() { return loop_; }
  PacketSimulator& packets() { return packets_; }
  uint8_t replica_count() const { return options_.replica_count; }
  // Null while down or booting.
  replica::ClusterReplica* replica(uint8_t index) {
    return nodes_[index].process == nullptr ? nullptr : nodes_[index].process->replica.get();
  }
  SimStorage& storage(uint8_t index) { return *nodes_[index].storage; }
  journal::JournalOptions journal_options() const { return OptionsFor(0).journal; }

  // The process dies and the machine crashes (unsynced sectors land per `lands`).
  // Also while it boots.
  void Crash(uint8_t index, std::optional<base::Ratio> lands = std::nullopt);
  // The process dies and the machine keeps running: the page cache survives, pages a
  // failed sync covered included (they still read back until a machine crash, B1).
  void StopProcess(uint8_t index);
  // Boots the replica from its disk; replica(index) is non-null once it is up.
  void Restart(uint8_t index);
  // The down replica's disk is lost: a new, empty one is formatted with `format
  // --recover` (B17) and the replica boots from it, a non-voter until it state-synced.
  // A crash before that format completed loses the new disk too: Restart() then
  // formats another one.
  void Wipe(uint8_t index);
  bool down(uint8_t index) const { return nodes_[index].process == nullptr; }
  bool booting(uint8_t index) const { return !down(index) && nodes_[index].process->replica == nullptr; }
  // Up (or booting) and stopped by an I/O fault it was expected to stop on: the
  // harness stops the process and restarts it.
  bool fail_stopped(uint8_t index);
  // A fail-stop of this replica (an injected I/O fault) is expected until its next
  // crash, not a violation.
  void ExpectFailStop(uint8_t index) { nodes_[index].fail_stop_expected = true; }
  // A boot refusal of the replica whose message contains `needle` is expected (a
  // removed active segment: rule B5's clear error) for as long as its disk lives (the
  // damage stays on it; a partition whose creating op is replayed is opened after the
  // boot, and refuses then, as a fail-stop): it is recorded (boot_refusal), not a
  // violation; the operator's answer is Crash, then Wipe (`format --recover`).
  void ExpectBootRefusal(uint8_t index, std::string needle) { nodes_[index].refusal_expected = std::move(needle); }
  // The expected refusal that stopped the replica's current boot ("" if none).
  const std::string& boot_refusal(uint8_t index) const { return nodes_[index].refusal; }
  // The next sync of `path` on the replica's disk fails (in this process or a later
  // one); the fail-stop it causes is expected.
  void InjectSyncFailure(uint8_t index, const std::string& path, SyncOutcome outcome);
  // Sync failures that happened on the replica's disks so far (this one and lost ones).
  uint64_t sync_failures() const;
  // Whether the replica is up and some group of it is staging a state sync (B15).
  bool state_syncing(uint8_t index);

  std::optional<uint8_t> Primary();
  // Submits to the primary (FailedPrecondition / Unavailable when there is none now).
  absl::Status SubmitMetadata(wire::Operation operation, Bytes body,
                              replica::ClusterReplica::MetadataReply on_reply);
  // A client's request (its client id and request number; a login has request 0).
  absl::Status SubmitMetadata(metadata_store::MetadataRequest request, replica::ClusterReplica::MetadataReply on_reply);
  absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                               ByteSpan body, replica::ClusterReplica::PartitionReply on_reply);

  void RunTicks(uint64_t ticks);
  // Runs up to `ticks` ticks, stopping early (between two events) once `stop()`
  // holds; returns whether it did. RunUntilNs(deadline) then runs the rest.
  template <typename Predicate>
  bool RunTicksUnless(uint64_t ticks, Predicate stop, uint64_t* deadline_ns) {
    *deadline_ns = loop_.MonotonicNs() + ticks * io::kTickNs;
    loop_.ScheduleAfterNs(ticks * io::kTickNs, [] {});
    const bool stopped = loop_.RunUntil(stop, *deadline_ns);
    Reap();
    return stopped;
  }
  void RunUntilNs(uint64_t deadline_ns);
  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t max_ticks) {
    for (uint64_t tick = 0; violation_.empty() && !done(); ++tick) {
      if (tick >= max_ticks) return false;
      RunTicks(1);
    }
    return violation_.empty();
  }
  bool Converged();

  const std::string& violation() const { return violation_; }
  // A running hash of every report (commits, applied digests, crashes, boots) in order.
  absl::uint128 digest() const { return digest_; }
  uint64_t boots() const { return boots_; }
  // Changes whenever the replica's process dies or starts (a process identity).
  uint64_t process_generation(uint8_t index) const { return nodes_[index].boot; }
  uint64_t wipes() const { return wipes_; }
  // Entries the replicas' recoveries found faulty (corrupt, or an uncertain tail: B7).
  uint64_t recovered_faulty_ops();
  uint64_t state_syncs() const { return state_syncs_; }
  uint64_t voters_restored() const { return voters_restored_; }
  uint64_t expected_fail_stops() const { return expected_fail_stops_; }
  std::string Describe();

 private:
  class ProcessObserver final : public replica::ClusterReplicaObserver {
   public:
    ProcessObserver(ReplicaCluster& cluster) : cluster_(cluster) {}
    void Kill() { dead_ = true; }
    void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!dead_) cluster_.OnCommit(replica, group, op, checksum);
    }
    void OnFailStop(uint8_t replica, const absl::Status& cause) override {
      if (!dead_) cluster_.OnFailStop(replica, cause);
    }
    void OnMetadataApplied(uint8_t replica, uint64_t op, absl::uint128 digest) override {
      if (!dead_) cluster_.OnMetadataApplied(replica, op, digest);
    }
    void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!dead_) cluster_.OnStateSync(replica, group, op, checksum);
    }
    void OnVoter(uint8_t replica) override {
      if (!dead_) cluster_.OnVoter(replica);
    }

   private:
    ReplicaCluster& cluster_;
    bool dead_ = false;
  };
  // Between a replica and its network: a prepare_ok sent after a sync failed on the
  // replica's disk during this process's life is a violation (rule B1: the replica
  // stops; it never acknowledges after a failed fsync), and so is a vote (prepare_ok,
  // do_view_change) from a replica still recovering after `format --recover` (B17).
  class AckWatch final : public io::Network {
   public:
    AckWatch(ReplicaCluster& cluster, uint8_t index, io::Network& base)
        : cluster_(cluster), index_(index), base_(base) {}
    void Kill() { dead_ = true; }
    void SetHandler(io::NetworkHandler* handler) override { base_.SetHandler(handler); }
    absl::Status Send(io::PeerId to, ByteSpan frame) override;
    size_t frame_size_max_bytes() const override { return base_.frame_size_max_bytes(); }

   private:
    ReplicaCluster& cluster_;
    uint8_t index_;
    io::Network& base_;
    bool dead_ = false;
  };
  struct Process {
    Process(ReplicaCluster& cluster, uint8_t index, SimStorage& storage, SimNetwork& network, SimLoop& loop)
        : storage(storage, loop), network(network), watch(cluster, index, this->network), observer(cluster) {}
    ProcessStorage storage;
    ProcessNetwork network;
    AckWatch watch;
    ProcessObserver observer;
    std::unique_ptr<replica::ClusterReplica> replica;  // declared last: destroyed first
  };
  struct Node {
    std::unique_ptr<SimStorage> storage;
    std::unique_ptr<SimNetwork> network;
    std::unique_ptr<Process> process;
    uint64_t boot = 0;
    bool fail_stop_expected = false;
    bool boot_failed = false;  // boot stopped on an expected I/O fault
    bool formatting = false;   // `format --recover` has not completed on this disk
    std::string refusal_expected;  // ExpectBootRefusal's needle ("" if none)
    std::string refusal;           // the current boot's expected refusal ("" if none)
    uint64_t sync_failures_at_start = 0;  // the disk's count when this process started
    // Per group, the last op its log had made durable when the process died: it may
    // have acknowledged every op up to it (a prepare_ok follows the sync).
    std::map<vsr::GroupId, uint64_t> durable_at_death;
  };

  replica::ClusterReplicaOptions OptionsFor(uint8_t index) const;
  void Boot(uint8_t index);
  // Remembers what the dying process had made durable; checks it after the next boot.
  void RecordDurable(uint8_t index);
  void CheckPromisesKept(uint8_t index);
  void StartProcess(uint8_t index);
  void FormatNewDisk(uint8_t index);
  void Format(uint8_t index, bool recovering, absl::AnyInvocable<void(absl::Status)> then);
  // Whether a fail-stop of the replica now is one the harness caused.
  bool FailStopExpected(uint8_t index) const;
  // Whether a sync failed on the replica's disk since its process started.
  bool SyncFailedInProcess(uint8_t index) const;
  void OnFailStop(uint8_t replica, const absl::Status& cause);
  void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum);
  void OnVoter(uint8_t replica);
  void Reap();
  void Violation(std::string message);
  void Mix(uint64_t a, uint64_t b, absl::uint128 c);
  void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum);
  void OnMetadataApplied(uint8_t replica, uint64_t op, absl::uint128 digest);

  ReplicaClusterOptions options_;
  SimLoop loop_;
  PacketSimulator packets_;
  std::vector<Node> nodes_;
  std::vector<std::unique_ptr<Process>> dead_;
  // Wiped disks: a dead process may still refer to one until it is reaped.
  std::vector<std::unique_ptr<SimStorage>> lost_storage_;
  uint64_t lost_sync_failures_ = 0;
  std::map<std::pair<vsr::GroupId, uint64_t>, absl::uint128> committed_;
  std::map<uint64_t, absl::uint128> applied_;  // metadata op -> state digest
  std::string violation_;
  absl::uint128 digest_ = 0;
  uint64_t boots_ = 0;
  uint64_t wipes_ = 0;
  uint64_t past_faulty_ops_ = 0;  // of processes that died
  uint64_t disks_ = 0;  // new disks so far (each its own storage sub-seed)
  uint64_t state_syncs_ = 0;
  uint64_t voters_restored_ = 0;
  uint64_t expected_fail_stops_ = 0;
};

}  // namespace sluice::sim
