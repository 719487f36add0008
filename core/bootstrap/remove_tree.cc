#include "core/bootstrap/remove_tree.h"

#include <vector>

#include "core/io/io_error.h"
#include "core/io/storage_ops.h"

namespace sluice::bootstrap {
namespace {

io::Task<absl::Status> RemoveContents(io::Storage& storage, const std::string& path) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      co_await io::ListDirectory(storage, path);
  if (io::IsEnoent(entries.status())) co_return absl::OkStatus();
  CO_RETURN_IF_ERROR(entries.status(), "listing ", path);
  for (const io::DirectoryEntry& entry : *entries) {
    const std::string child = io::JoinPath(path, entry.name);
    if (entry.type == io::EntryType::kDirectory) {
      CO_RETURN_IF_ERROR(co_await RemoveContents(storage, child));
      const absl::Status removed = co_await io::RemoveDirectory(storage, child);
      if (!io::IsEnoent(removed)) CO_RETURN_IF_ERROR(removed, "removing directory ", child);
    } else {
      const absl::Status removed = co_await io::UnlinkFile(storage, child);
      if (!io::IsEnoent(removed)) CO_RETURN_IF_ERROR(removed, "removing ", child);
    }
  }
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::Status> RemoveTree(io::Storage& storage, std::string path) {
  CO_RETURN_IF_ERROR(co_await RemoveContents(storage, path));
  const absl::Status removed = co_await io::RemoveDirectory(storage, path);
  if (io::IsEnoent(removed)) co_return absl::OkStatus();  // nothing was there
  CO_RETURN_IF_ERROR(removed, "removing directory ", path);
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, std::string(io::ParentOf(path))),
                     "syncing the parent of ", path);
  co_return absl::OkStatus();
}

}  // namespace sluice::bootstrap
