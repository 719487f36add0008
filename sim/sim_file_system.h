#pragma once
// SimFileSystem: the simulator's model of a disk, its page cache and its
// directories, with the crash semantics DESIGN.md's fault model requires.
//
// It is synchronous and knows nothing about latency or odds; SimStorage wraps it
// in the asynchronous io::Storage interface and decides which faults happen.
//
// What it remembers per file (after RocksDB's FaultInjectionTestFS and FoundationDB's
// AsyncFileNonDurable):
//  - `data`: what reads see (the page cache view);
//  - `durable`: what the media holds;
//  - dirty sectors: written since the last successful sync — at a machine crash each
//    one independently lands or is lost (a torn write, at sector granularity);
//  - doomed sectors: covered by a failed sync — still readable now and after a
//    process restart, lost at the next machine crash, and never written by a later
//    sync unless rewritten (Linux's fsync-error semantics);
//  - latent sector errors: reads touching them fail with EIO until rewritten.
// Per directory: current entries, durable entries, and the changes made since the
// last directory sync, in order; at a crash a random prefix of them survives.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/prng.h"
#include "core/io/storage.h"

namespace sluice::sim {

enum class SyncOutcome : uint8_t { kOk, kIoError, kNoSpace };

// One file or directory of a whole-tree listing (used by disk images and checkers).
struct TreeEntry {
  std::string path;
  bool is_directory = false;
  Bytes contents;
  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

class SimFileSystem {
 public:
  explicit SimFileSystem(uint64_t sector_size_bytes = 4096);

  uint64_t sector_size_bytes() const { return sector_size_; }

  // --- the operations behind io::Storage (same contracts and errors) ---
  absl::StatusOr<io::FileHandle> Open(const std::string& path, io::OpenMode mode);
  absl::Status Close(io::FileHandle file);
  absl::StatusOr<size_t> Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer);
  // Writes at `offset`, or — a misdirected write — at `landing_offset` while reporting
  // success for `offset`.
  absl::Status Write(io::FileHandle file, uint64_t offset, ByteSpan data,
                     std::optional<uint64_t> landing_offset = std::nullopt);
  absl::Status Sync(io::FileHandle file, SyncOutcome outcome);
  absl::Status Truncate(io::FileHandle file, uint64_t size);
  absl::StatusOr<uint64_t> Size(io::FileHandle file) const;
  absl::Status CreateDirectory(const std::string& path);
  absl::Status RemoveDirectory(const std::string& path);
  absl::Status SyncDirectory(const std::string& path);
  absl::Status Rename(const std::string& from, const std::string& to);
  absl::Status Unlink(const std::string& path);
  absl::StatusOr<std::vector<io::DirectoryEntry>> List(const std::string& path) const;

  // --- process and machine lifecycle ---
  // The process died: every handle is closed; the page cache (unsynced and doomed
  // data, unsynced directory changes) survives and still reads back.
  void RestartProcess();
  // The machine lost power: handles closed, and the page cache is resolved against
  // the media — each dirty sector lands with `sector_lands`, doomed ones never, and
  // each directory keeps a prefix of its unsynced changes (each next change kept
  // with `directory_change_lands`). Unreachable files are freed.
  void CrashMachine(base::Prng& prng, base::Ratio sector_lands,
                    base::Ratio directory_change_lands);

  // --- faults injected by name ---
  absl::Status AddLatentSectorError(const std::string& path, uint64_t offset);
  // Flips one bit on the media and in the cache (the stored copy is bad).
  absl::Status FlipBit(const std::string& path, uint64_t offset, uint8_t bit);
  // An operator or another program removed / truncated the file (durably).
  absl::Status RemoveBehindBack(const std::string& path);
  absl::Status TruncateBehindBack(const std::string& path, uint64_t size);
  // Writes fail with ENOSPC once file data would exceed this many bytes.
  void set_capacity_bytes(uint64_t capacity) { capacity_bytes_ = capacity; }
  uint64_t bytes_used() const { return bytes_used_; }

  // The same two faults, on the file behind an open handle (which may have been
  // renamed or unlinked since it was opened).
  absl::Status AddLatentSectorError(io::FileHandle file, uint64_t offset);
  absl::Status FlipBit(io::FileHandle file, uint64_t offset, uint8_t bit);

  // --- whole tree ---
  // Every file and directory under the root, in the current (cache) view, sorted by path.
  std::vector<TreeEntry> Tree() const;
  // Every file and directory as it would survive a crash that lands nothing unsynced.
  std::vector<TreeEntry> DurableTree() const;
  // Fills an empty file system from `entries` (parents before children); all durable.
  absl::Status LoadTree(const std::vector<TreeEntry>& entries);

  // The path a handle was opened with (for error messages); "" if unknown.
  std::string PathOf(io::FileHandle file) const;
  // The file's size on the media (what survives a crash for sure).
  absl::StatusOr<uint64_t> DurableSize(const std::string& path) const;

 private:
  using InodeId = uint64_t;
  static constexpr InodeId kRootInode = 1;

  enum class SizeState : uint8_t { kClean, kDirty, kDoomed };

  // One directory change: entries set (to an inode) or removed, applied atomically.
  struct DirectoryChange {
    std::vector<std::pair<std::string, std::optional<InodeId>>> edits;
  };

  struct Inode {
    bool is_directory = false;
    // Files.
    Bytes data;
    Bytes durable;
    SizeState size_state = SizeState::kClean;
    std::set<uint64_t> dirty_sectors;
    std::set<uint64_t> doomed_sectors;
    std::set<uint64_t> latent_error_sectors;
    // Directories.
    std::map<std::string, InodeId> entries;
    std::map<std::string, InodeId> durable_entries;
    std::vector<DirectoryChange> pending_changes;
  };

  struct OpenFile {
    InodeId inode;
    std::string path;
  };

  absl::StatusOr<InodeId> Resolve(const std::string& path) const;
  absl::Status FlipBitOf(Inode& inode, const std::string& path, uint64_t offset, uint8_t bit);
  absl::StatusOr<Inode*> ResolveDirectory(const std::string& path);
  absl::StatusOr<const OpenFile*> Lookup(io::FileHandle file) const;
  InodeId NewInode(bool is_directory);
  void ApplyChange(Inode& directory, DirectoryChange change);
  void ResizeData(Inode& inode, uint64_t size);
  void MarkDirty(Inode& inode, uint64_t offset, uint64_t length);
  void ResolveFileAtCrash(Inode& inode, base::Prng& prng, base::Ratio sector_lands);
  void ResolveDirectoryAtCrash(Inode& directory, base::Prng& prng, base::Ratio change_lands);
  void CollectGarbage();
  void AppendTree(InodeId directory, const std::string& prefix, bool durable_view,
                  std::vector<TreeEntry>& out) const;

  uint64_t sector_size_;
  uint64_t capacity_bytes_ = UINT64_MAX;
  uint64_t bytes_used_ = 0;
  InodeId next_inode_ = kRootInode;
  uint64_t next_handle_ = 1;
  std::map<InodeId, Inode> inodes_;
  std::map<uint64_t, OpenFile> open_files_;
};

}  // namespace sluice::sim
