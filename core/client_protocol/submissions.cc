#include "core/client_protocol/submissions.h"

#include <type_traits>

#include "core/metadata/body_codec.h"

namespace sluice::client_protocol {
namespace {

using wire::Operation;

metadata::UpdateTopicBody UpdateTopicBodyOf(const UpdateTopicRequest& request) {
  metadata::UpdateTopicBody body{
      .stream = request.stream, .topic = request.topic, .name = request.name};
  const TopicOptions& options = request.options;
  if (options.compression_algorithm.has_value()) {
    body.present |= metadata::kUpdateCompression;
    body.compression_algorithm = *options.compression_algorithm;
  }
  if (options.message_expiry_us.has_value()) {
    body.present |= metadata::kUpdateMessageExpiry;
    body.message_expiry_us = *options.message_expiry_us;
  }
  if (options.max_topic_size_bytes.has_value()) {
    body.present |= metadata::kUpdateMaxTopicSize;
    body.max_topic_size_bytes = *options.max_topic_size_bytes;
  }
  return body;
}

template <typename Body>
MetadataSubmission Submit(Operation operation, const Body& body) {
  return {operation, metadata::Encode(body)};
}

template <typename T>
std::optional<MetadataSubmission> SubmissionOf(const T& request) {
  if constexpr (std::is_same_v<T, CreateStreamRequest>) {
    return Submit(Operation::kCreateStream, metadata::CreateStreamBody{request.name});
  } else if constexpr (std::is_same_v<T, UpdateStreamRequest>) {
    return Submit(Operation::kUpdateStream,
                  metadata::UpdateStreamBody{request.stream, request.name});
  } else if constexpr (std::is_same_v<T, DeleteStreamRequest>) {
    return Submit(Operation::kDeleteStream, metadata::StreamBody{request.stream});
  } else if constexpr (std::is_same_v<T, PurgeStreamRequest>) {
    return Submit(Operation::kPurgeStream, metadata::StreamBody{request.stream});
  } else if constexpr (std::is_same_v<T, CreateTopicRequest>) {
    return Submit(Operation::kCreateTopic,
                  metadata::CreateTopicBody{.stream = request.stream,
                                            .partitions_count = request.partitions_count,
                                            .name = request.name,
                                            .settings = CreateTopicSettings(request.options)});
  } else if constexpr (std::is_same_v<T, UpdateTopicRequest>) {
    return Submit(Operation::kUpdateTopic, UpdateTopicBodyOf(request));
  } else if constexpr (std::is_same_v<T, DeleteTopicRequest>) {
    return Submit(Operation::kDeleteTopic, metadata::TopicBody{request.stream, request.topic});
  } else if constexpr (std::is_same_v<T, PurgeTopicRequest>) {
    return Submit(Operation::kPurgeTopic, metadata::TopicBody{request.stream, request.topic});
  } else if constexpr (std::is_same_v<T, CreatePartitionsRequest>) {
    return Submit(Operation::kCreatePartitions,
                  metadata::PartitionsBody{request.stream, request.topic, request.count});
  } else if constexpr (std::is_same_v<T, DeletePartitionsRequest>) {
    return Submit(Operation::kDeletePartitions,
                  metadata::PartitionsBody{request.stream, request.topic, request.count});
  } else if constexpr (std::is_same_v<T, CreateConsumerGroupRequest>) {
    return Submit(Operation::kCreateConsumerGroup,
                  metadata::CreateGroupBody{request.stream, request.topic, request.name});
  } else if constexpr (std::is_same_v<T, DeleteConsumerGroupRequest>) {
    return Submit(Operation::kDeleteConsumerGroup,
                  metadata::GroupBody{request.stream, request.topic, request.group});
  } else if constexpr (std::is_same_v<T, JoinConsumerGroupRequest>) {
    return Submit(Operation::kJoinConsumerGroup,
                  metadata::GroupBody{request.stream, request.topic, request.group});
  } else if constexpr (std::is_same_v<T, LeaveConsumerGroupRequest>) {
    return Submit(Operation::kLeaveConsumerGroup,
                  metadata::GroupBody{request.stream, request.topic, request.group});
  } else if constexpr (std::is_same_v<T, LogoutRequest>) {
    return Submit(Operation::kLogout, metadata::LogoutBody{});
  } else {
    return std::nullopt;
  }
}

}  // namespace

std::optional<MetadataSubmission> MetadataSubmissionFor(const Command& command) {
  return std::visit([](const auto& request) { return SubmissionOf(request); }, command);
}

}  // namespace sluice::client_protocol
