#include "core/client_protocol/committed_reply.h"

#include <type_traits>

#include "core/client_protocol/body_writer.h"
#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/options.h"
#include "core/metadata/lookup.h"

namespace sluice::client_protocol {
namespace {

using metadata::ApplyResult;
using metadata::ErrorCode;
using wire::Operation;

uint32_t CreatedId(const ApplyResult& result) {
  SLUICE_ASSERT(result.payload.size() >= 4, "create result payload of ", result.payload.size(),
                " bytes");
  return base::LoadLittleEndian<uint32_t>(result.payload, 0);
}

Bytes RegisterReply(const ClientRequest& request, const ApplyResult& result,
                    const ReplyStamp& stamp) {
  switch (result.error) {
    case ErrorCode::kOk: {
      SLUICE_ASSERT(result.payload.size() == 12, "register result payload of ",
                    result.payload.size(), " bytes");
      const uint32_t user_id = base::LoadLittleEndian<uint32_t>(result.payload, 0);
      const uint64_t session = base::LoadLittleEndian<uint64_t>(result.payload, 4);
      return EncodeReply(request.header, EncodeRegisterPayload(user_id, session), stamp);
    }
    case ErrorCode::kInvalidCredentials:
      return EncodeEviction(request.header.client, EvictionReason::kInvalidCredentials);
    case ErrorCode::kInvalidPersonalAccessToken:
      return EncodeEviction(request.header.client, EvictionReason::kInvalidToken);
    case ErrorCode::kUserInactive:
      return EncodeEviction(request.header.client, EvictionReason::kUserInactive);
    default:
      return EncodeResultRejection(request.header, FromMetadataError(result.error), stamp);
  }
}

// The success payload of a metadata write, after the result section.
Bytes SuccessPayload(const ClientRequest& request, const ApplyResult& result,
                     const metadata::MetadataState& state, const CommittedOp& op) {
  if (const auto* create = std::get_if<CreateStreamRequest>(&request.command)) {
    const metadata::Stream stream{.name = create->name, .created_at_us = op.timestamp_us};
    return EncodeStreamDetails(CreatedId(result), stream);
  }
  if (const auto* create = std::get_if<CreateTopicRequest>(&request.command)) {
    metadata::Topic topic{.name = create->name,
                          .created_at_us = op.timestamp_us,
                          .settings = ResolvedTopicSettings(create->options)};
    topic.partitions.assign(
        create->partitions_count,
        metadata::Partition{.incarnation = op.op, .created_at_us = op.timestamp_us});
    // The stream id is not on the wire of a TopicDetails; statistics are all zero.
    return EncodeTopicDetails(0, CreatedId(result), topic);
  }
  if (const auto* create = std::get_if<CreateConsumerGroupRequest>(&request.command)) {
    uint32_t partitions_count = 0;
    if (const metadata::Stream* stream = metadata::FindStream(state, create->stream)) {
      if (const metadata::Topic* topic = metadata::FindTopic(*stream, create->topic)) {
        partitions_count = static_cast<uint32_t>(topic->partitions.size());
      }
    }
    const metadata::ConsumerGroup group{.name = create->name};
    return EncodeGroupDetails(CreatedId(result), group, partitions_count);
  }
  return {};
}

}  // namespace

Bytes EncodeRegisterPayload(uint32_t user_id, uint64_t session, uint32_t server_protocol_version,
                            absl::string_view server_version) {
  internal::BodyWriter out(17 + server_version.size());
  out.U32(user_id);
  out.U64(session);
  out.U32(server_protocol_version);
  out.ShortString(server_version);
  return std::move(out).Take();
}

Bytes EncodeCommittedReply(const ClientRequest& request, const ApplyResult& result,
                           const metadata::MetadataState& state, const CommittedOp& op) {
  const Operation operation = request.header.operation;
  const ReplyStamp stamp{.op = op.op, .commit = op.commit, .timestamp = op.timestamp_us};
  if (operation == Operation::kRegister) return RegisterReply(request, result, stamp);
  if (operation == Operation::kLogout) return EncodeReply(request.header, {}, stamp);
  SLUICE_ASSERT(HasResultSection(operation) && operation != Operation::kStoreConsumerOffset &&
                    operation != Operation::kDeleteConsumerOffset,
                "committed reply for ", wire::OperationName(operation));
  if (!result.ok()) {
    return EncodeResultRejection(request.header, FromMetadataError(result.error), stamp);
  }
  return EncodeReply(request.header, SuccessPayload(request, result, state, op), stamp);
}

}  // namespace sluice::client_protocol
