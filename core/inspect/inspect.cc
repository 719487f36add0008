#include "core/inspect/inspect.h"

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/assert.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/task.h"
#include "core/superblock/superblock.h"

namespace sluice::inspect {
namespace {

template <typename T>
T RunTask(io::Loop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
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
    std::printf("unsupported: replica %u of %u; inspect boots one-replica directories only "
                "(cluster bootstrap is not built yet)\n",
                state.replica_index, state.replica_count);
    return kUnsupported;
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
  if (!booted_warnings.empty()) {
    std::printf("repairable: boot warned (%zu warning(s), listed above) and would change %d file(s)\n",
                booted_warnings.size(), changes);
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

}  // namespace sluice::inspect
