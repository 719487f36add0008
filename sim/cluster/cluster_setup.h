#pragma once
// The setup and status queries every simulated VSR cluster shares (sim/vsr_cluster.h
// on in-memory logs, sim/cluster/journal_cluster.h on the real WAL): sub-seeds, the
// packet simulator's options, each replica's options, who is primary, whether the
// cluster converged.

#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "core/vsr/replica.h"
#include "sim/cluster/commit_checker.h"
#include "sim/packet_simulator.h"

namespace sluice::sim {

// Sub-seeds of a run's seed: the packet simulator's, and replica i's storage
// (kStorageSeed + i).
inline constexpr uint64_t kClusterPacketSeed = 2;
inline constexpr uint64_t kClusterStorageSeed = 100;

// Replicas only (no client endpoints), the run's network fault profile.
PacketSimulatorOptions ClusterPacketOptions(uint64_t seed, uint8_t replica_count, const NetworkFaultProfile& profile);

// `base` with the cluster id, this replica's index and the replica count set.
vsr::ReplicaOptions ClusterReplicaOptions(vsr::ReplicaOptions base, absl::uint128 cluster, uint8_t index,
                                          uint8_t replica_count);

// `replica(i)` is replica i's live process, nullptr while it is down or booting.
using ReplicaLookup = absl::FunctionRef<vsr::Replica*(uint8_t)>;

// The replica that is primary in normal status (of the highest view, if several
// claim it), or nullopt.
std::optional<uint8_t> FindPrimary(uint8_t replica_count, ReplicaLookup replica);

// Every replica up, a voter, normal in one view, and every group committed to the
// highest op ever committed, which is also its head.
bool Converged(const CommitChecker& checker, uint8_t replica_count, ReplicaLookup replica);

}  // namespace sluice::sim
