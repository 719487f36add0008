#include "core/replica/fail_stop_storage.h"

#include <utility>

#include "core/io/io_error.h"

namespace sluice::replica {

io::Callback<absl::Status> FailStopStorage::Watched(io::Callback<absl::Status> done) {
  return [failed_sync = failed_sync_, done = std::move(done)](absl::Status status) mutable {
    // EIO or ENOSPC: the covered data must be presumed lost (io/storage.h). A missing
    // path or a bad handle says nothing of durability.
    if ((io::IsEio(status) || io::IsEnospc(status)) && failed_sync->ok()) *failed_sync = status;
    done(std::move(status));
  };
}

void FailStopStorage::Sync(io::FileHandle file, io::Callback<absl::Status> done) {
  base_.Sync(file, Watched(std::move(done)));
}

void FailStopStorage::SyncDirectory(std::string path, io::Callback<absl::Status> done) {
  base_.SyncDirectory(std::move(path), Watched(std::move(done)));
}

void FailStopStorage::Open(std::string path, io::OpenMode mode, io::Callback<absl::StatusOr<io::FileHandle>> done) {
  base_.Open(std::move(path), mode, std::move(done));
}

void FailStopStorage::Close(io::FileHandle file, io::Callback<absl::Status> done) {
  base_.Close(file, std::move(done));
}

void FailStopStorage::Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
                           io::Callback<absl::StatusOr<size_t>> done) {
  base_.Read(file, offset, buffer, std::move(done));
}

void FailStopStorage::Write(io::FileHandle file, uint64_t offset, ByteSpan data, io::Callback<absl::Status> done) {
  base_.Write(file, offset, data, std::move(done));
}

void FailStopStorage::Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) {
  base_.Truncate(file, size, std::move(done));
}

void FailStopStorage::Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) {
  base_.Size(file, std::move(done));
}

void FailStopStorage::CreateDirectory(std::string path, io::Callback<absl::Status> done) {
  base_.CreateDirectory(std::move(path), std::move(done));
}

void FailStopStorage::RemoveDirectory(std::string path, io::Callback<absl::Status> done) {
  base_.RemoveDirectory(std::move(path), std::move(done));
}

void FailStopStorage::Rename(std::string from, std::string to, io::Callback<absl::Status> done) {
  base_.Rename(std::move(from), std::move(to), std::move(done));
}

void FailStopStorage::Unlink(std::string path, io::Callback<absl::Status> done) {
  base_.Unlink(std::move(path), std::move(done));
}

void FailStopStorage::List(std::string path, io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) {
  base_.List(std::move(path), std::move(done));
}

}  // namespace sluice::replica
