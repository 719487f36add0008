#pragma once
// TcpListener: a TCP socket bound and listening, owned until handed to a
// UringNetwork (which accepts on it through io_uring).
//
// Binding is separate from the network so that the caller learns the port before
// any network exists: tests bind port 0 and read back the ephemeral port the
// kernel chose, then configure every node with the real ports, with no window in
// which another process could take a port picked in advance.
//
// SO_REUSEADDR is set, so a restarted node can bind its port again while
// connections of its previous incarnation linger in TIME_WAIT.

#include <cstdint>

#include "absl/status/statusor.h"
#include "io_backends/uring/tcp_address.h"

namespace sluice::uring {

class TcpListener {
 public:
  static constexpr int kBacklogDefault = 128;

  // Binds `address` and listens. Errors are io::ErrnoStatus values naming the step
  // (socket, bind, listen) and the address, e.g. "EADDRINUSE: bind 127.0.0.1:8090".
  static absl::StatusOr<TcpListener> Listen(const TcpAddress& address,
                                            int backlog = kBacklogDefault);

  TcpListener(TcpListener&& other) noexcept;
  TcpListener& operator=(TcpListener&& other) noexcept;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener();  // Closes the socket unless released.

  int fd() const { return fd_; }
  // The port actually bound: the configured one, or the kernel's choice for port 0.
  uint16_t port() const { return port_; }
  // Gives up ownership: the caller closes the returned descriptor.
  int Release();

 private:
  TcpListener(int fd, uint16_t port) : fd_(fd), port_(port) {}

  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace sluice::uring
