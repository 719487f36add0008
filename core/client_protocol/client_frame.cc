#include "core/client_protocol/client_frame.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol {
namespace {

using wire::Operation;

bool IsLoginCode(CommandCode code) {
  return code == CommandCode::kLoginUser || code == CommandCode::kLoginRegister ||
         code == CommandCode::kLoginWithAccessToken ||
         code == CommandCode::kLoginRegisterWithAccessToken;
}

absl::StatusOr<CommandCode> ResolveCode(const RequestHeader& header) {
  if (header.operation != Operation::kNonReplicated) {
    const std::optional<CommandCode> code = CodeForOperation(header.operation);
    // DecodeRequestHeader admits only operations a client may send, each with a code.
    SLUICE_ASSERT(code.has_value(), "operation ", static_cast<int>(header.operation));
    return *code;
  }
  if (!IsKnownCommandCode(header.command_code)) {
    return StatusReply(IggyError::kInvalidCommand,
                       absl::StrCat("unknown command code ", header.command_code));
  }
  const auto code = static_cast<CommandCode>(header.command_code);
  if (IsLoginCode(code)) {
    return Evict(EvictionReason::kMalformedLogin,
                 absl::StrCat("login code ", header.command_code,
                              " sent as NonReplicated (logins are Register frames)"));
  }
  if (OperationForCode(code) != Operation::kNonReplicated) {
    return StatusReply(IggyError::kInvalidCommand,
                       absl::StrCat(CommandCodeName(code),
                                    " sent as NonReplicated (it travels "
                                    "under operation ",
                                    static_cast<int>(OperationForCode(code)), ")"));
  }
  return code;
}

template <typename Request, typename Decoded>
absl::StatusOr<Command> AsCommand(absl::StatusOr<Decoded> decoded) {
  if (!decoded.ok()) return decoded.status();
  return Command(Request{*std::move(decoded)});
}

template <typename Request>
absl::StatusOr<Command> TopicIds(ByteSpan body, absl::string_view what) {
  absl::StatusOr<GetTopicRequest> ids = internal::DecodeTopicIds(body, what);
  if (!ids.ok()) return ids.status();
  return Command(Request{std::move(ids->stream), std::move(ids->topic)});
}

template <typename Request>
absl::StatusOr<Command> PartitionsChange(ByteSpan body, absl::string_view what) {
  absl::StatusOr<CreatePartitionsRequest> change = internal::DecodePartitionsChange(body, what);
  if (!change.ok()) return change.status();
  return Command(Request{std::move(change->stream), std::move(change->topic), change->count});
}

template <typename Request>
absl::StatusOr<Command> StreamId(ByteSpan body, absl::string_view what) {
  return AsCommand<Request>(internal::DecodeStreamId(body, what));
}

}  // namespace

namespace internal {

absl::StatusOr<Command> DecodeBody(CommandCode code, ByteSpan body, const ClientLimits& limits) {
  switch (code) {
    case CommandCode::kPing:
    case CommandCode::kGetStats:
    case CommandCode::kGetClusterMetadata:
    case CommandCode::kLogoutUser:
    case CommandCode::kGetStreams:
      return DecodeEmptyBody(code, body);
    case CommandCode::kLoginRegister:
      return AsCommand<RegisterRequest>(DecodeRegister(body));
    case CommandCode::kCreateStream:
      return AsCommand<CreateStreamRequest>(DecodeCreateStream(body));
    case CommandCode::kGetStream:
      return StreamId<GetStreamRequest>(body, "get_stream body");
    case CommandCode::kUpdateStream:
      return AsCommand<UpdateStreamRequest>(DecodeUpdateStream(body));
    case CommandCode::kDeleteStream:
      return StreamId<DeleteStreamRequest>(body, "delete_stream body");
    case CommandCode::kPurgeStream:
      return StreamId<PurgeStreamRequest>(body, "purge_stream body");
    case CommandCode::kCreateTopic:
      return AsCommand<CreateTopicRequest>(DecodeCreateTopic(body));
    case CommandCode::kGetTopic:
      return TopicIds<GetTopicRequest>(body, "get_topic body");
    case CommandCode::kGetTopics:
      return StreamId<GetTopicsRequest>(body, "get_topics body");
    case CommandCode::kUpdateTopic:
      return AsCommand<UpdateTopicRequest>(DecodeUpdateTopic(body));
    case CommandCode::kDeleteTopic:
      return TopicIds<DeleteTopicRequest>(body, "delete_topic body");
    case CommandCode::kPurgeTopic:
      return TopicIds<PurgeTopicRequest>(body, "purge_topic body");
    case CommandCode::kCreatePartitions:
      return PartitionsChange<CreatePartitionsRequest>(body, "create_partitions body");
    case CommandCode::kDeletePartitions:
      return PartitionsChange<DeletePartitionsRequest>(body, "delete_partitions body");
    case CommandCode::kSendMessages:
      return AsCommand<SendMessagesRequest>(DecodeSendMessages(body, limits));
    case CommandCode::kPollMessages:
      return AsCommand<PollMessagesRequest>(DecodePollMessages(body));
    case CommandCode::kGetConsumerOffset:
      return AsCommand<GetConsumerOffsetRequest>(DecodeGetConsumerOffset(body));
    case CommandCode::kStoreConsumerOffset:
      return AsCommand<StoreConsumerOffsetRequest>(DecodeStoreConsumerOffset(body));
    case CommandCode::kDeleteConsumerOffset:
      return AsCommand<DeleteConsumerOffsetRequest>(DecodeDeleteConsumerOffset(body));
    case CommandCode::kCreateConsumerGroup:
      return AsCommand<CreateConsumerGroupRequest>(DecodeCreateConsumerGroup(body));
    case CommandCode::kGetConsumerGroup:
      return AsCommand<GetConsumerGroupRequest>(DecodeGroupIds(body, "get_consumer_group body"));
    case CommandCode::kGetConsumerGroups:
      return TopicIds<GetConsumerGroupsRequest>(body, "get_consumer_groups body");
    case CommandCode::kDeleteConsumerGroup:
      return AsCommand<DeleteConsumerGroupRequest>(
          DecodeGroupIds(body, "delete_consumer_group body"));
    case CommandCode::kJoinConsumerGroup:
      return AsCommand<JoinConsumerGroupRequest>(DecodeGroupIds(body, "join_consumer_group body"));
    case CommandCode::kLeaveConsumerGroup:
      return AsCommand<LeaveConsumerGroupRequest>(
          DecodeGroupIds(body, "leave_consumer_group body"));
    case CommandCode::kSyncConsumerGroup:
      return AsCommand<SyncConsumerGroupRequest>(DecodeGroupIds(body, "sync_consumer_group body"));
    default:
      break;
  }
  SLUICE_UNREACHABLE("no decoder for ", CommandCodeName(code));
}

}  // namespace internal

bool IsSupportedCommandCode(CommandCode code) {
  switch (code) {
    case CommandCode::kPing:
    case CommandCode::kGetStats:
    case CommandCode::kGetClusterMetadata:
    case CommandCode::kLogoutUser:
    case CommandCode::kLoginRegister:
    case CommandCode::kLoginRegisterWithAccessToken:
    case CommandCode::kCreateStream:
    case CommandCode::kGetStream:
    case CommandCode::kGetStreams:
    case CommandCode::kUpdateStream:
    case CommandCode::kDeleteStream:
    case CommandCode::kPurgeStream:
    case CommandCode::kCreateTopic:
    case CommandCode::kGetTopic:
    case CommandCode::kGetTopics:
    case CommandCode::kUpdateTopic:
    case CommandCode::kDeleteTopic:
    case CommandCode::kPurgeTopic:
    case CommandCode::kCreatePartitions:
    case CommandCode::kDeletePartitions:
    case CommandCode::kSendMessages:
    case CommandCode::kPollMessages:
    case CommandCode::kGetConsumerOffset:
    case CommandCode::kStoreConsumerOffset:
    case CommandCode::kDeleteConsumerOffset:
    case CommandCode::kCreateConsumerGroup:
    case CommandCode::kGetConsumerGroup:
    case CommandCode::kGetConsumerGroups:
    case CommandCode::kDeleteConsumerGroup:
    case CommandCode::kJoinConsumerGroup:
    case CommandCode::kLeaveConsumerGroup:
    case CommandCode::kSyncConsumerGroup:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<ClientRequest> DecodeClientFrame(ByteSpan frame, const ClientLimits& limits) {
  ASSIGN_OR_RETURN(const RequestHeader header, DecodeRequestHeader(frame, limits));
  ASSIGN_OR_RETURN(const CommandCode code, ResolveCode(header));
  if (!IsSupportedCommandCode(code)) {
    return StatusReply(IggyError::kFeatureUnavailable,
                       absl::StrCat(CommandCodeName(code), " (code ", static_cast<uint32_t>(code),
                                    ") is not served by Sluice"));
  }
  ASSIGN_OR_RETURN(Command command,
                   internal::DecodeBody(code, frame.subspan(wire::kHeaderSize), limits));
  const CommandCode decoded_code = CodeOf(command);
  return ClientRequest{header, decoded_code, std::move(command)};
}

}  // namespace sluice::client_protocol
