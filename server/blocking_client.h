#pragma once
// BlockingClient: a small client of Iggy's client protocol over one blocking TCP
// socket, following the Node SDK's session flow (PROTOCOL.md §1.5, §2): a fresh
// random client id per registration, Register with request 0 and session 0, then
// the session number and a request counter starting at 1 — metadata writes and
// Logout use the counter and advance it, other commands carry it unchanged. One
// request at a time; every call waits for its reply (or an eviction).
//
// For sluice-cli and the multi-process tests; the server never uses it. It also
// sends raw bytes, so tests can play a hostile client on the same socket.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/requests.h"

namespace sluice::server {

// A server frame and its decoding (which views the frame, kept alive with it).
struct ServerFrame {
  std::shared_ptr<const Bytes> frame;
  client_protocol::DecodedReply decoded;
};

class BlockingClient {
 public:
  // Connects to host:port (a numeric IPv4 address or a name), retrying refused
  // connections until `deadline` passes (a server still starting); then every read
  // waits at most `io_timeout`. Unavailable if no connection was made in time.
  static absl::StatusOr<std::unique_ptr<BlockingClient>> Connect(
      const std::string& host, uint16_t port, absl::Duration deadline = absl::Seconds(10),
      absl::Duration io_timeout = absl::Seconds(30));
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Sends `command` numbered as the SDK numbers it and waits for the server's frame.
  // Errors are transport errors (the connection closed, a timeout, an undecodable
  // frame); a refusal by the server is a frame (status, result or eviction). An
  // eviction drops the session, as the SDK does.
  absl::StatusOr<ServerFrame> Call(const client_protocol::Command& command);

  // Register with a password (the Node SDK's login body) and bind the session.
  // PermissionDenied carrying the error if the server refused.
  absl::Status Login(const std::string& username, const std::string& password);
  // Logout; the session is dropped whatever the server said.
  absl::Status Logout();

  // Raw access for hostile-client tests: bytes as given, and the next whole frame.
  absl::Status SendBytes(ByteSpan bytes);
  absl::StatusOr<ServerFrame> ReadFrame();
  // Half-closes the connection: the server reads end of file after what was sent.
  void ShutdownWrite();
  // True once the server has closed the connection: a read returns end of file (or
  // a reset) within `wait`.
  bool ClosedByServer(absl::Duration wait);

  uint64_t session() const { return session_; }
  absl::uint128 client_id() const { return client_id_; }

 private:
  explicit BlockingClient(int fd) : fd_(fd) {}
  absl::Status ReadExactly(uint8_t* out, size_t count);

  int fd_ = -1;
  absl::uint128 client_id_ = 0;
  uint64_t session_ = 0;
  uint64_t request_counter_ = 1;
};

}  // namespace sluice::server
