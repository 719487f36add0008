#pragma once
// ClientListener: sluice-server's client port — Iggy's client protocol
// (../shared/PROTOCOL.md) over TCP, served by a replica: a single node, or one
// replica of a cluster (served_replica.h).
//
// Per frame (core/client_protocol/README.md has each step's contract):
//   1. UringNetwork frames the byte stream (a size field below 256 or above the
//      configured maximum closes that connection only).
//   2. DecodeClientFrame validates the frame once (rule B13); CheckSessionGate adds
//      what the connection's session allows. A refusal is answered as
//      EncodeRejection says: a status reply, an eviction (the session bound here is
//      dropped, the socket kept), or closing this connection.
//   3. One dispatch by RequestClass: ping, login (the KDF runs on the SecretHasher,
//      off the loop; the login is planned again when its hash comes back),
//      metadata writes (committed through the replica, answered from Apply's result),
//      metadata reads, the server's own reads, sends, offset writes, polls and
//      offset reads (the partition logs).
// Every request gets exactly one answer (or its connection is closed): the SDK
// waits for each reply before sending the next request.
//
// Ordering and bounds: requests of one connection are served one at a time, in
// order (client_connection.h); the network bounds each connection's receive buffer
// (the maximum frame) and send queue. Poll replies are cut to fit one frame
// (poll_budget.h).
//
// Memory (DESIGN.md "Bounds", issue #6): slow readers draw on one output budget,
// a base::MemoryPool of output_bytes_max (the client quarter of
// limits.memory_budget_bytes, base::MemoryBudget). It holds every reply queued
// toward a client and not yet written (the network charges its client send queues
// to it) and, for each request being served, a largest reply reserved before the
// request is served. A request is served only once that reservation succeeds and
// its connection stays within its share — its queued replies plus a largest reply
// at most a quarter of the budget (kOutputSharesMin; never less than one largest
// reply, never more than its send queue); otherwise the connection waits, in order,
// until some client's output drains (the network reports every write) or a
// connection goes — backpressure, never a reply dropped or buffered past the
// budget. The share keeps up to three clients that read nothing from taking the
// whole budget: others are still served. More such clients can fill it; then new
// requests wait until some client reads or goes (evicting a stalled reader to make
// room is not done yet). Reading pauses too: a connection with kWaitingFramesPause
// requests (or a largest frame's bytes) waiting is not read until they are served,
// so a client pipelining without reading stalls on TCP's flow control while every
// other client is served. Requests read but not yet served are bounded per
// connection (client_connection.h), not by this budget.
//
// Polls and partition deletions never overlap: a poll reads its partition log
// across suspensions, and a committed DeleteStream / DeleteTopic / DeletePartitions
// destroys the logs it removes before it is answered. So such a delete is submitted
// only while no poll runs, and polls arriving while one is in flight wait for its
// reply (both wait by deferring their connection's request, in order).
//
// Backups. Writes are the primary's. A backup serves locally what needs no primary:
// Ping, GetStats, GetClusterMetadata (the roster names the primary of its view as
// the leader, with every replica's client port: the SDK moves there after login,
// PROTOCOL.md §2.4), metadata reads and partition reads (polls, offsets) from its
// committed state, which may lag the primary's. Everything else — Register, Logout,
// metadata writes, sends, offset writes, and polls that auto-commit an offset — is
// relayed whole to the primary's client port over one upstream connection per
// client connection (upstream_connection.h, opened at the first relayed request),
// and the primary's frame is relayed back as the answer; the session is bound on
// the primary (a relayed Register's reply binds it here too, so local reads pass
// the session gate). Without an established view (a view change under way) a
// relayed request is answered TransientNotAccepted (58: the SDK re-sends it). When
// the replica's view changes, every client connection is closed (the SDK
// reconnects and logs in again, reaching the new primary); when an upstream
// connection fails, its client connection is closed. Submissions the replica
// refuses before preparing them (not the primary any more, a view change, a full
// pipeline, rule B8's checkpoint hold) are answered 58: they provably did not
// execute. A write prepared and then lost (replaced in a view change) is answered
// Error (1): whether it executed is not known to this replica.
//
// A cluster replica removes or replaces partition logs as it applies ops; it waits
// for reads in flight first (PartitionLog::Drain waits for their leases), so a poll
// racing a delete a backup applies ends with what it read, or an error.
//
// Everything runs on the loop's thread; nothing here is thread-safe (the hasher's
// worker never touches the listener: its results come back through the loop). The
// listener must outlive every callback it handed the replica and the hasher: Stop()
// closes the port and the connections, after which replies still to come are
// dropped; destroy the listener only once Idle() holds and the replica has been
// drained (Close).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/memory_budget.h"
#include "core/client_protocol/requests.h"
#include "core/io/network.h"
#include "core/replica/single_node_replica.h"
#include "io_backends/uring/tcp_address.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_network.h"
#include "server/client_connection.h"
#include "server/process_figures.h"
#include "server/secret_hasher.h"
#include "server/served_replica.h"
#include "server/server_counters.h"
#include "server/server_reads.h"

namespace sluice::server {

// A connection's share of the output budget is at most 1/kOutputSharesMin of it.
inline constexpr uint64_t kOutputSharesMin = 4;

struct ClientListenerOptions {
  uring::TcpAddress address = {"0.0.0.0", 8090};
  // The largest frame a client may send and the listener may send back, header
  // included.
  size_t frame_size_max_bytes = (size_t{1} << 20) + 256;
  // The largest batch a SendMessages may carry (the partition prepare's body bound).
  uint64_t batch_size_bytes_max = uint64_t{1} << 20;
  size_t clients_max = 1024;
  ServerIdentity identity;  // tcp_port is filled from the bound port
  // A cluster's client addresses, by replica index (replica_count entries; empty on
  // a single node): the roster, and where a backup relays to. Resolved at Start.
  std::vector<uring::TcpAddress> cluster_clients;
  // Slow readers' memory (see "Memory"): replies queued toward all clients together,
  // plus a largest reply reserved per request being served. At least two largest
  // frames. The default is the client quarter of the default memory budget (256 MiB).
  uint64_t output_bytes_max = uint64_t{64} << 20;
  // How often GetStats' counters are recounted whole (server_counters.h): what
  // retention removes shows within this; the retention driver's interval.
  uint64_t recount_interval_ticks = 500;
};

class ClientListener final : public io::NetworkHandler {
 public:
  // Binds the address and starts accepting; logins hash on `hasher`, which must
  // outlive the listener. Errors: the bind's (e.g. EADDRINUSE).
  static absl::StatusOr<std::unique_ptr<ClientListener>> Start(uring::UringLoop& loop, ServedReplica& replica,
                                                               SecretHasher& hasher,
                                                               ClientListenerOptions options);
  // The same for a single node (the listener owns its adapter).
  static absl::StatusOr<std::unique_ptr<ClientListener>> Start(uring::UringLoop& loop,
                                                               replica::SingleNodeReplica& replica,
                                                               SecretHasher& hasher,
                                                               ClientListenerOptions options);
  ~ClientListener() override;

  // The port bound (the kernel's choice when configured as 0).
  uint16_t port() const { return identity_.tcp_port; }
  // Stops accepting and closes every connection; later replies are dropped.
  void Stop();
  // No poll or login of this listener is still running.
  bool Idle() const { return polls_running_ == 0 && logins_hashing_ == 0; }
  size_t connection_count() const { return connections_.size(); }
  // GetStats' counters (rule B14: readable from any thread).
  const ServerCounters& counters() const { return stats_.counters(); }
  // The slow readers' budget (see "Memory"): used, limit, high-water mark. Loop thread.
  const base::MemoryPool& output_pool() const { return output_pool_; }
  // Requests held back for output budget or share so far (each wait counted once).
  uint64_t output_holds() const { return output_holds_; }
  uint64_t connection_output_bytes_max() const { return connection_output_bytes_max_; }
  // Bytes queued toward clients, not yet written, plus the replies reserved: what the
  // pool should hold, recounted from the connections (tests compare both).
  uint64_t OutputBytesHeld() const;

  // io::NetworkHandler.
  void OnFrame(io::PeerId from, ByteSpan frame) override;
  void OnConnectionChange(io::PeerId peer, bool connected) override;

 private:
  ClientListener(uring::UringLoop& loop, ServedReplica& replica, SecretHasher& hasher,
                 ClientListenerOptions options);

  // Connection flow (client_listener.cc).
  void ServeNext(ClientConnection& connection);
  void Serve(ClientConnection& connection);
  void Dispatch(ClientConnection& connection, client_protocol::ClientRequest request);
  // Sends `frame` to `peer` (if still connected) and serves its next request.
  void Reply(io::PeerId peer, ByteSpan frame);
  // Answers a refused frame per EncodeRejection (reply, eviction or close).
  void Refuse(ClientConnection& connection, const absl::Status& status);
  void Disconnect(io::PeerId peer, absl::string_view reason);
  // Forgets a connection, giving back its reply reservation.
  void Erase(io::PeerId peer);
  // Memory (see "Memory"): reserves a largest reply for `connection`'s next request,
  // or lists it as blocked (false) until output drains.
  bool ReserveReply(ClientConnection& connection);
  void ReleaseReply(ClientConnection& connection);
  // Output drained somewhere (a write, a connection gone): blocked connections, in
  // the order they blocked, try again.
  void ResumeOutputBlocked();
  // Reads `connection`'s socket again once few enough of its requests wait.
  void UpdateReceivePause(ClientConnection& connection);
  // Serves `connection`'s current request again once ResumeDeferred() runs.
  void Defer(ClientConnection& connection);
  void ResumeDeferred();
  ClientConnection* Find(io::PeerId peer);
  void CountClients() { stats_.SetClients(connections_.size()); }
  // Recounts the counters whole every recount_interval_ticks until Stop().
  void ScheduleRecount();
  uint64_t NowUs() const;
  // A write the replica refused: logged at most once a second, with the count.
  void LogRefusal(absl::string_view what, const absl::Status& status);

  // Metadata paths (client_metadata_paths.cc).
  void ServeLogin(ClientConnection& connection, client_protocol::ClientRequest request);
  // The hash of `hashed` came back: plan again against the state as it is now (it
  // may have changed meanwhile), then check and submit the Register.
  void FinishLogin(io::PeerId peer, client_protocol::ClientRequest request,
                   const SecretToHash& hashed, absl::StatusOr<Bytes> hash);
  void ServeMetadataWrite(ClientConnection& connection, client_protocol::ClientRequest request);
  void ServeMetadataRead(ClientConnection& connection, const client_protocol::ClientRequest& request);
  void ServeServerRead(ClientConnection& connection, const client_protocol::ClientRequest& request);
  // Submits a validated metadata op for `request` and replies once it committed.
  // `on_answered` runs once the reply is sent (or the op refused).
  void SubmitMetadata(ClientConnection& connection, client_protocol::ClientRequest request,
                      wire::Operation operation, Bytes body,
                      absl::AnyInvocable<void()> on_answered = nullptr);
  // A client that went away with a session: its Logout, so its group memberships end.
  void LogoutDeparted(const ClientConnection& connection);

  // Backups (client_listener.cc).
  // Whether this request goes to the primary (this replica is not it).
  bool Relays(const client_protocol::ClientRequest& request) const;
  void Relay(ClientConnection& connection, const client_protocol::ClientRequest& request);
  void OnUpstreamFrame(io::PeerId peer, ByteSpan frame);
  // Every tick: the replica's housekeeping, and closing every client at a view change.
  void WatchRole();

  // Partition paths (client_partition_paths.cc).
  void ServeSend(ClientConnection& connection, const client_protocol::ClientRequest& request);
  void ServeOffsetWrite(ClientConnection& connection, const client_protocol::ClientRequest& request);
  void ServePartitionRead(ClientConnection& connection,
                          const client_protocol::ClientRequest& request);
  void ServePoll(ClientConnection& connection, const client_protocol::ClientRequest& request);
  void ServeGetOffset(ClientConnection& connection, const client_protocol::ClientRequest& request);

  uring::UringLoop& loop_;
  std::unique_ptr<ServedReplica> owned_replica_;  // the single-node Start's adapter
  ServedReplica& replica_;
  SecretHasher& hasher_;
  const client_protocol::ClientLimits limits_;
  ServerIdentity identity_;
  const uint64_t recount_interval_ticks_;
  StatsKeeper stats_;
  ProcessSampler process_;
  std::optional<io::TimerId> recount_timer_;
  std::optional<io::TimerId> role_timer_;
  uint32_t watched_view_ = 0;
  bool watched_normal_ = true;
  uint64_t refusals_ = 0;
  uint64_t refusals_logged_ns_ = 0;
  uint64_t refusals_described_ns_ = 0;
  std::vector<uring::SocketAddress> client_addresses_;  // by replica index (cluster only)
  std::vector<std::string> client_hosts_;
  std::vector<uint16_t> client_ports_;
  // Declared before the network, which charges it: it outlives the network.
  base::MemoryPool output_pool_;  // slow readers (see "Memory")
  std::unique_ptr<uring::UringNetwork> network_;
  absl::flat_hash_map<io::PeerId, std::unique_ptr<ClientConnection>> connections_;
  // Balanced partitioning: one round-robin counter per (stream, topic) (§6.1).
  absl::flat_hash_map<uint64_t, uint64_t> balanced_counters_;
  uint64_t polls_running_ = 0;
  uint64_t logins_hashing_ = 0;  // logins whose hash has not come back
  uint64_t deletes_in_flight_ = 0;  // partition-removing metadata writes not yet answered
  uint64_t deletes_deferred_ = 0;   // ... waiting for polls to finish (new polls wait too)
  std::vector<io::PeerId> deferred_;  // connections whose current request waits
  std::vector<io::PeerId> output_blocked_;  // waiting for output budget, oldest first
  uint64_t connection_output_bytes_max_ = 0;  // each connection's share (see "Memory")
  uint64_t output_holds_ = 0;
};

}  // namespace sluice::server
