#pragma once
// TcpAddress: where a replica or client listener is, as configured ("host:port"),
// and its resolution to a socket address the kernel accepts.
//
// Resolution happens once, at start-up (UringNetwork::Create, TcpListener::Listen):
// a name lookup may block, which is acceptable before the loop runs and never after.

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluice::uring {

struct TcpAddress {
  std::string host;   // A numeric IPv4/IPv6 address or a host name.
  uint16_t port = 0;  // 0 asks a listener for an ephemeral port.

  std::string ToString() const;  // "host:port", "[v6]:port"
  friend bool operator==(const TcpAddress&, const TcpAddress&) = default;
};

// "127.0.0.1:8090", "localhost:8090" or "[::1]:8090". InvalidArgument otherwise.
absl::StatusOr<TcpAddress> ParseTcpAddress(absl::string_view text);

// A resolved address: what connect() and bind() take.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The first address `address` resolves to for a TCP stream socket. Unavailable,
// naming the address and getaddrinfo's reason, when it resolves to nothing.
absl::StatusOr<SocketAddress> ResolveTcpAddress(const TcpAddress& address);

}  // namespace sluice::uring
