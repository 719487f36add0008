#include "core/client_protocol/request_class.h"

#include <type_traits>

namespace sluice::client_protocol {

RequestClass ClassOf(const Command& command) {
  return std::visit(
      [](const auto& request) {
        using T = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<T, PingRequest>) {
          return RequestClass::kPing;
        } else if constexpr (std::is_same_v<T, RegisterRequest>) {
          return RequestClass::kLogin;
        } else if constexpr (std::is_same_v<T, GetStatsRequest> ||
                             std::is_same_v<T, GetClusterMetadataRequest>) {
          return RequestClass::kServerRead;
        } else if constexpr (std::is_same_v<T, GetStreamRequest> ||
                             std::is_same_v<T, GetStreamsRequest> ||
                             std::is_same_v<T, GetTopicRequest> ||
                             std::is_same_v<T, GetTopicsRequest> ||
                             std::is_same_v<T, GetConsumerGroupRequest> ||
                             std::is_same_v<T, GetConsumerGroupsRequest> ||
                             std::is_same_v<T, SyncConsumerGroupRequest>) {
          return RequestClass::kMetadataRead;
        } else if constexpr (std::is_same_v<T, SendMessagesRequest>) {
          return RequestClass::kSendMessages;
        } else if constexpr (std::is_same_v<T, StoreConsumerOffsetRequest> ||
                             std::is_same_v<T, DeleteConsumerOffsetRequest>) {
          return RequestClass::kOffsetWrite;
        } else if constexpr (std::is_same_v<T, PollMessagesRequest> ||
                             std::is_same_v<T, GetConsumerOffsetRequest>) {
          return RequestClass::kPartitionRead;
        } else {
          return RequestClass::kMetadataWrite;
        }
      },
      command);
}

}  // namespace sluice::client_protocol
