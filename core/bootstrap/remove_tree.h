#pragma once
// RemoveTree: deletes a directory and everything under it, deepest first, then syncs
// the parent so the removal is durable. A crash part-way leaves a prefix of the
// removals; calling it again finishes the job (entries already gone are skipped).
// Regular files and directories only, as io::Storage knows them.

#include <string>

#include "absl/status/status.h"
#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::bootstrap {

io::Task<absl::Status> RemoveTree(io::Storage& storage, std::string path);

}  // namespace sluice::bootstrap
