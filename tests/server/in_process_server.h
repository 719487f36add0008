#pragma once
// Test-only: a formatted single-node replica and its ClientListener inside the test
// process — for tests that must reach inside the server (a SecretHasher held
// mid-hash). The loop runs on the test's main thread (RunWhile), as in
// sluice-server, and the test's clients on threads of their own, connecting over
// loopback as to the real binary (port 0: no test races another for a port). The
// loop must stay on one thread: core/io pools coroutine frames per thread, and a
// loop thread that ended would take its pool with it (LeakSanitizer reports it).
//
// Lifetime: Start() once; the destructor stops the listener, drains it and closes
// the replica. Log clients out first (a client that departs with a session gets a
// replicated Logout, which must not be in flight when the replica closes).
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <functional>

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
  // server); the bound port.
  uint16_t Start(server::SecretHasher& hasher) {
    server::ClientListenerOptions options;
    options.address = {.host = "127.0.0.1", .port = 0};
    absl::StatusOr<std::unique_ptr<server::ClientListener>> listener =
        server::ClientListener::Start(*loop_, *replica_, hasher, std::move(options));
    SLUICE_ASSERT(listener.ok(), listener.status().ToString());
    listener_ = *std::move(listener);
    return listener_->port();
  }

  // Serves (runs the loop on this thread) while `running` holds; it is looked at
  // every tick at least.
  void RunWhile(const std::atomic<bool>& running) {
    bool watching = true;
    std::function<void()> watch = [&] {
      if (running.load()) {
        loop_->ScheduleAfterTicks(1, watch);
      } else {
        watching = false;
      }
    };
    watch();
    while (watching) loop_->RunOnce();
  }

  uring::UringLoop& loop() { return *loop_; }

  ~InProcessServer() {
    if (listener_ != nullptr) {
      listener_->Stop();
      while (!listener_->Idle()) SLUICE_ASSERT(loop_->RunOnce(), "the loop ran dry with work running");
    }
    const absl::Status closed = RunOnLoop(*loop_, replica_->Close());
    SLUICE_ASSERT(closed.ok(), closed.ToString());
    listener_.reset();
  }

 private:
  config::Config config_;
  std::unique_ptr<uring::UringLoop> loop_;
  std::unique_ptr<uring::UringStorage> storage_;
  std::unique_ptr<replica::SingleNodeReplica> replica_;
  std::unique_ptr<server::ClientListener> listener_;
};

}  // namespace sluice::testing
