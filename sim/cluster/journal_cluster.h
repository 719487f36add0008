#pragma once
// JournalCluster: a simulated cluster of VSR replicas (core/vsr) whose metadata group
// runs on the real metadata WAL — core/journal adapted by vsr::JournalGroupLog — each
// replica on its own SimStorage (the WAL and its durable VSR state file), its own
// SimNetwork endpoint, all on one SimLoop with the packet simulator's faults. The
// replica's durable view state lives in the superblock and the view table it names
// (JournalGroupLog as the replica's ViewStateStore, metadata_sync.h), read at boot.
//
// Unlike sim/vsr_cluster.h (crash-faithful in-memory logs), nothing here models the
// log: a crash is SimStorage::CrashMachine (unsynced sectors land, vanish or tear per
// the odds given), and a restart is the real bootstrap path for the group — LoadVsrState,
// RecoverJournal (cluster mode: corrupt and uncertain entries are reported faulty, rule
// B7), JournalGroupLog::FromRecovery, then Replica::Restore (rule B4).
//
// The checker (commit_checker.h, shared with sim/vsr_cluster.h) runs on every commit
// any replica reports:
//  - hash-chain agreement: every replica's committed op N has the checksum the first
//    report of op N fixed;
//  - in order: each replica reports ops without gaps, from its restored commit point;
//  - nothing committed is lost or changed: a restarted replica's recovered chain holds
//    the committed checksums up to its recovered commit watermark; CheckLogs compares
//    every live log with the committed checksums; CheckDurable crashes every machine at
//    once (unsynced sectors lost) and requires every replica's recovered WAL to hold
//    every committed op — an acknowledged op is on disk, not only in memory.
// A process dies with its storage and network operations in flight (process_io.h):
// its coroutines finish with Aborted, and its objects are destroyed once idle.
// A violation is recorded (violation()) rather than aborting, so a test can print the
// seed and the replay command.
//
// Each replica's directory is formatted like a real one (core/metadata_store's
// FormatMetadata: superblock, empty snapshot, WAL) and booted like one: the superblock
// and the checkpoint's snapshot (LoadMetadataSyncState), the WAL recovered anchored
// at that checkpoint. With checkpoint_interval_ops, the harness plays the metadata
// layer: each live replica checkpoints its committed prefix every that many ops
// (JournalGroupLog::TakeCheckpoint: snapshot, superblock, WAL), so the ring can wrap
// and a replica down longer than it catches up by state sync (B15). The snapshot's
// state records only its op (the metadata apply path is not in the cluster yet), so
// the checker verifies a sync by its op and that op's committed checksum (OnStateSync).
// Without checkpoints the ring must hold every op of a run (rule B8: Submit is refused
// with ResourceExhausted once it is full).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/prng.h"
#include "core/journal/journal_layout.h"
#include "core/vsr/journal_group_log.h"
#include "core/vsr/replica.h"
#include "sim/cluster/commit_checker.h"
#include "sim/cluster/process_io.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"
#include "sim/sim_storage.h"

namespace sluice::sim {

struct JournalClusterOptions {
  uint64_t seed = 1;
  uint8_t replica_count = 3;
  NetworkFaultProfile network = NetworkFaultProfile::None();
  // The metadata WAL of every replica (cluster is set here).
  uint64_t slot_count = 1024;
  uint64_t message_size_max = 1024;
  uint64_t sector_size_bytes = 512;
  // Every live replica checkpoints its metadata group this many ops above its last
  // checkpoint, once committed (0: never).
  uint64_t checkpoint_interval_ops = 0;
  // Odds that an unsynced sector survives a machine crash (entries torn at sector
  // granularity in between), unless Crash() is given its own.
  base::Ratio crash_sector_lands = {1, 2};
  vsr::ReplicaOptions replica;  // cluster, replica_index and replica_count are set here
};

// What the journal recoveries of a run found (for reports: the runs must exercise
// the recovery paths they claim to).
struct JournalRecoveryCounts {
  uint64_t recoveries = 0;
  uint64_t faulty_ops = 0;        // corrupt or uncertain ops handed to VSR (B7)
  uint64_t uncertain_tails = 0;   // recoveries that found one
  uint64_t rewritten_ops = 0;     // rule B1: tails made durable again
};

class JournalCluster final {
 public:
  explicit JournalCluster(JournalClusterOptions options);
  ~JournalCluster();

  // Formats every replica (FormatMetadata: superblock, empty snapshot, WAL) and boots it;
  // returns once all are up.
  void Start();

  SimLoop& loop() { return loop_; }
  PacketSimulator& packets() { return packets_; }
  const JournalClusterOptions& options() const { return options_; }
  vsr::GroupId group() const { return {.namespace_id = 0, .incarnation = 0}; }

  // nullptr while the replica is down or booting.
  vsr::Replica* replica(uint8_t index) {
    return nodes_[index].process == nullptr ? nullptr : nodes_[index].process->replica.get();
  }
  SimStorage& storage(uint8_t index) { return *nodes_[index].storage; }
  // The live replica's metadata log (nullptr while down).
  const vsr::GroupLog* log(uint8_t index);
  const vsr::JournalGroupLog* journal_log(uint8_t index) {
    return replica(index) == nullptr ? nullptr : nodes_[index].process->log;
  }

  // The process dies and the machine crashes: unsynced sectors of the WAL land,
  // vanish or tear (`sector_lands`, else the options'). Completions in flight are
  // dropped with the process, and so are writes in flight: sectors landing then may
  // leave a torn entry, which counts as damage (MayBeTorn), as tearing does.
  void Crash(uint8_t index, std::optional<base::Ratio> sector_lands = std::nullopt);
  // Whether the replica may hold an uncertain tail or a corrupt entry, or lost its
  // directory: it crashed with tearing odds or had a sector corrupted, and has not
  // since been up with a log free of faulty entries; or it was wiped and is not a
  // voter again yet, or the cluster has not yet committed past the ops it held before
  // (it may have acknowledged them and can never nack them: until they are committed
  // or replaced, it is a lost copy of each). Such a replica may hold the only damaged
  // copy of an op, so the fault model (DESIGN.md) allows no second one meanwhile.
  bool MayBeTorn(uint8_t index);
  // Flips one bit of a sector of the down replica's WAL — in the prepare, or in the
  // headers zone's copy of its header, of the slot of `op` (`in_header`) — as a
  // corruption the next recovery must find (B7: a corrupt entry is repaired from
  // peers, an uncertain one resolved by VSR). Counts as damage (MayBeTorn).
  void CorruptWal(uint8_t index, uint64_t op, bool in_header, uint64_t byte, uint8_t bit);
  // The replica's data directory is lost (it crashes first if up) and re-created with
  // `format --recover` (B17) on a new, empty disk; then it boots like Restart(): it
  // takes no part in view changes or quorums until it has state-synced.
  void Wipe(uint8_t index);
  // From Wipe() until the replica became a voter again (up or down meanwhile).
  bool lost_directory(uint8_t index) const { return nodes_[index].lost_directory; }
  uint64_t voters_restored() const { return voters_restored_; }
  // Boots the replica from its disk (superblock, view table, RecoverJournal, Restore: B4).
  // Asynchronous: replica(index) is non-null once it is up. A crash meanwhile cancels it.
  void Restart(uint8_t index);
  bool booting(uint8_t index) const {
    return nodes_[index].process != nullptr && nodes_[index].process->replica == nullptr;
  }

  std::optional<uint8_t> Primary();
  // Submits a metadata request to whichever replica accepts it (the primary).
  absl::Status Submit(ByteSpan body);

  void RunTicks(uint64_t ticks) { RunNs(ticks * io::kTickNs); }
  // Runs the loop for `duration_ns` of simulated time (a crash inside a tick lands
  // between a WAL write's completion and its sync: an unsynced tail).
  void RunNs(uint64_t duration_ns);
  // Runs until `done()` (checked once per tick) or `max_ticks` pass; false on timeout
  // or a violation.
  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t max_ticks) {
    for (uint64_t tick = 0; violation().empty() && !done(); ++tick) {
      if (tick >= max_ticks) return false;
      RunTicks(1);
    }
    return violation().empty();
  }

  // Every replica up, normal in one view, committed to the same op, which is the
  // highest op ever committed, and its head there.
  bool Converged();
  // After Converged(): every live log holds the committed checksums.
  void CheckLogs();
  // After Converged(): waits until every replica's log is durable, crashes every
  // machine at once with every unsynced sector lost, restarts all, and checks that
  // each recovered WAL holds every committed op with its committed checksum.
  // Returns once all are up again (or a violation was recorded).
  void CheckDurable(uint64_t max_ticks);

  uint64_t committed() const { return checker_.committed(0); }
  const std::vector<absl::uint128>& committed_checksums() const { return checker_.committed_checksums(0); }
  const std::string& violation() const { return checker_.violation(); }
  // The run's trace digest so far (commit_checker.h): commits, snapshots installed,
  // durable view-state writes, crashes and restarts, in order.
  std::string Digest() const { return checker_.Digest(); }
  // Adds a line to the trace digest (a fault the driver injected).
  void Record(absl::string_view event) { checker_.Record(event); }
  const JournalRecoveryCounts& recovery_counts() const { return recovery_counts_; }
  uint64_t checkpoints() const { return checkpoints_; }
  uint64_t state_syncs() const { return checker_.state_syncs(); }
  std::string Describe();

 private:
  // Forwards one process's reports to the cluster until the process dies.
  class ProcessObserver final : public vsr::ReplicaObserver {
   public:
    explicit ProcessObserver(JournalCluster& cluster) : cluster_(cluster) {}
    void Kill() { dead_ = true; }
    void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!dead_) cluster_.OnCommit(replica, group, op, checksum);
    }
    void OnFailStop(uint8_t replica, const absl::Status& cause) override {
      if (!dead_) cluster_.OnFailStop(replica, cause);
    }
    void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!dead_) cluster_.OnStateSync(replica, group, op, checksum);
    }
    void OnPersist(uint8_t replica, const vsr::VsrState& state) override {
      if (!dead_) cluster_.checker_.OnPersist(replica, state);
    }
    void OnVoter(uint8_t replica) override {
      if (!dead_) cluster_.OnVoter(replica);
    }

   private:
    JournalCluster& cluster_;
    bool dead_ = false;
  };
  // One process of a replica: its view of the machine's storage and network.
  struct Process {
    Process(JournalCluster& cluster, SimStorage& storage, SimNetwork& network, SimLoop& loop)
        : storage(storage, loop), network(network), observer(cluster) {}
    ProcessStorage storage;
    ProcessNetwork network;
    ProcessObserver observer;
    std::unique_ptr<vsr::Replica> replica;  // declared last: destroyed first
    vsr::JournalGroupLog* log = nullptr;    // the replica's, while it lives
  };
  struct Node {
    std::unique_ptr<SimStorage> storage;
    std::unique_ptr<SimNetwork> network;
    std::unique_ptr<Process> process;  // null while down
    uint64_t boot = 0;      // bumped at every crash: stale boots do nothing
    bool may_be_torn = false;
    bool lost_directory = false;
    uint64_t wiped_head_op = 0;  // the faulty head of the log its last wipe lost
  };

  journal::JournalOptions JournalOptions() const;
  // Formats the node's disk (`recovering`: `format --recover`), then `then(status)`.
  void Format(uint8_t index, bool recovering, absl::AnyInvocable<void(absl::Status)> then);
  void Boot(uint8_t index);
  void OnVoter(uint8_t replica);
  // Destroys the dead processes that have nothing left to run (between loop events).
  void Reap();
  // Starts a checkpoint on every live replica whose commit is far enough above its base.
  void MaybeCheckpoint();
  void Restored(uint8_t index, vsr::VsrState state, std::unique_ptr<vsr::JournalGroupLog> log);
  void RecoverWal(uint8_t index, uint64_t boot, vsr::VsrState state, vsr::MetadataSyncState sync);
  void Violation(std::string message) { checker_.Violation(std::move(message)); }
  // What the live processes report (ProcessObserver).
  void OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum);
  void OnFailStop(uint8_t replica, const absl::Status& cause);
  void OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum);

  JournalClusterOptions options_;
  SimLoop loop_;
  PacketSimulator packets_;
  std::vector<Node> nodes_;
  // Disks of wiped replicas: kept until the end, as dead processes and the loop may
  // still refer to them (destroyed after dead_).
  std::vector<std::unique_ptr<SimStorage>> lost_storage_;
  CommitChecker checker_;
  std::vector<std::unique_ptr<Process>> dead_;  // killed, with completions left to run
  JournalRecoveryCounts recovery_counts_;
  uint64_t checkpoints_ = 0;
  uint64_t wipes_ = 0;
  uint64_t voters_restored_ = 0;
};

}  // namespace sluice::sim
