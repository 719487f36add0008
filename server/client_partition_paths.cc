// The partition side of the client listener: SendMessages, consumer-offset writes,
// polls and offset reads, against the replica's partition logs.
#include <cstdio>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client_protocol/message_payloads.h"
#include "core/client_protocol/partition_plans.h"
#include "core/client_protocol/reads.h"
#include "core/client_protocol/reply_frame.h"
#include "core/io/task.h"
#include "server/client_listener.h"
#include "server/poll_budget.h"

namespace sluice::server {

using client_protocol::ClientRequest;
using client_protocol::IggyError;

namespace {

// As client_metadata_paths.cc's: refused before preparing, so not executed.
IggyError ErrorForRefusedWrite(const absl::Status& status, bool failed) {
  if (failed) return IggyError::kError;
  return absl::IsResourceExhausted(status) || absl::IsUnavailable(status) || absl::IsFailedPrecondition(status)
             ? IggyError::kTransientNotAccepted
             : IggyError::kError;
}

uint64_t TopicKey(const metadata::PartitionKey& key) {
  return (uint64_t{key.stream} << 32) | key.topic;
}

io::Task<absl::StatusOr<partition::PollResult>> RunPoll(partition::PartitionLog& log,
                                                        const client_protocol::PollPlan& plan) {
  using Kind = client_protocol::PollingStrategy::Kind;
  switch (plan.strategy.kind) {
    case Kind::kOffset:
      return log.PollByOffset(plan.strategy.value, plan.count);
    case Kind::kTimestamp:
      return log.PollByTimestamp(plan.strategy.value, plan.count);
    case Kind::kFirst:
      return log.PollFirst(plan.count);
    case Kind::kLast:
      return log.PollLast(plan.count);
    case Kind::kNext:
      return log.PollNext(plan.consumer, plan.count);
  }
  SLUICE_ASSERT(false, "a polling strategy without a poll");
  return log.PollFirst(plan.count);
}

}  // namespace

void ClientListener::ServeSend(ClientConnection& connection, const ClientRequest& request) {
  const auto& send = std::get<client_protocol::SendMessagesRequest>(request.command);
  const metadata::MetadataState& state = replica_.metadata();
  absl::StatusOr<client_protocol::PartitionTarget> target =
      client_protocol::PlanSendMessages(state, send, 0);
  if (target.ok() && send.partitioning.kind == client_protocol::Partitioning::Kind::kBalanced) {
    // Balanced: the topic's round-robin counter (the first plan only named the topic).
    uint64_t& counter = balanced_counters_[TopicKey(target->key)];
    target = client_protocol::PlanSendMessages(state, send, counter++);
  }
  if (!target.ok()) {
    Refuse(connection, target.status());
    return;
  }
  const absl::StatusOr<partition::PartitionLog*> log =
      replica_.Partition(target->namespace_id, target->incarnation);
  if (!log.ok()) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, IggyError::kResourceNotFound));
    return;
  }
  // Appends take offsets in order: this batch's first message gets the next one —
  // unless it is a resend the replica answers from its de-duplication window: then
  // the confirmation names the first copy.
  uint64_t base_offset = (*log)->appended_next_offset();
  metadata::PartitionKey key = target->key;
  if (request.header.client != 0) {
    if (const std::optional<ServedReplica::FirstCopy> first =
            replica_.FirstCopyOf(key.stream, key.topic, send.batch.bytes(), request.header.client)) {
      key.partition = first->partition;
      base_offset = first->base_offset;
    }
  }
  const io::PeerId peer = connection.peer;
  const client_protocol::RequestHeader header = request.header;
  const absl::Status status = replica_.SubmitPartition(
      target->namespace_id, target->incarnation, wire::Operation::kSendMessages,
      send.batch.bytes(), NowUs(),
      [this, peer, header, key, base_offset, namespace_id = target->namespace_id,
       incarnation = target->incarnation](absl::StatusOr<uint64_t> op) {
        if (!op.ok()) {
          std::fprintf(stderr, "client %llu: send lost: %s\n", static_cast<unsigned long long>(peer),
                       op.status().ToString().c_str());
          Reply(peer, client_protocol::EncodeStatusReply(header, IggyError::kError));
          return;
        }
        stats_.RecountPartition(namespace_id, incarnation);
        Reply(peer, client_protocol::EncodeReply(
                        header, client_protocol::EncodeSendConfirmation(key, base_offset)));
      },
      header.client);
  if (!status.ok()) {
    LogRefusal("send", status);
    Reply(peer, client_protocol::EncodeStatusReply(header, ErrorForRefusedWrite(status, replica_.Role().failed)));
  }
}

void ClientListener::ServeOffsetWrite(ClientConnection& connection, const ClientRequest& request) {
  const metadata::MetadataState& state = replica_.metadata();
  absl::StatusOr<client_protocol::PartitionWrite> write;
  if (const auto* store = std::get_if<client_protocol::StoreConsumerOffsetRequest>(&request.command)) {
    write = client_protocol::PlanStoreConsumerOffset(state, *store, connection.bound_session);
  } else {
    write = client_protocol::PlanDeleteConsumerOffset(
        state, std::get<client_protocol::DeleteConsumerOffsetRequest>(request.command),
        connection.bound_session);
  }
  if (!write.ok()) {
    Refuse(connection, write.status());
    return;
  }
  const absl::StatusOr<partition::PartitionLog*> log =
      replica_.Partition(write->target.namespace_id, write->target.incarnation);
  if (!log.ok()) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, IggyError::kResourceNotFound));
    return;
  }
  // Checked against what is committed (§5.6): an offset past the last committed
  // message, or any on an empty partition; deleting an offset that is not stored.
  if (write->operation == wire::Operation::kStoreConsumerOffset &&
      write->offset >= (*log)->committed_next_offset()) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, IggyError::kInvalidOffset));
    return;
  }
  if (write->operation == wire::Operation::kDeleteConsumerOffset &&
      !(*log)->ConsumerOffset(write->consumer).has_value()) {
    Reply(connection.peer,
          client_protocol::EncodeStatusReply(request.header, IggyError::kConsumerOffsetNotFound));
    return;
  }
  const io::PeerId peer = connection.peer;
  const client_protocol::RequestHeader header = request.header;
  const absl::Status status = replica_.SubmitPartition(
      write->target.namespace_id, write->target.incarnation, write->operation, write->body,
      NowUs(), [this, peer, header](absl::StatusOr<uint64_t> op) {
        Reply(peer, op.ok() ? client_protocol::EncodeReply(header, {})
                            : client_protocol::EncodeStatusReply(header, IggyError::kError));
      },
      /*client=*/0);
  if (!status.ok()) {
    Reply(peer, client_protocol::EncodeStatusReply(header, ErrorForRefusedWrite(status, replica_.Role().failed)));
  }
}

void ClientListener::ServePartitionRead(ClientConnection& connection, const ClientRequest& request) {
  if (std::holds_alternative<client_protocol::PollMessagesRequest>(request.command)) {
    ServePoll(connection, request);
  } else {
    ServeGetOffset(connection, request);
  }
}

void ClientListener::ServePoll(ClientConnection& connection, const ClientRequest& request) {
  if (deletes_in_flight_ > 0 || deletes_deferred_ > 0) {
    Defer(connection);  // the log it would read may be on its way out
    return;
  }
  std::variant<client_protocol::PollPlan, client_protocol::ReadAnswer> planned =
      client_protocol::PlanPoll(replica_.metadata(),
                                std::get<client_protocol::PollMessagesRequest>(request.command),
                                connection.bound_session);
  if (const auto* answer = std::get_if<client_protocol::ReadAnswer>(&planned)) {
    Reply(connection.peer, client_protocol::EncodeReadReply(request.header, *answer));
    return;
  }
  const client_protocol::PollPlan plan = std::get<client_protocol::PollPlan>(std::move(planned));
  if (plan.auto_commit && !replica_.Role().is_primary()) {
    Relay(connection, request);  // the offset it commits is the primary's write
    return;
  }
  const absl::StatusOr<partition::PartitionLog*> log =
      replica_.Partition(plan.target.namespace_id, plan.target.incarnation);
  if (!log.ok()) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, IggyError::kPartitionNotFound));
    return;
  }
  const io::PeerId peer = connection.peer;
  const client_protocol::RequestHeader header = request.header;
  ++polls_running_;
  io::Spawn(RunPoll(**log, plan), [this, peer, header, plan](
                                      absl::StatusOr<partition::PollResult> result) mutable {
    --polls_running_;
    // Deletes deferred behind running polls go once none runs (after this reply).
    struct Resume {
      ClientListener& listener;
      ~Resume() {
        if (listener.polls_running_ == 0 && !listener.deferred_.empty()) listener.ResumeDeferred();
      }
    } resume{*this};
    absl::StatusOr<Bytes> payload = absl::UnknownError("not polled");
    if (!result.ok()) {
      payload = result.status();
    } else if (const absl::Status fitted = FitPollReply(*result, limits_.frame_size_bytes_max);
               !fitted.ok()) {
      payload = fitted;
    } else {
      payload = client_protocol::EncodePollReply(plan.target.key.partition, *result);
    }
    if (!payload.ok()) {
      std::fprintf(stderr, "client %llu: poll failed: %s\n", static_cast<unsigned long long>(peer),
                   payload.status().ToString().c_str());
      Reply(peer, client_protocol::EncodeStatusReply(header, IggyError::kError));
      return;
    }
    if (const std::optional<uint64_t> last = LastPolledOffset(*result);
        plan.auto_commit && last.has_value()) {
      // Asynchronous (DESIGN.md "Partition logs"): the reply does not wait for it.
      const client_protocol::PartitionWrite commit = client_protocol::AutoCommitWrite(plan, *last);
      const absl::Status submitted = replica_.SubmitPartition(
          commit.target.namespace_id, commit.target.incarnation, commit.operation, commit.body,
          NowUs(), [](absl::StatusOr<uint64_t>) {}, /*client=*/0);
      if (!submitted.ok()) {
        std::fprintf(stderr, "client %llu: auto-commit refused: %s\n",
                     static_cast<unsigned long long>(peer), submitted.ToString().c_str());
      }
    }
    Reply(peer, client_protocol::EncodeReply(header, *payload));
  });
}

void ClientListener::ServeGetOffset(ClientConnection& connection, const ClientRequest& request) {
  std::variant<client_protocol::OffsetReadPlan, client_protocol::ReadAnswer> planned =
      client_protocol::PlanGetConsumerOffset(
          replica_.metadata(), std::get<client_protocol::GetConsumerOffsetRequest>(request.command));
  if (const auto* answer = std::get_if<client_protocol::ReadAnswer>(&planned)) {
    Reply(connection.peer, client_protocol::EncodeReadReply(request.header, *answer));
    return;
  }
  const auto& plan = std::get<client_protocol::OffsetReadPlan>(planned);
  const absl::StatusOr<partition::PartitionLog*> log =
      replica_.Partition(plan.target.namespace_id, plan.target.incarnation);
  if (!log.ok()) {
    Reply(connection.peer, client_protocol::EncodeStatusReply(request.header, IggyError::kPartitionNotFound));
    return;
  }
  const std::optional<uint64_t> stored = (*log)->ConsumerOffset(plan.consumer);
  if (!stored.has_value()) {  // nothing stored: empty payload, the SDK's null (§5.6)
    Reply(connection.peer, client_protocol::EncodeReply(request.header, {}));
    return;
  }
  const uint64_t next = (*log)->committed_next_offset();
  Reply(connection.peer, client_protocol::EncodeReply(
                             request.header, client_protocol::EncodeConsumerOffset(
                                                 plan.target.key.partition,
                                                 next == 0 ? 0 : next - 1, *stored)));
}

}  // namespace sluice::server
