#include "server/blocking_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"
#include "core/client_protocol/protocol_version.h"
#include "core/client_protocol/request_encoder.h"

namespace sluice::server {
namespace {

absl::uint128 RandomClientId() {
  std::random_device device;
  absl::uint128 id = 0;
  while (id == 0) {
    id = absl::MakeUint128((uint64_t{device()} << 32) | device(), (uint64_t{device()} << 32) | device());
  }
  return id;
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void SetTimeouts(int fd, absl::Duration timeout) {
  const timeval value = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof(value));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof(value));
}

absl::StatusOr<int> ConnectOnce(const addrinfo& address) {
  const int fd = socket(address.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  if (connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    const absl::Status error = ErrnoError("connect");
    close(fd);
    return error;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool IsMetadataOrLogout(wire::Operation operation) {
  const auto value = static_cast<uint8_t>(operation);
  return operation == wire::Operation::kLogout || (value >= 64 && value < 160);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::Connect(const std::string& host,
                                                                        uint16_t port,
                                                                        absl::Duration deadline,
                                                                        absl::Duration io_timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = absl::StrCat(port);
  if (const int error = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); error != 0) {
    return absl::UnavailableError(absl::StrCat("resolving ", host, ": ", gai_strerror(error)));
  }
  const absl::Time give_up = absl::Now() + deadline;
  absl::StatusOr<int> fd = absl::UnavailableError("no attempt");
  // Bounded: a refused connection (the server not listening yet) is retried every
  // 20 ms until the deadline.
  while (true) {
    fd = ConnectOnce(*found);
    if (fd.ok() || absl::Now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  freeaddrinfo(found);
  if (!fd.ok()) {
    return absl::UnavailableError(
        absl::StrCat("connecting to ", host, ":", port, ": ", fd.status().message()));
  }
  SetTimeouts(*fd, io_timeout);
  std::unique_ptr<BlockingClient> client(new BlockingClient(*fd));
  client->client_id_ = RandomClientId();
  return client;
}

BlockingClient::~BlockingClient() {
  if (fd_ >= 0) close(fd_);
}

absl::Status BlockingClient::SendBytes(ByteSpan bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t written = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return ErrnoError("send");
    sent += static_cast<size_t>(written);
  }
  return absl::OkStatus();
}

absl::Status BlockingClient::ReadExactly(uint8_t* out, size_t count) {
  size_t read = 0;
  while (read < count) {
    const ssize_t got = recv(fd_, out + read, count - read, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) return absl::UnavailableError("the server closed the connection");
    if (got < 0) return ErrnoError("recv");
    read += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerFrame> BlockingClient::ReadFrame() {
  auto frame = std::make_shared<Bytes>(256);
  RETURN_IF_ERROR(ReadExactly(frame->data(), 256));
  const uint32_t size = base::LoadLittleEndian<uint32_t>(*frame, 48);
  // The Node SDK's bound on reply frames (§1.1).
  if (size < 256 || size > (uint32_t{64} << 20)) {
    return absl::DataLossError(absl::StrCat("reply frame size ", size, " out of bounds"));
  }
  frame->resize(size);
  RETURN_IF_ERROR(ReadExactly(frame->data() + 256, size - 256));
  ASSIGN_OR_RETURN(client_protocol::DecodedReply decoded, client_protocol::DecodeReplyFrame(*frame));
  return ServerFrame{.frame = std::move(frame), .decoded = decoded};
}

void BlockingClient::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

bool BlockingClient::ClosedByServer(absl::Duration wait) {
  pollfd watched{.fd = fd_, .events = POLLIN, .revents = 0};
  if (poll(&watched, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) <= 0) return false;
  uint8_t byte = 0;
  const ssize_t got = recv(fd_, &byte, 1, MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

absl::StatusOr<ServerFrame> BlockingClient::Call(const client_protocol::Command& command) {
  const wire::Operation operation = client_protocol::OperationOf(command);
  client_protocol::RequestIdentity identity;
  if (operation == wire::Operation::kRegister) {
    client_id_ = RandomClientId();  // a fresh id at every registration (§1.5)
    identity = {.client = client_id_, .request = 0, .session = 0};
  } else if (IsMetadataOrLogout(operation)) {
    identity = {.client = client_id_, .request = request_counter_++, .session = session_};
  } else {
    identity = {.client = client_id_, .request = request_counter_, .session = session_};
  }
  RETURN_IF_ERROR(SendBytes(client_protocol::EncodeClientFrame(identity, command)));
  ASSIGN_OR_RETURN(ServerFrame reply, ReadFrame());
  if (reply.decoded.eviction || operation == wire::Operation::kLogout) {
    session_ = 0;
  } else if (operation == wire::Operation::kRegister && reply.decoded.Error() ==
                                                           client_protocol::IggyError::kOk) {
    // [user_id:u32][session:u64][protocol:u32][version Name] after the result section.
    if (reply.decoded.payload.size() < 12) return absl::DataLossError("a Register reply without a session");
    session_ = base::LoadLittleEndian<uint64_t>(reply.decoded.payload, 4);
    request_counter_ = 1;
  }
  return reply;
}

absl::Status BlockingClient::Login(const std::string& username, const std::string& password) {
  client_protocol::RegisterRequest login;
  login.protocol_version = client_protocol::kServerProtocolVersion;
  login.sdk_name = "sluice-cli";
  login.sdk_version = std::string(client_protocol::kServerVersion);
  login.credentials = client_protocol::PasswordCredentials{username, password};
  ASSIGN_OR_RETURN(const ServerFrame reply, Call(login));
  if (reply.decoded.Error() != client_protocol::IggyError::kOk) {
    return absl::PermissionDeniedError(
        absl::StrCat("login refused with error ", static_cast<uint32_t>(reply.decoded.Error())));
  }
  return absl::OkStatus();
}

absl::Status BlockingClient::Logout() {
  ASSIGN_OR_RETURN(const ServerFrame reply, Call(client_protocol::LogoutRequest{}));
  if (reply.decoded.Error() != client_protocol::IggyError::kOk) {
    return absl::InternalError(
        absl::StrCat("logout answered error ", static_cast<uint32_t>(reply.decoded.Error())));
  }
  return absl::OkStatus();
}

}  // namespace sluice::server
