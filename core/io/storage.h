#pragma once
// Storage: the one interface through which Sluice touches files and directories.
//
// Completion-based, like io_uring: every operation is submitted now and its result
// is delivered later, by the Loop, to the callback passed in. A callback is never
// run inside the call that submits it. Operations submitted together may complete
// in any order (the simulator reorders them); a caller that needs an order waits
// for one completion before submitting the next.
//
// Implementations: sim/SimStorage (deterministic, fault-injecting) and
// io_backends/uring/UringStorage (production). Both pass tests/storage_contract_test.
//
// Paths are relative to the storage's root, '/'-separated, without "." or ".."
// components and without a leading '/'; "" names the root directory itself.
//
// Durability contract (what the simulator's crash model enforces):
//  - Write() changes what later reads see; the bytes are durable only once a Sync()
//    of that file submitted after the write completed has completed with OK.
//  - A created, renamed or unlinked name is durable only once SyncDirectory() of its
//    parent directory has completed with OK after the change.
//  - A Sync() that fails (EIO, ENOSPC) may have dropped the unsynced bytes it covered
//    even though reads still return them; a later Sync() may succeed without having
//    written them (Linux's semantics). Callers treat a failed Sync() as fail-stop.
//
// Lifetime: a Storage must outlive every operation submitted to it; destroying it
// with operations in flight drops their callbacks without running them.
// The root directory itself cannot be removed or renamed (InvalidArgument).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"

namespace sluice::io {

// An open file. Valid from Open()'s completion until Close() is submitted, or
// until the process (simulated or real) restarts. Value 0 is never a valid handle.
struct FileHandle {
  uint64_t value = 0;
  friend bool operator==(FileHandle, FileHandle) = default;
  friend auto operator<=>(FileHandle, FileHandle) = default;
};

enum class OpenMode : uint8_t {
  kExisting,         // The file must exist: ENOENT otherwise. Never creates (rule B5).
  kCreate,           // Opens the file, creating it empty if it does not exist.
  kCreateExclusive,  // Creates the file: EEXIST if it already exists.
};

enum class EntryType : uint8_t { kFile, kDirectory };

struct DirectoryEntry {
  std::string name;  // A single component, not a path.
  EntryType type = EntryType::kFile;
  friend bool operator==(const DirectoryEntry&, const DirectoryEntry&) = default;
};

template <typename Result>
using Callback = absl::AnyInvocable<void(Result)>;

class Storage {
 public:
  virtual ~Storage() = default;

  // Opens (and per `mode` creates) a regular file. The parent directory must exist.
  // Errors: ENOENT, ENOTDIR, EEXIST, EISDIR, EIO.
  virtual void Open(std::string path, OpenMode mode, Callback<absl::StatusOr<FileHandle>> done) = 0;

  // Releases a handle. Pending operations on it must have completed.
  virtual void Close(FileHandle file, Callback<absl::Status> done) = 0;

  // Reads up to buffer.size() bytes at `offset`; yields the count read, short only at
  // end of file. `buffer` must stay valid until `done` runs. Errors: EIO (a latent
  // sector error, until that sector is rewritten), EBADF.
  virtual void Read(FileHandle file, uint64_t offset, MutableByteSpan buffer,
                    Callback<absl::StatusOr<size_t>> done) = 0;

  // Writes all of `data` at `offset`, extending the file if needed (a gap reads as
  // zeros). `data` must stay valid until `done` runs. Errors: ENOSPC, EIO, EBADF.
  virtual void Write(FileHandle file, uint64_t offset, ByteSpan data,
                     Callback<absl::Status> done) = 0;

  // Makes the file's data and size durable (fdatasync). Errors: EIO, ENOSPC — after
  // which the covered data must be presumed lost (see the durability contract).
  virtual void Sync(FileHandle file, Callback<absl::Status> done) = 0;

  // Sets the file's size; durable after the next successful Sync().
  virtual void Truncate(FileHandle file, uint64_t size, Callback<absl::Status> done) = 0;

  // The file's current size (what reads see, durable or not).
  virtual void Size(FileHandle file, Callback<absl::StatusOr<uint64_t>> done) = 0;

  // Creates a directory; its parent must exist. Errors: EEXIST, ENOENT.
  virtual void CreateDirectory(std::string path, Callback<absl::Status> done) = 0;

  // Removes an empty directory. Errors: ENOENT, ENOTEMPTY.
  virtual void RemoveDirectory(std::string path, Callback<absl::Status> done) = 0;

  // Makes the directory's entries (creates, renames, unlinks in it) durable.
  virtual void SyncDirectory(std::string path, Callback<absl::Status> done) = 0;

  // Atomically renames a file, replacing `to` if it exists. Both paths must be in the
  // same directory (the only kind of rename Sluice needs: tmp -> final); otherwise
  // EXDEV. Errors: ENOENT.
  virtual void Rename(std::string from, std::string to, Callback<absl::Status> done) = 0;

  // Removes a file's name. Open handles stay usable. Errors: ENOENT, EISDIR.
  virtual void Unlink(std::string path, Callback<absl::Status> done) = 0;

  // The entries of a directory, sorted by name (never the OS's order).
  virtual void List(std::string path,
                    Callback<absl::StatusOr<std::vector<DirectoryEntry>>> done) = 0;
};

// Checks a path against the rules above; InvalidArgument naming the path otherwise.
absl::Status ValidatePath(absl::string_view path);

// "a/b/c" -> "a/b"; "c" -> "".
absl::string_view ParentOf(absl::string_view path);

// "a/b/c" -> "c".
absl::string_view BaseName(absl::string_view path);

// Joins two relative paths ("" acts as the root).
std::string JoinPath(absl::string_view directory, absl::string_view name);

}  // namespace sluice::io
