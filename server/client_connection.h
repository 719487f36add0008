#pragma once
// One client connection as the listener sees it: the session it has bound and the
// frames waiting their turn.
//
// Requests are served one at a time per connection, in arrival order, so replies go
// out in request order (PROTOCOL.md §1.1: the SDK matches replies to requests by
// order). Iggy's SDKs never pipeline, but a client may: its later frames wait here,
// bounded by count and bytes. Backpressure keeps them below the bound: once
// kWaitingFramesPause frames or a largest frame's bytes wait, the listener stops
// reading the socket until they are served (the kernel and TCP hold the rest); the
// hard bound (closing the connection) is a safety net that reading paused in time
// never reaches. A request is served only once a largest reply is reserved for it
// from the listener's output budget (client_listener.h, "Memory"): a client that
// does not read its replies is held back, not buffered without bound.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/io/network.h"
#include "server/upstream_connection.h"

namespace sluice::server {

inline constexpr size_t kWaitingFramesMax = 64;
inline constexpr size_t kWaitingFramesPause = kWaitingFramesMax / 2;

struct ClientConnection {
  io::PeerId peer = 0;
  // The session a Register bound on this connection (0 = none: not logged in, logged
  // out, or evicted), and the client id it was bound for.
  uint64_t bound_session = 0;
  absl::uint128 bound_client = 0;
  // Highest request number seen with the bound session: a Logout made for a client
  // that went away uses the next one (the client table refuses a repeated number).
  uint64_t last_request = 0;
  // A request is being served; `serving` holds its frame (a SendMessages batch views
  // it until the partition write has copied it).
  bool busy = false;
  Bytes serving;
  std::deque<Bytes> waiting;
  size_t waiting_bytes = 0;
  // Backpressure (client_listener.h, "Memory"): the socket is not read while set.
  bool receive_paused = false;
  // The output budget reserved for the reply of the request being served (a largest
  // frame, given back when the reply is queued or the connection goes).
  uint64_t reply_reserved_bytes = 0;
  // Its next request waits for output budget (listed in the listener's queue).
  bool output_blocked = false;

  // Backups (client_listener.h, "Backups"): the connection this client's writes are
  // relayed over to the primary, opened at the first one.
  std::unique_ptr<UpstreamConnection> upstream;
  // The current request went upstream and waits for the primary's frame; it was a
  // Register or a Logout (the reply binds or drops the session here too).
  bool relaying = false;
  bool relaying_register = false;
  bool relaying_logout = false;
  // bound_session is the primary's, bound by a relayed Register: the primary ends it
  // when the upstream connection closes (no Logout is submitted here).
  bool session_upstream = false;
};

}  // namespace sluice::server
