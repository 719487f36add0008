#include "sim/cluster/cluster_setup.h"

namespace sluice::sim {

PacketSimulatorOptions ClusterPacketOptions(uint64_t seed, uint8_t replica_count, const NetworkFaultProfile& profile) {
  return {.seed = base::DeriveSeed(seed, kClusterPacketSeed),
          .replica_count = replica_count,
          .client_count = 0,
          .path_queue_frames_max = 256,
          .profile = profile};
}

vsr::ReplicaOptions ClusterReplicaOptions(vsr::ReplicaOptions base, absl::uint128 cluster, uint8_t index,
                                          uint8_t replica_count) {
  base.cluster = cluster;
  base.replica_index = index;
  base.replica_count = replica_count;
  return base;
}

std::optional<uint8_t> FindPrimary(uint8_t replica_count, ReplicaLookup replica) {
  std::optional<uint8_t> primary;
  uint32_t view = 0;
  for (uint8_t index = 0; index < replica_count; ++index) {
    vsr::Replica* candidate = replica(index);
    if (candidate == nullptr || candidate->status() != vsr::Status::kNormal || !candidate->is_primary()) continue;
    if (!primary.has_value() || candidate->view() > view) {
      primary = index;
      view = candidate->view();
    }
  }
  return primary;
}

bool Converged(const CommitChecker& checker, uint8_t replica_count, ReplicaLookup replica) {
  std::optional<uint32_t> view;
  for (uint8_t index = 0; index < replica_count; ++index) {
    vsr::Replica* live = replica(index);
    if (live == nullptr || live->status() != vsr::Status::kNormal || live->recovering()) return false;
    if (view.has_value() && *view != live->view()) return false;
    view = live->view();
    for (size_t group = 0; group < checker.groups().size(); ++group) {
      const vsr::GroupId id = checker.groups()[group];
      if (live->commit(id) != checker.committed(group) || live->head_op(id) != checker.committed(group)) return false;
    }
  }
  return true;
}

}  // namespace sluice::sim
