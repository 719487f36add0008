#pragma once
// Awaitable forms of the Storage operations, and a few composite helpers, for code
// written as Task<T> coroutines. Each helper names the path in its errors.

#include <string>

#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::io {

// Each returns an awaiter; `co_await` it inside a Task. Arguments are captured by
// value (spans and the Storage by reference: they must outlive the await).
inline auto OpenFile(Storage& storage, std::string path, OpenMode mode) {
  return AwaitCompletion<absl::StatusOr<FileHandle>>([&storage, path = std::move(path), mode](auto done) mutable {
    storage.Open(std::move(path), mode, std::move(done));
  });
}
inline auto CloseFile(Storage& storage, FileHandle file) {
  return AwaitCompletion<absl::Status>([&storage, file](auto done) { storage.Close(file, std::move(done)); });
}
inline auto ReadAt(Storage& storage, FileHandle file, uint64_t offset, MutableByteSpan buffer) {
  return AwaitCompletion<absl::StatusOr<size_t>>([&storage, file, offset, buffer](auto done) {
    storage.Read(file, offset, buffer, std::move(done));
  });
}
inline auto WriteAt(Storage& storage, FileHandle file, uint64_t offset, ByteSpan data) {
  return AwaitCompletion<absl::Status>([&storage, file, offset, data](auto done) {
    storage.Write(file, offset, data, std::move(done));
  });
}
inline auto SyncFile(Storage& storage, FileHandle file) {
  return AwaitCompletion<absl::Status>([&storage, file](auto done) { storage.Sync(file, std::move(done)); });
}
inline auto TruncateFile(Storage& storage, FileHandle file, uint64_t size) {
  return AwaitCompletion<absl::Status>(
      [&storage, file, size](auto done) { storage.Truncate(file, size, std::move(done)); });
}
inline auto FileSize(Storage& storage, FileHandle file) {
  return AwaitCompletion<absl::StatusOr<uint64_t>>([&storage, file](auto done) { storage.Size(file, std::move(done)); });
}
inline auto MakeDirectory(Storage& storage, std::string path) {
  return AwaitCompletion<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.CreateDirectory(std::move(path), std::move(done));
  });
}
inline auto RemoveDirectory(Storage& storage, std::string path) {
  return AwaitCompletion<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.RemoveDirectory(std::move(path), std::move(done));
  });
}
inline auto SyncDirectory(Storage& storage, std::string path) {
  return AwaitCompletion<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.SyncDirectory(std::move(path), std::move(done));
  });
}
inline auto RenameFile(Storage& storage, std::string from, std::string to) {
  return AwaitCompletion<absl::Status>([&storage, from = std::move(from), to = std::move(to)](auto done) mutable {
    storage.Rename(std::move(from), std::move(to), std::move(done));
  });
}
inline auto UnlinkFile(Storage& storage, std::string path) {
  return AwaitCompletion<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.Unlink(std::move(path), std::move(done));
  });
}
inline auto ListDirectory(Storage& storage, std::string path) {
  return AwaitCompletion<absl::StatusOr<std::vector<DirectoryEntry>>>(
      [&storage, path = std::move(path)](auto done) mutable { storage.List(std::move(path), std::move(done)); });
}

// Reads a whole file that must exist.
Task<absl::StatusOr<Bytes>> ReadWholeFile(Storage& storage, std::string path);

// Reads exactly buffer.size() bytes at offset; DataLoss-free short read is an
// OutOfRange error naming the file and offset.
Task<absl::Status> ReadExactly(Storage& storage, FileHandle file, uint64_t offset,
                               MutableByteSpan buffer);

// Durably replaces `path` with `contents`: write `path.tmp` -> sync -> rename ->
// sync the directory. After OK, a crash leaves the new contents; before, the old
// or the new, never a mix (the basis of rule B6).
Task<absl::Status> WriteFileAtomically(Storage& storage, std::string path, ByteSpan contents);

}  // namespace sluice::io
