// Consumer-group bodies (§5.7).
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/primitives.h"

namespace sluice::client_protocol::internal {

absl::StatusOr<CreateConsumerGroupRequest> DecodeCreateConsumerGroup(ByteSpan body) {
  BodyReader in(body, "create_consumer_group body");
  CreateConsumerGroupRequest request;
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  request.name = ReadNewName(in, "name");
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return request;
}

absl::StatusOr<GroupRequestBody> DecodeGroupIds(ByteSpan body, absl::string_view what) {
  BodyReader in(body, what);
  GroupRequestBody request;
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  request.group = in.Id("group id");
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return request;
}

}  // namespace sluice::client_protocol::internal
