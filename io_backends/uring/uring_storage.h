#pragma once
// UringStorage: the production io::Storage, on io_uring (liburing 2.3).
//
// Every operation that io_uring can perform on this kernel is one SQE (or a short
// chain of them, each submitted from the previous one's completion):
//   Open -> OPENAT   Close -> CLOSE   Read -> READ   Write -> WRITE (repeated on a
//   short write)   Sync -> FSYNC(DATASYNC)   Size -> STATX   CreateDirectory ->
//   MKDIRAT   RemoveDirectory / Unlink -> UNLINKAT   Rename -> RENAMEAT
//   SyncDirectory -> OPENAT(O_DIRECTORY), FSYNC, CLOSE.
// Truncate (ftruncate) and List (readdir) have no io_uring operation in liburing
// 2.3; they run synchronously inside the call and their result is delivered with
// UringLoop::Post, so, like every other operation, the callback never runs inside
// the call that submitted it.
//
// Errors are io::ErrnoStatus values whose message names the errno, the operation,
// the relative path and, for reads and writes, the length and offset:
//   "EIO: write 4096 bytes at 8192 of streams/0/x.log".
// A path breaking io::ValidatePath's rules fails with InvalidArgument; an unknown
// (never opened, or closed) handle with EBADF.
//
// Lifetimes: the loop must outlive this storage, and this storage must outlive
// every operation submitted to it (their completions refer to it). Buffers passed
// to Read and Write stay the caller's, per io::Storage; paths are copied.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/io/storage.h"
#include "io_backends/uring/uring_loop.h"

namespace sluice::uring {

class UringStorage final : public io::Storage {
 public:
  // `root_directory` is the directory every path is relative to; it should exist
  // (if it does not, operations fail with ENOENT). It may be absolute or relative
  // to the process's working directory at the time of each operation.
  UringStorage(UringLoop& loop, std::string root_directory);

  // Closes, synchronously, every handle still open.
  ~UringStorage() override;

  UringStorage(const UringStorage&) = delete;
  UringStorage& operator=(const UringStorage&) = delete;

  void Open(std::string path, io::OpenMode mode,
            io::Callback<absl::StatusOr<io::FileHandle>> done) override;
  void Close(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
            io::Callback<absl::StatusOr<size_t>> done) override;
  void Write(io::FileHandle file, uint64_t offset, ByteSpan data,
             io::Callback<absl::Status> done) override;
  void Sync(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) override;
  void Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) override;
  void CreateDirectory(std::string path, io::Callback<absl::Status> done) override;
  void RemoveDirectory(std::string path, io::Callback<absl::Status> done) override;
  void SyncDirectory(std::string path, io::Callback<absl::Status> done) override;
  void Rename(std::string from, std::string to, io::Callback<absl::Status> done) override;
  void Unlink(std::string path, io::Callback<absl::Status> done) override;
  void List(std::string path,
            io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) override;

  // Handles currently open (for tests and diagnostics).
  size_t open_file_count() const { return open_files_.size(); }

 private:
  // What a handle stands for: the descriptor, and the relative path for messages.
  struct OpenFile {
    int fd = -1;
    std::string path;
  };
  struct ReadRequest;
  struct WriteRequest;
  struct SyncRequest;
  struct DirectorySyncRequest;

  // The path the kernel sees: root_ joined with a validated relative path.
  std::string AbsolutePath(absl::string_view path) const;
  // The open file behind `file`, or nullptr if the handle is unknown.
  const OpenFile* Find(io::FileHandle file) const;
  io::FileHandle AddHandle(int fd, std::string path);
  // Delivers `result` to `done` on the loop, never inline.
  template <typename Result>
  void PostResult(io::Callback<Result> done, Result result);
  // Submits one SQE operating on the path `path` (kept alive until completion);
  // `done` receives OK or the errno named with `context`.
  void SubmitPathOperation(std::string path, std::string context,
                           void (*prepare)(io_uring_sqe* sqe, const char* absolute_path),
                           io::Callback<absl::Status> done);
  void SubmitReadChunk(std::unique_ptr<ReadRequest> request);
  void SubmitWriteChunk(WriteRequest* request);
  // Write and sync requests are pooled: the steady-state write path allocates
  // nothing per operation (rule B12); error messages are built only on error.
  WriteRequest* AcquireWriteRequest();
  SyncRequest* AcquireSyncRequest();
  std::string PathForMessages(io::FileHandle file) const;
  void SyncOpenedDirectory(std::unique_ptr<DirectorySyncRequest> request);
  void CloseSyncedDirectory(std::unique_ptr<DirectorySyncRequest> request);

  UringLoop& loop_;
  const std::string root_;
  absl::flat_hash_map<uint64_t, OpenFile> open_files_;
  std::vector<std::unique_ptr<WriteRequest>> write_requests_;
  std::vector<WriteRequest*> free_write_requests_;
  std::vector<std::unique_ptr<SyncRequest>> sync_requests_;
  std::vector<SyncRequest*> free_sync_requests_;
  // Handles are never reused within a process: a stale handle fails with EBADF
  // instead of reaching another file.
  uint64_t next_handle_value_ = 1;
};

}  // namespace sluice::uring
