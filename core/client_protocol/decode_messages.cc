// SendMessages (§6.1) and PollMessages (§6.5).
#include "absl/strings/str_cat.h"
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/primitives.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol::internal {
namespace {

// Iggy answers a bad batch checksum 4039, a bad message checksum 4027 and any other
// structural fault 3 (§6.1).
absl::Status BatchRejection(const absl::Status& status) {
  const std::string message = absl::StrCat("send_messages batch: ", status.message());
  switch (wire::ClassifyBatchError(status)) {
    case wire::BatchError::kBatchChecksum:
      return StatusReply(IggyError::kInvalidBatchChecksum, message);
    case wire::BatchError::kMessageChecksum:
      return StatusReply(IggyError::kInvalidMessageChecksum, message);
    default:
      return StatusReply(IggyError::kInvalidCommand, message);
  }
}

}  // namespace

absl::StatusOr<SendMessagesRequest> DecodeSendMessages(ByteSpan body, const ClientLimits& limits) {
  BodyReader in(body, "send_messages body");
  const uint32_t metadata_length = in.U32("metadata length");
  BodyReader metadata(in.Take(metadata_length, "metadata"), "send_messages metadata");
  if (!in.ok()) return in.Finish(Trailing::kRefuse);
  const Identifier stream = metadata.Id("stream id");
  const Identifier topic = metadata.Id("topic id");
  Partitioning partitioning = ReadPartitioning(metadata);
  const uint32_t messages_count = metadata.U32("messages count");
  // The metadata must decode to exactly metadata_length bytes (§6.1).
  if (absl::Status status = metadata.Finish(Trailing::kRefuse); !status.ok()) return status;

  // The batch runs to the end of the body: DecodeBatch refuses any byte after its
  // last frame, and checks both checksum kinds and message_count >= 1.
  absl::StatusOr<wire::ValidatedBatch> batch =
      wire::DecodeBatch(in.Rest(), {.batch_size_bytes_max = limits.batch_size_bytes_max});
  if (!batch.ok()) return BatchRejection(batch.status());
  if (batch->message_count() != messages_count) {
    return StatusReply(IggyError::kInvalidCommand,
                       absl::StrCat("send_messages: messages count ", messages_count,
                                    " but the batch holds ", batch->message_count()));
  }
  return SendMessagesRequest{std::move(stream), std::move(topic), std::move(partitioning), *batch};
}

absl::StatusOr<PollMessagesRequest> DecodePollMessages(ByteSpan body) {
  BodyReader in(body, "poll_messages body");
  PollMessagesRequest request;
  request.consumer = ReadConsumer(in);
  request.stream = in.Id("stream id");
  request.topic = in.Id("topic id");
  request.partition = ReadOptionalPartition(in);
  request.strategy = ReadPollingStrategy(in);
  request.count = in.U32("count");
  request.auto_commit = in.Bool("auto commit");
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return request;
}

}  // namespace sluice::client_protocol::internal
