#include "sim/cluster/process_io.h"

#include "core/base/assert.h"

namespace sluice::sim {

ProcessStorage::~ProcessStorage() {
  // Destroying a process with an operation in flight would strand a coroutine.
  SLUICE_ASSERT(pending_.empty() && aborts_queued_ == 0, "a process destroyed with ", pending_.size(),
                " storage operations in flight");
}

void ProcessStorage::QueueAbort(absl::AnyInvocable<void()> abort) {
  ++aborts_queued_;
  std::weak_ptr<int> alive = alive_;
  loop_.Post([this, alive, abort = std::move(abort)]() mutable {
    if (alive.lock() == nullptr) return;
    --aborts_queued_;
    abort();
  });
}

void ProcessStorage::Kill() {
  dead_ = true;
  std::map<uint64_t, absl::AnyInvocable<void()>> pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, abort] : pending) QueueAbort(std::move(abort));
}

template <typename Result, typename Submit>
void ProcessStorage::Forward(io::Callback<Result> done, Submit submit) {
  auto shared = std::make_shared<io::Callback<Result>>(std::move(done));
  auto abort = [shared] { (*shared)(Result(absl::AbortedError("process died"))); };
  if (dead_) return QueueAbort(std::move(abort));
  const uint64_t id = next_id_++;
  pending_.emplace(id, std::move(abort));
  std::weak_ptr<int> alive = alive_;
  submit(io::Callback<Result>([this, alive, id, shared](Result result) {
    // After Kill() the abort owns the completion (and the storage drops this one).
    if (alive.lock() == nullptr || pending_.erase(id) == 0) return;
    (*shared)(std::move(result));
  }));
}

void ProcessStorage::Open(std::string path, io::OpenMode mode, io::Callback<absl::StatusOr<io::FileHandle>> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Open(std::move(path), mode, std::move(wrapped)); });
}
void ProcessStorage::Close(io::FileHandle file, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Close(file, std::move(wrapped)); });
}
void ProcessStorage::Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
                          io::Callback<absl::StatusOr<size_t>> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Read(file, offset, buffer, std::move(wrapped)); });
}
void ProcessStorage::Write(io::FileHandle file, uint64_t offset, ByteSpan data, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Write(file, offset, data, std::move(wrapped)); });
}
void ProcessStorage::Sync(io::FileHandle file, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Sync(file, std::move(wrapped)); });
}
void ProcessStorage::Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Truncate(file, size, std::move(wrapped)); });
}
void ProcessStorage::Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Size(file, std::move(wrapped)); });
}
void ProcessStorage::CreateDirectory(std::string path, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.CreateDirectory(std::move(path), std::move(wrapped)); });
}
void ProcessStorage::RemoveDirectory(std::string path, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.RemoveDirectory(std::move(path), std::move(wrapped)); });
}
void ProcessStorage::SyncDirectory(std::string path, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.SyncDirectory(std::move(path), std::move(wrapped)); });
}
void ProcessStorage::Rename(std::string from, std::string to, io::Callback<absl::Status> done) {
  Forward(std::move(done),
          [&](auto wrapped) { base_.Rename(std::move(from), std::move(to), std::move(wrapped)); });
}
void ProcessStorage::Unlink(std::string path, io::Callback<absl::Status> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.Unlink(std::move(path), std::move(wrapped)); });
}
void ProcessStorage::List(std::string path, io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) {
  Forward(std::move(done), [&](auto wrapped) { base_.List(std::move(path), std::move(wrapped)); });
}

absl::Status ProcessNetwork::Send(io::PeerId to, ByteSpan frame) {
  if (dead_) return absl::OkStatus();  // a dead process's frame is never sent: as if lost
  return base_.Send(to, frame);
}

void ProcessNetwork::OnFrame(io::PeerId from, ByteSpan frame) {
  if (!dead_ && handler_ != nullptr) handler_->OnFrame(from, frame);
}

void ProcessNetwork::OnConnectionChange(io::PeerId peer, bool connected) {
  if (!dead_ && handler_ != nullptr) handler_->OnConnectionChange(peer, connected);
}

}  // namespace sluice::sim
