#include "core/io/storage_ops.h"

#include "absl/strings/str_cat.h"

namespace sluice::io {

CompletionAwaiter<absl::StatusOr<FileHandle>> OpenFile(Storage& storage, std::string path,
                                                       OpenMode mode) {
  return CompletionAwaiter<absl::StatusOr<FileHandle>>(
      [&storage, path = std::move(path), mode](auto done) mutable {
        storage.Open(std::move(path), mode, std::move(done));
      });
}

CompletionAwaiter<absl::Status> CloseFile(Storage& storage, FileHandle file) {
  return CompletionAwaiter<absl::Status>(
      [&storage, file](auto done) { storage.Close(file, std::move(done)); });
}

CompletionAwaiter<absl::StatusOr<size_t>> ReadAt(Storage& storage, FileHandle file,
                                                 uint64_t offset, MutableByteSpan buffer) {
  return CompletionAwaiter<absl::StatusOr<size_t>>([&storage, file, offset, buffer](auto done) {
    storage.Read(file, offset, buffer, std::move(done));
  });
}

CompletionAwaiter<absl::Status> WriteAt(Storage& storage, FileHandle file, uint64_t offset,
                                        ByteSpan data) {
  return CompletionAwaiter<absl::Status>([&storage, file, offset, data](auto done) {
    storage.Write(file, offset, data, std::move(done));
  });
}

CompletionAwaiter<absl::Status> SyncFile(Storage& storage, FileHandle file) {
  return CompletionAwaiter<absl::Status>(
      [&storage, file](auto done) { storage.Sync(file, std::move(done)); });
}

CompletionAwaiter<absl::Status> TruncateFile(Storage& storage, FileHandle file, uint64_t size) {
  return CompletionAwaiter<absl::Status>(
      [&storage, file, size](auto done) { storage.Truncate(file, size, std::move(done)); });
}

CompletionAwaiter<absl::StatusOr<uint64_t>> FileSize(Storage& storage, FileHandle file) {
  return CompletionAwaiter<absl::StatusOr<uint64_t>>(
      [&storage, file](auto done) { storage.Size(file, std::move(done)); });
}

CompletionAwaiter<absl::Status> MakeDirectory(Storage& storage, std::string path) {
  return CompletionAwaiter<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.CreateDirectory(std::move(path), std::move(done));
  });
}

CompletionAwaiter<absl::Status> RemoveDirectory(Storage& storage, std::string path) {
  return CompletionAwaiter<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.RemoveDirectory(std::move(path), std::move(done));
  });
}

CompletionAwaiter<absl::Status> SyncDirectory(Storage& storage, std::string path) {
  return CompletionAwaiter<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.SyncDirectory(std::move(path), std::move(done));
  });
}

CompletionAwaiter<absl::Status> RenameFile(Storage& storage, std::string from, std::string to) {
  return CompletionAwaiter<absl::Status>(
      [&storage, from = std::move(from), to = std::move(to)](auto done) mutable {
        storage.Rename(std::move(from), std::move(to), std::move(done));
      });
}

CompletionAwaiter<absl::Status> UnlinkFile(Storage& storage, std::string path) {
  return CompletionAwaiter<absl::Status>([&storage, path = std::move(path)](auto done) mutable {
    storage.Unlink(std::move(path), std::move(done));
  });
}

CompletionAwaiter<absl::StatusOr<std::vector<DirectoryEntry>>> ListDirectory(Storage& storage,
                                                                             std::string path) {
  return CompletionAwaiter<absl::StatusOr<std::vector<DirectoryEntry>>>(
      [&storage, path = std::move(path)](auto done) mutable {
        storage.List(std::move(path), std::move(done));
      });
}

Task<absl::Status> ReadExactly(Storage& storage, FileHandle file, uint64_t offset,
                               MutableByteSpan buffer) {
  size_t done_bytes = 0;
  while (done_bytes < buffer.size()) {
    CO_ASSIGN_OR_RETURN(const size_t count,
                        co_await ReadAt(storage, file, offset + done_bytes,
                                        buffer.subspan(done_bytes)));
    if (count == 0) {
      co_return absl::OutOfRangeError(absl::StrCat("short read: wanted ", buffer.size(),
                                                   " bytes at offset ", offset, ", file ends after ",
                                                   done_bytes));
    }
    done_bytes += count;
  }
  co_return absl::OkStatus();
}

Task<absl::StatusOr<Bytes>> ReadWholeFile(Storage& storage, std::string path) {
  CO_ASSIGN_OR_RETURN(const FileHandle file, co_await OpenFile(storage, path, OpenMode::kExisting),
                      "opening ", path);
  absl::StatusOr<uint64_t> size = co_await FileSize(storage, file);
  Bytes contents;
  absl::Status status = size.status();
  if (status.ok()) {
    contents.resize(*size);
    status = co_await ReadExactly(storage, file, 0, MutableByteSpan(contents));
  }
  const absl::Status close_status = co_await CloseFile(storage, file);
  if (status.ok()) status = close_status;
  CO_RETURN_IF_ERROR(status, "reading ", path);
  co_return contents;
}

Task<absl::Status> WriteFileAtomically(Storage& storage, std::string path, ByteSpan contents) {
  const std::string temporary = absl::StrCat(path, ".tmp");
  CO_ASSIGN_OR_RETURN(const FileHandle file,
                      co_await OpenFile(storage, temporary, OpenMode::kCreate), "creating ",
                      temporary);
  absl::Status status = co_await TruncateFile(storage, file, 0);
  if (status.ok()) status = co_await WriteAt(storage, file, 0, contents);
  if (status.ok()) status = co_await SyncFile(storage, file);
  const absl::Status close_status = co_await CloseFile(storage, file);
  if (status.ok()) status = close_status;
  CO_RETURN_IF_ERROR(status, "writing ", temporary);
  CO_RETURN_IF_ERROR(co_await RenameFile(storage, temporary, path), "renaming ", temporary,
                     " to ", path);
  CO_RETURN_IF_ERROR(co_await SyncDirectory(storage, std::string(ParentOf(path))),
                     "syncing the directory of ", path);
  co_return absl::OkStatus();
}

}  // namespace sluice::io
