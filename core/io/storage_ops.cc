#include "core/io/storage_ops.h"

#include "absl/strings/str_cat.h"

namespace sluice::io {

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
