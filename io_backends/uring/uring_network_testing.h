#pragma once
// Test-only: replicas talking TCP over 127.0.0.1 through UringNetwork, on one
// UringLoop, and a bounded way to run that loop until something holds.
//
// Every replica binds its ports as port 0 and reads back what the kernel chose
// (TcpListener), so tests never race other processes for a port picked in advance.
// A stopped replica restarts on the same ports, as a real one would.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/clock.h"
#include "io_backends/uring/tcp_listener.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_network.h"

namespace sluice::uring::testing {

inline constexpr uint64_t kRunTimeoutNsDefault = 10'000'000'000;  // 10 s

// Runs `loop` until `done()` holds (true) or `timeout_ns` passes (false).
// `done()` is checked after every event and at least once a tick (a timer wakes a
// blocked RunOnce()), so it may also watch things outside the loop, such as a
// plain socket; nothing hangs past the deadline.
inline bool RunLoopUntil(UringLoop& loop, absl::FunctionRef<bool()> done,
                         uint64_t timeout_ns = kRunTimeoutNsDefault) {
  const uint64_t deadline_ns = loop.MonotonicNs() + timeout_ns;
  while (!done()) {
    if (loop.MonotonicNs() >= deadline_ns) return false;
    bool ticked = false;
    const io::TimerId tick = loop.ScheduleAfterTicks(1, [&ticked] { ticked = true; });
    while (!ticked && !done()) {
      const bool ran = loop.RunOnce();
      SLUICE_ASSERT(ran, "the tick timer is pending");
    }
    loop.CancelTimer(tick);
  }
  return true;
}

inline UringNetwork::Counters& operator+=(UringNetwork::Counters& sum,
                                          const UringNetwork::Counters& more) {
  sum.frames_queued += more.frames_queued;
  sum.frames_sent += more.frames_sent;
  sum.frames_refused_queue_full += more.frames_refused_queue_full;
  sum.frames_dropped_on_close += more.frames_dropped_on_close;
  sum.frames_delivered += more.frames_delivered;
  sum.frames_dropped_no_handler += more.frames_dropped_no_handler;
  sum.connections_established += more.connections_established;
  sum.connections_closed += more.connections_closed;
  sum.connect_failures += more.connect_failures;
  sum.framing_errors += more.framing_errors;
  sum.handshakes_rejected += more.handshakes_rejected;
  sum.inbound_refused += more.inbound_refused;
  sum.accept_errors += more.accept_errors;
  return sum;
}

class LoopbackCluster {
 public:
  // Adjusts each replica's options (bounds, backoff) before it starts.
  using Configure = std::function<void(UringNetworkOptions&)>;

  explicit LoopbackCluster(size_t replica_count, Configure configure = nullptr,
                           bool with_client_ports = false)
      : configure_(std::move(configure)),
        with_client_ports_(with_client_ports),
        networks_(replica_count) {
    absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create();
    SLUICE_ASSERT(loop.ok(), loop.status().ToString());
    loop_ = *std::move(loop);
    std::vector<TcpListener> replica_listeners;
    for (size_t id = 0; id < replica_count; ++id) {
      replica_listeners.push_back(Listen(0));
      addresses_.push_back(TcpAddress{"127.0.0.1", replica_listeners.back().port()});
      client_ports_.push_back(0);
    }
    for (size_t id = 0; id < replica_count; ++id) {
      StartWith(id, std::move(replica_listeners[id]));
    }
  }

  ~LoopbackCluster() {
    networks_.clear();  // Before the loop: the loop must outlive its networks.
    loop_.reset();
  }

  LoopbackCluster(const LoopbackCluster&) = delete;
  LoopbackCluster& operator=(const LoopbackCluster&) = delete;

  UringLoop& loop() { return *loop_; }
  size_t replica_count() const { return networks_.size(); }
  UringNetwork& network(io::PeerId id) {
    SLUICE_ASSERT(networks_.at(id) != nullptr, "replica ", id, " is stopped");
    return *networks_[id];
  }
  bool running(io::PeerId id) const { return networks_.at(id) != nullptr; }
  uint16_t replica_port(io::PeerId id) const { return addresses_.at(id).port; }
  uint16_t client_port(io::PeerId id) const { return client_ports_.at(id); }

  // The replica's process ends: its network and sockets go.
  void Stop(io::PeerId id) {
    SLUICE_ASSERT(running(id), "replica ", id, " stopped twice");
    networks_[id].reset();
  }

  // A new process of the replica, on the same ports; its handler is set anew.
  void Start(io::PeerId id) {
    SLUICE_ASSERT(!running(id), "replica ", id, " started twice");
    StartWith(id, Listen(addresses_[id].port));
  }

  bool RunUntil(absl::FunctionRef<bool()> done, uint64_t timeout_ns = kRunTimeoutNsDefault) {
    return RunLoopUntil(*loop_, done, timeout_ns);
  }

  UringNetwork::Counters TotalCounters() const {
    UringNetwork::Counters total;
    for (const auto& network : networks_) {
      if (network != nullptr) total += network->counters();
    }
    return total;
  }

  // Runs until every frame queued by a running replica was delivered or dropped
  // (meaningful while no replica stops and no outside socket sends frames).
  bool Settle(uint64_t timeout_ns = kRunTimeoutNsDefault) {
    return RunUntil(
        [this] {
          const UringNetwork::Counters total = TotalCounters();
          return total.frames_queued == total.frames_delivered + total.frames_dropped_no_handler +
                                            total.frames_dropped_on_close;
        },
        timeout_ns);
  }

 private:
  static TcpListener Listen(uint16_t port) {
    absl::StatusOr<TcpListener> listener = TcpListener::Listen(TcpAddress{"127.0.0.1", port});
    SLUICE_ASSERT(listener.ok(), listener.status().ToString());
    return *std::move(listener);
  }

  void StartWith(io::PeerId id, TcpListener replica_listener) {
    UringNetworkOptions options;
    options.self = id;
    options.replicas = addresses_;
    options.replica_listener = std::move(replica_listener);
    if (with_client_ports_) {
      options.client_listener = Listen(client_ports_[id]);
      client_ports_[id] = options.client_listener->port();
    }
    if (configure_) configure_(options);
    absl::StatusOr<std::unique_ptr<UringNetwork>> network =
        UringNetwork::Create(*loop_, std::move(options));
    SLUICE_ASSERT(network.ok(), network.status().ToString());
    networks_[id] = *std::move(network);
  }

  Configure configure_;
  const bool with_client_ports_;
  std::unique_ptr<UringLoop> loop_;
  std::vector<TcpAddress> addresses_;
  std::vector<uint16_t> client_ports_;
  std::vector<std::unique_ptr<UringNetwork>> networks_;
};

}  // namespace sluice::uring::testing
