#pragma once
// Test-only: an io::Storage that forwards to another one and can interrupt the
// procedure using it at an exact step.
//
//  - StopAfterCompletions(k): once k operations have completed, every operation
//    submitted later fails with Aborted("process stopped") without reaching the
//    underlying storage. For a strictly sequential procedure this is the process
//    dying right after its k-th storage operation completed: the test then calls
//    SimStorage::CrashMachine() or RestartProcess(). Unlike crashing with an operation
//    in flight, the coroutine still runs to its end, so nothing leaks (ASan checks).
//    In the simulator an operation's effect happens at its completion, so "in flight
//    at the crash" and "never submitted" leave the same disk.
//  - set_before_submit(hook): runs hook(kind, index) before forwarding each
//    operation (index counts operations submitted so far), e.g. to inject a sync
//    failure into exactly the third sync.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/io/loop.h"
#include "core/io/storage.h"

namespace sluice::io::testing {

enum class OperationKind : uint8_t {
  kOpen,
  kClose,
  kRead,
  kWrite,
  kSync,
  kTruncate,
  kSize,
  kCreateDirectory,
  kRemoveDirectory,
  kSyncDirectory,
  kRename,
  kUnlink,
  kList,
};

class InterruptingStorage final : public io::Storage {
 public:
  using Hook = absl::AnyInvocable<void(OperationKind kind, uint64_t index)>;

  InterruptingStorage(io::Storage& base, io::Loop& loop) : base_(base), loop_(loop) {}

  void StopAfterCompletions(uint64_t completions) { stop_after_ = completions; }
  void set_before_submit(Hook hook) { before_submit_ = std::move(hook); }
  uint64_t completions() const { return completed_; }
  bool stopped() const { return completed_ >= stop_after_; }

  void Open(std::string path, io::OpenMode mode,
            io::Callback<absl::StatusOr<io::FileHandle>> done) override {
    Forward(OperationKind::kOpen, std::move(done),
            [&](auto wrapped) { base_.Open(std::move(path), mode, std::move(wrapped)); });
  }
  void Close(io::FileHandle file, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kClose, std::move(done),
            [&](auto wrapped) { base_.Close(file, std::move(wrapped)); });
  }
  void Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
            io::Callback<absl::StatusOr<size_t>> done) override {
    Forward(OperationKind::kRead, std::move(done),
            [&](auto wrapped) { base_.Read(file, offset, buffer, std::move(wrapped)); });
  }
  void Write(io::FileHandle file, uint64_t offset, ByteSpan data,
             io::Callback<absl::Status> done) override {
    Forward(OperationKind::kWrite, std::move(done),
            [&](auto wrapped) { base_.Write(file, offset, data, std::move(wrapped)); });
  }
  void Sync(io::FileHandle file, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kSync, std::move(done),
            [&](auto wrapped) { base_.Sync(file, std::move(wrapped)); });
  }
  void Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kTruncate, std::move(done),
            [&](auto wrapped) { base_.Truncate(file, size, std::move(wrapped)); });
  }
  void Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) override {
    Forward(OperationKind::kSize, std::move(done),
            [&](auto wrapped) { base_.Size(file, std::move(wrapped)); });
  }
  void CreateDirectory(std::string path, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kCreateDirectory, std::move(done),
            [&](auto wrapped) { base_.CreateDirectory(std::move(path), std::move(wrapped)); });
  }
  void RemoveDirectory(std::string path, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kRemoveDirectory, std::move(done),
            [&](auto wrapped) { base_.RemoveDirectory(std::move(path), std::move(wrapped)); });
  }
  void SyncDirectory(std::string path, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kSyncDirectory, std::move(done),
            [&](auto wrapped) { base_.SyncDirectory(std::move(path), std::move(wrapped)); });
  }
  void Rename(std::string from, std::string to, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kRename, std::move(done), [&](auto wrapped) {
      base_.Rename(std::move(from), std::move(to), std::move(wrapped));
    });
  }
  void Unlink(std::string path, io::Callback<absl::Status> done) override {
    Forward(OperationKind::kUnlink, std::move(done),
            [&](auto wrapped) { base_.Unlink(std::move(path), std::move(wrapped)); });
  }
  void List(std::string path,
            io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) override {
    Forward(OperationKind::kList, std::move(done),
            [&](auto wrapped) { base_.List(std::move(path), std::move(wrapped)); });
  }

 private:
  template <typename Result, typename Submit>
  void Forward(OperationKind kind, io::Callback<Result> done, Submit submit) {
    if (stopped()) {
      // Completions never run inside the submitting call (core/io's contract).
      loop_.Post([done = std::move(done)]() mutable {
        done(Result(absl::AbortedError("process stopped by the test")));
      });
      return;
    }
    if (before_submit_) before_submit_(kind, submitted_);
    ++submitted_;
    submit(io::Callback<Result>([this, done = std::move(done)](Result result) mutable {
      ++completed_;
      done(std::move(result));
    }));
  }

  io::Storage& base_;
  io::Loop& loop_;
  Hook before_submit_;
  uint64_t stop_after_ = UINT64_MAX;
  uint64_t submitted_ = 0;
  uint64_t completed_ = 0;
};

}  // namespace sluice::io::testing
