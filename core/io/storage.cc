#include "core/io/storage.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sluice::io {

absl::Status ValidatePath(absl::string_view path) {
  if (path.empty()) return absl::OkStatus();
  if (path.size() > 4096) {
    return absl::InvalidArgumentError(absl::StrCat("path longer than 4096 bytes: ", path.substr(0, 64), "..."));
  }
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (component.empty() || component == "." || component == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid path \"", path,
                       "\": components must be non-empty and not \".\" or \"..\", no leading or "
                       "trailing '/'"));
    }
    if (component.find('\0') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("path contains a NUL byte: ", path));
    }
  }
  return absl::OkStatus();
}

absl::string_view ParentOf(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? absl::string_view() : path.substr(0, slash);
}

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinPath(absl::string_view directory, absl::string_view name) {
  if (directory.empty()) return std::string(name);
  if (name.empty()) return std::string(directory);
  return absl::StrCat(directory, "/", name);
}

}  // namespace sluice::io
