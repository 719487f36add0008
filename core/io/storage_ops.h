#pragma once
// Awaitable forms of the Storage operations, and a few composite helpers, for code
// written as Task<T> coroutines. Each helper names the path in its errors.

#include <string>

#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::io {

CompletionAwaiter<absl::StatusOr<FileHandle>> OpenFile(Storage& storage, std::string path,
                                                       OpenMode mode);
CompletionAwaiter<absl::Status> CloseFile(Storage& storage, FileHandle file);
CompletionAwaiter<absl::StatusOr<size_t>> ReadAt(Storage& storage, FileHandle file,
                                                 uint64_t offset, MutableByteSpan buffer);
CompletionAwaiter<absl::Status> WriteAt(Storage& storage, FileHandle file, uint64_t offset,
                                        ByteSpan data);
CompletionAwaiter<absl::Status> SyncFile(Storage& storage, FileHandle file);
CompletionAwaiter<absl::Status> TruncateFile(Storage& storage, FileHandle file, uint64_t size);
CompletionAwaiter<absl::StatusOr<uint64_t>> FileSize(Storage& storage, FileHandle file);
CompletionAwaiter<absl::Status> MakeDirectory(Storage& storage, std::string path);
CompletionAwaiter<absl::Status> RemoveDirectory(Storage& storage, std::string path);
CompletionAwaiter<absl::Status> SyncDirectory(Storage& storage, std::string path);
CompletionAwaiter<absl::Status> RenameFile(Storage& storage, std::string from, std::string to);
CompletionAwaiter<absl::Status> UnlinkFile(Storage& storage, std::string path);
CompletionAwaiter<absl::StatusOr<std::vector<DirectoryEntry>>> ListDirectory(Storage& storage,
                                                                             std::string path);

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
