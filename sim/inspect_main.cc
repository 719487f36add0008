// sluice inspect DATA_DIR: what bootstrap would find and decide for a data directory,
// without changing it.
//
// How: the directory is loaded into a simulated, in-memory disk (sim/disk_image.h) and
// the very bootstrap code a replica runs boots that copy — so the decisions printed
// are, by construction, the ones the replica's boot would log. Afterwards the copy is
// compared file by file with the directory: whatever differs is what boot would
// repair (a torn tail cut, an index rebuilt, a superblock copy rewritten, a stale
// incarnation removed, a partition created) — except the files every boot rewrites
// with the same content (rule B1: a partition's state record and its consumer-offsets
// checkpoint are re-synced because a failed fsync in the last run may have left them
// only in the page cache; the offsets checkpoint also folds in the stores the log holds
// above it). Those are listed as re-synced, not as repairs: a directory whose boot
// only re-syncs, and warns of nothing, is healthy.
//
// Exit codes: 0 healthy (boot would change nothing), 1 repairable (boot succeeds
// and changes the files listed), 2 refused (boot stops with the error printed),
// 3 not supported here (a multi-replica directory: cluster bootstrap is VSR's),
// 64 usage. The directory is read whole into memory: meant for diagnosis, not for
// very large directories.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/config/config.h"
#include "core/io/task.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"
#include "core/superblock/superblock.h"
#include "sim/disk_image.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice {
namespace {

constexpr int kHealthy = 0;
constexpr int kRepairable = 1;
constexpr int kRefused = 2;
constexpr int kUnsupported = 3;
constexpr int kUsage = 64;

std::map<std::string, std::string> ReadTree(const std::filesystem::path& root) {
  std::map<std::string, std::string> files;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string relative = std::filesystem::relative(entry.path(), root).string();
    if (entry.is_directory()) {
      files[relative + "/"] = "";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      files[relative] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return files;
}

// The valid state-record slot with the higher sequence in a partition.state file.
std::optional<partition::StateRecord> NewerRecord(const std::string& bytes) {
  std::optional<partition::StateRecord> newer;
  for (uint64_t slot = 0; slot < 2; ++slot) {
    const uint64_t begin = slot * partition::kStateSlotSize;
    if (bytes.size() < begin + partition::kStateSlotSize) break;
    const absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(
        ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()) + begin, partition::kStateSlotSize));
    if (record.ok() && (!newer.has_value() || record->sequence > newer->sequence)) newer = *record;
  }
  return newer;
}

// Whether boot's new version of `path` says what the old one said (rule B1's
// re-sync): the same state record but for its sequence and a commit watermark that
// caught up, or the same owner's consumer offsets checkpointed at the same or a later
// applied op.
bool SameContent(const std::string& path, const std::string& before, const std::string& after) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (name == partition::kStateRecordName) {
    std::optional<partition::StateRecord> old_record = NewerRecord(before);
    std::optional<partition::StateRecord> new_record = NewerRecord(after);
    if (!old_record.has_value() || !new_record.has_value()) return false;
    if (new_record->commit_watermark < old_record->commit_watermark) return false;
    old_record->sequence = new_record->sequence;
    old_record->commit_watermark = new_record->commit_watermark;
    return *old_record == *new_record;
  }
  if (name == partition::kConsumerOffsetsName) {
    auto decode = [](const std::string& bytes) {
      return partition::DecodeConsumerOffsets(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    };
    const absl::StatusOr<partition::OwnedConsumerOffsets> old_offsets = decode(before);
    const absl::StatusOr<partition::OwnedConsumerOffsets> new_offsets = decode(after);
    // The stores and deletes the log holds above the old checkpoint are folded into
    // the new one; a clamp (rule B3 opt-in) would change offsets too, but it is a
    // warning, and warnings alone make a directory repairable.
    return old_offsets.ok() && new_offsets.ok() && old_offsets->owner == new_offsets->owner &&
           new_offsets->offsets.applied_op >= old_offsets->offsets.applied_op;
  }
  return false;
}

template <typename T>
T RunTask(sim::SimLoop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
}

int Usage() {
  std::fprintf(stderr,
               "usage: sluice inspect DATA_DIR [--wal-slots N] [--wal-message-size BYTES]\n"
               "  Prints what bootstrap would find and decide; changes nothing.\n"
               "  --wal-slots / --wal-message-size: the replica's metadata WAL options;\n"
               "  by default those of DATA_DIR/runtime/current_config.toml (the effective\n"
               "  config the server's last start wrote), else the server's defaults\n"
               "  (1024 slots of 131072 bytes).\n"
               "  Exit: 0 healthy, 1 repairable, 2 refused, 3 unsupported, 64 usage.\n");
  return kUsage;
}

int Inspect(const std::string& directory, uint64_t wal_slots, uint64_t wal_message_size,
            bool clamp_consumer_offsets) {
  if (!std::filesystem::is_directory(directory)) {
    std::fprintf(stderr, "inspect: %s is not a directory\n", directory.c_str());
    return kUsage;
  }
  sim::SimLoop loop;
  sim::SimStorage storage(loop, {.seed = 1, .sector_size_bytes = 512});
  storage.set_random_faults_enabled(false);
  if (const absl::Status loaded = sim::LoadFromDirectory(directory, storage.file_system());
      !loaded.ok()) {
    std::printf("refused: cannot read %s: %s\n", directory.c_str(), loaded.ToString().c_str());
    return kRefused;
  }
  // The identity comes from the directory itself: inspect checks the directory, not a
  // config against it.
  absl::StatusOr<superblock::CopyReadings> copies =
      RunTask(loop, superblock::ReadSuperblockCopies(storage));
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
                              .slot_count = wal_slots,
                              .message_size_max = wal_message_size};
  options.partitions.single_node = true;
  options.partitions.clamp_consumer_offsets = clamp_consumer_offsets;
  absl::StatusOr<bootstrap::BootedSingleNode> booted =
      RunTask(loop, bootstrap::BootSingleNode(storage, options));
  if (!booted.ok()) {
    std::printf("refused: %s\n", booted.status().ToString().c_str());
    return kRefused;
  }
  std::printf("decisions:\n");
  for (const std::string& decision : booted->log.decisions) std::printf("  %s\n", decision.c_str());
  if (!booted->log.warnings.empty()) std::printf("warnings:\n");
  for (const std::string& warning : booted->log.warnings) std::printf("  %s\n", warning.c_str());
  const std::vector<std::string> booted_warnings = booted->log.warnings;
  for (auto& [ns, log] : booted->partitions) (void)RunTask(loop, log->Drain());
  (void)RunTask(loop, booted->metadata->Close());

  const std::string after = std::filesystem::temp_directory_path() /
                            absl::StrCat("sluice-inspect-", ::getpid());
  std::filesystem::remove_all(after);
  if (const absl::Status saved = sim::SaveToDirectory(storage.file_system(), after); !saved.ok()) {
    std::fprintf(stderr, "inspect: comparing: %s\n", saved.ToString().c_str());
    return kRefused;
  }
  const std::map<std::string, std::string> before_files = ReadTree(directory);
  const std::map<std::string, std::string> after_files = ReadTree(after);
  std::filesystem::remove_all(after);
  int changes = 0;
  int resynced = 0;
  for (const auto& [path, bytes] : before_files) {
    const auto found = after_files.find(path);
    if (found == after_files.end()) {
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
  for (const auto& [path, bytes] : after_files) {
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

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") return sluice::Usage();
  const std::string directory = argv[1];
  // The replica's own local options: the effective config its last start wrote (rule
  // B11), else the server's defaults; flags override either.
  sluice::config::Config config;
  const std::filesystem::path effective = 
      std::filesystem::path(directory) / std::string(sluice::config::kEffectiveConfigPath);
  if (std::filesystem::is_regular_file(effective)) {
    std::ifstream in(effective, std::ios::binary);
    const std::string contents((std::istreambuf_iterator<char>(in)), {});
    absl::StatusOr<sluice::config::Config> loaded =
        sluice::config::LoadConfig(sluice::config::ConfigFile{effective.string(), contents}, {});
    if (!loaded.ok()) {
      std::fprintf(stderr, "inspect: %s: %s (give --wal-slots and --wal-message-size instead)\n",
                   effective.c_str(), loaded.status().ToString().c_str());
      return sluice::Usage();
    }
    config = *std::move(loaded);
    std::printf("options: from %s\n", effective.c_str());
  }
  uint64_t slots = config.limits.wal_slot_count;
  uint64_t message_size = config.limits.wal_slot_size_bytes;
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return sluice::Usage();
    uint64_t* target = flag == "--wal-slots"          ? &slots
                       : flag == "--wal-message-size" ? &message_size
                                                       : nullptr;
    if (target == nullptr || !absl::SimpleAtoi(argv[i + 1], target)) return sluice::Usage();
  }
  return sluice::Inspect(directory, slots, message_size, config.recovery.clamp_consumer_offsets);
}
