#pragma once
// One randomized run of JournalCluster (VSR on the real metadata WAL) per seed,
// TigerBeetle's VOPR style: 3 or 5 replicas; swarm network faults (loss, duplication,
// reordering, clogging, partitions); machine crashes of up to f replicas at a time,
// whose unsynced WAL sectors land, vanish or tear; restarts through the real recovery
// (RecoverJournal in cluster mode, Replica::Restore: B4); bit flips in a down
// replica's WAL slots (B7: repaired from peers); lost directories re-created with
// `format --recover` (B17); metadata requests throughout. On half of the seeds every
// replica checkpoints over a small WAL ring, and some crashes are long outages that
// leave the replica behind every peer's ring: it catches up by state sync (B15).
//
// Fault model (DESIGN.md): for any committed op, one replica keeps an intact copy.
// So a replica's WAL may be damaged — a torn tail (an uncertain tail), a corrupt
// sector, a lost directory — only while no other replica's may be (MayBeTorn): two
// overlapping damaged logs can hold the only copies of an op, and VSR rightly stops
// when it cannot prove such an op uncommitted. Otherwise a crash loses or keeps the
// unsynced sectors whole, and keeps them only if no write is in flight: the journal
// writes a group commit's prepares and header copies at once, so a header copy that
// landed while its prepare's write was dropped is a torn entry, which recovery must
// report faulty (the replica may have acknowledged it, for all it can tell). A
// directory is lost only if every op it held is intact on another replica.
//
// Checkers (journal_cluster.h): on every commit, hash-chain agreement and in-order
// commits; at every restart, the recovered WAL keeps the committed checksums up to its
// recovered commit; once faults stop, every replica converges within a bound derived
// from the timeouts (random_runs.h), every WAL holds the committed ops, and a crash of
// every machine at once (unsynced sectors lost) loses none of them.
//
// The run's trace digest (commit_checker.h) is its result for determinism checks:
// the same seed gives the same digest in any process, with either toolchain.

#include <cstdint>
#include <string>

namespace sluice::sim {

struct JournalClusterRunResult {
  std::string failure;  // empty: passed; else the reason, the seed's setup and the replay commands
  std::string digest;   // the trace digest, 32 hex digits
  uint64_t committed = 0;
  uint64_t view_changes = 0;    // views started by the processes alive at the end of the faults
  uint64_t crashes = 0;
  uint64_t tearing_crashes = 0;
  uint64_t outages = 0;         // long outages (a replica left behind every ring)
  uint64_t corruptions = 0;     // WAL sectors flipped
  uint64_t wipes = 0;           // directories lost and re-created with --recover
  uint64_t voters_restored = 0;
  uint64_t faulty_ops = 0;      // corrupt or uncertain ops WAL recovery handed to VSR
  uint64_t uncertain_tails = 0;
  uint64_t checkpoints = 0;
  uint64_t state_syncs = 0;
  uint64_t convergence_ticks = 0;
  uint64_t bound_ticks = 0;
};

JournalClusterRunResult RunJournalClusterSeed(uint64_t seed);

}  // namespace sluice::sim
