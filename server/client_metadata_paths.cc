// The metadata side of the client listener: login (its KDF on the SecretHasher), metadata writes (Logout
// included), metadata reads and the server's own reads.
#include <cstdio>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client_protocol/committed_reply.h"
#include "core/client_protocol/login.h"
#include "core/client_protocol/reads.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/submissions.h"
#include "server/client_listener.h"

namespace sluice::server {

using client_protocol::ClientRequest;
using client_protocol::IggyError;

namespace {

// A submission the replica refused before preparing it did not execute: rule B8
// holding writes until a checkpoint completes, a full pipeline, a view change or
// this replica no longer the primary are transient (the SDK re-sends the frame); a
// fail-stopped replica is not.
IggyError ErrorForRefusedSubmission(const absl::Status& status, bool failed) {
  if (failed) return IggyError::kError;
  return absl::IsResourceExhausted(status) || absl::IsUnavailable(status) || absl::IsFailedPrecondition(status)
             ? IggyError::kTransientNotAccepted
             : IggyError::kError;
}

// The session a committed Register opened: Apply's payload is [user_id:u32][session:u64].
uint64_t SessionOfRegister(const metadata::ApplyResult& result) {
  SLUICE_ASSERT(result.ok() && result.payload.size() >= 12, "a Register result without a session");
  return base::LoadLittleEndian<uint64_t>(result.payload, 4);
}

}  // namespace

void ClientListener::ServeLogin(ClientConnection& connection, ClientRequest request) {
  const auto& registration = std::get<client_protocol::RegisterRequest>(request.command);
  // The plan views the state and `request`: copied out (SecretOf) before either changes.
  const absl::StatusOr<client_protocol::LoginHashInput> plan =
      client_protocol::PlanLogin(replica_.metadata(), registration);
  if (!plan.ok()) {
    Refuse(connection, plan.status());
    return;
  }
  // The KDF is deliberately slow (Argon2id): it runs off the loop, so other clients
  // are served meanwhile; this connection stays busy (its later frames wait).
  SecretToHash secret = SecretOf(*plan, replica_.password_cost());
  SecretToHash hashed = secret;
  ++logins_hashing_;
  hasher_.Hash(std::move(secret), [this, peer = connection.peer, request = std::move(request),
                                   hashed = std::move(hashed)](absl::StatusOr<Bytes> hash) mutable {
    --logins_hashing_;
    FinishLogin(peer, std::move(request), hashed, std::move(hash));
  });
}

void ClientListener::FinishLogin(io::PeerId peer, ClientRequest request, const SecretToHash& hashed,
                                 absl::StatusOr<Bytes> hash) {
  ClientConnection* connection = Find(peer);
  if (connection == nullptr || network_ == nullptr) return;  // gone while hashing (or stopped)
  const metadata::MetadataState& state = replica_.metadata();
  const auto& registration = std::get<client_protocol::RegisterRequest>(request.command);
  const absl::StatusOr<client_protocol::LoginHashInput> plan =
      client_protocol::PlanLogin(state, registration);
  if (!plan.ok()) {
    Refuse(*connection, plan.status());
    return;
  }
  if (!(SecretOf(*plan, replica_.password_cost()) == hashed)) {
    // The user's salt changed while hashing (a password change, a user deleted or
    // created): the hash answers a question no longer asked; hash again.
    ServeLogin(*connection, std::move(request));
    return;
  }
  if (!hash.ok()) {
    Refuse(*connection, hash.status());
    return;
  }
  absl::StatusOr<client_protocol::MetadataSubmission> submission =
      client_protocol::RegisterSubmission(state, *plan, *hash, NowUs());
  if (!submission.ok()) {
    Refuse(*connection, submission.status());
    return;
  }
  SubmitMetadata(*connection, std::move(request), submission->operation,
                 std::move(submission->body));
}

void ClientListener::ServeMetadataWrite(ClientConnection& connection, ClientRequest request) {
  if (std::holds_alternative<client_protocol::LogoutRequest>(request.command) &&
      connection.bound_session == 0) {
    // Nothing bound: Iggy answers OK all the same (§2.6), and no op is needed.
    Reply(connection.peer, client_protocol::EncodeReply(request.header, {}));
    return;
  }
  const bool removes_partitions =
      std::holds_alternative<client_protocol::DeleteStreamRequest>(request.command) ||
      std::holds_alternative<client_protocol::DeleteTopicRequest>(request.command) ||
      std::holds_alternative<client_protocol::DeletePartitionsRequest>(request.command);
  if (removes_partitions && polls_running_ > 0) {
    ++deletes_deferred_;
    Defer(connection);  // a running poll may be reading a log this removes
    return;
  }
  std::optional<client_protocol::MetadataSubmission> submission =
      client_protocol::MetadataSubmissionFor(request.command);
  SLUICE_ASSERT(submission.has_value(), "a metadata write without a submission, code ",
                static_cast<uint32_t>(request.code));
  if (!removes_partitions) {
    SubmitMetadata(connection, std::move(request), submission->operation,
                   std::move(submission->body));
    return;
  }
  // Answered once the logs it removes are gone; polls wait until then.
  ++deletes_in_flight_;
  SubmitMetadata(connection, std::move(request), submission->operation, std::move(submission->body),
                 [this] {
                   --deletes_in_flight_;
                   if (deletes_in_flight_ == 0) ResumeDeferred();
                 });
}

void ClientListener::SubmitMetadata(ClientConnection& connection, ClientRequest request,
                                    wire::Operation operation, Bytes body,
                                    absl::AnyInvocable<void()> on_answered) {
  const io::PeerId peer = connection.peer;
  const client_protocol::RequestHeader header = request.header;
  metadata_store::MetadataRequest submitted{.operation = operation,
                                            .body = std::move(body),
                                            .client = header.client,
                                            .request = header.request,
                                            .timestamp_us = NowUs()};
  const absl::Status status = replica_.SubmitMetadata(
      std::move(submitted),
      [this, peer, request = std::move(request), on_answered = std::move(on_answered)](
          absl::StatusOr<metadata_store::CommittedResult> committed) mutable {
        // Runs after the reply below (which may serve further requests) has gone out.
        struct Answered {
          absl::AnyInvocable<void()>& run;
          ~Answered() {
            if (run != nullptr) run();
          }
        } answered{on_answered};
        if (!committed.ok()) {
          std::fprintf(stderr, "client %llu: metadata op lost: %s\n",
                       static_cast<unsigned long long>(peer), committed.status().ToString().c_str());
          Reply(peer, client_protocol::EncodeStatusReply(request.header, IggyError::kError));
          return;
        }
        // Streams, topics, partitions and groups change only here (and by retention,
        // recounted on a timer): the counters are recounted before the reply.
        stats_.RecountAll();
        if (ClientConnection* connection = Find(peer); connection != nullptr) {
          if (std::holds_alternative<client_protocol::RegisterRequest>(request.command) &&
              committed->result.ok()) {
            connection->bound_session = SessionOfRegister(committed->result);
            connection->bound_client = request.header.client;
            connection->last_request = 0;
          } else if (std::holds_alternative<client_protocol::LogoutRequest>(request.command)) {
            connection->bound_session = 0;
            connection->bound_client = 0;
          }
        }
        Reply(peer, client_protocol::EncodeCommittedReply(
                        request, committed->result, replica_.metadata(),
                        {.op = committed->op,
                         .timestamp_us = committed->timestamp_us,
                         .commit = committed->op}));
      });
  if (!status.ok()) {
    LogRefusal("metadata write", status);
    Reply(peer, client_protocol::EncodeStatusReply(header, ErrorForRefusedSubmission(status, replica_.Role().failed)));
    if (on_answered != nullptr) on_answered();
  }
}

void ClientListener::LogoutDeparted(const ClientConnection& connection) {
  // Iggy ends a departed client's session (its group memberships go with it); here
  // through the same replicated Logout the client would have sent.
  std::optional<client_protocol::MetadataSubmission> logout =
      client_protocol::MetadataSubmissionFor(client_protocol::LogoutRequest{});
  SLUICE_ASSERT(logout.has_value(), "Logout has a submission");
  const absl::Status status = replica_.SubmitMetadata(
      {.operation = logout->operation,
       .body = std::move(logout->body),
       .client = connection.bound_client,
       .request = connection.last_request + 1,
       .timestamp_us = NowUs()},
      [](absl::StatusOr<metadata_store::CommittedResult>) {});
  if (!status.ok()) {
    std::fprintf(stderr, "client %llu departed; its session stays: %s\n",
                 static_cast<unsigned long long>(connection.peer), status.ToString().c_str());
  }
}

void ClientListener::ServeMetadataRead(ClientConnection& connection, const ClientRequest& request) {
  const auto stats = [this](const metadata::PartitionKey& key, const metadata::Partition& partition) {
    return PartitionStatsOf(replica_, key, partition);
  };
  const std::optional<client_protocol::ReadAnswer> answer = client_protocol::AnswerMetadataRead(
      replica_.metadata(), request.command, connection.bound_session, stats);
  SLUICE_ASSERT(answer.has_value(), "a metadata read without an answer, code ",
                static_cast<uint32_t>(request.code));
  Reply(connection.peer, client_protocol::EncodeReadReply(request.header, *answer));
}

void ClientListener::ServeServerRead(ClientConnection& connection, const ClientRequest& request) {
  Bytes payload;
  if (std::holds_alternative<client_protocol::GetStatsRequest>(request.command)) {
    payload = client_protocol::EncodeStats(
        CollectStats(stats_.counters(), process_, identity_, NowUs(), loop_.MonotonicNs()));
  } else {
    SLUICE_ASSERT(std::holds_alternative<client_protocol::GetClusterMetadataRequest>(request.command),
                  "a server read that is neither GetStats nor GetClusterMetadata");
    const ReplicaRole role = replica_.Role();
    payload = client_protocol::EncodeClusterMetadata(
        role.count > 1 ? ClusterRoster(identity_, role, client_hosts_, client_ports_) : SingleNodeRoster(identity_));
  }
  Reply(connection.peer, client_protocol::EncodeReply(request.header, payload));
}

}  // namespace sluice::server
