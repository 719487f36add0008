// Topic and partition bodies (§5.4, §5.5).
#include "absl/strings/str_cat.h"
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/primitives.h"
#include "core/client_protocol/rejection.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol::internal {

absl::StatusOr<CreateTopicRequest> DecodeCreateTopic(ByteSpan body) {
  BodyReader in(body, "create_topic body");
  CreateTopicRequest request;
  request.stream = in.Id("stream id");
  request.partitions_count = in.U32("partitions count");
  request.name = ReadNewName(in, "name");
  if (!in.ok()) return in.Finish(Trailing::kIgnore);
  absl::StatusOr<TopicOptions> options = DecodeOptions(in.Rest(), OptionsCatalog::kTopicCreate);
  if (!options.ok()) return options.status();
  request.options = *options;
  // Iggy's static bounds, before consensus (0 partitions is a legal topic).
  if (request.partitions_count > metadata::kPartitionsPerRequestMax) {
    return StatusReply(
        IggyError::kTooManyPartitions,
        absl::StrCat("create_topic: ", request.partitions_count, " partitions (at most 1000)"));
  }
  if (absl::Status status = CheckTopicBounds(request.options); !status.ok()) return status;
  return request;
}

absl::StatusOr<UpdateTopicRequest> DecodeUpdateTopic(ByteSpan body) {
  BodyReader in(body, "update_topic body");
  UpdateTopicRequest request;
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  request.name = ReadNewName(in, "name");
  if (!in.ok()) return in.Finish(Trailing::kIgnore);
  // Only the updatable keys; the bounds against the topic's own segment size are
  // Apply's (it knows the stored segment size).
  absl::StatusOr<TopicOptions> options = DecodeOptions(in.Rest(), OptionsCatalog::kTopicUpdate);
  if (!options.ok()) return options.status();
  request.options = *options;
  return request;
}

absl::StatusOr<GetTopicRequest> DecodeTopicIds(ByteSpan body, absl::string_view what) {
  BodyReader in(body, what);
  GetTopicRequest request;
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  // Trailing bytes ignored: the Node SDK appends a partitions count to DeleteTopic
  // that Iggy's server ignores (PROTOCOL.md §9).
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return request;
}

absl::StatusOr<CreatePartitionsRequest> DecodePartitionsChange(ByteSpan body,
                                                               absl::string_view what) {
  BodyReader in(body, what);
  CreatePartitionsRequest request;
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  request.count = in.U32("partitions count");
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  // Adding or removing no partitions is refused like too many (Iggy: 2015 for both).
  if (request.count == 0 || request.count > metadata::kPartitionsPerRequestMax) {
    return StatusReply(
        IggyError::kTooManyPartitions,
        absl::StrCat(what, ": partitions count ", request.count, " (must be 1..1000)"));
  }
  return request;
}

}  // namespace sluice::client_protocol::internal
