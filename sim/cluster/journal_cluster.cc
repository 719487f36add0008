#include "sim/cluster/journal_cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/task.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata_store/format_metadata.h"
#include "core/journal/journal_recovery.h"
#include "sim/cluster/cluster_setup.h"

namespace sluice::sim {
namespace {

constexpr absl::uint128 kCluster = 0x5A1CE0;

}  // namespace

JournalCluster::JournalCluster(JournalClusterOptions options)
    : options_(std::move(options)),
      packets_(loop_, ClusterPacketOptions(options_.seed, options_.replica_count, options_.network)),
      checker_({group()}, options_.replica_count) {
  SLUICE_ASSERT(options_.replica_count >= 1, "a cluster needs a replica");
  nodes_.resize(options_.replica_count);
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    Node& node = nodes_[index];
    node.storage = std::make_unique<SimStorage>(
        loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kClusterStorageSeed + index),
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
    Format(index, /*recovering=*/false, [this, &formatted](absl::Status status) {
      if (!status.ok()) Violation(absl::StrCat("format: ", status.ToString()));
      ++formatted;
    });
  }
  SLUICE_ASSERT(loop_.RunUntil([&] { return formatted == options_.replica_count || !violation().empty(); },
                               UINT64_MAX),
                "format did not finish");
  for (uint8_t index = 0; index < options_.replica_count; ++index) Boot(index);
  loop_.RunUntil(
      [&] {
        if (!violation().empty()) return true;
        for (const Node& node : nodes_) {
          if (node.process->replica == nullptr) return false;
        }
        return true;
      },
      UINT64_MAX);
}

void JournalCluster::Format(uint8_t index, bool recovering, absl::AnyInvocable<void(absl::Status)> then) {
  metadata_store::MetadataFormat format;
  format.identity.cluster_id = kCluster;
  format.identity.replica_index = index;
  format.identity.replica_count = options_.replica_count;
  format.identity.recovering = recovering;
  format.journal = JournalOptions();
  format.identity.namespace_widths = format.config.widths;
  io::Spawn(metadata_store::FormatMetadata(nodes_[index].process->storage, format), std::move(then));
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
  checker_.CheckChain(index, 0, *log, std::min(log->last_op(), log->recovered_commit()), "recovered WAL of");
  if (log->faulty_head_op() == log->last_op()) node.may_be_torn = false;
  vsr::JournalGroupLog* journal_log = log.get();
  std::vector<vsr::RecoveredGroup> groups;
  groups.push_back({.id = group(), .log = std::move(log)});
  Process& process = *node.process;
  absl::StatusOr<std::unique_ptr<vsr::Replica>> replica =
      vsr::Replica::Restore(ClusterReplicaOptions(options_.replica, kCluster, index, options_.replica_count), loop_, process.network, process.storage, std::move(state),
                            std::move(groups), &process.observer, journal_log);
  if (!replica.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", replica.status().ToString()));
  process.replica = *std::move(replica);
  process.log = journal_log;
  checker_.Restored(index, 0, process.replica->commit(group()));
}

const vsr::GroupLog* JournalCluster::log(uint8_t index) {
  vsr::Replica* replica = this->replica(index);
  return replica == nullptr ? nullptr : &replica->log(group());
}

void JournalCluster::Crash(uint8_t index, std::optional<base::Ratio> sector_lands) {
  Node& node = nodes_[index];
  const base::Ratio lands = sector_lands.value_or(options_.crash_sector_lands);
  SLUICE_ASSERT(node.process != nullptr, "crash of replica ", int{index}, ", which is down");
  checker_.Record(absl::StrCat("crash ", int{index}, " ", lands.numerator, "/", lands.denominator));
  // Landing unsynced sectors keeps a group commit whole only if none of its writes is
  // still in flight: the journal writes a group's prepares and header copies at once,
  // so a landed header copy whose prepare write is dropped is a torn entry, which
  // recovery rightly reports faulty (the replica may have acknowledged it, as far as
  // recovery can tell).
  const bool partial = lands.numerator != 0 &&
                       (lands.numerator != lands.denominator || node.storage->operations_in_flight() > 0);
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
  if (partial) node.may_be_torn = true;
}

bool JournalCluster::MayBeTorn(uint8_t index) {
  Node& node = nodes_[index];
  if (node.lost_directory || committed() < node.wiped_head_op) return true;
  if (node.may_be_torn && replica(index) != nullptr) {
    const vsr::GroupLog& log = replica(index)->log(group());
    if (log.faulty_head_op() == log.last_op() && log.durable_op() == log.last_op()) node.may_be_torn = false;
  }
  return node.may_be_torn;
}

void JournalCluster::CorruptWal(uint8_t index, uint64_t op, bool in_header, uint64_t byte, uint8_t bit) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process == nullptr, "corruption of a live replica's WAL");
  const journal::JournalLayout layout(JournalOptions());
  const uint64_t slot = layout.SlotOf(op);
  // A header copy is one sector; a prepare's first sector holds its header and body.
  const uint64_t offset = (in_header ? layout.HeaderOffset(slot) : layout.PrepareOffset(slot)) +
                          byte % options_.sector_size_bytes;
  checker_.Record(absl::StrCat("corrupt ", int{index}, " ", op, in_header ? " header " : " prepare ", offset, " ",
                               int{bit}));
  const absl::Status flipped = node.storage->InjectBitFlip(std::string(journal::kJournalPath), offset, bit % 8);
  if (!flipped.ok()) return Violation(absl::StrCat("corrupting replica ", int{index}, ": ", flipped.ToString()));
  node.may_be_torn = true;
}

void JournalCluster::Wipe(uint8_t index) {
  Node& node = nodes_[index];
  // The ops it may have acknowledged: a down replica's log is unknown here, so at
  // least everything committed so far.
  node.wiped_head_op = log(index) != nullptr ? log(index)->faulty_head_op() : committed();
  if (node.process != nullptr) Crash(index, base::Ratio::Never());
  SLUICE_ASSERT(node.network->crashed(), "wipe of a booting replica");
  checker_.Record(absl::StrCat("wipe ", int{index}));
  ++wipes_;
  ++node.boot;
  // A new, empty disk (the old one stays alive for what may still refer to it).
  lost_storage_.push_back(std::move(node.storage));
  node.storage = std::make_unique<SimStorage>(
      loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kClusterStorageSeed + 1000 * wipes_ + index),
                               .sector_size_bytes = options_.sector_size_bytes});
  node.lost_directory = true;
  node.may_be_torn = false;
  node.process = std::make_unique<Process>(*this, *node.storage, *node.network, loop_);
  node.network->Restart(&node.process->network);
  const uint64_t boot = node.boot;
  Format(index, /*recovering=*/true, [this, index, boot](absl::Status status) {
    if (nodes_[index].boot != boot) return;
    if (!status.ok()) {
      return Violation(absl::StrCat("format --recover of replica ", int{index}, ": ", status.ToString()));
    }
    Boot(index);
  });
}

void JournalCluster::OnVoter(uint8_t replica) {
  checker_.Record(absl::StrCat("voter ", int{replica}));
  ++voters_restored_;
  nodes_[replica].lost_directory = false;
}

void JournalCluster::Restart(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process == nullptr && node.network->crashed(), "restart of a live replica");
  node.process = std::make_unique<Process>(*this, *node.storage, *node.network, loop_);
  node.network->Restart(&node.process->network);
  checker_.Record(absl::StrCat("restart ", int{index}));
  Boot(index);
}

std::optional<uint8_t> JournalCluster::Primary() {
  return FindPrimary(options_.replica_count, [this](uint8_t index) { return replica(index); });
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
  return sim::Converged(checker_, options_.replica_count, [this](uint8_t index) { return replica(index); });
}

void JournalCluster::CheckLogs() {
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const vsr::GroupLog* live = log(index);
    if (live == nullptr) continue;
    if (live->last_op() < committed()) {
      return Violation(absl::StrCat("replica ", int{index}, " WAL ends at op ", live->last_op(), " below the ",
                                    committed(), " committed"));
    }
    checker_.CheckChain(index, 0, *live, committed(), "live WAL of");
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
            if (recovered->last_op() < committed()) {
              Violation(absl::StrCat("replica ", int{index}, " recovered its WAL to op ", recovered->last_op(),
                                     " after a crash: committed ops up to ", committed(), " were lost"));
            }
            checker_.CheckChain(index, 0, *recovered, committed(), "WAL recovered after a whole-cluster crash, of");
          }
        }
        return all;
      },
      max_ticks);
}

void JournalCluster::OnCommit(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  checker_.OnCommit(replica, checker_.GroupIndex(id), op, checksum);
}

void JournalCluster::OnStateSync(uint8_t replica, vsr::GroupId id, uint64_t op, absl::uint128 checksum) {
  checker_.OnStateSync(replica, checker_.GroupIndex(id), op, checksum);
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
  absl::StrAppend(&out, "committed ", committed(), "; ", checkpoints_, " checkpoints, ", state_syncs(),
                  " state syncs, ", recovery_counts_.recoveries, " WAL recoveries, ",
                  recovery_counts_.faulty_ops, " faulty ops, ", recovery_counts_.uncertain_tails,
                  " uncertain tails\n");
  return out;
}

}  // namespace sluice::sim
