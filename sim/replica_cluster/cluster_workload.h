#pragma once
// A randomized crash-restart workload for a 3- or 5-replica cluster of the real
// replica (replica_cluster.h): clients create streams and topics, send messages with
// unique ids to random partitions and delete topics, through whichever replica is
// the primary; consumers log in, create, join and leave consumer groups, poll and
// store their offsets (cluster_consumers.h); meanwhile replicas crash (the machine
// losing, keeping or tearing unsynced sectors) and restart — at most a minority down
// at once — under a network fault profile drawn per seed (swarm), with the storage
// and process faults of cluster_faults.h (failed fsyncs, torn crashes, corruption,
// wipes with `format --recover`, crashes during boot and state sync), also drawn per
// seed. Then a liveness phase: faults off, every replica up; the cluster must
// converge within a bound.
//
// Checkers: the cluster's own (hash-chain agreement per group, equal applied
// metadata at each op — consumer-group members and assignments included) all along;
// consumer offsets on every live replica after every step (offset_checker.h, rule
// B3); after convergence, on every replica, every partition group serves the same
// messages, in offset order, with no id twice and every id one the clients sent to
// that group; every message a client saw acknowledged is there (until its topic's
// deletion was acknowledged); the same consumer groups on every replica.
// Clients do not retry sends (there is no replicated de-duplication window yet,
// issue #6): an unacknowledged message may or may not be there, once.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/replica_cluster/cluster_consumers.h"
#include "sim/network_fault_profile.h"
#include "sim/replica_cluster/cluster_faults.h"

namespace sluice::sim {

struct ClusterWorkloadOptions {
  uint8_t replicas = 3;
  uint64_t operations = 120;
  uint64_t liveness_ticks_max = 20'000;  // convergence bound once faults stop
  bool check_promises = true;            // ReplicaClusterOptions::check_promises (rules B4, B7)
  // The packet simulator's faults; without one, each seed draws its own (swarm). Storage
  // and process faults are always drawn per seed (cluster_faults.h).
  std::optional<NetworkFaultProfile> network;
  std::function<void(const std::string&)> trace;
};

struct ClusterWorkloadResult {
  std::string digest;  // 32 hex digits
  std::vector<std::string> violations;
  std::vector<std::string> liveness_failures;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  uint64_t acked_messages = 0;
  uint64_t topics_created = 0;
  uint64_t topics_deleted = 0;
  uint64_t view = 0;  // the final view (how many view changes, roughly)
  uint64_t simulated_ns = 0;
  ClusterFaultCounts faults;
  ConsumerCounts consumers;
  std::string fault_mix;  // the seed's draw (ClusterFaults::Describe)
};

ClusterWorkloadResult RunClusterWorkload(uint64_t seed, const ClusterWorkloadOptions& options);

}  // namespace sluice::sim
