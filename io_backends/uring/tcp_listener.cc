#include "io_backends/uring/tcp_listener.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/io/io_error.h"

namespace sluice::uring {
namespace {

// "EADDRINUSE: bind 127.0.0.1:8090 (Address already in use)": the errno by name
// (io::ErrnoStatus knows storage errors only), Unavailable, errno as the payload.
absl::Status SocketError(int error_number, absl::string_view context) {
  const char* name = strerrorname_np(error_number);
  absl::Status status = io::ErrnoStatus(error_number, context);
  if (status.code() != absl::StatusCode::kInternal || name == nullptr) return status;
  absl::Status named =
      absl::UnavailableError(absl::StrCat(name, ": ", context, " (", strerror(error_number), ")"));
  status.ForEachPayload([&named](absl::string_view url, const absl::Cord& payload) {
    named.SetPayload(url, payload);
  });
  return named;
}

// The port of a bound socket, read back with getsockname (port 0 binds pick one).
absl::StatusOr<uint16_t> BoundPort(int fd, const std::string& context) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return SocketError(errno, absl::StrCat("getsockname ", context));
  }
  if (bound.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  }
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return absl::InternalError(absl::StrCat(context, ": bound to address family ", bound.ss_family));
}

}  // namespace

absl::StatusOr<TcpListener> TcpListener::Listen(const TcpAddress& address, int backlog) {
  const std::string context = address.ToString();
  ASSIGN_OR_RETURN(const SocketAddress resolved, ResolveTcpAddress(address));
  const int fd = socket(resolved.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError(errno, absl::StrCat("socket for ", context));
  TcpListener listener(fd, 0);  // Closes the socket on every error path below.
  const int enable = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable)) != 0) {
    return SocketError(errno, absl::StrCat("SO_REUSEADDR ", context));
  }
  if (bind(fd, resolved.get(), resolved.length) != 0) {
    return SocketError(errno, absl::StrCat("bind ", context));
  }
  if (listen(fd, backlog) != 0) return SocketError(errno, absl::StrCat("listen ", context));
  ASSIGN_OR_RETURN(listener.port_, BoundPort(fd, context));
  return listener;
}

TcpListener::TcpListener(TcpListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) static_cast<void>(close(fd_));
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

TcpListener::~TcpListener() {
  // Nothing useful can be done about a failing close of a listening socket.
  if (fd_ >= 0) static_cast<void>(close(fd_));
}

int TcpListener::Release() { return std::exchange(fd_, -1); }

}  // namespace sluice::uring
