#pragma once
// A directory read whole (inspect's before/after comparison), and which rewritten
// files say what they said before (rule B1's re-sync).
#include <filesystem>
#include <map>
#include <string>

namespace sluice::inspect {

// Relative path -> bytes; a directory is "path/" -> "". Read whole into memory: meant
// for diagnosis, not for very large directories. A missing root is an empty tree.
using FileTree = std::map<std::string, std::string>;
FileTree ReadTree(const std::filesystem::path& root);

// Whether boot's new version of `path` says what the old one said (rule B1's
// re-sync): the same state record but for its sequence and a commit watermark that
// caught up, or the same owner's consumer offsets checkpointed at the same or a later
// applied op.
bool SameContent(const std::string& path, const std::string& before, const std::string& after);

}  // namespace sluice::inspect
