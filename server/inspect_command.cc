#include "server/inspect_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/inspect/file_tree.h"
#include "core/inspect/inspect.h"
#include "core/inspect/inspect_options.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_storage.h"

namespace sluice::server {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: sluice-server inspect [DATA_DIR] [--wal-slots N] [--wal-message-size BYTES]\n"
               "  Prints what bootstrap would find and decide for DATA_DIR (default\n"
               "  ./local_data, or --data-dir DIR); changes nothing (it boots a copy).\n"
               "  --wal-slots / --wal-message-size: the replica's metadata WAL options;\n"
               "  by default those of DATA_DIR/runtime/current_config.toml, else the\n"
               "  server's defaults.\n"
               "  Exit: 0 healthy, 1 repairable, 2 refused, 3 unsupported, 64 usage.\n");
  return inspect::kUsage;
}

// Removes the scratch copy however inspect ends.
struct ScratchDirectory {
  std::filesystem::path path;
  ~ScratchDirectory() {
    std::error_code ignored;  // Best effort: a leftover temporary copy harms nothing.
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

int RunInspect(const std::vector<std::string>& args) {
  std::string directory = "./local_data";
  std::vector<std::string> option_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help") return Usage();
    if (args[i] == "--data-dir") {
      if (i + 1 >= args.size()) return Usage();
      directory = args[++i];
    } else if (i == 0 && !absl::StartsWith(args[i], "--")) {
      directory = args[i];
    } else {
      option_flags.push_back(args[i]);
    }
  }
  if (!std::filesystem::is_directory(directory)) {
    std::fprintf(stderr, "inspect: %s is not a directory\n", directory.c_str());
    return inspect::kUsage;
  }
  const std::optional<inspect::InspectOptions> options =
      inspect::ResolveInspectOptions(directory, option_flags);
  if (!options.has_value()) return Usage();

  ScratchDirectory copy{std::filesystem::temp_directory_path() /
                        absl::StrCat("sluice-server-inspect-", ::getpid())};
  std::error_code error;
  std::filesystem::remove_all(copy.path, error);
  std::filesystem::copy(directory, copy.path, std::filesystem::copy_options::recursive, error);
  if (error) {
    std::printf("refused: cannot read %s: %s\n", directory.c_str(), error.message().c_str());
    return inspect::kRefused;
  }
  absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "inspect: %s\n", loop.status().ToString().c_str());
    return inspect::kRefused;
  }
  uring::UringStorage storage(**loop, copy.path.string());
  return inspect::InspectCopy(**loop, storage, directory, *options,
                              [&copy]() -> absl::StatusOr<inspect::FileTree> {
                                return inspect::ReadTree(copy.path);
                              });
}

}  // namespace sluice::server
