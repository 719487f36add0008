// sluice inspect DATA_DIR: what bootstrap would find and decide for a data directory,
// without changing it (core/inspect/inspect.h says how and what the verdicts mean).
//
// Here the scratch copy is a simulated, in-memory disk (sim/disk_image.h) loaded from
// the directory; after boot it is written to a temporary directory to be compared.
// `sluice-server inspect` does the same on io_uring (server/inspect_command.cc).
//
// Exit codes: 0 healthy (boot would change nothing), 1 repairable (boot succeeds
// and changes the files listed, or a cluster replica has faulty entries to repair
// from peers), 2 refused (boot stops with the error printed), 3 unsupported
// (reserved), 64 usage; a cluster replica's directory boots as ClusterReplica::Open's. The directory is read whole into memory: meant for diagnosis, not for
// very large directories.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/inspect/file_tree.h"
#include "core/inspect/inspect.h"
#include "core/inspect/inspect_options.h"
#include "sim/disk_image.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: sluice inspect DATA_DIR [--wal-slots N] [--wal-message-size BYTES]\n"
               "  Prints what bootstrap would find and decide; changes nothing.\n"
               "  --wal-slots / --wal-message-size: the replica's metadata WAL options;\n"
               "  by default those of DATA_DIR/runtime/current_config.toml (the effective\n"
               "  config the server's last start wrote), else the server's defaults\n"
               "  (1024 slots of 131072 bytes).\n"
               "  Exit: 0 healthy, 1 repairable, 2 refused, 3 unsupported, 64 usage.\n");
  return inspect::kUsage;
}

int Inspect(const std::string& directory, const inspect::InspectOptions& options) {
  if (!std::filesystem::is_directory(directory)) {
    std::fprintf(stderr, "inspect: %s is not a directory\n", directory.c_str());
    return inspect::kUsage;
  }
  sim::SimLoop loop;
  sim::SimStorage storage(loop, {.seed = 1, .sector_size_bytes = 512});
  storage.set_random_faults_enabled(false);
  if (const absl::Status loaded = sim::LoadFromDirectory(directory, storage.file_system());
      !loaded.ok()) {
    std::printf("refused: cannot read %s: %s\n", directory.c_str(), loaded.ToString().c_str());
    return inspect::kRefused;
  }
  // Boot's result, written out to a temporary directory and read back.
  auto read_after = [&storage]() -> absl::StatusOr<inspect::FileTree> {
    const std::string after = std::filesystem::temp_directory_path() /
                              absl::StrCat("sluice-inspect-", ::getpid());
    std::filesystem::remove_all(after);
    if (const absl::Status saved = sim::SaveToDirectory(storage.file_system(), after); !saved.ok()) {
      return saved;
    }
    inspect::FileTree files = inspect::ReadTree(after);
    std::filesystem::remove_all(after);
    return files;
  };
  return inspect::InspectCopy(loop, storage, directory, options, read_after);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") return sluice::Usage();
  const std::string directory = argv[1];
  const std::optional<sluice::inspect::InspectOptions> options =
      sluice::inspect::ResolveInspectOptions(directory, std::vector<std::string>(argv + 2, argv + argc));
  if (!options.has_value()) return sluice::Usage();
  return sluice::Inspect(directory, *options);
}
