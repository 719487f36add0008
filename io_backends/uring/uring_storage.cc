#include "io_backends/uring/uring_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"

namespace sluice::uring {
namespace {

// Largest READ/WRITE in one SQE: the SQE's length is 32 bits, and Linux moves at
// most 0x7ffff000 bytes per call anyway; larger requests continue like short ones.
constexpr size_t kIoChunkBytesMax = size_t{1} << 30;
constexpr uint64_t kOffsetMax = static_cast<uint64_t>(std::numeric_limits<off_t>::max());
constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirectoryMode = 0755;

// How a path appears in messages: the root has no name of its own.
std::string DisplayPath(absl::string_view path) {
  return path.empty() ? std::string("<root>") : std::string(path);
}

std::string NormalizeRoot(std::string root) {
  if (root.empty()) return ".";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

int OpenFlags(io::OpenMode mode) {
  // O_RDWR also makes opening a directory fail with EISDIR, as the contract asks.
  constexpr int kBase = O_RDWR | O_CLOEXEC;
  switch (mode) {
    case io::OpenMode::kExisting:
      return kBase;
    case io::OpenMode::kCreate:
      return kBase | O_CREAT;
    case io::OpenMode::kCreateExclusive:
      return kBase | O_CREAT | O_EXCL;
  }
  SLUICE_UNREACHABLE("open mode ", static_cast<int>(mode));
}

absl::Status UnknownHandle(absl::string_view operation, io::FileHandle file) {
  return io::ErrnoStatus(EBADF, absl::StrCat(operation, " unknown handle ", file.value));
}

// The range [offset, offset + length) must be addressable as off_t; an offset that
// wraps to -1 would even make io_uring use (and move) the file position.
bool RangeAddressable(uint64_t offset, size_t length) {
  return offset <= kOffsetMax && length <= kOffsetMax - offset;
}

absl::Status StatusFromResult(int32_t result, absl::string_view context) {
  return result < 0 ? io::ErrnoStatus(-result, context) : absl::OkStatus();
}

// Synchronous pieces of List (readdir has no io_uring operation in liburing 2.3).
struct DirCloser {
  void operator()(DIR* dir) const {
    // Nothing useful can be done if closing a directory stream fails.
    static_cast<void>(closedir(dir));
  }
};

io::EntryType EntryTypeOf(int directory_fd, const dirent& entry) {
  if (entry.d_type == DT_DIR) return io::EntryType::kDirectory;
  if (entry.d_type != DT_UNKNOWN && entry.d_type != DT_LNK) return io::EntryType::kFile;
  // The file system did not say, or it is a link: ask for what the name leads to.
  struct stat info {};
  if (fstatat(directory_fd, entry.d_name, &info, 0) == 0 && S_ISDIR(info.st_mode)) {
    return io::EntryType::kDirectory;
  }
  return io::EntryType::kFile;
}

absl::StatusOr<std::vector<io::DirectoryEntry>> ListNow(const std::string& absolute_path,
                                                        absl::string_view path) {
  const std::string context = absl::StrCat("list ", DisplayPath(path));
  const int fd = open(absolute_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io::ErrnoStatus(errno, context);
  std::unique_ptr<DIR, DirCloser> dir(fdopendir(fd));
  if (dir == nullptr) {
    const int error_number = errno;
    static_cast<void>(close(fd));  // The open failed already; its error is the one to report.
    return io::ErrnoStatus(error_number, context);
  }
  std::vector<io::DirectoryEntry> entries;
  for (;;) {
    errno = 0;
    const dirent* entry = readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return io::ErrnoStatus(errno, context);
      break;
    }
    const absl::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.push_back(io::DirectoryEntry{std::string(name), EntryTypeOf(dirfd(dir.get()), *entry)});
  }
  // Sorted by name, never the file system's order (io::Storage's contract).
  std::sort(
      entries.begin(), entries.end(),
      [](const io::DirectoryEntry& a, const io::DirectoryEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace

// A read in progress: continued after a short read until the buffer is full or
// the file ends.
struct UringStorage::ReadRequest {
  int fd = -1;
  std::string path;
  uint64_t offset = 0;
  MutableByteSpan buffer;
  size_t read_bytes = 0;
  io::Callback<absl::StatusOr<size_t>> done;
};

// A write in progress: continued after a short write until all bytes are written.
struct UringStorage::WriteRequest {
  io::FileHandle file;
  int fd = -1;
  uint64_t offset = 0;
  ByteSpan data;
  size_t written_bytes = 0;
  io::Callback<absl::Status> done;
};

struct UringStorage::SyncRequest {
  io::FileHandle file;
  io::Callback<absl::Status> done;
};

// SyncDirectory's three steps: OPENAT, FSYNC, CLOSE.
struct UringStorage::DirectorySyncRequest {
  std::string path;
  std::string absolute_path;  // The OPENAT SQE points into it.
  int fd = -1;
  absl::Status status;  // The first failure among the steps.
  io::Callback<absl::Status> done;
};

UringStorage::UringStorage(UringLoop& loop, std::string root_directory)
    : loop_(loop), root_(NormalizeRoot(std::move(root_directory))) {}

UringStorage::~UringStorage() {
  for (const auto& [handle_value, open_file] : open_files_) {
    // The owner dropped these handles without Close(); nobody is left to hear an error.
    static_cast<void>(close(open_file.fd));
  }
}

std::string UringStorage::AbsolutePath(absl::string_view path) const {
  return path.empty() ? root_ : absl::StrCat(root_, "/", path);
}

const UringStorage::OpenFile* UringStorage::Find(io::FileHandle file) const {
  const auto it = open_files_.find(file.value);
  return it == open_files_.end() ? nullptr : &it->second;
}

io::FileHandle UringStorage::AddHandle(int fd, std::string path) {
  SLUICE_ASSERT(fd >= 0, "adding a handle for fd ", fd);
  const io::FileHandle handle{next_handle_value_++};
  SLUICE_ASSERT(handle.value != 0, "file handle values exhausted");
  const bool inserted = open_files_.emplace(handle.value, OpenFile{fd, std::move(path)}).second;
  SLUICE_ASSERT(inserted, "file handle ", handle.value, " reused");
  return handle;
}

template <typename Result>
void UringStorage::PostResult(io::Callback<Result> done, Result result) {
  loop_.Post(
      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void UringStorage::Open(std::string path, io::OpenMode mode,
                        io::Callback<absl::StatusOr<io::FileHandle>> done) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) {
    PostResult<absl::StatusOr<io::FileHandle>>(std::move(done), std::move(valid));
    return;
  }
  auto absolute_path = std::make_unique<std::string>(AbsolutePath(path));
  const char* kernel_path = absolute_path->c_str();
  const int flags = OpenFlags(mode);
  loop_.Submit(
      [&](io_uring_sqe* sqe) {
        io_uring_prep_openat(sqe, AT_FDCWD, kernel_path, flags, kFileMode);
      },
      [this, absolute_path = std::move(absolute_path), path = std::move(path),
       done = std::move(done)](int32_t result) mutable {
        if (result < 0) {
          done(io::ErrnoStatus(-result, absl::StrCat("open ", DisplayPath(path))));
          return;
        }
        done(AddHandle(result, std::move(path)));
      });
}

void UringStorage::Close(io::FileHandle file, io::Callback<absl::Status> done) {
  const auto it = open_files_.find(file.value);
  if (it == open_files_.end()) {
    PostResult<absl::Status>(std::move(done), UnknownHandle("close", file));
    return;
  }
  // The handle is gone from now on; the descriptor is released by the CLOSE.
  const int fd = it->second.fd;
  std::string context = absl::StrCat("close ", it->second.path);
  open_files_.erase(it);
  loop_.Submit([fd](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); },
               [context = std::move(context), done = std::move(done)](int32_t result) mutable {
                 done(StatusFromResult(result, context));
               });
}

void UringStorage::Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
                        io::Callback<absl::StatusOr<size_t>> done) {
  const std::string operation = absl::StrCat("read ", buffer.size(), " bytes at ", offset, " of");
  const OpenFile* open_file = Find(file);
  if (open_file == nullptr) {
    PostResult<absl::StatusOr<size_t>>(std::move(done), UnknownHandle(operation, file));
    return;
  }
  if (!RangeAddressable(offset, buffer.size())) {
    PostResult<absl::StatusOr<size_t>>(
        std::move(done), io::ErrnoStatus(EINVAL, absl::StrCat(operation, " ", open_file->path)));
    return;
  }
  SubmitReadChunk(std::make_unique<ReadRequest>(
      ReadRequest{open_file->fd, open_file->path, offset, buffer, 0, std::move(done)}));
}

void UringStorage::SubmitReadChunk(std::unique_ptr<ReadRequest> request) {
  ReadRequest* const read = request.get();
  const size_t chunk_bytes = std::min(read->buffer.size() - read->read_bytes, kIoChunkBytesMax);
  loop_.Submit(
      [read, chunk_bytes](io_uring_sqe* sqe) {
        io_uring_prep_read(sqe, read->fd, read->buffer.data() + read->read_bytes,
                           static_cast<unsigned>(chunk_bytes), read->offset + read->read_bytes);
      },
      [this, request = std::move(request)](int32_t result) mutable {
        if (result < 0) {
          request->done(
              io::ErrnoStatus(-result, absl::StrCat("read ", request->buffer.size(), " bytes at ",
                                                    request->offset, " of ", request->path)));
          return;
        }
        request->read_bytes += static_cast<size_t>(result);
        SLUICE_ASSERT(request->read_bytes <= request->buffer.size(), "read past the buffer");
        if (result == 0 || request->read_bytes == request->buffer.size()) {
          request->done(request->read_bytes);
          return;
        }
        SubmitReadChunk(std::move(request));  // Short, but not at end of file: go on.
      });
}

UringStorage::WriteRequest* UringStorage::AcquireWriteRequest() {
  if (free_write_requests_.empty()) {
    write_requests_.push_back(std::make_unique<WriteRequest>());
    free_write_requests_.reserve(write_requests_.size());
    return write_requests_.back().get();
  }
  WriteRequest* request = free_write_requests_.back();
  free_write_requests_.pop_back();
  return request;
}

UringStorage::SyncRequest* UringStorage::AcquireSyncRequest() {
  if (free_sync_requests_.empty()) {
    sync_requests_.push_back(std::make_unique<SyncRequest>());
    free_sync_requests_.reserve(sync_requests_.size());
    return sync_requests_.back().get();
  }
  SyncRequest* request = free_sync_requests_.back();
  free_sync_requests_.pop_back();
  return request;
}

std::string UringStorage::PathForMessages(io::FileHandle file) const {
  const OpenFile* open_file = Find(file);
  return open_file != nullptr ? open_file->path : absl::StrCat("file handle ", file.value);
}

void UringStorage::Write(io::FileHandle file, uint64_t offset, ByteSpan data,
                         io::Callback<absl::Status> done) {
  const OpenFile* open_file = Find(file);
  if (open_file == nullptr) {
    PostResult<absl::Status>(std::move(done),
                             UnknownHandle(absl::StrCat("write ", data.size(), " bytes at ", offset, " of"), file));
    return;
  }
  if (!RangeAddressable(offset, data.size())) {
    PostResult<absl::Status>(std::move(done),
                             io::ErrnoStatus(EINVAL, absl::StrCat("write ", data.size(), " bytes at ", offset,
                                                                  " of ", open_file->path)));
    return;
  }
  WriteRequest* request = AcquireWriteRequest();
  request->file = file;
  request->fd = open_file->fd;
  request->offset = offset;
  request->data = data;
  request->written_bytes = 0;
  request->done = std::move(done);
  SubmitWriteChunk(request);
}

void UringStorage::SubmitWriteChunk(WriteRequest* write) {
  const size_t chunk_bytes = std::min(write->data.size() - write->written_bytes, kIoChunkBytesMax);
  loop_.Submit(
      [write, chunk_bytes](io_uring_sqe* sqe) {
        io_uring_prep_write(sqe, write->fd, write->data.data() + write->written_bytes,
                            static_cast<unsigned>(chunk_bytes),
                            write->offset + write->written_bytes);
      },
      [this, write](int32_t result) {
        // The request goes back to the pool before `done` runs: `done` may write again.
        auto finish = [this, write](absl::Status status) {
          io::Callback<absl::Status> done = std::move(write->done);
          free_write_requests_.push_back(write);
          done(std::move(status));
        };
        auto context = [this, write] {
          return absl::StrCat("write ", write->data.size(), " bytes at ", write->offset, " of ",
                              PathForMessages(write->file));
        };
        if (result < 0) {
          finish(io::ErrnoStatus(-result, write->written_bytes == 0
                                              ? context()
                                              : absl::StrCat(context(), " (after ", write->written_bytes,
                                                             " bytes were written)")));
          return;
        }
        write->written_bytes += static_cast<size_t>(result);
        SLUICE_ASSERT(write->written_bytes <= write->data.size(), "wrote past the data");
        if (write->written_bytes == write->data.size()) {
          finish(absl::OkStatus());
          return;
        }
        if (result == 0) {
          // A regular file never accepts zero bytes without an error; do not spin.
          finish(absl::InternalError(absl::StrCat(context(), ": no progress after ", write->written_bytes, " bytes")));
          return;
        }
        SubmitWriteChunk(write);  // A short write: write the rest.
      });
}

void UringStorage::Sync(io::FileHandle file, io::Callback<absl::Status> done) {
  const OpenFile* open_file = Find(file);
  if (open_file == nullptr) {
    PostResult<absl::Status>(std::move(done), UnknownHandle("sync", file));
    return;
  }
  const int fd = open_file->fd;
  SyncRequest* request = AcquireSyncRequest();
  request->file = file;
  request->done = std::move(done);
  loop_.Submit([fd](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC); },
               [this, request](int32_t result) {
                 io::Callback<absl::Status> done = std::move(request->done);
                 const io::FileHandle synced = request->file;
                 free_sync_requests_.push_back(request);
                 if (result < 0) {
                   done(StatusFromResult(result, absl::StrCat("sync ", PathForMessages(synced))));
                   return;
                 }
                 done(absl::OkStatus());
               });
}

void UringStorage::Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) {
  const OpenFile* open_file = Find(file);
  if (open_file == nullptr) {
    PostResult<absl::Status>(std::move(done), UnknownHandle("truncate", file));
    return;
  }
  const std::string context = absl::StrCat("truncate ", open_file->path, " to ", size, " bytes");
  absl::Status status = absl::OkStatus();
  if (size > kOffsetMax) {
    status = io::ErrnoStatus(EINVAL, context);
  } else {
    // No io_uring operation for ftruncate in liburing 2.3: run it now, report later.
    int rc;
    do {
      rc = ftruncate(open_file->fd, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) status = io::ErrnoStatus(errno, context);
  }
  PostResult<absl::Status>(std::move(done), std::move(status));
}

void UringStorage::Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) {
  const OpenFile* open_file = Find(file);
  if (open_file == nullptr) {
    PostResult<absl::StatusOr<uint64_t>>(std::move(done), UnknownHandle("size of", file));
    return;
  }
  const int fd = open_file->fd;
  // The kernel writes the result when the operation runs: keep it on the heap.
  auto result_buffer = std::make_unique<struct statx>();
  struct statx* const kernel_result = result_buffer.get();
  loop_.Submit(
      [fd, kernel_result](io_uring_sqe* sqe) {
        io_uring_prep_statx(sqe, fd, "", AT_EMPTY_PATH, STATX_SIZE, kernel_result);
      },
      [context = absl::StrCat("size of ", open_file->path),
       result_buffer = std::move(result_buffer), done = std::move(done)](int32_t result) mutable {
        if (result < 0) {
          done(io::ErrnoStatus(-result, context));
          return;
        }
        SLUICE_ASSERT((result_buffer->stx_mask & STATX_SIZE) != 0,
                      "statx without a size: ", context);
        done(static_cast<uint64_t>(result_buffer->stx_size));
      });
}

void UringStorage::SubmitPathOperation(std::string path, std::string context,
                                       void (*prepare)(io_uring_sqe* sqe,
                                                       const char* absolute_path),
                                       io::Callback<absl::Status> done) {
  SLUICE_ASSERT(io::ValidatePath(path).ok(), "unvalidated path ", path);
  auto absolute_path = std::make_unique<std::string>(AbsolutePath(path));
  const char* kernel_path = absolute_path->c_str();
  loop_.Submit([prepare, kernel_path](io_uring_sqe* sqe) { prepare(sqe, kernel_path); },
               [absolute_path = std::move(absolute_path), context = std::move(context),
                done = std::move(done)](int32_t result) mutable {
                 done(StatusFromResult(result, context));
               });
}

void UringStorage::CreateDirectory(std::string path, io::Callback<absl::Status> done) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) {
    PostResult<absl::Status>(std::move(done), std::move(valid));
    return;
  }
  std::string context = absl::StrCat("mkdir ", DisplayPath(path));
  SubmitPathOperation(
      std::move(path), std::move(context),
      [](io_uring_sqe* sqe, const char* absolute_path) {
        io_uring_prep_mkdirat(sqe, AT_FDCWD, absolute_path, kDirectoryMode);
      },
      std::move(done));
}

void UringStorage::RemoveDirectory(std::string path, io::Callback<absl::Status> done) {
  absl::Status valid = io::ValidatePath(path);
  if (valid.ok() && path.empty()) {
    valid = absl::InvalidArgumentError("rmdir: the storage root cannot be removed");
  }
  if (!valid.ok()) {
    PostResult<absl::Status>(std::move(done), std::move(valid));
    return;
  }
  std::string context = absl::StrCat("rmdir ", path);
  SubmitPathOperation(
      std::move(path), std::move(context),
      [](io_uring_sqe* sqe, const char* absolute_path) {
        io_uring_prep_unlinkat(sqe, AT_FDCWD, absolute_path, AT_REMOVEDIR);
      },
      std::move(done));
}

void UringStorage::Unlink(std::string path, io::Callback<absl::Status> done) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) {
    PostResult<absl::Status>(std::move(done), std::move(valid));
    return;
  }
  // Without AT_REMOVEDIR, Linux fails on a directory with EISDIR, as the contract asks.
  std::string context = absl::StrCat("unlink ", DisplayPath(path));
  SubmitPathOperation(
      std::move(path), std::move(context),
      [](io_uring_sqe* sqe, const char* absolute_path) {
        io_uring_prep_unlinkat(sqe, AT_FDCWD, absolute_path, 0);
      },
      std::move(done));
}

void UringStorage::Rename(std::string from, std::string to, io::Callback<absl::Status> done) {
  const std::string context = absl::StrCat("rename ", DisplayPath(from), " to ", DisplayPath(to));
  absl::Status valid = io::ValidatePath(from);
  if (valid.ok()) valid = io::ValidatePath(to);
  if (valid.ok() && (from.empty() || to.empty())) {
    valid =
        absl::InvalidArgumentError(absl::StrCat(context, ": the storage root cannot be renamed"));
  }
  if (valid.ok() && io::ParentOf(from) != io::ParentOf(to)) {
    valid = io::ErrnoStatus(EXDEV, absl::StrCat(context, ": not in the same directory"));
  }
  if (!valid.ok()) {
    PostResult<absl::Status>(std::move(done), std::move(valid));
    return;
  }
  auto absolute_paths = std::make_unique<std::array<std::string, 2>>(
      std::array{AbsolutePath(from), AbsolutePath(to)});
  const char* kernel_from = (*absolute_paths)[0].c_str();
  const char* kernel_to = (*absolute_paths)[1].c_str();
  loop_.Submit(
      [kernel_from, kernel_to](io_uring_sqe* sqe) {
        io_uring_prep_renameat(sqe, AT_FDCWD, kernel_from, AT_FDCWD, kernel_to, 0);
      },
      [absolute_paths = std::move(absolute_paths), context, done = std::move(done)](
          int32_t result) mutable { done(StatusFromResult(result, context)); });
}

void UringStorage::SyncDirectory(std::string path, io::Callback<absl::Status> done) {
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) {
    PostResult<absl::Status>(std::move(done), std::move(valid));
    return;
  }
  auto request = std::make_unique<DirectorySyncRequest>();
  request->absolute_path = AbsolutePath(path);
  request->path = DisplayPath(path);
  request->done = std::move(done);
  const char* kernel_path = request->absolute_path.c_str();
  loop_.Submit(
      [kernel_path](io_uring_sqe* sqe) {
        io_uring_prep_openat(sqe, AT_FDCWD, kernel_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      },
      [this, request = std::move(request)](int32_t result) mutable {
        if (result < 0) {
          request->done(io::ErrnoStatus(-result, absl::StrCat("open directory ", request->path)));
          return;
        }
        request->fd = result;
        SyncOpenedDirectory(std::move(request));
      });
}

void UringStorage::SyncOpenedDirectory(std::unique_ptr<DirectorySyncRequest> request) {
  const int fd = request->fd;
  // A full fsync: a directory's entries are what must become durable.
  loop_.Submit([fd](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, 0); },
               [this, request = std::move(request)](int32_t result) mutable {
                 request->status =
                     StatusFromResult(result, absl::StrCat("sync directory ", request->path));
                 CloseSyncedDirectory(std::move(request));
               });
}

void UringStorage::CloseSyncedDirectory(std::unique_ptr<DirectorySyncRequest> request) {
  const int fd = request->fd;
  loop_.Submit([fd](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); },
               [request = std::move(request)](int32_t result) mutable {
                 if (request->status.ok()) {
                   request->status =
                       StatusFromResult(result, absl::StrCat("close directory ", request->path));
                 }
                 request->done(std::move(request->status));
               });
}

void UringStorage::List(std::string path,
                        io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) {
  using Result = absl::StatusOr<std::vector<io::DirectoryEntry>>;
  if (absl::Status valid = io::ValidatePath(path); !valid.ok()) {
    PostResult<Result>(std::move(done), std::move(valid));
    return;
  }
  // No io_uring operation reads a directory in liburing 2.3: list now, report later.
  PostResult<Result>(std::move(done), ListNow(AbsolutePath(path), path));
}

}  // namespace sluice::uring
