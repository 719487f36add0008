#include "sim/cluster/journal_cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/task.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata_store/format_metadata.h"
#include "core/journal/journal_recovery.h"

namespace sluice::sim {
namespace {

constexpr absl::uint128 kCluster = 0x5A1CE0;
// Sub-seeds of the run's seed.
constexpr uint64_t kPacketSeed = 2, kStorageSeed = 100;

PacketSimulatorOptions PacketOptions(const JournalClusterOptions& options) {
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

JournalCluster::JournalCluster(JournalClusterOptions options)
    : options_(std::move(options)), packets_(loop_, PacketOptions(options_)) {
  SLUICE_ASSERT(options_.replica_count >= 1, "a cluster needs a replica");
  nodes_.resize(options_.replica_count);
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Node& node = nodes_[index];
    node.storage = std::make_unique<SimStorage>(
        loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kStorageSeed + index),
                                 .sector_size_bytes = options_.sector_size_bytes});
    node.network = std::make_unique<SimNetwork>(packets_, index, io::kFrameSizeMaxBytesDefault);
  }
}

JournalCluster::~JournalCluster() {
  // Every process dies; their coroutines finish (Aborted) before anything is destroyed.
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (nodes_[index].process != nullptr) Crash(index, base::Ratio::Never());
  }
  loop_.RunUntil(
      [&] {
        Reap();
        return dead_.empty();
      },
      UINT64_MAX);
  SLUICE_ASSERT(dead_.empty(), "a dead process still waits for completions");
}

void JournalCluster::Reap() {
  std::erase_if(dead_, [](const std::unique_ptr<Process>& process) { return process->storage.idle(); });
}

journal::JournalOptions JournalCluster::JournalOptions() const {
  return {.cluster = kCluster, .slot_count = options_.slot_count, .message_size_max = options_.message_size_max};
}

void JournalCluster::Start() {
  // Format: the metadata directory (superblock, empty snapshot, WAL). The superblock
  // holds the durable view state (view 0, no view table yet).
  uint64_t formatted = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Node& node = nodes_[index];
    node.process = std::make_unique<Process>(*this, *node.storage, *node.network, loop_);
    node.network->SetHandler(&node.process->network);
    metadata_store::MetadataFormat format;
    format.identity.cluster_id = kCluster;
    format.identity.replica_index = index;
    format.identity.replica_count = options_.replica_count;
    format.journal = JournalOptions();
    format.identity.namespace_widths = format.config.widths;
    io::Spawn(metadata_store::FormatMetadata(node.process->storage, format),
              [this, &formatted](absl::Status status) {
                if (!status.ok()) Violation(absl::StrCat("format: ", status.ToString()));
                ++formatted;
              });
  }
  SLUICE_ASSERT(loop_.RunUntil([&] { return formatted == options_.replica_count || !violation_.empty(); },
                               UINT64_MAX),
                "format did not finish");
  for (uint8_t index = 0; index < options_.replica_count; ++index) Boot(index);
  loop_.RunUntil(
      [&] {
        if (!violation_.empty()) return true;
        for (const Node& node : nodes_) {
          if (node.process->replica == nullptr) return false;
        }
        return true;
      },
      UINT64_MAX);
}

void JournalCluster::Boot(uint8_t index) {
  Node& node = nodes_[index];
  const uint64_t boot = node.boot;
  // The superblock first: it names the view table (the durable view state, B4), the
  // checkpoint's snapshot and a staging to resume (B15).
  io::Spawn(vsr::LoadMetadataSyncState(node.process->storage),
            [this, index, boot](absl::StatusOr<vsr::MetadataSyncState> sync) mutable {
              if (nodes_[index].boot != boot) return;
              if (!sync.ok()) {
                return Violation(absl::StrCat("replica ", int{index}, " cannot boot: ", sync.status().ToString()));
              }
              vsr::VsrState state = sync->view_state;
              // Before the first view change the table does not exist: the group has
              // log view 0 and no head yet.
              if (state.groups.empty()) state.groups.push_back({.group = group()});
              RecoverWal(index, boot, std::move(state), *std::move(sync));
            });
}

void JournalCluster::RecoverWal(uint8_t index, uint64_t boot, vsr::VsrState state, vsr::MetadataSyncState sync) {
  Node& node = nodes_[index];
  // The WAL's chain is anchored at the checkpoint the superblock names (B6, B16).
  const superblock::SuperblockState& durable = sync.superblock.state;
  const journal::RecoveryInputs inputs{.checkpoint_op = durable.metadata_checkpoint.op,
                                       .checkpoint_checksum = durable.metadata_checkpoint.prepare_checksum,
                                       .commit_watermark = durable.metadata_commit_watermark,
                                       .single_node = false};
  io::Spawn(journal::RecoverJournal(node.process->storage, JournalOptions(), inputs),
            [this, index, boot, state = std::move(state),
             sync = std::move(sync)](absl::StatusOr<journal::JournalRecovery> recovery) mutable {
              Node& node = nodes_[index];
              if (node.boot != boot) return;
              if (!recovery.ok()) {
                return Violation(absl::StrCat("replica ", int{index}, " WAL recovery: ", recovery.status().ToString()));
              }
              ++recovery_counts_.recoveries;
              recovery_counts_.faulty_ops += recovery->faulty.size();
              recovery_counts_.uncertain_tails += recovery->uncertain_tail.has_value();
              recovery_counts_.rewritten_ops += recovery->rewritten_ops;
              Restored(index, std::move(state),
                       vsr::JournalGroupLog::FromRecovery(
                           *std::move(recovery), loop_,
                           vsr::JournalGroupLog::MetadataSync{.storage = node.process->storage,
                                                              .state = std::move(sync)}));
            });
}

void JournalCluster::Restored(uint8_t index, vsr::VsrState state, std::unique_ptr<vsr::JournalGroupLog> log) {
  Node& node = nodes_[index];
  // Nothing committed may be lost or changed: the recovered chain agrees with every
  // committed checksum up to its commit watermark (ops above it may be a stale suffix
  // of an older view, which VSR truncates).
  CheckChain(index, *log, std::min(log->last_op(), log->recovered_commit()), "recovered");
  if (log->faulty_head_op() == log->last_op()) node.may_be_torn = false;
  vsr::JournalGroupLog* journal_log = log.get();
  std::vector<vsr::RecoveredGroup> groups;
  groups.push_back({.id = group(), .log = std::move(log)});
  vsr::ReplicaOptions replica_options = options_.replica;
  replica_options.cluster = kCluster;
  replica_options.replica_index = index;
  replica_options.replica_count = options_.replica_count;
  Process& process = *node.process;
  absl::StatusOr<std::unique_ptr<vsr::Replica>> replica =
      vsr::Replica::Restore(replica_options, loop_, process.network, process.storage, std::move(state),
                            std::move(groups), &process.observer, journal_log);
  if (!replica.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", replica.status().ToString()));
  process.replica = *std::move(replica);
  process.log = journal_log;
  node.reported = process.replica->commit(group());
}

const vsr::GroupLog* JournalCluster::log(uint8_t index) {
  vsr::Replica* replica = this->replica(index);
  return replica == nullptr ? nullptr : &replica->log(group());
}

void JournalCluster::Crash(uint8_t index, std::optional<base::Ratio> sector_lands) {
  Node& node = nodes_[index];
  const base::Ratio lands = sector_lands.value_or(options_.crash_sector_lands);
  SLUICE_ASSERT(node.process != nullptr, "crash of replica ", int{index}, ", which is down");
  ++node.boot;
  // The process dies: what it waits for completes with Aborted (its coroutines end),
  // it sends and receives nothing more, and its reports no longer count. Then the
  // machine crashes: the storage drops the operations in flight, which never happen.
  Process& process = *node.process;
  process.network.Kill();
  process.observer.Kill();
  process.storage.Kill();
  node.network->Crash();
  node.storage->CrashMachine(lands);
  dead_.push_back(std::move(node.process));
  if (lands.numerator != 0 && lands.numerator != lands.denominator) node.may_be_torn = true;
}

bool JournalCluster::MayBeTorn(uint8_t index) {
  Node& node = nodes_[index];
  if (node.may_be_torn && replica(index) != nullptr) {
    const vsr::GroupLog& log = replica(index)->log(group());
    if (log.faulty_head_op() == log.last_op() && log.durable_op() == log.last_op()) node.may_be_torn = false;
  }
  return node.may_be_torn;
}

void JournalCluster::Restart(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process == nullptr && node.network->crashed(), "restart of a live replica");
  node.process = std::make_unique<Process>(*this, *node.storage, *node.network, loop_);
  node.network->Restart(&node.process->network);
  Boot(index);
}

std::optional<uint8_t> JournalCluster::Primary() {
  std::optional<uint8_t> primary;
  uint32_t view = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::Replica* replica = this->replica(index);
    if (replica == nullptr || replica->status() != vsr::Status::kNormal || !replica->is_primary()) continue;
    if (!primary.has_value() || replica->view() > view) {
      primary = index;
      view = replica->view();
    }
  }
  return primary;
}

absl::Status JournalCluster::Submit(ByteSpan body) {
  absl::Status last = absl::UnavailableError("no replica up");
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (replica(index) == nullptr) continue;
    last = replica(index)->SubmitRequest(group(), wire::Operation::kCreateStream, body);
    if (last.ok()) return last;
  }
  return last;
}

void JournalCluster::RunNs(uint64_t duration_ns) {
  // Time moves only when an event runs: an event at the deadline makes it reach the
  // deadline even when the next timer is later (or every replica is down).
  const uint64_t deadline = loop_.MonotonicNs() + duration_ns;
  loop_.ScheduleAfterNs(duration_ns, [] {});
  loop_.RunUntil([] { return false; }, deadline);
  Reap();
  MaybeCheckpoint();
}

void JournalCluster::MaybeCheckpoint() {
  if (options_.checkpoint_interval_ops == 0) return;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Process* process = nodes_[index].process.get();
    if (process == nullptr || process->replica == nullptr || process->replica->failed()) continue;
    vsr::JournalGroupLog& log = *process->log;
    const uint64_t commit = std::min(process->replica->commit(group()), log.last_op());
    if (log.checkpoint_busy() || commit < log.base_op() + options_.checkpoint_interval_ops) continue;
    metadata::MetadataState state;
    state.last_applied_op = commit;
    const uint64_t boot = nodes_[index].boot;
    log.TakeCheckpoint(state, [this, index, boot](absl::Status status) {
      if (nodes_[index].boot != boot) return;
      if (!status.ok()) return Violation(absl::StrCat("replica ", int{index}, " checkpoint: ", status.ToString()));
      ++checkpoints_;
    });
  }
}

bool JournalCluster::Converged() {
  std::optional<uint32_t> view;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    vsr::Replica* replica = this->replica(index);
    if (replica == nullptr || replica->status() != vsr::Status::kNormal || replica->recovering()) return false;
    if (view.has_value() && *view != replica->view()) return false;
    view = replica->view();
    if (replica->commit(group()) != committed_.size() || replica->head_op(group()) != committed_.size()) {
      return false;
    }
  }
  return true;
}

void JournalCluster::CheckChain(uint8_t index, const vsr::GroupLog& log, uint64_t through, const char* what) {
  through = std::min<uint64_t>(through, committed_.size());
  for (uint64_t op = std::max<uint64_t>(log.base_op(), 1); op <= through; ++op) {
    if (log.ChecksumAt(op) != std::optional<absl::uint128>(committed_[op - 1])) {
      return Violation(absl::StrCat("replica ", int{index}, " ", what, " WAL op ", op, " (base op ", log.base_op(),
                                    ", last op ", log.last_op(), "): not the committed checksum ",
                                    Hex(committed_[op - 1])));
    }
  }
}

void JournalCluster::CheckLogs() {
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const vsr::GroupLog* live = log(index);
    if (live == nullptr) continue;
    if (live->last_op() < committed_.size()) {
      return Violation(absl::StrCat("replica ", int{index}, " WAL ends at op ", live->last_op(), " below the ",
                                    committed_.size(), " committed"));
    }
    CheckChain(index, *live, committed_.size(), "live");
  }
}

void JournalCluster::CheckDurable(uint64_t max_ticks) {
  const bool durable = RunUntil(
      [&] {
        for (uint8_t index = 0; index < options_.replica_count; ++index) {
          const vsr::GroupLog* live = log(index);
          if (live == nullptr || live->durable_op() != live->last_op()) return false;
        }
        return true;
      },
      max_ticks);
  if (!durable) return Violation(absl::StrCat("logs not durable within ", max_ticks, " ticks\n", Describe()));
  // Every machine at once, every unsynced sector lost: only what was synced is left.
  for (uint8_t index = 0; index < options_.replica_count; ++index) Crash(index, base::Ratio::Never());
  for (uint8_t index = 0; index < options_.replica_count; ++index) Restart(index);
  std::vector<bool> checked(options_.replica_count, false);
  RunUntil(
      [&] {
        bool all = true;
        for (uint8_t index = 0; index < options_.replica_count; ++index) {
          const vsr::GroupLog* recovered = log(index);
          if (recovered == nullptr) {
            all = false;
          } else if (!checked[index]) {
            checked[index] = true;
            // Checked once, as it came up: the WAL recovery, not repair, must show them.
            if (recovered->last_op() < committed_.size()) {
              Violation(absl::StrCat("replica ", int{index}, " recovered its WAL to op ", recovered->last_op(),
                                     " after a crash: committed ops up to ", committed_.size(), " were lost"));
            }
            CheckChain(index, *recovered, committed_.size(), "recovered after a whole-cluster crash,");
          }
        }
        return all;
      },
      max_ticks);
}

void JournalCluster::OnCommit(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  SLUICE_ASSERT(id == group(), "a commit of an unknown group");
  Node& node = nodes_[replica];
  if (op != node.reported + 1) {
    Violation(absl::StrCat("replica ", int{replica}, " committed op ", op, " after op ", node.reported));
  }
  node.reported = op;
  if (op <= committed_.size()) {
    if (committed_[op - 1] != checksum) {
      Violation(absl::StrCat("hash-chain disagreement: replica ", int{replica}, " committed op ", op, " as ",
                             Hex(checksum), ", others as ", Hex(committed_[op - 1])));
    }
  } else if (op == committed_.size() + 1) {
    committed_.push_back(checksum);
  } else {
    Violation(absl::StrCat("replica ", int{replica}, " committed op ", op, " beyond the cluster's ",
                           committed_.size()));
  }
}

void JournalCluster::OnStateSync(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  Node& node = nodes_[replica];
  ++state_syncs_;
  if (op <= node.reported) {
    Violation(absl::StrCat("replica ", int{replica}, " installed a snapshot at op ", op, " at or below its commit ",
                           node.reported));
  } else if (op > committed_.size() || committed_[op - 1] != checksum) {
    Violation(absl::StrCat("replica ", int{replica}, " installed a snapshot at op ", op, " (", Hex(checksum),
                           "), not a committed op (", committed_.size(), " committed)"));
  }
  node.reported = op;
}

void JournalCluster::OnFailStop(uint8_t replica, const absl::Status& cause) {
  Violation(absl::StrCat("replica ", int{replica}, " stopped: ", cause.ToString()));
}

std::string JournalCluster::Describe() {
  std::string out = absl::StrCat("seed ", options_.seed, " at tick ", loop_.MonotonicNs() / io::kTickNs, " (", loop_.pending_events(), " events pending)\n");
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (replica(index) == nullptr) {
      absl::StrAppend(&out, "replica ", int{index}, booting(index) ? " booting\n" : " down\n");
    } else {
      absl::StrAppend(&out, replica(index)->DebugString());
    }
  }
  absl::StrAppend(&out, "committed ", committed_.size(), "; ", checkpoints_, " checkpoints, ", state_syncs_,
                  " state syncs, ", recovery_counts_.recoveries, " WAL recoveries, ",
                  recovery_counts_.faulty_ops, " faulty ops, ", recovery_counts_.uncertain_tails,
                  " uncertain tails\n");
  return out;
}

void JournalCluster::Violation(std::string message) {
  if (violation_.empty()) violation_ = std::move(message);
}

}  // namespace sluice::sim
