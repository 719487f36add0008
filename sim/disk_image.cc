#include "sim/disk_image.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace sluice::sim {
namespace fs = std::filesystem;

namespace {

absl::Status FromErrorCode(const std::error_code& error, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", error.message()));
}

}  // namespace

absl::Status SaveToDirectory(const SimFileSystem& file_system, const std::string& directory) {
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) return FromErrorCode(error, absl::StrCat("creating ", directory));
  if (!fs::is_empty(directory, error) || error) {
    return absl::FailedPreconditionError(absl::StrCat("saving a disk image needs an empty directory: ", directory));
  }
  for (const TreeEntry& entry : file_system.Tree()) {
    const fs::path target = fs::path(directory) / entry.path;
    if (entry.is_directory) {
      fs::create_directory(target, error);
      if (error) return FromErrorCode(error, absl::StrCat("creating ", target.string()));
      continue;
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(entry.contents.data()),
              static_cast<std::streamsize>(entry.contents.size()));
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("writing ", target.string()));
  }
  return absl::OkStatus();
}

absl::Status LoadFromDirectory(const std::string& directory, SimFileSystem& file_system) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return absl::NotFoundError(absl::StrCat("not a directory: ", directory));
  }
  std::vector<TreeEntry> entries;
  for (auto it = fs::recursive_directory_iterator(directory, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::path relative = fs::relative(it->path(), directory);
    TreeEntry entry{relative.generic_string(), false, {}};
    if (it->is_symlink()) {
      return absl::InvalidArgumentError(absl::StrCat("symbolic link in a data directory: ", it->path().string()));
    }
    if (it->is_directory()) {
      entry.is_directory = true;
    } else if (it->is_regular_file()) {
      std::ifstream in(it->path(), std::ios::binary);
      entry.contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (in.bad()) return absl::InternalError(absl::StrCat("reading ", it->path().string()));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("not a file or directory: ", it->path().string()));
    }
    entries.push_back(std::move(entry));
  }
  if (error) return FromErrorCode(error, absl::StrCat("listing ", directory));
  // The OS lists in its own order; sorting by path puts parents before children
  // and makes the load deterministic.
  std::sort(entries.begin(), entries.end(),
            [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return file_system.LoadTree(entries);
}

}  // namespace sluice::sim
