#include "sim/vsr_cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/vsr/vsr_state.h"
#include "sim/cluster/cluster_setup.h"

namespace sluice::sim {
namespace {

constexpr absl::uint128 kCluster = 0x5A1CE;
// Sub-seed of the run's seed (cluster_setup.h names the others).
constexpr uint64_t kDriverSeed = 1;

// Group 0 is the metadata group; groups 1.. are partition groups (sorted).
std::vector<vsr::GroupId> Groups(uint64_t group_count) {
  SLUICE_ASSERT(group_count >= 1, "at least the metadata group");
  std::vector<vsr::GroupId> groups{{.namespace_id = 0, .incarnation = 0}};
  for (uint64_t i = 1; i < group_count; ++i) {
    groups.push_back({.namespace_id = (uint64_t{1} << 63) | i, .incarnation = 1000 + i});
  }
  return groups;
}

}  // namespace

VsrCluster::VsrCluster(VsrClusterOptions options)
    : options_(std::move(options)),
      prng_(base::DeriveSeed(options_.seed, kDriverSeed)),
      packets_(loop_, ClusterPacketOptions(options_.seed, options_.replica_count, options_.network)),
      checker_(Groups(options_.group_count), options_.replica_count) {
  nodes_.resize(options_.replica_count);
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Node& node = nodes_[index];
    node.storage = std::make_unique<SimStorage>(
        loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kClusterStorageSeed + index)});
    node.network = std::make_unique<SimNetwork>(packets_, index, options_.frame_size_max_bytes);
    node.disks.resize(groups().size());
  }
}

VsrCluster::~VsrCluster() {
  for (Node& node : nodes_) node.replica.reset();
}

void VsrCluster::Start() {
  vsr::VsrState initial{.view = 0, .log_view = 0, .groups = {}};
  for (const vsr::GroupId& group : groups()) initial.groups.push_back({.group = group});
  uint64_t formatted = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::PersistVsrState(*nodes_[index].storage, initial, kCluster, index,
                         [this, &formatted](absl::Status status) {
                           if (!status.ok()) Violation(absl::StrCat("format: ", status.ToString()));
                           ++formatted;
                         });
  }
  SLUICE_ASSERT(loop_.RunUntil([&] { return formatted == options_.replica_count; }, UINT64_MAX),
                "format did not finish");
  for (uint8_t index = 0; index < options_.replica_count; ++index) Boot(index);
  SLUICE_ASSERT(loop_.RunUntil(
                    [&] {
                      for (const Node& node : nodes_) {
                        if (node.replica == nullptr) return false;
                      }
                      return true;
                    },
                    UINT64_MAX),
                "boot did not finish");
}

void VsrCluster::Boot(uint8_t index) {
  Node& node = nodes_[index];
  const uint64_t boot = node.boot;
  vsr::LoadVsrState(*node.storage, kCluster, index, [this, index, boot](absl::StatusOr<vsr::VsrState> state) {
    Node& node = nodes_[index];
    if (node.boot != boot) return;
    if (!state.ok()) return Violation(absl::StrCat("replica ", int{index}, " cannot boot: ", state.status().ToString()));
    std::vector<vsr::RecoveredGroup> groups;
    std::vector<vsr::testing::MemoryLog*> logs;
    for (size_t group = 0; group < this->groups().size(); ++group) {
      auto log = vsr::testing::MemoryLog::Recover(node.disks[group], loop_,
                                                  {.cluster = kCluster,
                                                   .group = this->groups()[group],
                                                   .sync_delay_ticks = options_.log_sync_delay_ticks,
                                                   .checkpoint_interval_ops = options_.checkpoint_interval_ops,
                                                   .checkpoint_lag_ops = options_.checkpoint_lag_ops});
      // Nothing committed may be lost or changed: the recovered chain agrees with every
      // committed checksum up to its commit watermark (ops above it may be a stale
      // suffix of an older view, which VSR truncates).
      checker_.CheckChain(index, group, *log, std::min(log->last_op(), log->recovered_commit()), "recovered");
      logs.push_back(log.get());
      groups.push_back({.id = this->groups()[group], .log = std::move(log)});
    }
    absl::StatusOr<std::unique_ptr<vsr::Replica>> replica = vsr::Replica::Restore(
        ClusterReplicaOptions(options_.replica, kCluster, index, options_.replica_count), loop_, *node.network, *node.storage, *std::move(state), std::move(groups), this);
    if (!replica.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", replica.status().ToString()));
    node.replica = *std::move(replica);
    node.logs = std::move(logs);
    for (size_t group = 0; group < this->groups().size(); ++group) {
      checker_.Restored(index, group, node.replica->commit(this->groups()[group]));
    }
  });
}

void VsrCluster::Crash(uint8_t index, std::optional<base::Ratio> entry_lands) {
  Node& node = nodes_[index];
  checker_.Record(absl::StrCat("crash ", int{index}));
  ++node.boot;
  node.network->Crash();
  node.replica.reset();
  node.logs.clear();
  node.storage->CrashMachine();
  for (auto& disk : node.disks) disk.Crash(prng_, entry_lands.value_or(options_.crash_entry_lands));
}

bool VsrCluster::HasTornLog(uint8_t index) const {
  for (const auto& disk : nodes_[index].disks) {
    uint64_t expected = 1;
    for (const auto& [op, entry] : disk.entries()) {
      if (op != expected++) return true;
    }
  }
  return false;
}

void VsrCluster::Wipe(uint8_t index) {
  Node& node = nodes_[index];
  if (!node.network->crashed()) Crash(index);
  for (auto& disk : node.disks) disk.Wipe();
  checker_.Record(absl::StrCat("wipe ", int{index}));
  // `format --recover`: a new VSR state file (view 0, no log views) flagged recovering.
  vsr::VsrState formatted{.view = 0, .log_view = 0, .groups = {}, .recovering = true};
  for (const vsr::GroupId& group : groups()) formatted.groups.push_back({.group = group});
  node.formatting = true;
  node.lost_directory = true;
  const uint64_t boot = node.boot;
  vsr::PersistVsrState(*node.storage, formatted, kCluster, index, [this, index, boot](absl::Status status) {
    if (nodes_[index].boot != boot) return;
    if (!status.ok()) Violation(absl::StrCat("format --recover of replica ", int{index}, ": ", status.ToString()));
    nodes_[index].formatting = false;
  });
}

void VsrCluster::Restart(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.replica == nullptr && node.network->crashed(), "restart of a live replica");
  SLUICE_ASSERT(!node.formatting, "restart of replica ", int{index}, " before its format finished");
  node.network->Restart(nullptr);
  checker_.Record(absl::StrCat("restart ", int{index}));
  Boot(index);
}

std::optional<uint8_t> VsrCluster::Primary() {
  return FindPrimary(options_.replica_count, [this](uint8_t index) { return replica(index); });
}

absl::Status VsrCluster::Submit(size_t group, ByteSpan body) {
  absl::Status last = absl::UnavailableError("no replica up");
  for (Node& node : nodes_) {
    if (node.replica == nullptr) continue;
    last = node.replica->SubmitRequest(groups()[group], wire::Operation::kSendMessages, body);
    if (last.ok()) return last;
  }
  return last;
}

void VsrCluster::RunTicks(uint64_t ticks) {
  const uint64_t deadline = loop_.MonotonicNs() + ticks * io::kTickNs;
  loop_.RunUntil([] { return false; }, deadline);
}

bool VsrCluster::Converged() {
  return sim::Converged(checker_, options_.replica_count, [this](uint8_t index) { return replica(index); });
}

void VsrCluster::CheckLogs() {
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::Replica* replica = nodes_[index].replica.get();
    if (replica == nullptr) continue;
    for (size_t group = 0; group < groups().size(); ++group) {
      const uint64_t commit = replica->commit(groups()[group]);
      checker_.CheckChain(index, group, replica->log(groups()[group]), committed(group), "log of");
      // Its state (snapshot + ops applied above it) holds exactly the committed ops.
      absl::StatusOr<std::vector<vsr::testing::StateRecord>> state =
          vsr::testing::DecodeState(nodes_[index].logs[group]->StateAt(commit));
      if (!state.ok()) {
        return Violation(absl::StrCat("replica ", int{index}, " group ", group, ": ", state.status().ToString()));
      }
      if (state->size() != commit) {
        return Violation(absl::StrCat("replica ", int{index}, " group ", group, ": state holds ", state->size(),
                                      " ops at commit ", commit));
      }
      for (uint64_t op = 1; op <= commit; ++op) {
        const vsr::testing::StateRecord& record = (*state)[op - 1];
        if (record.op != op || op > committed(group) || record.checksum != committed_checksums(group)[op - 1]) {
          return Violation(absl::StrCat("replica ", int{index}, " group ", group, ": state record ", op,
                                        " is op ", record.op, " ", Hex(record.checksum),
                                        ", not the committed one"));
        }
      }
    }
  }
}

void VsrCluster::OnFailStop(uint8_t replica, const absl::Status& cause) {
  ++fail_stops_;
  Violation(absl::StrCat("replica ", int{replica}, " stopped: ", cause.ToString()));
}

std::string VsrCluster::Describe() {
  std::string out = absl::StrCat("seed ", options_.seed, " at tick ", loop_.MonotonicNs() / io::kTickNs, "\n");
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (nodes_[index].replica == nullptr) {
      absl::StrAppend(&out, "replica ", int{index}, " down\n");
    } else {
      absl::StrAppend(&out, nodes_[index].replica->DebugString());
    }
  }
  for (size_t group = 0; group < groups().size() && group < 8; ++group) {
    absl::StrAppend(&out, "group ", group, " committed ", committed(group), "\n");
  }
  absl::StrAppend(&out, state_syncs(), " state syncs, ", voters_restored_, " recovering replicas became voters\n");
  return out;
}

}  // namespace sluice::sim
