#pragma once
// Moving a data directory between the simulator and a real file system, so the same
// bytes can be booted by the simulator and by the real backend (and fuzzed, and
// inspected). This is simulator tooling: it uses the host's file system directly.

#include <string>

#include "absl/status/status.h"
#include "sim/sim_file_system.h"

namespace sluice::sim {

// Writes the current view of `file_system` under `directory` (created if missing;
// it must be empty). Regular files and directories only.
absl::Status SaveToDirectory(const SimFileSystem& file_system, const std::string& directory);

// Loads every regular file and directory under `directory` into the empty
// `file_system`, all durable. Anything else (symlinks, devices) is an error naming it.
absl::Status LoadFromDirectory(const std::string& directory, SimFileSystem& file_system);

}  // namespace sluice::sim
