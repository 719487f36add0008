#pragma once
// Test-only: the production io_uring Loop and Storage over a fresh temporary
// directory (under $TEST_TMPDIR), removed again on destruction.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/base/assert.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_storage.h"

namespace sluice::testing {

class UringTempBackend {
 public:
  explicit UringTempBackend(const std::string& label = "uring") {
    const char* base = std::getenv("TEST_TMPDIR");
    directory_ = std::string(base != nullptr ? base : "/tmp") + "/" + label + "-XXXXXX";
    SLUICE_ASSERT(mkdtemp(directory_.data()) != nullptr, "mkdtemp ", directory_);
    absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
    SLUICE_ASSERT(loop.ok(), loop.status().ToString());
    loop_ = *std::move(loop);
    storage_ = std::make_unique<uring::UringStorage>(*loop_, directory_);
  }
  ~UringTempBackend() {
    storage_.reset();
    loop_.reset();
    std::filesystem::remove_all(directory_);
  }
  UringTempBackend(const UringTempBackend&) = delete;
  UringTempBackend& operator=(const UringTempBackend&) = delete;

  io::Storage& storage() { return *storage_; }
  io::Loop& loop() { return *loop_; }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  std::unique_ptr<uring::UringLoop> loop_;
  std::unique_ptr<uring::UringStorage> storage_;
};

}  // namespace sluice::testing
