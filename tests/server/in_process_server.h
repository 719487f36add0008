#pragma once
// Test-only: a formatted single-node replica and its ClientListener inside the test
// process, the loop run by a thread of its own — for tests that must reach inside
// the server (a SecretHasher held mid-hash). Clients connect over loopback as to
// the real binary (port 0: no test races another for a port).
//
// Lifetime: Start() once; the destructor stops the loop thread, then stops the
// listener, drains it and closes the replica on this thread.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/config/config.h"
#include "core/io/task.h"
#include "core/metadata_store/format_metadata.h"
#include "core/replica/single_node_replica.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_storage.h"
#include "server/client_listener.h"
#include "server/replica_options.h"
#include "server/secret_hasher.h"

namespace sluice::testing {

template <typename T>
T RunOnLoop(uring::UringLoop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
}

class InProcessServer {
 public:
  // Formats `directory` (removed first) and boots it; logins cost `cost`.
  InProcessServer(const std::string& directory, const metadata::Argon2Cost& cost) {
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    config_.data.directory = directory;
    absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
    SLUICE_ASSERT(loop.ok(), loop.status().ToString());
    loop_ = *std::move(loop);
    storage_ = std::make_unique<uring::UringStorage>(*loop_, directory);
    const absl::Status formatted =
        RunOnLoop(*loop_, metadata_store::FormatMetadata(*storage_, server::FormatFromConfig(config_, false)));
    SLUICE_ASSERT(formatted.ok(), formatted.ToString());
    replica::SingleNodeReplicaOptions options = server::ReplicaOptionsFromConfig(config_);
    options.password_cost = cost;
    absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>> replica = RunOnLoop(
        *loop_, replica::SingleNodeReplica::Open(*storage_, std::move(options), [] {
          Bytes salt(metadata::kPasswordSaltBytes);
          std::mt19937 random(7);
          for (uint8_t& byte : salt) byte = static_cast<uint8_t>(random());
          return salt;
        }));
    SLUICE_ASSERT(replica.ok(), replica.status().ToString());
    replica_ = *std::move(replica);
  }

  // Starts the listener on 127.0.0.1:0 with `hasher` (which must outlive this
  // server) and the loop thread; the bound port.
  uint16_t Start(server::SecretHasher& hasher) {
    server::ClientListenerOptions options;
    options.address = {.host = "127.0.0.1", .port = 0};
    absl::StatusOr<std::unique_ptr<server::ClientListener>> listener =
        server::ClientListener::Start(*loop_, *replica_, hasher, std::move(options));
    SLUICE_ASSERT(listener.ok(), listener.status().ToString());
    listener_ = *std::move(listener);
    Watch();
    thread_ = std::thread([this] {
      while (!stop_.load()) loop_->RunOnce();
    });
    return listener_->port();
  }

  uring::UringLoop& loop() { return *loop_; }

  ~InProcessServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (listener_ != nullptr) {
      listener_->Stop();
      while (!listener_->Idle()) SLUICE_ASSERT(loop_->RunOnce(), "the loop ran dry with work running");
    }
    const absl::Status closed = RunOnLoop(*loop_, replica_->Close());
    SLUICE_ASSERT(closed.ok(), closed.ToString());
    listener_.reset();
  }

 private:
  // A timer every tick, so the loop thread sees stop_ even when no client talks.
  void Watch() {
    if (!stop_.load()) loop_->ScheduleAfterTicks(1, [this] { Watch(); });
  }

  config::Config config_;
  std::unique_ptr<uring::UringLoop> loop_;
  std::unique_ptr<uring::UringStorage> storage_;
  std::unique_ptr<replica::SingleNodeReplica> replica_;
  std::unique_ptr<server::ClientListener> listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sluice::testing
