#pragma once
// ClusterFaults: the storage and process faults of the cluster workload
// (cluster_workload.h) beyond plain crashes, each drawn per seed (swarm testing: a
// seed turns each kind on or off and picks its odds):
//  - sync failures (rule B1): the next fsync of a file of a live replica (the WAL,
//    the superblock, a partition's segment or state record) fails with EIO or
//    ENOSPC; the replica fail-stops (ReplicaCluster checks that it was expected);
//    the harness stops the process (page cache kept; sometimes the machine crashes
//    instead) and restarts it;
//  - torn crashes: a machine crash lands each unsynced sector with odds 1/2;
//  - corruption (B7): before a down replica restarts, one bit flips in a sector of
//    its WAL (a recent committed op's header copy or prepare), of a partition's
//    segment, or of a partition's state record;
//  - wipe (B17): a down replica's disk is lost and formatted with `format --recover`;
//  - segment removal (B5): before a down replica restarts, one segment file a
//    partition's state record lists is removed behind its back. A sealed one is
//    repaired from peers at boot; a missing active one (or a segment of a trimmed
//    log) makes the boot refuse with B5's clear error, which the harness answers as
//    an operator would: `format --recover` (counted as a wipe too). Drawn from a
//    sub-seed of its own, so a seed that never removes a file replays as before;
//  - crashes in the middle of a boot (after its first few storage operations), and
//    in the middle of a state sync (B15), when a seed has one.
//
// The bound (DESIGN.md "The fault model"): for any committed op at least one intact
// copy survives. Damage (a torn crash, a failed sync's lost pages, corruption, a
// wipe) is put on one replica only while every other replica is undamaged — a
// minority for 3 and 5 replicas — and a replica counts as damaged until it is up, a
// voter, normal, and every group's log is durable, has no faulty entry and reaches
// the primary's commit point.
//
// Deterministic: its own sub-seed of the run's seed, one draw per statement.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/prng.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::sim {

// How often each fault happened in a run (a test asserts each kind was exercised).
struct ClusterFaultCounts {
  uint64_t sync_failures = 0;             // fsyncs that failed (injected and reached)
  uint64_t fail_stops = 0;                // expected fail-stops (in service or at boot)
  uint64_t fail_stop_restarts = 0;        // fail-stopped processes the harness restarted
  uint64_t torn_crashes = 0;              // machine crashes tearing unsynced sectors
  uint64_t wal_corruptions = 0;           // bit flips in WAL slots of committed ops
  uint64_t segment_corruptions = 0;       // bit flips in partition segments
  uint64_t state_record_corruptions = 0;  // bit flips in partition state records
  uint64_t faulty_ops = 0;              // entries recoveries found faulty (B7)
  uint64_t wipes = 0;                     // directories lost, `format --recover`
  uint64_t voters_restored = 0;           // recovering replicas that became voters
  uint64_t boot_crashes = 0;              // crashes while the replica was booting
  uint64_t state_syncs = 0;               // state syncs installed
  uint64_t sync_crashes = 0;              // crashes while a state sync was staging
  uint64_t segment_removals = 0;          // listed segment files removed while down (B5)
  uint64_t removal_refusals = 0;          // boots refused on one (B5), then format --recover (in wipes)
};

class ClusterFaults {
 public:
  // `lands` is the seed's odds that an unsynced sector lands at a crash (tearing
  // when strictly between never and always).
  ClusterFaults(uint64_t seed, ReplicaCluster& cluster, base::Ratio lands,
                std::function<void(const std::string&)> trace);

  // A one-line description of the seed's fault mix.
  std::string Describe() const;
  // Before each step of the workload: restarts fail-stopped replicas, may inject a
  // sync failure. `inject` is false in the liveness phase.
  void BeforeStep(bool inject);
  // Whether `victim` may crash now (a minority down) — the workload's own rule.
  bool MayCrash(uint8_t victim) const;
  // Crashes the live or booting `victim` (its unsynced sectors torn only within the bound).
  void Crash(uint8_t victim);
  // Restarts the down `victim`, maybe corrupting or wiping its disk first, maybe
  // crashing it again before its boot completes.
  void Restart(uint8_t victim);
  // Runs `ticks` ticks; may crash a replica in the middle of a state sync.
  void RunTicks(uint64_t ticks);
  // Counts as of now (the cluster's counters included).
  ClusterFaultCounts counts() const;

 private:
  uint8_t DownCount() const;
  // Updates which replicas still count as damaged.
  void Heal();
  bool Healed(uint8_t index);
  bool OthersUndamaged(uint8_t victim) const;
  void InjectSyncFailure();
  void Corrupt(uint8_t victim);
  void CorruptWal(uint8_t victim);
  bool CorruptPartitionFile(uint8_t victim, bool segment);
  void RemoveSegment(uint8_t victim);
  // A boot refused on a removed segment (B5): re-created with `format --recover`.
  void RecreateRefused(uint8_t index);
  void Trace(const std::string& line) {
    if (trace_) trace_(line);
  }

  ReplicaCluster& cluster_;
  base::Ratio lands_;
  std::function<void(const std::string&)> trace_;
  base::Prng prng_;
  // Per seed (swarm):
  uint64_t sync_failure_odds_ = 0;  // per step, in 1000
  uint64_t corrupt_odds_ = 0;       // per restart, in 8
  uint64_t wipe_odds_ = 0;          // per restart, in 8
  uint64_t boot_crash_odds_ = 0;    // per restart, in 8
  uint64_t sync_crashes_max_ = 0;   // crashes in the middle of a state sync, per run
  base::Prng removal_prng_;         // the segment removals' own draws
  uint64_t removal_odds_ = 0;       // per restart, in 8
  std::vector<bool> damaged_;
  ClusterFaultCounts counts_;
};

}  // namespace sluice::sim
