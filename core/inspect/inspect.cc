#include "core/inspect/inspect.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/bootstrap/partition_bootstrap.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/task.h"
#include "core/journal/journal_layout.h"
#include "core/journal/slot_verdict.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata_store/metadata_recovery.h"
#include "core/superblock/superblock.h"
#include "core/vsr/metadata_sync.h"
#include "core/vsr/partition_group_log.h"
#include "core/vsr/partition_sync.h"

namespace sluice::inspect {
namespace {

template <typename T>
T RunTask(io::Loop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
}

// Compares the booted copy with the directory and prints the verdict. `warnings`:
// what boot warned of; `faulty`: entries a cluster replica must repair from its
// peers (rule B7) — either makes the directory repairable, not healthy.
int CompareAndDecide(const std::string& directory, AfterTree read_after, size_t warnings, size_t faulty) {
  const absl::StatusOr<FileTree> after_files = read_after();
  if (!after_files.ok()) {
    std::fprintf(stderr, "inspect: comparing: %s\n", after_files.status().ToString().c_str());
    return kRefused;
  }
  const FileTree before_files = ReadTree(directory);
  int changes = 0;
  int resynced = 0;
  for (const auto& [path, bytes] : before_files) {
    const auto found = after_files->find(path);
    if (found == after_files->end()) {
      std::printf("  boot would remove %s\n", path.c_str());
      ++changes;
    } else if (found->second != bytes && SameContent(path, bytes, found->second)) {
      std::printf("  boot would re-sync %s (same content, rule B1)\n", path.c_str());
      ++resynced;
    } else if (found->second != bytes) {
      std::printf("  boot would rewrite %s\n", path.c_str());
      ++changes;
    }
  }
  for (const auto& [path, bytes] : *after_files) {
    if (!before_files.contains(path)) {
      std::printf("  boot would create %s\n", path.c_str());
      ++changes;
    }
  }
  if (faulty != 0) {
    std::printf("repairable from peers: %zu faulty entr%s (listed above, rule B7), %zu warning(s); boot would "
                "change %d file(s)\n",
                faulty, faulty == 1 ? "y" : "ies", warnings, changes);
    return kRepairable;
  }
  if (warnings != 0) {
    std::printf("repairable: boot warned (%zu warning(s), listed above) and would change %d file(s)\n", warnings,
                changes);
    return kRepairable;
  }
  if (changes == 0 && resynced == 0) {
    std::printf("healthy: boot would change nothing\n");
    return kHealthy;
  }
  if (changes == 0) {
    std::printf("healthy: boot would repair nothing (it re-syncs %d file(s) with the same content)\n", resynced);
    return kHealthy;
  }
  std::printf("repairable: boot would change %d file(s), listed above\n", changes);
  return kRepairable;
}

std::string GroupName(const superblock::NamespaceWidths& widths, const vsr::GroupId& group) {
  if (group.namespace_id == 0 && group.incarnation == 0) return "metadata";
  const absl::StatusOr<metadata::PartitionKey> key = metadata::UnpackNamespace(widths, group.namespace_id);
  if (!key.ok()) return absl::StrCat("namespace ", group.namespace_id, " incarnation ", group.incarnation);
  return absl::StrCat("stream ", key->stream, " topic ", key->topic, " partition ", key->partition, " incarnation ",
                      group.incarnation);
}

// "op 7", "ops 3..5, 9": sorted ops as ranges.
std::string OpRanges(std::vector<uint64_t> ops) {
  std::sort(ops.begin(), ops.end());
  std::vector<std::string> ranges;
  for (size_t i = 0; i < ops.size();) {
    size_t j = i;
    while (j + 1 < ops.size() && ops[j + 1] <= ops[j] + 1) ++j;
    ranges.push_back(ops[i] == ops[j] ? absl::StrCat(ops[i]) : absl::StrCat(ops[i], "..", ops[j]));
    i = j + 1;
  }
  return absl::StrCat(ops.size() == 1 ? "op " : "ops ", absl::StrJoin(ranges, ", "));
}

std::string Describe(const vsr::StagedSnapshot& staged) {
  return absl::StrCat("snapshot of op ", staged.id.op, ", ", staged.staged_bytes, " of ", staged.id.size_bytes,
                      " bytes staged", staged.staged_bytes == staged.id.size_bytes ? " (complete, not installed)" : "");
}

// A replica of a 3- or 5-replica cluster: the steps of ClusterReplica::Open
// (core/replica/cluster_replica.cc) up to the consensus, which needs peers —
// RecoverMetadata in cluster mode (the committed prefix only, rule B16: ops above the
// commit watermark are VSR's to commit or discard, not errors), LoadMetadataSyncState
// (the durable view state and a staged sync, B15), RecoverPartitions in cluster mode
// (faulty entries are VSR's to repair from peers, B7), the stale directories, and each
// partition group's recent chain and staged sync (PartitionGroupLog::FromRecovery).
int InspectCluster(io::Loop& loop, io::Storage& copy, const std::string& directory,
                   const superblock::SuperblockState& state, const InspectOptions& inspect_options,
                   AfterTree read_after) {
  std::printf("cluster: replica %u of %u\n", state.replica_index, state.replica_count);
  const metadata_store::MetadataRecoveryOptions options{
      .identity = {.cluster_id = state.cluster_id,
                   .replica_index = state.replica_index,
                   .replica_count = state.replica_count,
                   .widths = state.namespace_widths},
      .journal = {.cluster = state.cluster_id,
                  .slot_count = inspect_options.wal_slots,
                  .message_size_max = inspect_options.wal_message_size},
      .single_node = false};
  absl::StatusOr<metadata_store::RecoveredMetadata> recovered =
      RunTask(loop, metadata_store::RecoverMetadata(copy, options));
  if (!recovered.ok()) {
    std::printf("refused: boot step 3 (metadata): %s\n", recovered.status().ToString().c_str());
    return kRefused;
  }
  absl::StatusOr<vsr::MetadataSyncState> sync = RunTask(loop, vsr::LoadMetadataSyncState(copy));
  if (!sync.ok()) {
    std::printf("refused: boot step 3 (view state): %s\n", sync.status().ToString().c_str());
    return kRefused;
  }
  const vsr::VsrState& view_state = sync->view_state;
  const superblock::SuperblockState& opened = sync->superblock.state;
  std::printf("view state: view %u, log view %u%s; %s\n", view_state.view, view_state.log_view,
              view_state.recovering ? ", recovering (not a voter until state-synced, rule B17)" : "",
              opened.partition_log_views.present()
                  ? absl::StrCat("table ", vsr::ViewTablePath(opened.partition_log_views.op)).c_str()
                  : "no view table yet (the superblock's view fields)");
  for (const vsr::GroupViewState& group : view_state.groups) {
    std::printf("  group %s: log view %u, head op %lu\n", GroupName(state.namespace_widths, group.group).c_str(), group.log_view,
                group.head_op);
  }
  const journal::JournalRecovery& wal = recovered->journal_report;
  std::printf("metadata: checkpoint op %lu, commit watermark %lu, applied through op %lu, WAL head op %lu\n",
              opened.metadata_checkpoint.op, opened.metadata_commit_watermark, recovered->state.last_applied_op,
              wal.head_op);
  if (!recovered->unapplied.empty()) {
    std::printf("  ops %lu..%lu (%zu verified) above the commit watermark: left for VSR to commit or discard "
                "(rule B16), not damage\n",
                recovered->unapplied.front().op, recovered->unapplied.back().op, recovered->unapplied.size());
  }
  if (sync->served.has_value()) {
    std::printf("  serves the snapshot of op %lu (%lu bytes) to lagging peers\n", sync->served->id.op,
                sync->served->id.size_bytes);
  }
  if (sync->staged.has_value()) {
    std::printf("  staged metadata state sync to resume (rule B15): %s\n", Describe(*sync->staged).c_str());
  }

  bootstrap::BootLog log;
  for (const std::string& decision : recovered->decisions) log.decisions.push_back("metadata: " + decision);
  for (const std::string& warning : recovered->warnings) log.warnings.push_back("metadata: " + warning);
  std::vector<std::string> faulty;
  const journal::JournalLayout layout(options.journal);  // options RecoverMetadata accepted
  for (const journal::FaultyOp& op : recovered->faulty) {
    faulty.push_back(absl::StrCat(journal::kJournalPath, ": op ", op.op, " in ", layout.DescribeSlot(op.slot), " is ",
                                  journal::SlotVerdictName(op.verdict), op.reason.empty() ? "" : ": ", op.reason));
  }

  bootstrap::PartitionDefaults defaults;
  defaults.cluster = state.cluster_id;
  defaults.single_node = false;
  defaults.clamp_consumer_offsets = inspect_options.clamp_consumer_offsets;
  bootstrap::PartitionReports reports;
  std::set<std::pair<uint64_t, uint64_t>> recorded;
  for (const vsr::GroupViewState& record : view_state.groups) {
    recorded.insert({record.group.namespace_id, record.group.incarnation});
  }
  absl::StatusOr<bootstrap::PartitionLogs> logs =
      RunTask(loop, bootstrap::RecoverPartitions(copy, recovered->state, opened.metadata_checkpoint.op, defaults,
                                                 log, &reports, [&recorded](uint64_t ns, uint64_t incarnation) {
                                                   return !recorded.contains({ns, incarnation});
                                                 }));
  if (!logs.ok()) {
    std::printf("refused: boot step 4 (partitions): %s\n", logs.status().ToString().c_str());
    return kRefused;
  }
  if (const absl::Status removed = RunTask(loop, bootstrap::RemoveStaleIncarnations(copy, recovered->state, log, true));
      !removed.ok()) {
    std::printf("refused: boot step 4 (stale partition directories): %s\n", removed.ToString().c_str());
    return kRefused;
  }
  std::vector<std::unique_ptr<vsr::PartitionGroupLog>> groups;
  std::vector<std::string> partition_facts;
  size_t faulty_entries = 0;  // besides one per line of `faulty`
  for (auto& entry : *logs) {
    const uint64_t ns = entry.first;
    const std::string partition_directory = entry.second->directory();
    partition::RecoveryReport report = reports[ns];
    if (!report.faulty_ops.empty()) {
      faulty.push_back(absl::StrCat(partition_directory, ": ", OpRanges(report.faulty_ops),
                                    " corrupt or uncertain (the segment's decisions above say which)"));
      faulty_entries += report.faulty_ops.size() - 1;
    }
    absl::StatusOr<std::unique_ptr<vsr::PartitionGroupLog>> group = RunTask(
        loop, vsr::PartitionGroupLog::FromRecovery(std::move(entry.second), std::move(report), loop,
                                                   {.cluster = state.cluster_id}));
    if (!group.ok()) {
      std::printf("refused: %s: %s\n", partition_directory.c_str(), group.status().ToString().c_str());
      return kRefused;
    }
    partition::PartitionLog& partition = (*group)->partition();
    std::string fact = absl::StrCat(partition_directory, ": ops through ", partition.last_op(), ", committed through ",
                                    partition.commit_op(), ", next offset ", partition.committed_next_offset());
    if (const std::optional<vsr::StagedSnapshot> staged = (*group)->Staged(); staged.has_value()) {
      absl::StrAppend(&fact, "; staged state sync to resume (rule B15): ", Describe(*staged));
    }
    partition_facts.push_back(std::move(fact));
    groups.push_back(*std::move(group));
  }
  std::printf("partitions: %zu\n", partition_facts.size());
  for (const std::string& fact : partition_facts) std::printf("  %s\n", fact.c_str());
  std::printf("decisions:\n");
  for (const std::string& decision : log.decisions) std::printf("  %s\n", decision.c_str());
  if (!log.warnings.empty()) std::printf("warnings:\n");
  for (const std::string& warning : log.warnings) std::printf("  %s\n", warning.c_str());
  if (!faulty.empty()) std::printf("faulty (repairable from peers, rule B7):\n");
  for (const std::string& entry : faulty) std::printf("  %s\n", entry.c_str());
  // Draining and closing only settle the copy before it is compared; their failures
  // would show as differences.
  for (const std::unique_ptr<vsr::PartitionGroupLog>& group : groups) (void)RunTask(loop, group->partition().Drain());
  if (recovered->journal != nullptr) (void)RunTask(loop, recovered->journal->Close());
  return CompareAndDecide(directory, std::move(read_after), log.warnings.size(), faulty.size() + faulty_entries);
}

}  // namespace

int InspectCopy(io::Loop& loop, io::Storage& copy, const std::string& directory,
                const InspectOptions& inspect_options, AfterTree read_after) {
  // The identity comes from the directory itself: inspect checks the directory, not a
  // config against it.
  absl::StatusOr<superblock::CopyReadings> copies =
      RunTask(loop, superblock::ReadSuperblockCopies(copy));
  std::printf("superblock:\n");
  if (copies.ok()) {
    for (uint8_t slot = 0; slot < copies->size(); ++slot) {
      std::printf("  %s\n", superblock::DescribeReading((*copies)[slot], slot).c_str());
    }
  } else {
    std::printf("  %s\n", copies.status().ToString().c_str());
  }
  absl::StatusOr<superblock::QuorumDecision> chosen =
      copies.ok() ? superblock::ChooseSuperblockVersion(*copies)
                  : absl::StatusOr<superblock::QuorumDecision>(copies.status());
  if (!chosen.ok()) {
    std::printf("refused: no valid superblock: refusing to boot (rule B17): %s\n",
                chosen.status().ToString().c_str());
    return kRefused;
  }
  const superblock::SuperblockState& state = chosen->chosen.state;
  if (state.replica_count != 1) {
    return InspectCluster(loop, copy, directory, state, inspect_options, std::move(read_after));
  }
  bootstrap::SingleNodeBootOptions options;
  options.metadata.identity = {.cluster_id = state.cluster_id,
                               .replica_index = state.replica_index,
                               .replica_count = state.replica_count,
                               .widths = state.namespace_widths};
  options.metadata.journal = {.cluster = state.cluster_id,
                              .slot_count = inspect_options.wal_slots,
                              .message_size_max = inspect_options.wal_message_size};
  options.partitions.single_node = true;
  options.partitions.clamp_consumer_offsets = inspect_options.clamp_consumer_offsets;
  absl::StatusOr<bootstrap::BootedSingleNode> booted =
      RunTask(loop, bootstrap::BootSingleNode(copy, options));
  if (!booted.ok()) {
    std::printf("refused: %s\n", booted.status().ToString().c_str());
    return kRefused;
  }
  std::printf("decisions:\n");
  for (const std::string& decision : booted->log.decisions) std::printf("  %s\n", decision.c_str());
  if (!booted->log.warnings.empty()) std::printf("warnings:\n");
  for (const std::string& warning : booted->log.warnings) std::printf("  %s\n", warning.c_str());
  const std::vector<std::string> booted_warnings = booted->log.warnings;
  // Draining and closing only settle the copy before it is compared; their failures
  // would show as differences.
  for (auto& [ns, log] : booted->partitions) (void)RunTask(loop, log->Drain());
  (void)RunTask(loop, booted->metadata->Close());

  return CompareAndDecide(directory, std::move(read_after), booted_warnings.size(), 0);
}

}  // namespace sluice::inspect
