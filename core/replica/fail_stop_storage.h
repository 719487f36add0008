#pragma once
// FailStopStorage: a Storage that forwards every call and remembers the first Sync or
// SyncDirectory that failed with EIO or ENOSPC (rule B1: a failed fsync is fail-stop). The cluster replica
// checks it before it sends anything, so nothing is acknowledged after the failure —
// not even from an event that runs before the failed operation's own caller (behind a
// chain of coroutine resumptions) hears of it.
//
// The failure is shared with the callbacks in flight, so one may complete after this
// object is gone.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/io/storage.h"

namespace sluice::replica {

class FailStopStorage final : public io::Storage {
 public:
  explicit FailStopStorage(io::Storage& base) : base_(base) {}

  // OK until a sync failed; then that sync's error.
  const absl::Status& failed_sync() const { return *failed_sync_; }

  void Open(std::string path, io::OpenMode mode, io::Callback<absl::StatusOr<io::FileHandle>> done) override;
  void Close(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
            io::Callback<absl::StatusOr<size_t>> done) override;
  void Write(io::FileHandle file, uint64_t offset, ByteSpan data, io::Callback<absl::Status> done) override;
  void Sync(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) override;
  void Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) override;
  void CreateDirectory(std::string path, io::Callback<absl::Status> done) override;
  void RemoveDirectory(std::string path, io::Callback<absl::Status> done) override;
  void SyncDirectory(std::string path, io::Callback<absl::Status> done) override;
  void Rename(std::string from, std::string to, io::Callback<absl::Status> done) override;
  void Unlink(std::string path, io::Callback<absl::Status> done) override;
  void List(std::string path, io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) override;

 private:
  // `done`, after recording a failure.
  io::Callback<absl::Status> Watched(io::Callback<absl::Status> done);

  io::Storage& base_;
  std::shared_ptr<absl::Status> failed_sync_ = std::make_shared<absl::Status>();
};

}  // namespace sluice::replica
