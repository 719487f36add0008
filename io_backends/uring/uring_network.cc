#include "io_backends/uring/uring_network.h"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"
#include "io_backends/uring/tcp_frame_reader.h"
#include "io_backends/uring/tcp_handshake.h"

namespace sluice::uring {
namespace {

constexpr io::PeerId kUnidentified = ~io::PeerId{0};
// One receive asks for at most this much (an SQE's length is 32 bits).
constexpr size_t kReceiveBytesMax = size_t{1} << 30;

std::string ErrnoName(int error_number) {
  const char* name = strerrorname_np(error_number);
  return name != nullptr ? std::string(name) : absl::StrCat("errno ", error_number);
}

// Errors after which the operation is simply issued again.
bool IsTransient(int32_t result) { return result == -EINTR || result == -EAGAIN; }

// Consensus messages are small and latency-bound: never wait to coalesce them.
void SetNoDelay(int fd) {
  const int enable = 1;
  // A socket without TCP_NODELAY still works, only slower; not worth failing for.
  static_cast<void>(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable)));
}

absl::Status CheckOptions(const UringNetworkOptions& options) {
  const auto invalid = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("network options: ", parts...));
  };
  if (options.self >= options.replicas.size()) {
    return invalid("self ", options.self, " is not among ", options.replicas.size(), " replicas");
  }
  if (options.self > 0 && !options.replica_listener.has_value()) {
    return invalid("replica ", options.self, " needs a replica listener (lower ids connect)");
  }
  if (options.frame_size_max_bytes < io::kFrameHeaderSizeBytes ||
      options.client_frame_size_max_bytes < io::kFrameHeaderSizeBytes) {
    return invalid("a maximum frame size below the ", io::kFrameHeaderSizeBytes, "-byte header");
  }
  if (options.send_queue_bytes_max < options.frame_size_max_bytes ||
      options.client_send_queue_bytes_max < options.client_frame_size_max_bytes) {
    return invalid("a send queue smaller than its port's maximum frame");
  }
  if (options.reconnect_backoff_min_ticks == 0 ||
      options.reconnect_backoff_max_ticks < options.reconnect_backoff_min_ticks) {
    return invalid("reconnect backoff must satisfy 0 < min <= max ticks");
  }
  if (options.unidentified_connections_max == 0) {
    return invalid("unidentified_connections_max must be at least 1");
  }
  return absl::OkStatus();
}

}  // namespace

// One TCP connection: its socket, its receive buffer and its send state. Shared
// between the network (while current) and the completions of its operations.
struct UringNetwork::Connection {
  Connection(UringNetwork* network, int fd, Port port, size_t frame_size_max_bytes)
      : network(network), fd(fd), port(port), reader(frame_size_max_bytes) {}
  ~Connection() {
    // Every operation on it has completed (they own a reference): safe to close,
    // and the descriptor number cannot be reused under an in-flight operation.
    static_cast<void>(close(fd));
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Valid while the connection is open: the network closes every connection
  // before it goes, so a completion looks at `closed` before following this.
  UringNetwork* const network;
  const int fd;
  const Port port;
  io::PeerId peer = kUnidentified;  // Known from the start but for accepted replicas.
  bool established = false;         // Frames may be written: connected, or identified.
  bool awaiting_hello = false;      // Replica connections, until the other side's hello.
  bool closed = false;              // Completions only release it from now on.
  bool receiving = false;
  bool receive_paused = false;   // Clients: SetClientReceivePaused.
  bool delivery_posted = false;  // A resumption's DeliverBuffered waits on the loop.
  bool sending = false;
  int operations_in_flight = 0;
  uint64_t established_ns = 0;
  SocketAddress remote;  // Where an outgoing connection dials (CONNECT points at it).
  TcpFrameReader reader;
  std::shared_ptr<TcpSendQueue> send_queue;  // The peer's, once attached.
  std::array<uint8_t, kHelloSizeBytes> hello{};
  size_t hello_unsent_bytes = 0;  // Outgoing replica connections send a hello first.
  std::array<iovec, 2> iov{};     // SENDMSG points at these while a send is in flight.
  msghdr message{};
};

struct UringNetwork::Listener {
  Listener(UringNetwork* network, int fd, uint16_t port_number, Port port)
      : network(network), fd(fd), port_number(port_number), port(port) {}
  ~Listener() { static_cast<void>(close(fd)); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  UringNetwork* const network;  // Valid while not closed, as for a Connection.
  const int fd;
  const uint16_t port_number;
  const Port port;
  bool closed = false;
  bool accepting = false;
  io::TimerId rearm_timer;
};

absl::StatusOr<std::unique_ptr<UringNetwork>> UringNetwork::Create(UringLoop& loop,
                                                                   UringNetworkOptions options) {
  RETURN_IF_ERROR(CheckOptions(options));
  std::vector<Peer> replicas(options.replicas.size());
  for (io::PeerId id = 0; id < replicas.size(); ++id) {
    Peer& peer = replicas[id];
    if (id == options.self) continue;
    peer.send_queue = std::make_shared<TcpSendQueue>(options.send_queue_bytes_max);
    peer.connects = id > options.self;
    peer.backoff_ticks = options.reconnect_backoff_min_ticks;
    if (peer.connects) {
      ASSIGN_OR_RETURN(peer.address, ResolveTcpAddress(options.replicas[id]), "replica ", id);
      peer.address_text = options.replicas[id].ToString();
    }
  }
  std::unique_ptr<UringNetwork> network(
      new UringNetwork(loop, std::move(options), std::move(replicas)));
  for (io::PeerId id = network->self_ + 1; id < network->replicas_.size(); ++id) {
    network->StartConnect(id);
  }
  return network;
}

UringNetwork::UringNetwork(UringLoop& loop, UringNetworkOptions options, std::vector<Peer> replicas)
    : loop_(loop),
      self_(options.self),
      frame_size_max_bytes_(options.frame_size_max_bytes),
      client_frame_size_max_bytes_(options.client_frame_size_max_bytes),
      client_send_queue_bytes_max_(options.client_send_queue_bytes_max),
      clients_max_(options.clients_max),
      unidentified_connections_max_(options.unidentified_connections_max),
      reconnect_backoff_min_ticks_(options.reconnect_backoff_min_ticks),
      reconnect_backoff_max_ticks_(options.reconnect_backoff_max_ticks),
      log_(std::move(options.log)),
      replica_send_pool_(options.replica_send_pool),
      client_send_pool_(options.client_send_pool),
      on_client_sent_(std::move(options.on_client_sent)),
      replicas_(std::move(replicas)),
      next_client_id_(replicas_.size()) {
  if (options.replica_listener.has_value()) {
    replica_listener_ = StartListening(*std::move(options.replica_listener), Port::kReplica);
  }
  if (options.client_listener.has_value()) {
    client_listener_ = StartListening(*std::move(options.client_listener), Port::kClient);
  }
}

UringNetwork::~UringNetwork() {
  handler_ = nullptr;  // Nothing below raises events; make sure of it.
  for (Peer& peer : replicas_) {
    loop_.CancelTimer(peer.reconnect_timer);
    if (peer.connection != nullptr) Abort(peer.connection);
    // What is queued is dropped with the network: its pool holds none of it.
    if (peer.send_queue != nullptr && replica_send_pool_ != nullptr) {
      replica_send_pool_->Release(peer.send_queue->size_bytes());
    }
  }
  for (auto& [id, client] : clients_) {
    Abort(client.connection);
    if (client_send_pool_ != nullptr) client_send_pool_->Release(client.send_queue->size_bytes());
  }
  for (const std::shared_ptr<Connection>& connection : unidentified_) Abort(connection);
  for (const std::shared_ptr<Listener>& listener : {replica_listener_, client_listener_}) {
    if (listener == nullptr) continue;
    listener->closed = true;
    loop_.CancelTimer(listener->rearm_timer);
    // Shutting a listening socket down unhashes it at once (the port is free for a
    // restarted node) and ends a pending ACCEPT; the cancel covers the rest.
    static_cast<void>(shutdown(listener->fd, SHUT_RDWR));
    if (listener->accepting) {
      const int fd = listener->fd;
      loop_.Submit(
          [fd](io_uring_sqe* sqe) { io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL); },
          [listener](int32_t) {});
    }
  }
}

uint16_t UringNetwork::replica_port() const {
  return replica_listener_ != nullptr ? replica_listener_->port_number : 0;
}

uint16_t UringNetwork::client_port() const {
  return client_listener_ != nullptr ? client_listener_->port_number : 0;
}

void UringNetwork::SetHandler(io::NetworkHandler* handler) {
  SLUICE_ASSERT(handler != nullptr, "replica ", self_, ": a null handler");
  SLUICE_ASSERT(handler_ == nullptr, "replica ", self_, ": the handler is set once");
  handler_ = handler;
  for (Peer& peer : replicas_) peer.reported_connected = true;
}

absl::Status UringNetwork::Send(io::PeerId to, ByteSpan frame) {
  if (to == self_) {
    return absl::InvalidArgumentError(absl::StrCat("replica ", self_, " cannot send to itself"));
  }
  Peer* peer = FindPeer(to);
  const bool is_replica = to < replicas_.size();
  const bool is_client = !is_replica && client_listener_ != nullptr && to < next_client_id_;
  if (!is_replica && !is_client) {
    return absl::InvalidArgumentError(absl::StrCat("replica ", self_, " sending to unknown peer ",
                                                   to, " (", replicas_.size(), " replicas)"));
  }
  RETURN_IF_ERROR(
      io::CheckFraming(frame, is_replica ? frame_size_max_bytes_ : client_frame_size_max_bytes_),
      "replica ", self_, " sending to ", to);
  if (peer == nullptr) {  // A client that has gone: the frame is lost on the way.
    ++counters_.frames_queued;
    ++counters_.frames_dropped_on_close;
    return absl::OkStatus();
  }
  base::MemoryPool* const pool = PoolOf(to);
  if (pool != nullptr && !pool->TryReserve(frame.size())) {
    ++counters_.frames_refused_queue_full;
    return absl::ResourceExhaustedError(absl::StrCat(
        "replica ", self_, ": the ", is_replica ? "replica" : "client", " port's memory budget of ",
        pool->limit_bytes(), " bytes holds ", pool->used_bytes(), ", no room for a frame of ",
        frame.size(), " toward ", to));
  }
  if (!peer->send_queue->TryAppend(frame)) {
    if (pool != nullptr) pool->Release(frame.size());
    ++counters_.frames_refused_queue_full;
    return absl::ResourceExhaustedError(absl::StrCat(
        "replica ", self_, ": the queue toward ", to, " holds ", peer->send_queue->size_bytes(),
        " of ", peer->send_queue->capacity_bytes(), " bytes, no room for ", frame.size()));
  }
  ++counters_.frames_queued;
  if (peer->connection != nullptr) StartSend(peer->connection);
  return absl::OkStatus();
}

absl::Status UringNetwork::DisconnectClient(io::PeerId client, absl::string_view reason) {
  if (client < replicas_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica ", self_, ": ", client, " is a replica, not a client"));
  }
  const auto found = clients_.find(client);
  if (found == clients_.end() || found->second.connection == nullptr) return absl::OkStatus();
  const std::shared_ptr<Connection> connection = found->second.connection;
  Log(absl::StrCat("client ", client, " disconnected: ", reason));
  Close(connection, reason);
  return absl::OkStatus();
}

UringNetwork::Peer* UringNetwork::FindPeer(io::PeerId id) {
  if (id < replicas_.size()) return id == self_ ? nullptr : &replicas_[id];
  const auto client = clients_.find(id);
  return client == clients_.end() ? nullptr : &client->second;
}

const UringNetwork::Peer* UringNetwork::FindPeer(io::PeerId id) const {
  return const_cast<UringNetwork*>(this)->FindPeer(id);
}

size_t UringNetwork::queued_bytes(io::PeerId peer) const {
  const Peer* found = FindPeer(peer);
  return found == nullptr ? 0 : found->send_queue->size_bytes();
}

absl::Status UringNetwork::SetClientReceivePaused(io::PeerId client, bool paused) {
  if (client < replicas_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica ", self_, ": ", client, " is a replica, not a client"));
  }
  const auto found = clients_.find(client);
  if (found == clients_.end() || found->second.connection == nullptr) return absl::OkStatus();
  const std::shared_ptr<Connection> connection = found->second.connection;
  if (connection->receive_paused == paused) return absl::OkStatus();
  connection->receive_paused = paused;
  // Resumed with no receive in flight: deliver what waits and read on, from the loop
  // (the caller may be inside OnFrame; a handler is never called re-entrantly).
  if (!paused && !connection->receiving && !connection->delivery_posted) {
    connection->delivery_posted = true;
    loop_.Post([connection] {
      connection->delivery_posted = false;
      if (connection->closed || connection->receive_paused || connection->receiving) return;
      connection->network->DeliverBuffered(connection);
    });
  }
  return absl::OkStatus();
}

// --- Listening and accepting ---

std::shared_ptr<UringNetwork::Listener> UringNetwork::StartListening(TcpListener socket,
                                                                     Port port) {
  const uint16_t port_number = socket.port();
  auto listener = std::make_shared<Listener>(this, socket.Release(), port_number, port);
  StartAccept(listener);
  return listener;
}

void UringNetwork::StartAccept(const std::shared_ptr<Listener>& listener) {
  SLUICE_ASSERT(!listener->accepting && !listener->closed, "accepting twice or after close");
  listener->accepting = true;
  const int fd = listener->fd;
  loop_.Submit(
      [fd](io_uring_sqe* sqe) { io_uring_prep_accept(sqe, fd, nullptr, nullptr, SOCK_CLOEXEC); },
      [listener](int32_t result) {
        listener->accepting = false;
        if (!listener->closed) {
          listener->network->OnAccepted(listener, result);
        } else if (result >= 0) {
          static_cast<void>(close(result));  // Accepted as the network went away.
        }
      });
}

void UringNetwork::OnAccepted(const std::shared_ptr<Listener>& listener, int32_t result) {
  if (result < 0) {
    ++counters_.accept_errors;
    if (IsTransient(result) || result == -ECONNABORTED) {
      StartAccept(listener);
      return;
    }
    // Out of descriptors or memory: retrying at once would spin; wait a tick.
    Log(absl::StrCat("accept on port ", listener->port_number, ": ", ErrnoName(-result)));
    listener->rearm_timer = loop_.ScheduleAfterTicks(1, [this, listener] {
      listener->rearm_timer = io::TimerId{};
      StartAccept(listener);
    });
    return;
  }
  SetNoDelay(result);
  if (listener->port == Port::kClient) {
    AdoptClient(result);
  } else {
    AdoptUnidentified(result);
  }
  StartAccept(listener);
}

void UringNetwork::AdoptClient(int fd) {
  if (clients_.size() >= clients_max_) {
    ++counters_.inbound_refused;
    Log(absl::StrCat("client refused: ", clients_max_, " clients connected already"));
    static_cast<void>(close(fd));  // No operation was ever issued on it.
    return;
  }
  const io::PeerId id = next_client_id_++;
  auto connection =
      std::make_shared<Connection>(this, fd, Port::kClient, client_frame_size_max_bytes_);
  connection->peer = id;
  connection->established = true;
  connection->established_ns = loop_.MonotonicNs();
  Peer& client = clients_[id];
  client.send_queue = std::make_shared<TcpSendQueue>(client_send_queue_bytes_max_);
  client.connection = connection;
  connection->send_queue = client.send_queue;
  ++counters_.connections_established;
  StartReceive(connection);
}

void UringNetwork::AdoptUnidentified(int fd) {
  if (unidentified_.size() >= unidentified_connections_max_) {
    ++counters_.inbound_refused;
    Close(unidentified_.front(), "evicted: too many connections awaiting a hello");
  }
  // Until its hello arrives, a connection may send nothing larger than a hello.
  auto connection = std::make_shared<Connection>(this, fd, Port::kReplica, kHelloSizeBytes);
  connection->awaiting_hello = true;
  unidentified_.push_back(connection);
  StartReceive(connection);
}

void UringNetwork::OnHello(const std::shared_ptr<Connection>& connection, ByteSpan frame) {
  const bool dialled = connection->peer != kUnidentified;  // We dialled; else we accepted.
  const absl::StatusOr<Hello> hello = DecodeHello(frame);
  std::string problem;
  if (!hello.ok()) {
    problem = std::string(hello.status().message());
  } else if (hello->receiver != self_ || hello->replica_count != replicas_.size()) {
    problem = absl::StrCat("hello for replica ", hello->receiver, " of ", hello->replica_count,
                           ", this is replica ", self_, " of ", replicas_.size());
  } else if (dialled && hello->sender != connection->peer) {
    problem = absl::StrCat("dialled replica ", connection->peer, " at ",
                           replicas_[connection->peer].address_text, ", replica ", hello->sender,
                           " answered");
  } else if (!dialled && hello->sender >= self_) {
    problem = absl::StrCat("hello from replica ", hello->sender,
                           ", which must be dialled, not dial (the lower id connects)");
  }
  if (!problem.empty()) {
    ++counters_.handshakes_rejected;
    Log(absl::StrCat(dialled ? "dropped a connection it dialled: "
                             : "refused a connection on the replica port: ",
                     problem));
    Close(connection, problem);
    return;
  }
  connection->awaiting_hello = false;
  connection->reader.set_frame_size_max_bytes(frame_size_max_bytes_);
  if (dialled) {
    ++counters_.connections_established;
    Report(connection->peer, true, "connected");
    return;
  }
  AttachAccepted(connection, hello->sender);
}

void UringNetwork::AttachAccepted(const std::shared_ptr<Connection>& connection, io::PeerId id) {
  const auto position = std::find(unidentified_.begin(), unidentified_.end(), connection);
  SLUICE_ASSERT(position != unidentified_.end(), "a hello on a connection not listed");
  unidentified_.erase(position);
  Peer& peer = replicas_[id];
  // The replica restarted, or its old connection died unnoticed: the new one wins.
  if (peer.connection != nullptr) Close(peer.connection, "replaced by a newer connection");
  connection->peer = id;
  connection->established = true;
  connection->established_ns = loop_.MonotonicNs();
  connection->send_queue = peer.send_queue;
  // Our hello answers theirs, ahead of any queued frame: the dialler learns it
  // reached the replica it meant to.
  connection->hello =
      EncodeHello(Hello{.sender = self_, .receiver = id, .replica_count = replicas_.size()});
  connection->hello_unsent_bytes = kHelloSizeBytes;
  peer.connection = connection;
  ++counters_.connections_established;
  Report(id, true, "connected to us");
  StartSend(connection);
}

// --- Connecting ---

void UringNetwork::StartConnect(io::PeerId id) {
  Peer& peer = replicas_[id];
  SLUICE_ASSERT(peer.connects && peer.connection == nullptr, "replica ", self_,
                " dialling replica ", id, " twice or against the rule");
  const int fd = socket(peer.address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ++counters_.connect_failures;
    Report(id, false, absl::StrCat("socket: ", ErrnoName(errno)));
    ScheduleReconnect(id, false);
    return;
  }
  SetNoDelay(fd);
  // Until the answering hello, the other side may send nothing larger than one.
  auto connection = std::make_shared<Connection>(this, fd, Port::kReplica, kHelloSizeBytes);
  connection->peer = id;
  connection->awaiting_hello = true;
  connection->remote = peer.address;
  connection->send_queue = peer.send_queue;
  connection->hello =
      EncodeHello(Hello{.sender = self_, .receiver = id, .replica_count = replicas_.size()});
  connection->hello_unsent_bytes = kHelloSizeBytes;
  peer.connection = connection;
  ++connection->operations_in_flight;
  Connection* const raw = connection.get();
  loop_.Submit(
      [raw](io_uring_sqe* sqe) {
        io_uring_prep_connect(sqe, raw->fd, raw->remote.get(), raw->remote.length);
      },
      [connection](int32_t result) {
        --connection->operations_in_flight;
        if (!connection->closed) connection->network->OnConnected(connection, result);
      });
}

void UringNetwork::OnConnected(const std::shared_ptr<Connection>& connection, int32_t result) {
  if (result < 0) {
    Close(connection, absl::StrCat("connect: ", ErrnoName(-result)));
    return;
  }
  // Our hello, then the queued frames, leave at once (TCP keeps them in order
  // behind it); the peer counts as reachable once its answering hello arrives.
  connection->established = true;
  connection->established_ns = loop_.MonotonicNs();
  StartReceive(connection);
  StartSend(connection);
}

void UringNetwork::ScheduleReconnect(io::PeerId id, bool lived_long) {
  Peer& peer = replicas_[id];
  if (lived_long) peer.backoff_ticks = reconnect_backoff_min_ticks_;
  const uint64_t ticks = peer.backoff_ticks;
  peer.backoff_ticks = std::min(ticks * 2, reconnect_backoff_max_ticks_);
  peer.reconnect_timer = loop_.ScheduleAfterTicks(ticks, [this, id] {
    replicas_[id].reconnect_timer = io::TimerId{};
    StartConnect(id);
  });
}

// --- Receiving ---

void UringNetwork::StartReceive(const std::shared_ptr<Connection>& connection) {
  SLUICE_ASSERT(!connection->receiving, "two receives on one connection");
  const MutableByteSpan space = connection->reader.FreeSpace();
  const size_t length = std::min(space.size(), kReceiveBytesMax);
  connection->receiving = true;
  ++connection->operations_in_flight;
  const int fd = connection->fd;
  loop_.Submit([fd, space, length](
                   io_uring_sqe* sqe) { io_uring_prep_recv(sqe, fd, space.data(), length, 0); },
               // Only the connection is captured: it fits the callback's inline storage, so
               // the steady state allocates nothing per operation.
               [connection](int32_t result) {
                 connection->receiving = false;
                 --connection->operations_in_flight;
                 if (!connection->closed) connection->network->OnReceived(connection, result);
               });
}

void UringNetwork::OnReceived(const std::shared_ptr<Connection>& connection, int32_t result) {
  if (IsTransient(result)) {
    StartReceive(connection);
    return;
  }
  if (result <= 0) {
    Close(connection, result == 0 ? "closed by the peer" : ErrnoName(-result));
    return;
  }
  connection->reader.Commit(static_cast<size_t>(result));
  DeliverBuffered(connection);
}

void UringNetwork::DeliverBuffered(const std::shared_ptr<Connection>& connection) {
  // Bounded: every frame consumes at least a header of the bytes buffered.
  for (;;) {
    // Paused (perhaps by the handler of the frame just delivered): the rest waits.
    if (connection->receive_paused) return;
    const absl::StatusOr<ByteSpan> frame = connection->reader.NextFrame();
    if (!frame.ok()) {
      ++counters_.framing_errors;
      const std::string reason = absl::StrCat("framing error: ", frame.status().message());
      Log(absl::StrCat(connection->port == Port::kClient ? "client " : "replica ",
                       connection->peer == kUnidentified ? std::string("(not yet identified)")
                                                         : absl::StrCat(connection->peer),
                       ": connection closed, ", reason));
      Close(connection, reason);
      return;
    }
    if (frame->empty()) break;
    Deliver(connection, *frame);
    if (connection->closed) return;  // A refused hello.
  }
  StartReceive(connection);
}

void UringNetwork::Deliver(const std::shared_ptr<Connection>& connection, ByteSpan frame) {
  if (connection->awaiting_hello) {
    OnHello(connection, frame);
    return;
  }
  if (handler_ == nullptr) {
    ++counters_.frames_dropped_no_handler;
    return;
  }
  ++counters_.frames_delivered;
  handler_->OnFrame(connection->peer, frame);
}

// --- Sending ---

void UringNetwork::StartSend(const std::shared_ptr<Connection>& connection) {
  if (connection->closed || connection->sending || !connection->established) return;
  int iov_count = 0;
  if (connection->hello_unsent_bytes > 0) {
    connection->iov[0] =
        iovec{connection->hello.data() + (kHelloSizeBytes - connection->hello_unsent_bytes),
              connection->hello_unsent_bytes};
    iov_count = 1;
  } else {
    iov_count = connection->send_queue->FillIovecs(connection->iov.data());
  }
  if (iov_count == 0) return;
  connection->message = msghdr{};
  connection->message.msg_iov = connection->iov.data();
  connection->message.msg_iovlen = static_cast<size_t>(iov_count);
  connection->sending = true;
  ++connection->operations_in_flight;
  Connection* const raw = connection.get();
  loop_.Submit(
      // MSG_NOSIGNAL: a peer gone away is EPIPE, never SIGPIPE.
      [raw](io_uring_sqe* sqe) {
        io_uring_prep_sendmsg(sqe, raw->fd, &raw->message, MSG_NOSIGNAL);
      },
      [connection](int32_t result) {
        connection->sending = false;
        --connection->operations_in_flight;
        if (!connection->closed) connection->network->OnSent(connection, result);
      });
}

void UringNetwork::OnSent(const std::shared_ptr<Connection>& connection, int32_t result) {
  if (IsTransient(result)) {
    StartSend(connection);
    return;
  }
  if (result <= 0) {  // Zero bytes of a non-empty send: the socket is unusable.
    Close(connection, result == 0 ? "send made no progress" : ErrnoName(-result));
    return;
  }
  size_t sent_bytes = static_cast<size_t>(result);
  if (connection->hello_unsent_bytes > 0) {
    SLUICE_ASSERT(sent_bytes <= connection->hello_unsent_bytes, "sent past the hello");
    connection->hello_unsent_bytes -= sent_bytes;
  } else {
    counters_.frames_sent += connection->send_queue->Consume(sent_bytes);
    if (base::MemoryPool* pool = PoolOf(connection->peer); pool != nullptr) pool->Release(sent_bytes);
  }
  StartSend(connection);
  // Last: the callback may send to, pause or close this very client.
  if (connection->port == Port::kClient && on_client_sent_ != nullptr) on_client_sent_(connection->peer);
}

// --- Closing and events ---

void UringNetwork::Abort(const std::shared_ptr<Connection>& connection) {
  if (connection->closed) return;
  connection->closed = true;
  // Wakes a pending receive (EOF) and send (EPIPE), and tells the peer now.
  static_cast<void>(shutdown(connection->fd, SHUT_RDWR));
  if (connection->operations_in_flight == 0) return;
  // A CONNECT in progress is not ended by shutdown; cancel whatever is left. The
  // cancel holds a reference too, so the descriptor stays open until it has run.
  const int fd = connection->fd;
  loop_.Submit(
      [fd](io_uring_sqe* sqe) { io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL); },
      [connection](int32_t) {});
}

void UringNetwork::Close(const std::shared_ptr<Connection>& connection, absl::string_view reason) {
  if (connection->closed) return;
  Abort(connection);
  const io::PeerId id = connection->peer;
  const bool confirmed = connection->established && !connection->awaiting_hello;
  if (confirmed || connection->port == Port::kClient) {
    ++counters_.connections_closed;
  } else if (id != kUnidentified) {
    ++counters_.connect_failures;  // Dialled, but never answered with a good hello.
  }
  if (id == kUnidentified) {
    const auto position = std::find(unidentified_.begin(), unidentified_.end(), connection);
    SLUICE_ASSERT(position != unidentified_.end(), "an unidentified connection not listed");
    unidentified_.erase(position);
    return;
  }
  Peer* peer = FindPeer(id);
  SLUICE_ASSERT(peer != nullptr && peer->connection == connection, "replica ", self_,
                " closing a connection of ", id, " that is not its current one");
  peer->connection = nullptr;
  // The queued frames are lost with the connection, and their bytes leave the budget.
  counters_.frames_dropped_on_close += peer->send_queue->frame_count();
  if (base::MemoryPool* pool = PoolOf(id); pool != nullptr) pool->Release(peer->send_queue->size_bytes());
  if (id >= replicas_.size()) {
    clients_.erase(id);  // `peer` dangles from here on.
  } else if (connection->sending) {
    // The kernel may still read the old queue's front (the connection keeps it
    // alive until the send completes): the peer starts a new one.
    peer->send_queue = std::make_shared<TcpSendQueue>(peer->send_queue->capacity_bytes());
  } else {
    peer->send_queue->Clear();
  }
  if (id < replicas_.size() && peer->connects) {
    const bool lived_long = confirmed && loop_.MonotonicNs() - connection->established_ns >=
                                             reconnect_backoff_max_ticks_ * io::kTickNs;
    ScheduleReconnect(id, lived_long);
  }
  Report(id, false, reason);  // Last: the handler may Send() from here.
}

void UringNetwork::Report(io::PeerId id, bool connected, absl::string_view reason) {
  if (id < replicas_.size()) {
    Peer& peer = replicas_[id];
    if (peer.reported_connected == connected) return;
    peer.reported_connected = connected;
    Log(absl::StrCat("replica ", id, connected ? " reachable: " : " unreachable: ", reason));
  }
  if (handler_ != nullptr) handler_->OnConnectionChange(id, connected);
}

void UringNetwork::Log(absl::string_view line) {
  if (log_ != nullptr) {
    log_(line);
    return;
  }
  std::fprintf(stderr, "network (replica %llu): %.*s\n", static_cast<unsigned long long>(self_),
               static_cast<int>(line.size()), line.data());
}

}  // namespace sluice::uring
