#pragma once
// ProcessStorage and ProcessNetwork: one simulated process's view of its machine's
// SimStorage and its SimNetwork endpoint, so that the process can die with
// operations in flight and still leave nothing dangling.
//
// Why: SimStorage::CrashMachine drops the completions in flight without running them
// (their effects never happen). A coroutine suspended on one of them (the journal's
// group commit, a recovery) would then stay suspended forever — its frame leaked, and
// the object it works on destroyed under it. Here, Kill() makes the dead process's
// operations fail instead: every operation in flight, and every one submitted later,
// completes on the loop with Aborted("process died"), reaching neither the storage
// nor the network, so its coroutines run to their end against objects that still
// exist; the harness destroys the dead process's objects only once idle() holds (and
// only between loop events, never from inside a completion).
//
// Call Kill() right before SimStorage::CrashMachine(): the storage then drops the
// completions the process was waiting for, and their effects never happen — exactly
// a machine crash with those operations in flight.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "core/io/loop.h"
#include "core/io/network.h"
#include "core/io/storage.h"

namespace sluice::sim {

class ProcessStorage final : public io::Storage {
 public:
  ProcessStorage(io::Storage& base, io::Loop& loop) : base_(base), loop_(loop) {}
  ~ProcessStorage() override;

  // Every operation in flight or submitted later completes with Aborted on the loop.
  void Kill();
  bool dead() const { return dead_; }
  // Dead, and no completion of this process is left to run.
  bool idle() const { return dead_ && pending_.empty() && aborts_queued_ == 0; }

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
  template <typename Result, typename Submit>
  void Forward(io::Callback<Result> done, Submit submit);
  void QueueAbort(absl::AnyInvocable<void()> abort);

  io::Storage& base_;
  io::Loop& loop_;
  bool dead_ = false;
  uint64_t next_id_ = 0;
  // Per operation in flight: what completes it with Aborted (ordered by id, so Kill
  // aborts them in submission order: deterministic).
  std::map<uint64_t, absl::AnyInvocable<void()>> pending_;
  uint64_t aborts_queued_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Forwards a process's frames to and from its SimNetwork endpoint until Kill():
// afterwards sends are dropped (as if lost) and nothing is delivered.
class ProcessNetwork final : public io::Network, public io::NetworkHandler {
 public:
  explicit ProcessNetwork(io::Network& base) : base_(base) {}

  void Kill() { dead_ = true; }

  // io::Network
  void SetHandler(io::NetworkHandler* handler) override { handler_ = handler; }
  absl::Status Send(io::PeerId to, ByteSpan frame) override;
  size_t frame_size_max_bytes() const override { return base_.frame_size_max_bytes(); }
  // io::NetworkHandler (the endpoint's handler while this process lives)
  void OnFrame(io::PeerId from, ByteSpan frame) override;
  void OnConnectionChange(io::PeerId peer, bool connected) override;

 private:
  io::Network& base_;
  io::NetworkHandler* handler_ = nullptr;
  bool dead_ = false;
};

}  // namespace sluice::sim
