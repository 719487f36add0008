#pragma once
// A randomized crash-restart workload for one replica (a one-replica cluster) on the
// simulator's disk: clients create and delete streams and topics (ids get reused),
// send messages with unique ids to random partitions, while the process dies after a
// random number of storage operations — in the middle of a group commit, a segment
// roll, a checkpoint, a partition's creation or deletion, or bootstrap itself — and
// the machine crashes with random landing of unsynced writes. While it is down,
// files are damaged behind its back (swarm: half of the seeds, each at its own rate
// per crash): an index truncated, a segment removed, a bit flipped in a segment entry
// that a later entry proves durable. After every boot the checkers run:
//   - boot succeeds (crashes alone never make a directory unbootable: rules B1-B7),
//     or, after damage, refuses with an error naming the damaged file (then the file
//     is restored from a "backup" and the replica boots again); index damage alone
//     always boots (B2); a boot over a corrupt entry proven durable is a violation (B7);
//   - metadata: every acknowledged stream/topic is there with its partitions, and
//     nothing acknowledged as deleted came back (B16: only committed ops applied);
//   - messages: each partition's committed messages are, in offset order, a prefix
//     of the messages sent to it that contains every acknowledged one — nothing lost,
//     nothing invented, no id twice, offsets contiguous (B2, B7);
//   - no stale incarnation's messages appear under a reused id.
// The digest covers what was observed (acks, recovered counts, message ids), so one
// seed replays to one digest.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sluice::sim {

struct ReplicaWorkloadOptions {
  uint64_t operations = 200;
  std::function<void(const std::string&)> trace;  // one line per event, if set
};

struct ReplicaWorkloadResult {
  std::string digest;               // 32 hex digits
  std::vector<std::string> violations;  // empty when every checker passed
  // Progress stopped: an operation or a boot whose simulation ran out of events
  // before it finished (no fault was injected that could explain it).
  std::vector<std::string> liveness_failures;
  uint64_t boots = 0;
  uint64_t crashes = 0;
  uint64_t interrupted_boots = 0;
  uint64_t acked_messages = 0;
  uint64_t damaged_files = 0;  // files removed, truncated or corrupted while the replica was down
  uint64_t refusals = 0;       // boots that refused clearly, naming a damaged file
  // Per kind of damage (they add up to damaged_files / refusals):
  uint64_t indexes_truncated = 0;  // rule B2: never refused
  uint64_t segments_removed = 0;   // rule B5
  uint64_t segments_removed_refused = 0;
  uint64_t durable_entries_flipped = 0;  // rule B7: always refused
  uint64_t durable_entries_flipped_refused = 0;

  uint64_t simulated_ns = 0;
};

ReplicaWorkloadResult RunReplicaWorkload(uint64_t seed, const ReplicaWorkloadOptions& options);

}  // namespace sluice::sim
