#include "sim/vsr_cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/vsr/vsr_state.h"

namespace sluice::sim {
namespace {

constexpr absl::uint128 kCluster = 0x5A1CE;
// Sub-seeds of the run's seed.
constexpr uint64_t kDriverSeed = 1, kPacketSeed = 2, kStorageSeed = 100;

PacketSimulatorOptions PacketOptions(const VsrClusterOptions& options) {
  return {.seed = base::DeriveSeed(options.seed, kPacketSeed),
          .replica_count = options.replica_count,
          .client_count = 0,
          .path_queue_frames_max = 256,
          .profile = options.network};
}

std::string Hex(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

}  // namespace

VsrCluster::VsrCluster(VsrClusterOptions options)
    : options_(std::move(options)),
      prng_(base::DeriveSeed(options_.seed, kDriverSeed)),
      packets_(loop_, PacketOptions(options_)) {
  SLUICE_ASSERT(options_.group_count >= 1, "at least the metadata group");
  groups_.push_back({.namespace_id = 0, .incarnation = 0});
  for (uint64_t i = 1; i < options_.group_count; ++i) {
    groups_.push_back({.namespace_id = (uint64_t{1} << 63) | i, .incarnation = 1000 + i});
  }
  committed_.resize(groups_.size());
  nodes_.resize(options_.replica_count);
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Node& node = nodes_[index];
    node.storage = std::make_unique<SimStorage>(
        loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kStorageSeed + index)});
    node.network = std::make_unique<SimNetwork>(packets_, index, options_.frame_size_max_bytes);
    node.disks.resize(groups_.size());
    node.reported.assign(groups_.size(), 0);
  }
}

VsrCluster::~VsrCluster() {
  for (Node& node : nodes_) node.replica.reset();
}

void VsrCluster::Start() {
  vsr::VsrState initial{.view = 0, .log_view = 0, .groups = {}};
  for (const vsr::GroupId& group : groups_) initial.groups.push_back({.group = group});
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
    for (size_t group = 0; group < groups_.size(); ++group) {
      auto log = vsr::testing::MemoryLog::Recover(node.disks[group], loop_,
                                                  {.cluster = kCluster,
                                                   .group = groups_[group],
                                                   .sync_delay_ticks = options_.log_sync_delay_ticks,
                                                   .checkpoint_interval_ops = options_.checkpoint_interval_ops,
                                                   .checkpoint_lag_ops = options_.checkpoint_lag_ops});
      // Nothing committed may be lost or changed: the recovered chain agrees with every
      // committed checksum up to its commit watermark (ops above it may be a stale
      // suffix of an older view, which VSR truncates).
      CheckChain(index, group, *log, std::min(log->last_op(), log->recovered_commit()), "recovered");
      logs.push_back(log.get());
      groups.push_back({.id = groups_[group], .log = std::move(log)});
    }
    vsr::ReplicaOptions replica_options = options_.replica;
    replica_options.cluster = kCluster;
    replica_options.replica_index = index;
    replica_options.replica_count = options_.replica_count;
    absl::StatusOr<std::unique_ptr<vsr::Replica>> replica = vsr::Replica::Restore(
        replica_options, loop_, *node.network, *node.storage, *std::move(state), std::move(groups), this);
    if (!replica.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", replica.status().ToString()));
    node.replica = *std::move(replica);
    node.logs = std::move(logs);
    for (size_t group = 0; group < groups_.size(); ++group) {
      node.reported[group] = node.replica->commit(groups_[group]);
    }
  });
}

void VsrCluster::Crash(uint8_t index, std::optional<base::Ratio> entry_lands) {
  Node& node = nodes_[index];
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
  // `format --recover`: a new VSR state file (view 0, no log views) flagged recovering.
  vsr::VsrState formatted{.view = 0, .log_view = 0, .groups = {}, .recovering = true};
  for (const vsr::GroupId& group : groups_) formatted.groups.push_back({.group = group});
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
  Boot(index);
}

std::optional<uint8_t> VsrCluster::Primary() {
  std::optional<uint8_t> primary;
  uint32_t view = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::Replica* replica = nodes_[index].replica.get();
    if (replica == nullptr || replica->status() != vsr::Status::kNormal || !replica->is_primary()) continue;
    if (!primary.has_value() || replica->view() > view) {
      primary = index;
      view = replica->view();
    }
  }
  return primary;
}

absl::Status VsrCluster::Submit(size_t group, ByteSpan body) {
  absl::Status last = absl::UnavailableError("no replica up");
  for (Node& node : nodes_) {
    if (node.replica == nullptr) continue;
    last = node.replica->SubmitRequest(groups_[group], wire::Operation::kSendMessages, body);
    if (last.ok()) return last;
  }
  return last;
}

void VsrCluster::RunTicks(uint64_t ticks) {
  const uint64_t deadline = loop_.MonotonicNs() + ticks * io::kTickNs;
  loop_.RunUntil([] { return false; }, deadline);
}

bool VsrCluster::Converged() {
  std::optional<uint32_t> view;
  for (Node& node : nodes_) {
    vsr::Replica* replica = node.replica.get();
    if (replica == nullptr || replica->status() != vsr::Status::kNormal || replica->recovering()) return false;
    if (view.has_value() && *view != replica->view()) return false;
    view = replica->view();
    for (size_t group = 0; group < groups_.size(); ++group) {
      if (replica->commit(groups_[group]) != committed_[group].size()) return false;
      if (replica->head_op(groups_[group]) != committed_[group].size()) return false;
    }
  }
  return true;
}

void VsrCluster::CheckChain(uint8_t index, size_t group, const vsr::GroupLog& log, uint64_t through,
                            const char* what) {
  const std::vector<absl::uint128>& committed = committed_[group];
  through = std::min<uint64_t>(through, committed.size());
  // The base (a checkpoint, or an installed snapshot) is a committed op too.
  for (uint64_t op = std::max<uint64_t>(log.base_op(), 1); op <= through; ++op) {
    if (log.ChecksumAt(op) != std::optional<absl::uint128>(committed[op - 1])) {
      return Violation(absl::StrCat("replica ", int{index}, " ", what, " group ", group, " op ", op,
                                    " (base op ", log.base_op(), "): not the committed checksum ",
                                    Hex(committed[op - 1])));
    }
  }
}

void VsrCluster::CheckLogs() {
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::Replica* replica = nodes_[index].replica.get();
    if (replica == nullptr) continue;
    for (size_t group = 0; group < groups_.size(); ++group) {
      const uint64_t commit = replica->commit(groups_[group]);
      CheckChain(index, group, replica->log(groups_[group]), committed_[group].size(), "log of");
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
        if (record.op != op || op > committed_[group].size() || record.checksum != committed_[group][op - 1]) {
          return Violation(absl::StrCat("replica ", int{index}, " group ", group, ": state record ", op,
                                        " is op ", record.op, " ", Hex(record.checksum),
                                        ", not the committed one"));
        }
      }
    }
  }
}

size_t VsrCluster::GroupIndex(vsr::GroupId id) const {
  const auto it = std::lower_bound(groups_.begin(), groups_.end(), id);
  SLUICE_ASSERT(it != groups_.end() && *it == id, "an unknown group");
  return static_cast<size_t>(it - groups_.begin());
}

void VsrCluster::OnStateSync(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  const size_t group = GroupIndex(id);
  Node& node = nodes_[replica];
  ++state_syncs_;
  const std::vector<absl::uint128>& committed = committed_[group];
  if (op <= node.reported[group]) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " installed a snapshot at op ", op,
                           " at or below its commit ", node.reported[group]));
  } else if (op > committed.size() || committed[op - 1] != checksum) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " installed a snapshot at op ", op, " (",
                           Hex(checksum), "), not a committed op (", committed.size(), " committed)"));
  }
  node.reported[group] = op;
}

void VsrCluster::OnCommit(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  const size_t group = GroupIndex(id);
  Node& node = nodes_[replica];
  if (op != node.reported[group] + 1) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " committed op ", op, " after op ",
                           node.reported[group]));
  }
  node.reported[group] = op;
  std::vector<absl::uint128>& committed = committed_[group];
  if (op <= committed.size()) {
    if (committed[op - 1] != checksum) {
      Violation(absl::StrCat("hash-chain disagreement: replica ", int{replica}, " group ", group,
                             " committed op ", op, " as ", Hex(checksum), ", others as ",
                             Hex(committed[op - 1])));
    }
  } else if (op == committed.size() + 1) {
    committed.push_back(checksum);
  } else {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " committed op ", op,
                           " beyond the cluster's ", committed.size()));
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
  for (size_t group = 0; group < groups_.size() && group < 8; ++group) {
    absl::StrAppend(&out, "group ", group, " committed ", committed_[group].size(), "\n");
  }
  absl::StrAppend(&out, state_syncs_, " state syncs, ", voters_restored_, " recovering replicas became voters\n");
  return out;
}

void VsrCluster::Violation(std::string message) {
  if (violation_.empty()) violation_ = std::move(message);
}

}  // namespace sluice::sim
