// Stream bodies (§5.3): CreateStream, GetStream, UpdateStream, DeleteStream,
// PurgeStream.
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/primitives.h"

namespace sluice::client_protocol::internal {

absl::StatusOr<CreateStreamRequest> DecodeCreateStream(ByteSpan body) {
  BodyReader in(body, "create_stream body");
  CreateStreamRequest request;
  request.name = ReadNewName(in, "name");
  if (!in.ok()) return in.Finish(Trailing::kIgnore);
  // Streams have no option keys: any option is kUnsupportedOptionKey, as Iggy.
  if (absl::StatusOr<TopicOptions> options = DecodeOptions(in.Rest(), OptionsCatalog::kStream);
      !options.ok()) {
    return options.status();
  }
  return request;
}

absl::StatusOr<UpdateStreamRequest> DecodeUpdateStream(ByteSpan body) {
  BodyReader in(body, "update_stream body");
  UpdateStreamRequest request;
  request.stream = in.Id("stream id");
  request.name = ReadNewName(in, "name");
  if (!in.ok()) return in.Finish(Trailing::kIgnore);
  if (absl::StatusOr<TopicOptions> options = DecodeOptions(in.Rest(), OptionsCatalog::kStream);
      !options.ok()) {
    return options.status();
  }
  return request;
}

absl::StatusOr<Identifier> DecodeStreamId(ByteSpan body, absl::string_view what) {
  BodyReader in(body, what);
  Identifier stream = in.Id("stream id");
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return stream;
}

}  // namespace sluice::client_protocol::internal
