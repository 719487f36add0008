#pragma once
// UringNetwork: the production io::Network, TCP on io_uring (liburing 2.3).
//
// Peers. Replicas are 0..replica_count-1, each at a configured address. Between
// two replicas there is one connection, made by the lower id (it connects, the
// higher id accepts): a fixed rule, so both ends never race to build two. Each
// side's first frame on it is a hello (tcp_handshake.h): the dialler's names it,
// so the acceptor attributes the connection's frames to that replica; the
// acceptor's answer confirms to the dialler that it reached the replica it meant.
// Clients connect to a separate client port, send no hello, and are numbered on
// accept from replica_count upwards; ids are never reused within a process, so a
// reply meant for a departed client never reaches a new one.
//
// Frames. Every connection reads a 256-byte header, checks its size field against
// its port's maximum frame size (io::CheckFraming's rule, tcp_frame_reader.h)
// and then reads the body; whole frames go to the handler, unvalidated (the edge
// validator is a NetworkHandler layered on top, per core/io/network.h). A bad size
// field closes that connection only, counted and logged. Send() copies a frame
// into the destination's bounded send queue (tcp_send_queue.h) and returns; the
// queue drains through sendmsg, continuing short writes.
//
// Failures. A connection that fails (reset, EOF, EPIPE, a framing error) is
// closed: the frames queued toward its peer are dropped (the contract allows
// loss), OnConnectionChange(peer, false) is raised if the peer was presumed
// connected, and the connecting side reconnects after a backoff that starts at
// reconnect_backoff_min_ticks and doubles on every failed attempt up to
// reconnect_backoff_max_ticks (timers of the loop; nothing sleeps). The backoff
// starts over once a connection lived at least the maximum backoff. A failed
// connect attempt drops the queued frames too. While a replica has no connection,
// frames toward it queue up to the bound (they leave once it connects); then Send()
// refuses with ResourceExhausted. A reconnecting replica's hello replaces an older
// connection of the same replica (false, then true).
//
// Events. OnConnectionChange(replica, true) when a connection to it is confirmed
// (its hello arrived) and it was reported down; false when a connection or an
// attempt ends and it was reported up. A replica that should dial this node and
// never does raises nothing: it looks like silence, as a partition does. Clients
// are presumed connected like every peer: the only event about a client is false,
// when its connection closes. Every callback runs from a completion or timer of
// the loop, never inside Send() or SetHandler().
//
// Bounds. Per peer: one send queue of send_queue_bytes_max (clients:
// client_send_queue_bytes_max), and one receive buffer growing to at most the
// port's maximum frame size. At most clients_max clients (more are accepted and
// closed at once) and unidentified_connections_max replica-port connections
// awaiting their hello (a new one evicts the oldest).
//
// Ownership. The network owns its peers; each TCP connection is a reference-counted
// object shared with the completions of its in-flight operations, because the
// kernel writes into its buffers until they complete. Closing a connection shuts
// its socket down and cancels its operations; the descriptor is closed when the
// last completion has run. Destroying the network aborts everything the same way
// without raising events; the loop must outlive the network, and runs (or, in its
// destructor, drops) the remaining completions, which then touch nothing but the
// connection they own. Not thread-safe: everything runs on the loop's thread.
//
// Allocation. Queueing, sending and receiving allocate nothing in the steady
// state: queues and buffers are sized up front or grow to their bound once.
//
// Memory budget (DESIGN.md "Bounds"). Each port may charge its send queues to a
// base::MemoryPool shared by all its peers (a replica's budget split by
// base::MemoryBudget): a frame is reserved from the pool when queued and released
// byte by byte as it is written, or whole when its connection drops it; Send()
// refuses a frame the pool cannot take with ResourceExhausted, exactly as one its
// queue has no room for. So the bytes queued toward all replicas (all clients)
// together never exceed the pool's limit, whatever the per-peer capacities add up
// to. A client port caller that holds work back until a client's output drains
// learns of progress through on_client_sent, and may stop reading a client
// (SetClientReceivePaused) so that its requests wait in the kernel, not here.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/memory_budget.h"
#include "core/io/loop.h"
#include "core/io/network.h"
#include "io_backends/uring/tcp_address.h"
#include "io_backends/uring/tcp_listener.h"
#include "io_backends/uring/tcp_send_queue.h"
#include "io_backends/uring/uring_loop.h"

namespace sluice::uring {

struct UringNetworkOptions {
  // This node's replica id: an index into `replicas`.
  io::PeerId self = 0;
  // Every replica's address, by id (the replica count is its size). This node
  // connects to the replicas above `self`; its own entry is not dialled.
  std::vector<TcpAddress> replicas;
  // The bound replica-port socket that replicas below `self` connect to.
  // Required when self > 0.
  std::optional<TcpListener> replica_listener;
  // The bound client-port socket. Without one there are no clients, and every id
  // from the replica count up is an unknown peer.
  std::optional<TcpListener> client_listener;

  size_t frame_size_max_bytes = io::kFrameSizeMaxBytesDefault;             // replica port
  size_t send_queue_bytes_max = 4 * io::kFrameSizeMaxBytesDefault;         // per replica
  size_t client_frame_size_max_bytes = io::kFrameSizeMaxBytesDefault;      // client port
  size_t client_send_queue_bytes_max = 2 * io::kFrameSizeMaxBytesDefault;  // per client
  size_t clients_max = 1024;
  size_t unidentified_connections_max = 16;
  uint64_t reconnect_backoff_min_ticks = 1;    // 10 ms
  uint64_t reconnect_backoff_max_ticks = 100;  // 1 s

  // The pools the replica port's and the client port's queued bytes are charged to
  // (see "Memory budget"); null: bounded per peer only. Not owned: each must outlive
  // the network, and holds nothing of it once the network is destroyed.
  base::MemoryPool* replica_send_pool = nullptr;
  base::MemoryPool* client_send_pool = nullptr;
  // After bytes toward a client were written (its queue shrank), from the send's
  // completion on the loop. It may Send(), pause or disconnect clients.
  absl::AnyInvocable<void(io::PeerId client)> on_client_sent;

  // One line per notable event: a framing error, a refused hello or client, a
  // replica lost or regained. Default: stderr.
  absl::AnyInvocable<void(absl::string_view)> log;
};

class UringNetwork final : public io::Network {
 public:
  // What happened so far; for tests, stats and diagnostics.
  struct Counters {
    uint64_t frames_queued = 0;              // Send() returned OK
    uint64_t frames_sent = 0;                // written whole to a socket
    uint64_t frames_refused_queue_full = 0;  // ResourceExhausted
    uint64_t frames_dropped_on_close = 0;    // queued, then dropped with their connection
    uint64_t frames_delivered = 0;           // handed to OnFrame
    uint64_t frames_dropped_no_handler = 0;
    uint64_t connections_established = 0;  // hellos accepted either way, clients
    uint64_t connections_closed = 0;       // of those established
    uint64_t connect_failures = 0;         // dialled, but no answering hello
    uint64_t framing_errors = 0;           // connections closed for a bad size field
    uint64_t handshakes_rejected = 0;
    uint64_t inbound_refused = 0;  // clients over the limit, evicted unidentified
    uint64_t accept_errors = 0;
  };

  // Checks `options` (InvalidArgument), resolves the replicas' addresses, starts
  // accepting on the listeners and connecting to the replicas above `self`.
  static absl::StatusOr<std::unique_ptr<UringNetwork>> Create(UringLoop& loop,
                                                              UringNetworkOptions options);

  // Closes every socket (see "Ownership"); raises no events.
  ~UringNetwork() override;
  UringNetwork(const UringNetwork&) = delete;
  UringNetwork& operator=(const UringNetwork&) = delete;

  // io::Network. Once, with a non-null handler. Replicas are presumed connected
  // from here on.
  void SetHandler(io::NetworkHandler* handler) override;
  // InvalidArgument for framing beyond the destination port's maximum, for `self`,
  // or for an id that is neither a replica nor a client ever accepted;
  // ResourceExhausted when the destination's queue lacks room. A frame to a client
  // that has disconnected is accepted and dropped, like one lost on the wire.
  absl::Status Send(io::PeerId to, ByteSpan frame) override;
  // The replica port's maximum; the client port has client_frame_size_max_bytes().
  size_t frame_size_max_bytes() const override { return frame_size_max_bytes_; }

  // Closes a client's connection now, as a failed one is closed (its queued frames
  // are dropped): for a client whose frame cannot be answered or that does not read
  // its replies. OnConnectionChange(client, false) runs inside this call. A client
  // already gone is a no-op; InvalidArgument for a replica id.
  absl::Status DisconnectClient(io::PeerId client, absl::string_view reason);

  // Stops reading `client`'s socket (true) until it is resumed (false): the
  // client's next requests wait in the kernel's buffers, and TCP's flow control
  // stops the client. Frames already received and not yet delivered wait too; on
  // resumption they are delivered from a posted callback (never inside this call),
  // then reading continues. A client already gone is a no-op; InvalidArgument for a
  // replica id.
  absl::Status SetClientReceivePaused(io::PeerId client, bool paused);
  // The bytes queued toward `peer`, not yet written (0 for a client gone).
  size_t queued_bytes(io::PeerId peer) const;

  size_t client_frame_size_max_bytes() const { return client_frame_size_max_bytes_; }
  size_t client_send_queue_bytes_max() const { return client_send_queue_bytes_max_; }
  io::PeerId self() const { return self_; }
  size_t replica_count() const { return replicas_.size(); }
  // The bound ports (0 without that listener).
  uint16_t replica_port() const;
  uint16_t client_port() const;
  const Counters& counters() const { return counters_; }

 private:
  enum class Port : uint8_t { kReplica, kClient };
  struct Connection;
  struct Listener;
  // A replica or client this node exchanges frames with.
  struct Peer {
    std::shared_ptr<TcpSendQueue> send_queue;
    std::shared_ptr<Connection> connection;  // The current one, or null.
    // Replicas only: what the handler was last told (presumed true when it is set).
    bool reported_connected = true;
    // Replicas this node connects to (ids above self_): where, and when next.
    bool connects = false;
    SocketAddress address;
    std::string address_text;  // As configured, for messages.
    uint64_t backoff_ticks = 0;
    io::TimerId reconnect_timer;
  };

  UringNetwork(UringLoop& loop, UringNetworkOptions options, std::vector<Peer> replicas);

  // Connection setup.
  std::shared_ptr<Listener> StartListening(TcpListener socket, Port port);
  void StartAccept(const std::shared_ptr<Listener>& listener);
  // Completions: their callbacks do the connection's bookkeeping and call these
  // only while it is open.
  void OnAccepted(const std::shared_ptr<Listener>& listener, int32_t result);
  void AdoptClient(int fd);
  void AdoptUnidentified(int fd);
  void StartConnect(io::PeerId id);
  void OnConnected(const std::shared_ptr<Connection>& connection, int32_t result);
  void OnHello(const std::shared_ptr<Connection>& connection, ByteSpan frame);
  void AttachAccepted(const std::shared_ptr<Connection>& connection, io::PeerId id);
  void ScheduleReconnect(io::PeerId id, bool lived_long);

  // Data.
  void StartReceive(const std::shared_ptr<Connection>& connection);
  void OnReceived(const std::shared_ptr<Connection>& connection, int32_t result);
  // Delivers the whole frames buffered, then receives more, unless paused (or closed).
  void DeliverBuffered(const std::shared_ptr<Connection>& connection);
  void Deliver(const std::shared_ptr<Connection>& connection, ByteSpan frame);
  void StartSend(const std::shared_ptr<Connection>& connection);
  void OnSent(const std::shared_ptr<Connection>& connection, int32_t result);

  // Teardown and events.
  void Close(const std::shared_ptr<Connection>& connection, absl::string_view reason);
  // Shuts the socket down and cancels its operations; no bookkeeping, no events.
  void Abort(const std::shared_ptr<Connection>& connection);
  void Report(io::PeerId id, bool connected, absl::string_view reason);
  Peer* FindPeer(io::PeerId id);
  const Peer* FindPeer(io::PeerId id) const;
  base::MemoryPool* PoolOf(io::PeerId id) const { return id < replicas_.size() ? replica_send_pool_ : client_send_pool_; }
  void Log(absl::string_view line);

  UringLoop& loop_;
  const io::PeerId self_;
  const size_t frame_size_max_bytes_;
  const size_t client_frame_size_max_bytes_;
  const size_t client_send_queue_bytes_max_;
  const size_t clients_max_;
  const size_t unidentified_connections_max_;
  const uint64_t reconnect_backoff_min_ticks_;
  const uint64_t reconnect_backoff_max_ticks_;
  absl::AnyInvocable<void(absl::string_view)> log_;
  base::MemoryPool* const replica_send_pool_;
  base::MemoryPool* const client_send_pool_;
  absl::AnyInvocable<void(io::PeerId)> on_client_sent_;

  io::NetworkHandler* handler_ = nullptr;
  std::vector<Peer> replicas_;  // By id; the entry for self_ is unused.
  std::map<io::PeerId, Peer> clients_;
  io::PeerId next_client_id_;
  // Replica-port connections whose hello has not arrived, oldest first.
  std::vector<std::shared_ptr<Connection>> unidentified_;
  std::shared_ptr<Listener> replica_listener_;
  std::shared_ptr<Listener> client_listener_;
  Counters counters_;
};

}  // namespace sluice::uring
