#include "core/client_protocol/request_encoder.h"

#include <type_traits>

#include "core/client_protocol/body_writer.h"
#include "core/client_protocol/primitives.h"
#include "core/wire/header.h"

namespace sluice::client_protocol {
namespace {

using internal::BodyWriter;

template <typename T>
struct AlwaysFalse : std::false_type {};

void WriteOffsetPrefix(BodyWriter& out, const Consumer& consumer, const Identifier& stream,
                       const Identifier& topic, std::optional<uint32_t> partition) {
  internal::WriteConsumer(out, consumer);
  out.Id(stream);
  out.Id(topic);
  internal::WriteOptionalPartition(out, partition);
}

void WriteRegister(BodyWriter& out, const RegisterRequest& request) {
  out.U32(request.protocol_version);
  out.ShortString(request.sdk_name);
  out.ShortString(request.sdk_version);
  if (const auto* password = std::get_if<PasswordCredentials>(&request.credentials)) {
    out.Name(password->username);
    out.ShortString(password->password);
  } else {
    out.Name(std::get<TokenCredentials>(request.credentials).token);
  }
  out.U32(static_cast<uint32_t>(request.context.size()));
  out.Raw(request.context);
}

void WriteSendMessages(BodyWriter& out, const SendMessagesRequest& request) {
  const size_t metadata_length = internal::IdentifierSize(request.stream) +
                                 internal::IdentifierSize(request.topic) +
                                 internal::PartitioningSize(request.partitioning) + 4;
  out.U32(static_cast<uint32_t>(metadata_length));
  out.Id(request.stream);
  out.Id(request.topic);
  internal::WritePartitioning(out, request.partitioning);
  out.U32(request.batch.message_count());
  out.Raw(request.batch.bytes());
}

// Writes the body of one request type.
template <typename T>
void WriteBody(BodyWriter& out, const T& request) {
  if constexpr (std::is_same_v<T, PingRequest> || std::is_same_v<T, GetStatsRequest> ||
                std::is_same_v<T, GetClusterMetadataRequest> || std::is_same_v<T, LogoutRequest> ||
                std::is_same_v<T, GetStreamsRequest>) {
    // Empty.
  } else if constexpr (std::is_same_v<T, RegisterRequest>) {
    WriteRegister(out, request);
  } else if constexpr (std::is_same_v<T, CreateStreamRequest>) {
    out.Name(request.name);
  } else if constexpr (std::is_same_v<T, GetStreamRequest> ||
                       std::is_same_v<T, DeleteStreamRequest> ||
                       std::is_same_v<T, PurgeStreamRequest> ||
                       std::is_same_v<T, GetTopicsRequest>) {
    out.Id(request.stream);
  } else if constexpr (std::is_same_v<T, UpdateStreamRequest>) {
    out.Id(request.stream);
    out.Name(request.name);
  } else if constexpr (std::is_same_v<T, CreateTopicRequest>) {
    out.Id(request.stream);
    out.U32(request.partitions_count);
    out.Name(request.name);
    out.Raw(EncodeTopicOptions(request.options));
  } else if constexpr (std::is_same_v<T, UpdateTopicRequest>) {
    out.Id(request.stream);
    out.Id(request.topic);
    out.Name(request.name);
    out.Raw(EncodeTopicOptions(request.options));
  } else if constexpr (std::is_same_v<T, GetTopicRequest> ||
                       std::is_same_v<T, DeleteTopicRequest> ||
                       std::is_same_v<T, PurgeTopicRequest> ||
                       std::is_same_v<T, GetConsumerGroupsRequest>) {
    out.Id(request.stream);
    out.Id(request.topic);
  } else if constexpr (std::is_same_v<T, CreatePartitionsRequest> ||
                       std::is_same_v<T, DeletePartitionsRequest>) {
    out.Id(request.stream);
    out.Id(request.topic);
    out.U32(request.count);
  } else if constexpr (std::is_same_v<T, SendMessagesRequest>) {
    WriteSendMessages(out, request);
  } else if constexpr (std::is_same_v<T, PollMessagesRequest>) {
    WriteOffsetPrefix(out, request.consumer, request.stream, request.topic, request.partition);
    internal::WritePollingStrategy(out, request.strategy);
    out.U32(request.count);
    out.U8(request.auto_commit ? 1 : 0);
  } else if constexpr (std::is_same_v<T, GetConsumerOffsetRequest>) {
    WriteOffsetPrefix(out, request.consumer, request.stream, request.topic, request.partition);
  } else if constexpr (std::is_same_v<T, StoreConsumerOffsetRequest>) {
    WriteOffsetPrefix(out, request.consumer, request.stream, request.topic, request.partition);
    out.U64(request.offset);
    out.U8(static_cast<uint8_t>(request.ack));
  } else if constexpr (std::is_same_v<T, DeleteConsumerOffsetRequest>) {
    WriteOffsetPrefix(out, request.consumer, request.stream, request.topic, request.partition);
    out.U8(static_cast<uint8_t>(request.ack));
  } else if constexpr (std::is_same_v<T, CreateConsumerGroupRequest>) {
    out.Id(request.stream);
    out.Id(request.topic);
    out.Name(request.name);
  } else if constexpr (std::is_base_of_v<GroupRequestBody, T>) {
    out.Id(request.stream);
    out.Id(request.topic);
    out.Id(request.group);
  } else {
    static_assert(AlwaysFalse<T>::value, "request type without an encoder");
  }
}

}  // namespace

Bytes EncodeRequestBody(const Command& command) {
  BodyWriter out;
  std::visit([&out](const auto& request) { WriteBody(out, request); }, command);
  return std::move(out).Take();
}

Bytes EncodeClientFrame(const RequestIdentity& identity, const Command& command) {
  const Bytes body = EncodeRequestBody(command);
  SLUICE_ASSERT(body.size() <= wire::kBodySizeMax, "request body of ", body.size(), " bytes");
  RequestHeader header;
  header.size = static_cast<uint32_t>(wire::kHeaderSize + body.size());
  header.client = identity.client;
  header.request = identity.request;
  header.session = identity.session;
  header.operation = OperationOf(command);
  if (header.operation == wire::Operation::kNonReplicated) {
    header.command_code = static_cast<uint32_t>(CodeOf(command));
  }
  if (identity.stamp_request_checksum) header.request_checksum = RequestChecksumOf(body);
  Bytes frame(header.size);
  EncodeRequestHeader(header, MutableByteSpan(frame).first(wire::kHeaderSize));
  std::copy(body.begin(), body.end(), frame.begin() + wire::kHeaderSize);
  return frame;
}

}  // namespace sluice::client_protocol
