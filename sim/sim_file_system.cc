#include "sim/sim_file_system.h"

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"

namespace sluice::sim {

using io::ErrnoStatus;

SimFileSystem::SimFileSystem(uint64_t sector_size_bytes) : sector_size_(sector_size_bytes) {
  SLUICE_ASSERT(sector_size_ >= 1 && sector_size_ <= (1u << 20), "sector size ", sector_size_);
  const InodeId root = NewInode(/*is_directory=*/true);
  SLUICE_ASSERT(root == kRootInode);
}

SimFileSystem::InodeId SimFileSystem::NewInode(bool is_directory) {
  const InodeId id = next_inode_++;
  inodes_[id].is_directory = is_directory;
  return id;
}

absl::StatusOr<SimFileSystem::InodeId> SimFileSystem::Resolve(const std::string& path) const {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) return valid;
  InodeId current = kRootInode;
  if (path.empty()) return current;
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    const Inode& directory = inodes_.at(current);
    if (!directory.is_directory) return ErrnoStatus(ENOTDIR, absl::StrCat("resolve ", path));
    const auto found = directory.entries.find(std::string(component));
    if (found == directory.entries.end()) return ErrnoStatus(ENOENT, path);
    current = found->second;
  }
  return current;
}

absl::StatusOr<SimFileSystem::Inode*> SimFileSystem::ResolveDirectory(const std::string& path) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  Inode& inode = inodes_.at(*id);
  if (!inode.is_directory) return ErrnoStatus(ENOTDIR, path);
  return &inode;
}

absl::StatusOr<const SimFileSystem::OpenFile*> SimFileSystem::Lookup(io::FileHandle file) const {
  const auto found = open_files_.find(file.value);
  if (found == open_files_.end()) {
    return ErrnoStatus(EBADF, absl::StrCat("file handle ", file.value, " is not open"));
  }
  return &found->second;
}

void SimFileSystem::ApplyChange(Inode& directory, DirectoryChange change) {
  for (const auto& [name, target] : change.edits) {
    if (target.has_value()) {
      directory.entries[name] = *target;
    } else {
      directory.entries.erase(name);
    }
  }
  directory.pending_changes.push_back(std::move(change));
}

void SimFileSystem::ResizeData(Inode& inode, uint64_t size) {
  bytes_used_ = bytes_used_ - inode.data.size() + size;
  inode.data.resize(size, 0);
}

void SimFileSystem::MarkDirty(Inode& inode, uint64_t offset, uint64_t length) {
  if (length == 0) return;
  const uint64_t first = offset / sector_size_;
  const uint64_t last = (offset + length - 1) / sector_size_;
  for (uint64_t sector = first; sector <= last; ++sector) {
    inode.dirty_sectors.insert(sector);
    inode.doomed_sectors.erase(sector);
    inode.latent_error_sectors.erase(sector);  // a rewrite remaps a bad sector
  }
}

absl::StatusOr<io::FileHandle> SimFileSystem::Open(const std::string& path, io::OpenMode mode) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) return valid;
  if (path.empty()) return ErrnoStatus(EISDIR, "open of the root directory");
  absl::StatusOr<Inode*> parent = ResolveDirectory(std::string(io::ParentOf(path)));
  if (!parent.ok()) return ErrnoStatus(ENOENT, absl::StrCat("open ", path, ": no parent directory"));
  const std::string name(io::BaseName(path));
  InodeId id;
  const auto found = (*parent)->entries.find(name);
  if (found != (*parent)->entries.end()) {
    if (inodes_.at(found->second).is_directory) return ErrnoStatus(EISDIR, absl::StrCat("open ", path));
    if (mode == io::OpenMode::kCreateExclusive) return ErrnoStatus(EEXIST, absl::StrCat("create ", path));
    id = found->second;
  } else {
    if (mode == io::OpenMode::kExisting) return ErrnoStatus(ENOENT, absl::StrCat("open ", path));
    id = NewInode(/*is_directory=*/false);
    ApplyChange(**parent, {{{name, id}}});
  }
  const io::FileHandle handle{next_handle_++};
  open_files_.emplace(handle.value, OpenFile{id, path});
  return handle;
}

absl::Status SimFileSystem::Close(io::FileHandle file) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  open_files_.erase(file.value);
  return absl::OkStatus();
}

absl::StatusOr<size_t> SimFileSystem::Read(io::FileHandle file, uint64_t offset,
                                           MutableByteSpan buffer) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  const Inode& inode = inodes_.at((*open)->inode);
  if (offset >= inode.data.size() || buffer.empty()) return size_t{0};
  const size_t count = std::min<uint64_t>(buffer.size(), inode.data.size() - offset);
  const uint64_t first = offset / sector_size_;
  const uint64_t last = (offset + count - 1) / sector_size_;
  const auto bad = inode.latent_error_sectors.lower_bound(first);
  if (bad != inode.latent_error_sectors.end() && *bad <= last) {
    return ErrnoStatus(EIO, absl::StrCat("read ", buffer.size(), " bytes at ", offset, " of ",
                                         (*open)->path, " (bad sector at ", *bad * sector_size_,
                                         ")"));
  }
  std::copy_n(inode.data.begin() + offset, count, buffer.begin());
  return count;
}

absl::Status SimFileSystem::Write(io::FileHandle file, uint64_t offset, ByteSpan data,
                                  std::optional<uint64_t> landing_offset) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  Inode& inode = inodes_.at((*open)->inode);
  const uint64_t target = landing_offset.value_or(offset);
  const uint64_t end = target + data.size();
  const uint64_t old_size = inode.data.size();
  if (end > old_size && bytes_used_ + (end - old_size) > capacity_bytes_) {
    return ErrnoStatus(ENOSPC, absl::StrCat("write ", data.size(), " bytes at ", offset, " of ",
                                            (*open)->path));
  }
  if (end > old_size) {
    ResizeData(inode, end);
    MarkDirty(inode, old_size, end - old_size);
  }
  if (end > inode.durable.size()) inode.size_state = SizeState::kDirty;
  std::copy(data.begin(), data.end(), inode.data.begin() + target);
  MarkDirty(inode, target, data.size());
  return absl::OkStatus();
}

absl::Status SimFileSystem::Sync(io::FileHandle file, SyncOutcome outcome) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  Inode& inode = inodes_.at((*open)->inode);
  if (outcome != SyncOutcome::kOk) {
    // Linux: the error is reported once; the pages are marked clean though never
    // written, so they read back until the machine loses them.
    inode.doomed_sectors.insert(inode.dirty_sectors.begin(), inode.dirty_sectors.end());
    inode.dirty_sectors.clear();
    if (inode.size_state == SizeState::kDirty) inode.size_state = SizeState::kDoomed;
    return ErrnoStatus(outcome == SyncOutcome::kIoError ? EIO : ENOSPC,
                       absl::StrCat("sync of ", (*open)->path));
  }
  if (inode.size_state == SizeState::kDirty) {
    inode.durable.resize(inode.data.size(), 0);
    inode.size_state = SizeState::kClean;
  }
  for (const uint64_t sector : inode.dirty_sectors) {
    const uint64_t begin = sector * sector_size_;
    const uint64_t end = std::min<uint64_t>({begin + sector_size_, inode.data.size(), inode.durable.size()});
    if (begin >= end) continue;
    std::copy(inode.data.begin() + begin, inode.data.begin() + end, inode.durable.begin() + begin);
  }
  inode.dirty_sectors.clear();
  return absl::OkStatus();
}

absl::Status SimFileSystem::Truncate(io::FileHandle file, uint64_t size) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  Inode& inode = inodes_.at((*open)->inode);
  const uint64_t old_size = inode.data.size();
  if (size > old_size && bytes_used_ + (size - old_size) > capacity_bytes_) {
    return ErrnoStatus(ENOSPC, absl::StrCat("truncate ", (*open)->path, " to ", size));
  }
  ResizeData(inode, size);
  if (size > old_size) MarkDirty(inode, old_size, size - old_size);
  if (size < old_size && size % sector_size_ != 0) MarkDirty(inode, size, 1);  // partial last sector
  const uint64_t first_gone = (size + sector_size_ - 1) / sector_size_;
  for (auto* sectors : {&inode.dirty_sectors, &inode.doomed_sectors, &inode.latent_error_sectors}) {
    sectors->erase(sectors->lower_bound(first_gone), sectors->end());
  }
  inode.size_state = SizeState::kDirty;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SimFileSystem::Size(io::FileHandle file) const {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  return uint64_t{inodes_.at((*open)->inode).data.size()};
}

absl::Status SimFileSystem::CreateDirectory(const std::string& path) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) return valid;
  if (path.empty()) return ErrnoStatus(EEXIST, "mkdir of the root directory");
  absl::StatusOr<Inode*> parent = ResolveDirectory(std::string(io::ParentOf(path)));
  if (!parent.ok()) return ErrnoStatus(ENOENT, absl::StrCat("mkdir ", path, ": no parent directory"));
  const std::string name(io::BaseName(path));
  if ((*parent)->entries.contains(name)) return ErrnoStatus(EEXIST, absl::StrCat("mkdir ", path));
  const InodeId id = NewInode(/*is_directory=*/true);
  // NewInode may rehash nothing (std::map keeps references stable), so *parent is valid.
  ApplyChange(**parent, {{{name, id}}});
  return absl::OkStatus();
}

absl::Status SimFileSystem::RemoveDirectory(const std::string& path) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  if (path.empty()) return ErrnoStatus(EINVAL, "rmdir of the root directory");
  const Inode& directory = inodes_.at(*id);
  if (!directory.is_directory) return ErrnoStatus(ENOTDIR, absl::StrCat("rmdir ", path));
  if (!directory.entries.empty()) return ErrnoStatus(ENOTEMPTY, absl::StrCat("rmdir ", path));
  Inode& parent = inodes_.at(*Resolve(std::string(io::ParentOf(path))));
  ApplyChange(parent, {{{std::string(io::BaseName(path)), std::nullopt}}});
  return absl::OkStatus();
}

absl::Status SimFileSystem::SyncDirectory(const std::string& path) {
  absl::StatusOr<Inode*> directory = ResolveDirectory(path);
  if (!directory.ok()) return directory.status();
  (*directory)->durable_entries = (*directory)->entries;
  (*directory)->pending_changes.clear();
  return absl::OkStatus();
}

absl::Status SimFileSystem::Rename(const std::string& from, const std::string& to) {
  if (absl::Status valid = io::ValidatePath(to); !valid.ok()) return valid;
  if (io::ParentOf(from) != io::ParentOf(to)) {
    return ErrnoStatus(EXDEV, absl::StrCat("rename ", from, " to ", to, ": not in one directory"));
  }
  absl::StatusOr<InodeId> source = Resolve(from);
  if (!source.ok()) return source.status();
  if (from.empty()) return ErrnoStatus(EINVAL, "rename of the root directory");
  if (from == to) return absl::OkStatus();
  Inode& parent = inodes_.at(*Resolve(std::string(io::ParentOf(from))));
  const auto existing = parent.entries.find(std::string(io::BaseName(to)));
  if (existing != parent.entries.end()) {
    const Inode& target = inodes_.at(existing->second);
    if (target.is_directory != inodes_.at(*source).is_directory) {
      return ErrnoStatus(target.is_directory ? EISDIR : ENOTDIR, absl::StrCat("rename ", from, " to ", to));
    }
    if (target.is_directory && !target.entries.empty()) {
      return ErrnoStatus(ENOTEMPTY, absl::StrCat("rename ", from, " to ", to));
    }
  }
  ApplyChange(parent, {{{std::string(io::BaseName(from)), std::nullopt},
                        {std::string(io::BaseName(to)), *source}}});
  return absl::OkStatus();
}

absl::Status SimFileSystem::Unlink(const std::string& path) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  if (inodes_.at(*id).is_directory) return ErrnoStatus(EISDIR, absl::StrCat("unlink ", path));
  Inode& parent = inodes_.at(*Resolve(std::string(io::ParentOf(path))));
  ApplyChange(parent, {{{std::string(io::BaseName(path)), std::nullopt}}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<io::DirectoryEntry>> SimFileSystem::List(const std::string& path) const {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  const Inode& directory = inodes_.at(*id);
  if (!directory.is_directory) return ErrnoStatus(ENOTDIR, absl::StrCat("list ", path));
  std::vector<io::DirectoryEntry> entries;
  entries.reserve(directory.entries.size());
  for (const auto& [name, child] : directory.entries) {  // std::map: sorted by name
    entries.push_back({name, inodes_.at(child).is_directory ? io::EntryType::kDirectory
                                                            : io::EntryType::kFile});
  }
  return entries;
}

void SimFileSystem::RestartProcess() {
  open_files_.clear();
  CollectGarbage();
}

void SimFileSystem::ResolveFileAtCrash(Inode& inode, base::Prng& prng, base::Ratio sector_lands) {
  uint64_t size = inode.durable.size();
  if (inode.size_state == SizeState::kDirty && prng.Chance(sector_lands)) size = inode.data.size();
  Bytes survived(size, 0);
  const uint64_t sectors = (size + sector_size_ - 1) / sector_size_;
  for (uint64_t sector = 0; sector < sectors; ++sector) {
    const uint64_t begin = sector * sector_size_;
    const bool dirty = inode.dirty_sectors.contains(sector);
    const bool landed = dirty && prng.Chance(sector_lands);
    const Bytes& source = landed ? inode.data : inode.durable;
    const uint64_t end = std::min<uint64_t>({begin + sector_size_, size, source.size()});
    if (begin < end) std::copy(source.begin() + begin, source.begin() + end, survived.begin() + begin);
  }
  inode.durable = survived;
  inode.data = std::move(survived);
  inode.dirty_sectors.clear();
  inode.doomed_sectors.clear();
  inode.size_state = SizeState::kClean;
  inode.latent_error_sectors.erase(inode.latent_error_sectors.lower_bound(sectors),
                                   inode.latent_error_sectors.end());
}

void SimFileSystem::ResolveDirectoryAtCrash(Inode& directory, base::Prng& prng,
                                            base::Ratio change_lands) {
  directory.entries = directory.durable_entries;
  // The file system journals a directory's changes in order: a prefix survives.
  for (const DirectoryChange& change : directory.pending_changes) {
    if (!prng.Chance(change_lands)) break;
    for (const auto& [name, target] : change.edits) {
      if (target.has_value()) {
        directory.entries[name] = *target;
      } else {
        directory.entries.erase(name);
      }
    }
  }
  directory.durable_entries = directory.entries;
  directory.pending_changes.clear();
}

void SimFileSystem::CrashMachine(base::Prng& prng, base::Ratio sector_lands,
                                 base::Ratio directory_change_lands) {
  open_files_.clear();
  for (auto& [id, inode] : inodes_) {  // std::map: inode order, so draws replay exactly
    if (inode.is_directory) {
      ResolveDirectoryAtCrash(inode, prng, directory_change_lands);
    } else {
      ResolveFileAtCrash(inode, prng, sector_lands);
    }
  }
  CollectGarbage();
}

void SimFileSystem::CollectGarbage() {
  std::set<InodeId> reachable;
  std::vector<InodeId> pending = {kRootInode};
  for (const auto& [handle, open] : open_files_) pending.push_back(open.inode);
  while (!pending.empty()) {
    const InodeId id = pending.back();
    pending.pop_back();
    if (!reachable.insert(id).second) continue;
    const Inode& inode = inodes_.at(id);
    for (const auto& [name, child] : inode.entries) pending.push_back(child);
    for (const auto& [name, child] : inode.durable_entries) pending.push_back(child);
    for (const DirectoryChange& change : inode.pending_changes) {
      for (const auto& [name, target] : change.edits) {
        if (target.has_value()) pending.push_back(*target);
      }
    }
  }
  bytes_used_ = 0;
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    if (!reachable.contains(it->first)) {
      it = inodes_.erase(it);
    } else {
      bytes_used_ += it->second.data.size();
      ++it;
    }
  }
}

absl::Status SimFileSystem::AddLatentSectorError(const std::string& path, uint64_t offset) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  inodes_.at(*id).latent_error_sectors.insert(offset / sector_size_);
  return absl::OkStatus();
}

absl::Status SimFileSystem::FlipBit(const std::string& path, uint64_t offset, uint8_t bit) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  return FlipBitOf(inodes_.at(*id), path, offset, bit);
}

absl::Status SimFileSystem::AddLatentSectorError(io::FileHandle file, uint64_t offset) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  inodes_.at((*open)->inode).latent_error_sectors.insert(offset / sector_size_);
  return absl::OkStatus();
}

absl::Status SimFileSystem::FlipBit(io::FileHandle file, uint64_t offset, uint8_t bit) {
  absl::StatusOr<const OpenFile*> open = Lookup(file);
  if (!open.ok()) return open.status();
  return FlipBitOf(inodes_.at((*open)->inode), (*open)->path, offset, bit);
}

absl::Status SimFileSystem::FlipBitOf(Inode& inode, const std::string& path, uint64_t offset,
                                      uint8_t bit) {
  if (inode.is_directory || offset >= inode.data.size() || bit >= 8) {
    return absl::OutOfRangeError(absl::StrCat("bit flip at ", offset, " bit ", int{bit},
                                              " outside ", path, " of ", inode.data.size(), " bytes"));
  }
  inode.data[offset] ^= static_cast<uint8_t>(1u << bit);
  if (offset < inode.durable.size()) inode.durable[offset] ^= static_cast<uint8_t>(1u << bit);
  return absl::OkStatus();
}

absl::Status SimFileSystem::RemoveBehindBack(const std::string& path) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  if (path.empty()) return ErrnoStatus(EINVAL, "removing the root directory");
  Inode& parent = inodes_.at(*Resolve(std::string(io::ParentOf(path))));
  const std::string name(io::BaseName(path));
  parent.entries.erase(name);
  parent.durable_entries.erase(name);
  for (DirectoryChange& change : parent.pending_changes) {
    std::erase_if(change.edits, [&name](const auto& edit) { return edit.first == name; });
  }
  return absl::OkStatus();
}

absl::Status SimFileSystem::TruncateBehindBack(const std::string& path, uint64_t size) {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  Inode& inode = inodes_.at(*id);
  if (inode.is_directory) return ErrnoStatus(EISDIR, absl::StrCat("truncate ", path));
  ResizeData(inode, std::min<uint64_t>(size, inode.data.size()));
  inode.durable.resize(std::min<uint64_t>(size, inode.durable.size()));
  const uint64_t first_gone = (size + sector_size_ - 1) / sector_size_;
  for (auto* sectors : {&inode.dirty_sectors, &inode.doomed_sectors, &inode.latent_error_sectors}) {
    sectors->erase(sectors->lower_bound(first_gone), sectors->end());
  }
  return absl::OkStatus();
}

void SimFileSystem::AppendTree(InodeId directory, const std::string& prefix, bool durable_view,
                               std::vector<TreeEntry>& out) const {
  const Inode& inode = inodes_.at(directory);
  const auto& entries = durable_view ? inode.durable_entries : inode.entries;
  for (const auto& [name, child] : entries) {
    const std::string path = io::JoinPath(prefix, name);
    const Inode& child_inode = inodes_.at(child);
    if (child_inode.is_directory) {
      out.push_back({path, true, {}});
      AppendTree(child, path, durable_view, out);
    } else {
      out.push_back({path, false, durable_view ? child_inode.durable : child_inode.data});
    }
  }
}

std::vector<TreeEntry> SimFileSystem::Tree() const {
  std::vector<TreeEntry> out;
  AppendTree(kRootInode, "", /*durable_view=*/false, out);
  return out;
}

std::vector<TreeEntry> SimFileSystem::DurableTree() const {
  std::vector<TreeEntry> out;
  AppendTree(kRootInode, "", /*durable_view=*/true, out);
  return out;
}

absl::Status SimFileSystem::LoadTree(const std::vector<TreeEntry>& entries) {
  if (!inodes_.at(kRootInode).entries.empty()) {
    return absl::FailedPreconditionError("LoadTree needs an empty file system");
  }
  for (const TreeEntry& entry : entries) {
    if (entry.is_directory) {
      if (absl::Status status = CreateDirectory(entry.path); !status.ok()) return status;
      continue;
    }
    absl::StatusOr<io::FileHandle> file = Open(entry.path, io::OpenMode::kCreateExclusive);
    if (!file.ok()) return file.status();
    absl::Status status = Write(*file, 0, entry.contents);
    if (status.ok()) status = Close(*file);
    if (!status.ok()) return status;
  }
  for (auto& [id, inode] : inodes_) {
    inode.durable = inode.data;
    inode.dirty_sectors.clear();
    inode.size_state = SizeState::kClean;
    inode.durable_entries = inode.entries;
    inode.pending_changes.clear();
  }
  return absl::OkStatus();
}

std::string SimFileSystem::PathOf(io::FileHandle file) const {
  const auto found = open_files_.find(file.value);
  return found == open_files_.end() ? std::string() : found->second.path;
}

absl::StatusOr<uint64_t> SimFileSystem::DurableSize(const std::string& path) const {
  absl::StatusOr<InodeId> id = Resolve(path);
  if (!id.ok()) return id.status();
  return uint64_t{inodes_.at(*id).durable.size()};
}

}  // namespace sluice::sim
