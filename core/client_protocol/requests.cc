#include "core/client_protocol/requests.h"

#include <algorithm>
#include <type_traits>

namespace sluice::client_protocol {
namespace {

template <typename T>
struct AlwaysFalse : std::false_type {};

// Instantiated only for a request type without a specialisation below: a new
// alternative of Command must get its code here.
template <typename T>
constexpr CommandCode MissingCode() {
  static_assert(AlwaysFalse<T>::value, "request type without a command code");
  return CommandCode::kPing;
}

template <typename T>
constexpr CommandCode kCodeOf = MissingCode<T>();
template <>
constexpr CommandCode kCodeOf<PingRequest> = CommandCode::kPing;
template <>
constexpr CommandCode kCodeOf<GetStatsRequest> = CommandCode::kGetStats;
template <>
constexpr CommandCode kCodeOf<GetClusterMetadataRequest> = CommandCode::kGetClusterMetadata;
template <>
constexpr CommandCode kCodeOf<LogoutRequest> = CommandCode::kLogoutUser;
template <>
constexpr CommandCode kCodeOf<CreateStreamRequest> = CommandCode::kCreateStream;
template <>
constexpr CommandCode kCodeOf<GetStreamRequest> = CommandCode::kGetStream;
template <>
constexpr CommandCode kCodeOf<GetStreamsRequest> = CommandCode::kGetStreams;
template <>
constexpr CommandCode kCodeOf<UpdateStreamRequest> = CommandCode::kUpdateStream;
template <>
constexpr CommandCode kCodeOf<DeleteStreamRequest> = CommandCode::kDeleteStream;
template <>
constexpr CommandCode kCodeOf<PurgeStreamRequest> = CommandCode::kPurgeStream;
template <>
constexpr CommandCode kCodeOf<CreateTopicRequest> = CommandCode::kCreateTopic;
template <>
constexpr CommandCode kCodeOf<GetTopicRequest> = CommandCode::kGetTopic;
template <>
constexpr CommandCode kCodeOf<GetTopicsRequest> = CommandCode::kGetTopics;
template <>
constexpr CommandCode kCodeOf<UpdateTopicRequest> = CommandCode::kUpdateTopic;
template <>
constexpr CommandCode kCodeOf<DeleteTopicRequest> = CommandCode::kDeleteTopic;
template <>
constexpr CommandCode kCodeOf<PurgeTopicRequest> = CommandCode::kPurgeTopic;
template <>
constexpr CommandCode kCodeOf<CreatePartitionsRequest> = CommandCode::kCreatePartitions;
template <>
constexpr CommandCode kCodeOf<DeletePartitionsRequest> = CommandCode::kDeletePartitions;
template <>
constexpr CommandCode kCodeOf<SendMessagesRequest> = CommandCode::kSendMessages;
template <>
constexpr CommandCode kCodeOf<PollMessagesRequest> = CommandCode::kPollMessages;
template <>
constexpr CommandCode kCodeOf<GetConsumerOffsetRequest> = CommandCode::kGetConsumerOffset;
template <>
constexpr CommandCode kCodeOf<StoreConsumerOffsetRequest> = CommandCode::kStoreConsumerOffset;
template <>
constexpr CommandCode kCodeOf<DeleteConsumerOffsetRequest> = CommandCode::kDeleteConsumerOffset;
template <>
constexpr CommandCode kCodeOf<CreateConsumerGroupRequest> = CommandCode::kCreateConsumerGroup;
template <>
constexpr CommandCode kCodeOf<GetConsumerGroupRequest> = CommandCode::kGetConsumerGroup;
template <>
constexpr CommandCode kCodeOf<GetConsumerGroupsRequest> = CommandCode::kGetConsumerGroups;
template <>
constexpr CommandCode kCodeOf<DeleteConsumerGroupRequest> = CommandCode::kDeleteConsumerGroup;
template <>
constexpr CommandCode kCodeOf<JoinConsumerGroupRequest> = CommandCode::kJoinConsumerGroup;
template <>
constexpr CommandCode kCodeOf<LeaveConsumerGroupRequest> = CommandCode::kLeaveConsumerGroup;
template <>
constexpr CommandCode kCodeOf<SyncConsumerGroupRequest> = CommandCode::kSyncConsumerGroup;

}  // namespace

CommandCode CodeOf(const Command& command) {
  return std::visit(
      [](const auto& request) {
        using T = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<T, RegisterRequest>) {
          return std::holds_alternative<TokenCredentials>(request.credentials)
                     ? CommandCode::kLoginRegisterWithAccessToken
                     : CommandCode::kLoginRegister;
        } else {
          return kCodeOf<T>;
        }
      },
      command);
}

wire::Operation OperationOf(const Command& command) { return OperationForCode(CodeOf(command)); }

bool operator==(const SendMessagesRequest& a, const SendMessagesRequest& b) {
  const ByteSpan a_batch = a.batch.bytes();
  const ByteSpan b_batch = b.batch.bytes();
  return a.stream == b.stream && a.topic == b.topic && a.partitioning == b.partitioning &&
         std::equal(a_batch.begin(), a_batch.end(), b_batch.begin(), b_batch.end());
}

}  // namespace sluice::client_protocol
