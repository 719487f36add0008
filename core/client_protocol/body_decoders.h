#pragma once
// Internal: one decoder per supported command body, grouped by file
// (decode_system.cc, decode_streams.cc, decode_topics.cc, decode_messages.cc,
// decode_offsets.cc, decode_groups.cc). Each is total: any bytes give the request
// or a rejection (rejection.h) naming the body, the field and its offset.

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client_protocol/request_header.h"
#include "core/client_protocol/requests.h"

namespace sluice::client_protocol::internal {

// The body of `code` (a supported one: asserted by the caller's dispatch).
absl::StatusOr<Command> DecodeBody(CommandCode code, ByteSpan body, const ClientLimits& limits);

// decode_system.cc. Bodies that must be empty ignore trailing bytes, as Iggy does.
absl::StatusOr<Command> DecodeEmptyBody(CommandCode code, ByteSpan body);
// Malformed login bodies are evicted with MalformedLogin (§1.6), not answered.
absl::StatusOr<RegisterRequest> DecodeRegister(ByteSpan body);

// decode_streams.cc
absl::StatusOr<CreateStreamRequest> DecodeCreateStream(ByteSpan body);
absl::StatusOr<UpdateStreamRequest> DecodeUpdateStream(ByteSpan body);
// GetStream, DeleteStream, PurgeStream: `[stream Id]`.
absl::StatusOr<Identifier> DecodeStreamId(ByteSpan body, absl::string_view what);

// decode_topics.cc
absl::StatusOr<CreateTopicRequest> DecodeCreateTopic(ByteSpan body);
absl::StatusOr<UpdateTopicRequest> DecodeUpdateTopic(ByteSpan body);
// GetTopic, DeleteTopic, PurgeTopic, GetConsumerGroups: `[stream Id][topic Id]`.
absl::StatusOr<GetTopicRequest> DecodeTopicIds(ByteSpan body, absl::string_view what);
// Create/DeletePartitions: `[stream Id][topic Id][count:u32]`, count 1..1000 (2015).
absl::StatusOr<CreatePartitionsRequest> DecodePartitionsChange(ByteSpan body,
                                                               absl::string_view what);

// decode_messages.cc
absl::StatusOr<SendMessagesRequest> DecodeSendMessages(ByteSpan body, const ClientLimits& limits);
absl::StatusOr<PollMessagesRequest> DecodePollMessages(ByteSpan body);

// decode_offsets.cc
absl::StatusOr<GetConsumerOffsetRequest> DecodeGetConsumerOffset(ByteSpan body);
absl::StatusOr<StoreConsumerOffsetRequest> DecodeStoreConsumerOffset(ByteSpan body);
absl::StatusOr<DeleteConsumerOffsetRequest> DecodeDeleteConsumerOffset(ByteSpan body);

// decode_groups.cc
absl::StatusOr<CreateConsumerGroupRequest> DecodeCreateConsumerGroup(ByteSpan body);
// Get/Delete/Join/Leave/SyncConsumerGroup: `[stream Id][topic Id][group Id]`.
absl::StatusOr<GroupRequestBody> DecodeGroupIds(ByteSpan body, absl::string_view what);

}  // namespace sluice::client_protocol::internal
