#pragma once
// Test-only: drives a Storage + Loop synchronously. Each call submits one operation
// and runs the loop until that operation's completion has run (other events that
// come due meanwhile run too, as they would in production).
//
//   BlockingStorage disk(storage, loop);
//   ASSERT_OK_AND_ASSIGN(FileHandle file, disk.Open("a", OpenMode::kCreate));

#include <optional>
#include <string>
#include <vector>

#include "core/base/assert.h"
#include "core/io/loop.h"
#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::io::testing {

// Runs `task` to completion on `loop`; asserts it finishes (the loop did not run dry).
template <typename T>
T RunTask(Loop& loop, Task<T> task) {
  std::optional<T> result;
  Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) {
    SLUICE_ASSERT(loop.RunOnce(), "loop ran out of events before the task finished");
  }
  return std::move(*result);
}

class BlockingStorage {
 public:
  BlockingStorage(Storage& storage, Loop& loop) : storage_(storage), loop_(loop) {}

  absl::StatusOr<FileHandle> Open(const std::string& path, OpenMode mode) {
    return Run<absl::StatusOr<FileHandle>>(
        [&](auto done) { storage_.Open(path, mode, std::move(done)); });
  }
  absl::Status Close(FileHandle file) {
    return Run<absl::Status>([&](auto done) { storage_.Close(file, std::move(done)); });
  }
  absl::StatusOr<size_t> Read(FileHandle file, uint64_t offset, MutableByteSpan buffer) {
    return Run<absl::StatusOr<size_t>>(
        [&](auto done) { storage_.Read(file, offset, buffer, std::move(done)); });
  }
  // Reads `length` bytes (fewer at end of file) into a new buffer.
  absl::StatusOr<Bytes> ReadBytes(FileHandle file, uint64_t offset, size_t length) {
    Bytes buffer(length);
    absl::StatusOr<size_t> count = Read(file, offset, MutableByteSpan(buffer));
    if (!count.ok()) return count.status();
    buffer.resize(*count);
    return buffer;
  }
  absl::Status Write(FileHandle file, uint64_t offset, ByteSpan data) {
    return Run<absl::Status>(
        [&](auto done) { storage_.Write(file, offset, data, std::move(done)); });
  }
  absl::Status Sync(FileHandle file) {
    return Run<absl::Status>([&](auto done) { storage_.Sync(file, std::move(done)); });
  }
  absl::Status Truncate(FileHandle file, uint64_t size) {
    return Run<absl::Status>([&](auto done) { storage_.Truncate(file, size, std::move(done)); });
  }
  absl::StatusOr<uint64_t> Size(FileHandle file) {
    return Run<absl::StatusOr<uint64_t>>([&](auto done) { storage_.Size(file, std::move(done)); });
  }
  absl::Status CreateDirectory(const std::string& path) {
    return Run<absl::Status>([&](auto done) { storage_.CreateDirectory(path, std::move(done)); });
  }
  absl::Status RemoveDirectory(const std::string& path) {
    return Run<absl::Status>([&](auto done) { storage_.RemoveDirectory(path, std::move(done)); });
  }
  absl::Status SyncDirectory(const std::string& path) {
    return Run<absl::Status>([&](auto done) { storage_.SyncDirectory(path, std::move(done)); });
  }
  absl::Status Rename(const std::string& from, const std::string& to) {
    return Run<absl::Status>([&](auto done) { storage_.Rename(from, to, std::move(done)); });
  }
  absl::Status Unlink(const std::string& path) {
    return Run<absl::Status>([&](auto done) { storage_.Unlink(path, std::move(done)); });
  }
  absl::StatusOr<std::vector<DirectoryEntry>> List(const std::string& path) {
    return Run<absl::StatusOr<std::vector<DirectoryEntry>>>(
        [&](auto done) { storage_.List(path, std::move(done)); });
  }

  // Convenience: creates (or replaces) `path` with `contents`, syncs it and its directory.
  absl::Status WriteDurably(const std::string& path, ByteSpan contents) {
    absl::StatusOr<FileHandle> file = Open(path, OpenMode::kCreate);
    if (!file.ok()) return file.status();
    absl::Status status = Truncate(*file, 0);
    if (status.ok()) status = Write(*file, 0, contents);
    if (status.ok()) status = Sync(*file);
    const absl::Status closed = Close(*file);
    if (status.ok()) status = closed;
    if (status.ok()) status = SyncDirectory(std::string(ParentOf(path)));
    return status;
  }

  // Convenience: the whole contents of an existing file.
  absl::StatusOr<Bytes> ReadFile(const std::string& path) {
    absl::StatusOr<FileHandle> file = Open(path, OpenMode::kExisting);
    if (!file.ok()) return file.status();
    absl::StatusOr<uint64_t> size = Size(*file);
    absl::StatusOr<Bytes> contents =
        size.ok() ? ReadBytes(*file, 0, *size) : absl::StatusOr<Bytes>(size.status());
    const absl::Status closed = Close(*file);
    if (contents.ok() && !closed.ok()) return closed;
    return contents;
  }

 private:
  template <typename Result, typename Submit>
  Result Run(Submit submit) {
    std::optional<Result> result;
    bool submitting = true;
    submit([&result, &submitting](Result value) {
      SLUICE_ASSERT(!submitting, "completion ran inside the submitting call");
      result.emplace(std::move(value));
    });
    submitting = false;
    while (!result.has_value()) {
      SLUICE_ASSERT(loop_.RunOnce(), "loop ran out of events before the operation completed");
    }
    return std::move(*result);
  }

  Storage& storage_;
  Loop& loop_;
};

}  // namespace sluice::io::testing
