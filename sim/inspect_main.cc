// sluice inspect DATA_DIR: what bootstrap would find and decide for a data directory,
// without changing it.
//
// How: the directory is loaded into a simulated, in-memory disk (sim/disk_image.h) and
// the very bootstrap code a replica runs boots that copy — so the decisions printed
// are, by construction, the ones the replica's boot would log. Afterwards the copy is
// compared file by file with the directory: whatever differs is what boot would
// repair (a torn tail cut, an index rebuilt, a superblock copy rewritten, a stale
// incarnation removed, a partition created).
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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/task.h"
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
               "  --wal-slots / --wal-message-size: the replica's metadata WAL options\n"
               "  (local config; defaults 1024 and 65536).\n"
               "  Exit: 0 healthy, 1 repairable, 2 refused, 3 unsupported, 64 usage.\n");
  return kUsage;
}

int Inspect(const std::string& directory, uint64_t wal_slots, uint64_t wal_message_size) {
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
  for (const auto& [path, bytes] : before_files) {
    const auto found = after_files.find(path);
    if (found == after_files.end()) {
      std::printf("  boot would remove %s\n", path.c_str());
      ++changes;
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
  if (changes == 0) {
    std::printf("healthy: boot would change nothing\n");
    return kHealthy;
  }
  std::printf("repairable: boot would change %d file(s), listed above\n", changes);
  return kRepairable;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") return sluice::Usage();
  uint64_t slots = 1024;
  uint64_t message_size = 65536;
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return sluice::Usage();
    uint64_t* target = flag == "--wal-slots"          ? &slots
                       : flag == "--wal-message-size" ? &message_size
                                                       : nullptr;
    if (target == nullptr || !absl::SimpleAtoi(argv[i + 1], target)) return sluice::Usage();
  }
  return sluice::Inspect(argv[1], slots, message_size);
}
