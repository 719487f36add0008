#include "server/client_listener.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/request_class.h"
#include "core/client_protocol/session_gate.h"
#include "core/client_protocol/reply_frame.h"
#include "io_backends/uring/tcp_listener.h"

namespace sluice::server {

using client_protocol::ClientRequest;
using client_protocol::RequestClass;

namespace {

// A wildcard listen address is reached through loopback on a single node.
std::string AdvertisedIp(const std::string& host) {
  if (host == "0.0.0.0" || host == "::" || host.empty()) return "127.0.0.1";
  return host;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientListener>> ClientListener::Start(
    uring::UringLoop& loop, replica::SingleNodeReplica& replica, SecretHasher& hasher,
    ClientListenerOptions options) {
  auto adapter = std::make_unique<SingleNodeServed>(replica);
  ASSIGN_OR_RETURN(std::unique_ptr<ClientListener> listener,
                   Start(loop, *adapter, hasher, std::move(options)));
  listener->owned_replica_ = std::move(adapter);
  return listener;
}

absl::StatusOr<std::unique_ptr<ClientListener>> ClientListener::Start(uring::UringLoop& loop,
                                                                      ServedReplica& replica,
                                                                      SecretHasher& hasher,
                                                                      ClientListenerOptions options) {
  ASSIGN_OR_RETURN(uring::TcpListener socket, uring::TcpListener::Listen(options.address),
                   "the client listener");
  uring::UringNetworkOptions network;
  network.self = 0;
  // A single node: its own entry is never dialled, and there is no replica port.
  network.replicas = {options.address};
  network.client_listener = std::move(socket);
  network.client_frame_size_max_bytes = options.frame_size_max_bytes;
  // Room for a few maximal replies in flight; a client that lets more pile up is
  // not reading and is disconnected.
  network.client_send_queue_bytes_max = 4 * options.frame_size_max_bytes;
  network.clients_max = options.clients_max;
  network.log = [](absl::string_view line) {
    std::fprintf(stderr, "client port: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  std::vector<uring::SocketAddress> resolved;
  std::vector<std::string> hosts;
  std::vector<uint16_t> ports;
  for (const uring::TcpAddress& address : options.cluster_clients) {
    ASSIGN_OR_RETURN(uring::SocketAddress socket_address, uring::ResolveTcpAddress(address),
                     "a replica's client address");
    resolved.push_back(socket_address);
    hosts.push_back(address.host);
    ports.push_back(address.port);
  }
  if (replica.Role().count > 1 && resolved.size() != replica.Role().count) {
    return absl::InvalidArgumentError(absl::StrCat("a cluster of ", replica.Role().count,
                                                   " replicas needs as many client addresses; ",
                                                   resolved.size(), " given"));
  }
  if (options.output_bytes_max < 2 * uint64_t{options.frame_size_max_bytes}) {
    return absl::InvalidArgumentError(absl::StrCat("the client output budget of ", options.output_bytes_max,
                                                   " bytes must hold two largest frames of ",
                                                   options.frame_size_max_bytes, " bytes"));
  }
  std::unique_ptr<ClientListener> listener(new ClientListener(loop, replica, hasher, std::move(options)));
  ClientListener* const raw = listener.get();
  // Each connection's share of the output budget (see "Memory"): a largest reply at
  // least, at most its send queue, and a quarter of the budget when that is less.
  raw->connection_output_bytes_max_ =
      std::max<uint64_t>(raw->limits_.frame_size_bytes_max,
                         std::min<uint64_t>(network.client_send_queue_bytes_max,
                                            raw->output_pool_.limit_bytes() / kOutputSharesMin));
  network.client_send_pool = &listener->output_pool_;
  // The network is the listener's: it never outlives `raw`.
  network.on_client_sent = [raw](io::PeerId) { raw->ResumeOutputBlocked(); };
  listener->client_addresses_ = std::move(resolved);
  listener->client_hosts_ = std::move(hosts);
  listener->client_ports_ = std::move(ports);
  listener->watched_view_ = replica.Role().view;
  ASSIGN_OR_RETURN(listener->network_, uring::UringNetwork::Create(loop, std::move(network)),
                   "the client listener");
  listener->identity_.tcp_port = listener->network_->client_port();
  listener->network_->SetHandler(listener.get());
  listener->stats_.RecountAll();
  listener->ScheduleRecount();
  listener->WatchRole();
  return listener;
}

ClientListener::ClientListener(uring::UringLoop& loop, ServedReplica& replica, SecretHasher& hasher,
                               ClientListenerOptions options)
    : loop_(loop),
      replica_(replica),
      hasher_(hasher),
      limits_{.frame_size_bytes_max = static_cast<uint32_t>(options.frame_size_max_bytes),
              .batch_size_bytes_max = options.batch_size_bytes_max},
      identity_(std::move(options.identity)),
      recount_interval_ticks_(options.recount_interval_ticks),
      stats_(replica),
      output_pool_(options.output_bytes_max) {
  SLUICE_ASSERT(options.frame_size_max_bytes >= 256 &&
                    options.frame_size_max_bytes <= client_protocol::kFrameSizeBytesMaxDefault,
                "client frame bound out of range: ", options.frame_size_max_bytes);
  identity_.advertised_ip = AdvertisedIp(options.address.host);
}

ClientListener::~ClientListener() { Stop(); }

void ClientListener::Stop() {
  network_.reset();  // closes the port and every connection, raising no events
  for (auto& [peer, connection] : connections_) ReleaseReply(*connection);
  connections_.clear();
  deferred_.clear();
  output_blocked_.clear();
  CountClients();
  if (recount_timer_.has_value()) loop_.CancelTimer(*recount_timer_);
  recount_timer_.reset();
  if (role_timer_.has_value()) loop_.CancelTimer(*role_timer_);
  role_timer_.reset();
}

void ClientListener::WatchRole() {
  role_timer_ = loop_.ScheduleAfterTicks(1, [this] {
    role_timer_.reset();
    if (network_ == nullptr) return;  // stopped
    replica_.Tick();
    const ReplicaRole role = replica_.Role();
    if (role.count > 1 && (role.view != watched_view_ || role.normal != watched_normal_)) {
      std::fprintf(stderr, "replica %u: view %u, %s, primary %u%s\n", role.self, role.view,
                   role.normal ? "normal" : "view change", role.primary, role.is_primary() ? " (this replica)" : "");
      watched_normal_ = role.normal;
    }
    if (role.view != watched_view_) {
      watched_view_ = role.view;
      // Relayed connections lead to the old primary, and the old primary's pending
      // writes may never be answered: every client reconnects.
      std::vector<io::PeerId> peers;
      for (const auto& [peer, connection] : connections_) peers.push_back(peer);
      for (const io::PeerId peer : peers) {
        Disconnect(peer, absl::StrCat("the view changed to ", role.view, "; reconnect"));
      }
    }
    WatchRole();
  });
}

bool ClientListener::Relays(const ClientRequest& request) const {
  if (replica_.Role().is_primary()) return false;
  switch (client_protocol::ClassOf(request.command)) {
    case RequestClass::kLogin:
    case RequestClass::kMetadataWrite:
    case RequestClass::kSendMessages:
    case RequestClass::kOffsetWrite:
      return true;
    case RequestClass::kPing:
    case RequestClass::kMetadataRead:
    case RequestClass::kServerRead:
    case RequestClass::kPartitionRead:
      return false;
  }
  return false;
}

void ClientListener::Relay(ClientConnection& connection, const ClientRequest& request) {
  const ReplicaRole role = replica_.Role();
  if (role.failed) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, client_protocol::IggyError::kError));
    return;
  }
  if (!role.normal || role.primary >= client_addresses_.size()) {
    // No established primary to relay to: the SDK re-sends the frame.
    Reply(connection.peer,
          client_protocol::EncodeStatusReply(request.header, client_protocol::IggyError::kTransientNotAccepted));
    return;
  }
  if (connection.upstream == nullptr) {
    const io::PeerId peer = connection.peer;
    connection.upstream = std::make_unique<UpstreamConnection>(
        loop_, client_addresses_[role.primary], limits_.frame_size_bytes_max,
        [this, peer](ByteSpan frame) { OnUpstreamFrame(peer, frame); },
        [this, peer](absl::string_view reason) {
          Disconnect(peer, absl::StrCat("relay to the primary ended: ", reason));
        });
  }
  connection.relaying = true;
  connection.relaying_register = std::holds_alternative<client_protocol::RegisterRequest>(request.command);
  connection.relaying_logout = std::holds_alternative<client_protocol::LogoutRequest>(request.command);
  connection.upstream->Send(connection.serving);
}

void ClientListener::OnUpstreamFrame(io::PeerId peer, ByteSpan frame) {
  ClientConnection* connection = Find(peer);
  if (connection == nullptr || network_ == nullptr) return;
  const absl::StatusOr<client_protocol::DecodedReply> decoded = client_protocol::DecodeReplyFrame(frame);
  if (!decoded.ok()) {
    Disconnect(peer, absl::StrCat("the primary's frame: ", decoded.status().message()));
    return;
  }
  if (decoded->eviction) {
    connection->bound_session = 0;
    connection->bound_client = 0;
    connection->session_upstream = false;
  } else if (connection->relaying && connection->relaying_register && decoded->status == 0 &&
             decoded->result.value_or(0) == 0 && decoded->payload.size() >= 12) {
    // [user_id:u32][session:u64]...: the session the primary bound.
    connection->bound_session = base::LoadLittleEndian<uint64_t>(decoded->payload, 4);
    connection->bound_client = decoded->client;
    connection->last_request = 0;
    connection->session_upstream = true;
  } else if (connection->relaying && connection->relaying_logout && decoded->status == 0) {
    connection->bound_session = 0;
    connection->bound_client = 0;
    connection->session_upstream = false;
  }
  if (!connection->relaying) {
    // Unsolicited (an eviction): passed on as it came.
    if (const absl::Status sent = network_->Send(peer, frame); !sent.ok()) Disconnect(peer, sent.message());
    return;
  }
  connection->relaying = false;
  Reply(peer, frame);
}

void ClientListener::ScheduleRecount() {
  recount_timer_ = loop_.ScheduleAfterTicks(recount_interval_ticks_, [this] {
    recount_timer_.reset();
    if (network_ == nullptr) return;  // stopped
    stats_.RecountAll();
    ScheduleRecount();
  });
}

uint64_t ClientListener::NowUs() const { return loop_.RealtimeNs() / 1000; }

void ClientListener::LogRefusal(absl::string_view what, const absl::Status& status) {
  ++refusals_;
  const uint64_t now_ns = loop_.MonotonicNs();
  if (refusals_logged_ns_ != 0 && now_ns - refusals_logged_ns_ < 1'000'000'000) return;
  std::fprintf(stderr, "%.*s refused by the replica (%llu refusal(s) so far): %s\n", static_cast<int>(what.size()),
               what.data(), static_cast<unsigned long long>(refusals_), status.ToString().c_str());
  if (now_ns - refusals_described_ns_ >= 10'000'000'000) {
    // Refusals that go on are worth the consensus' own account, every 10 s at most.
    const std::string described = replica_.Describe();
    std::fprintf(stderr, "%s", described.c_str());
    refusals_described_ns_ = now_ns;
  }
  refusals_logged_ns_ = now_ns;
}

ClientConnection* ClientListener::Find(io::PeerId peer) {
  const auto found = connections_.find(peer);
  return found == connections_.end() ? nullptr : found->second.get();
}

void ClientListener::OnFrame(io::PeerId from, ByteSpan frame) {
  // Clients are presumed connected: the first frame is the first news of one.
  std::unique_ptr<ClientConnection>& slot = connections_[from];
  if (slot == nullptr) {
    slot = std::make_unique<ClientConnection>();
    slot->peer = from;
    CountClients();
  }
  ClientConnection& connection = *slot;
  if (connection.waiting.size() >= kWaitingFramesMax ||
      connection.waiting_bytes + frame.size() > 2 * size_t{limits_.frame_size_bytes_max}) {
    Disconnect(from, absl::StrCat("more than ", connection.waiting.size(),
                                  " requests waiting for replies it does not read"));
    return;
  }
  connection.waiting.emplace_back(frame.begin(), frame.end());
  connection.waiting_bytes += frame.size();
  UpdateReceivePause(connection);
  ServeNext(connection);
}

void ClientListener::UpdateReceivePause(ClientConnection& connection) {
  if (network_ == nullptr) return;
  const bool pause = connection.waiting.size() >= kWaitingFramesPause ||
                     connection.waiting_bytes >= size_t{limits_.frame_size_bytes_max};
  if (pause == connection.receive_paused) return;
  connection.receive_paused = pause;
  const absl::Status status = network_->SetClientReceivePaused(connection.peer, pause);
  SLUICE_ASSERT(status.ok(), status.ToString());
}

bool ClientListener::ReserveReply(ClientConnection& connection) {
  SLUICE_ASSERT(connection.reply_reserved_bytes == 0, "client ", connection.peer, " reserved twice");
  const uint64_t reply_bytes = limits_.frame_size_bytes_max;
  // Within its share (which its own queue can also take, or Send() would refuse).
  const bool share_room = network_->queued_bytes(connection.peer) + reply_bytes <= connection_output_bytes_max_;
  if (share_room && output_pool_.TryReserve(reply_bytes)) {
    connection.reply_reserved_bytes = reply_bytes;
    return true;
  }
  if (!connection.output_blocked) {
    connection.output_blocked = true;
    output_blocked_.push_back(connection.peer);
    ++output_holds_;
  }
  return false;
}

void ClientListener::ReleaseReply(ClientConnection& connection) {
  output_pool_.Release(connection.reply_reserved_bytes);
  connection.reply_reserved_bytes = 0;
}

void ClientListener::ResumeOutputBlocked() {
  if (output_blocked_.empty() || network_ == nullptr) return;
  // Each tries in the order it blocked; one that still finds no room blocks again,
  // at the back (a reservation is a largest reply whoever asks, so none is starved
  // for being slow to ask).
  std::vector<io::PeerId> blocked;
  blocked.swap(output_blocked_);
  for (const io::PeerId peer : blocked) {
    ClientConnection* connection = Find(peer);
    if (connection == nullptr) continue;
    connection->output_blocked = false;
    ServeNext(*connection);
  }
}

uint64_t ClientListener::OutputBytesHeld() const {
  uint64_t held = 0;
  for (const auto& [peer, connection] : connections_) {
    held += connection->reply_reserved_bytes;
    if (network_ != nullptr) held += network_->queued_bytes(peer);
  }
  return held;
}

void ClientListener::Erase(io::PeerId peer) {
  const auto found = connections_.find(peer);
  if (found == connections_.end()) return;
  ReleaseReply(*found->second);
  connections_.erase(found);
  CountClients();
  // Its reservation (and, through the network, its queued replies) left the budget.
  ResumeOutputBlocked();
}

void ClientListener::OnConnectionChange(io::PeerId peer, bool connected) {
  if (connected) return;
  const auto found = connections_.find(peer);
  if (found == connections_.end()) return;
  // A session bound on the primary through a relay ends there, with its upstream.
  if (found->second->bound_session != 0 && !found->second->session_upstream) {
    LogoutDeparted(*found->second);
  }
  Erase(peer);
}

void ClientListener::Disconnect(io::PeerId peer, absl::string_view reason) {
  if (network_ == nullptr) return;
  // Runs OnConnectionChange(peer, false), which forgets the connection.
  const absl::Status status = network_->DisconnectClient(peer, reason);
  SLUICE_ASSERT(status.ok(), status.ToString());
  Erase(peer);  // in case the network had already forgotten it
}

void ClientListener::Defer(ClientConnection& connection) {
  SLUICE_ASSERT(connection.busy, "deferring client ", connection.peer, " with nothing to serve");
  deferred_.push_back(connection.peer);
}

void ClientListener::ResumeDeferred() {
  std::vector<io::PeerId> waiting;
  waiting.swap(deferred_);
  deletes_deferred_ = 0;  // each deferred delete counts itself again if it waits on
  for (const io::PeerId peer : waiting) {
    // Served in arrival order; each may defer itself again.
    if (ClientConnection* connection = Find(peer); connection != nullptr) Serve(*connection);
  }
}

void ClientListener::ServeNext(ClientConnection& connection) {
  if (connection.busy || connection.waiting.empty() || connection.output_blocked) return;
  if (network_ == nullptr || !ReserveReply(connection)) return;  // waits for output to drain
  connection.busy = true;
  connection.serving = std::move(connection.waiting.front());
  connection.waiting.pop_front();
  connection.waiting_bytes -= connection.serving.size();
  UpdateReceivePause(connection);
  Serve(connection);
}

void ClientListener::Serve(ClientConnection& connection) {
  absl::StatusOr<ClientRequest> request = client_protocol::DecodeClientFrame(connection.serving, limits_);
  if (!request.ok()) {
    Refuse(connection, request.status());
    return;
  }
  if (const absl::Status gate = client_protocol::CheckSessionGate(*request, connection.bound_session);
      !gate.ok()) {
    Refuse(connection, gate);
    return;
  }
  if (connection.bound_session != 0 && request->header.session == connection.bound_session) {
    connection.last_request = std::max(connection.last_request, request->header.request);
  }
  // Any request of a registered client — pings and polls, which a backup answers
  // itself, included — keeps its session and its group memberships alive (the
  // primary's expiry, ClusterReplica::NoteClientActivity).
  if (connection.bound_session != 0) replica_.NoteClientActivity(connection.bound_client);
  Dispatch(connection, *std::move(request));
}

void ClientListener::Dispatch(ClientConnection& connection, ClientRequest request) {
  if (Relays(request)) {
    Relay(connection, request);
    return;
  }
  switch (client_protocol::ClassOf(request.command)) {
    case RequestClass::kPing:
      Reply(connection.peer, client_protocol::EncodeReply(request.header, {}));
      return;
    case RequestClass::kLogin:
      ServeLogin(connection, std::move(request));
      return;
    case RequestClass::kMetadataWrite:
      ServeMetadataWrite(connection, std::move(request));
      return;
    case RequestClass::kMetadataRead:
      ServeMetadataRead(connection, request);
      return;
    case RequestClass::kServerRead:
      ServeServerRead(connection, request);
      return;
    case RequestClass::kSendMessages:
      ServeSend(connection, request);
      return;
    case RequestClass::kOffsetWrite:
      ServeOffsetWrite(connection, request);
      return;
    case RequestClass::kPartitionRead:
      ServePartitionRead(connection, request);
      return;
  }
  SLUICE_ASSERT(false, "a request class without a path");
}

void ClientListener::Refuse(ClientConnection& connection, const absl::Status& status) {
  const client_protocol::Rejection rejection = client_protocol::RejectionOf(status);
  SLUICE_ASSERT(rejection.kind != client_protocol::RejectionKind::kNone, "refusing an OK status");
  std::optional<Bytes> answer = client_protocol::EncodeRejection(connection.serving, status);
  if (!answer.has_value()) {
    Disconnect(connection.peer, status.message());
    return;
  }
  if (rejection.kind == client_protocol::RejectionKind::kEviction) {
    // Session-terminal (§1.6): the SDK registers again on its next call.
    connection.bound_session = 0;
    connection.bound_client = 0;
  }
  Reply(connection.peer, *answer);
}

void ClientListener::Reply(io::PeerId peer, ByteSpan frame) {
  ClientConnection* connection = Find(peer);
  if (connection == nullptr || network_ == nullptr) return;  // gone: the reply is lost with it
  SLUICE_ASSERT(connection->busy, "a reply to client ", peer, " with no request being served");
  SLUICE_ASSERT(frame.size() <= connection->reply_reserved_bytes, "a reply of ", frame.size(),
                " bytes beyond the ", connection->reply_reserved_bytes, " reserved");
  // The reservation becomes the queued reply: released, then charged again by Send()
  // with nothing in between, so the reply always fits the budget.
  ReleaseReply(*connection);
  if (const absl::Status sent = network_->Send(peer, frame); !sent.ok()) {
    // Its send queue is full: it is not reading what it asked for.
    Disconnect(peer, sent.message());
    return;
  }
  connection->busy = false;
  connection->serving.clear();
  ServeNext(*connection);
  // The reservation's unused part went back to the budget.
  ResumeOutputBlocked();
}

}  // namespace sluice::server
