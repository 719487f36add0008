// Consumer offsets (§5.6): Get (120), Store (121, op 161), Delete (122, op 162).
// All three start `[Consumer][stream Id][topic Id][partition flag:u8][partition:u32]`.
#include "core/client_protocol/body_decoders.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/primitives.h"

namespace sluice::client_protocol::internal {
namespace {

struct OffsetPrefix {
  Consumer consumer;
  Identifier stream;
  Identifier topic;
  std::optional<uint32_t> partition;
};

OffsetPrefix ReadPrefix(BodyReader& in) {
  OffsetPrefix prefix;
  prefix.consumer = ReadConsumer(in);
  prefix.stream = in.Id("stream id");
  prefix.topic = in.Id("topic id");
  prefix.partition = ReadOptionalPartition(in);
  return prefix;
}

}  // namespace

absl::StatusOr<GetConsumerOffsetRequest> DecodeGetConsumerOffset(ByteSpan body) {
  BodyReader in(body, "get_consumer_offset body");
  OffsetPrefix prefix = ReadPrefix(in);
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return GetConsumerOffsetRequest{std::move(prefix.consumer), std::move(prefix.stream),
                                  std::move(prefix.topic), prefix.partition};
}

absl::StatusOr<StoreConsumerOffsetRequest> DecodeStoreConsumerOffset(ByteSpan body) {
  BodyReader in(body, "store_consumer_offset body");
  OffsetPrefix prefix = ReadPrefix(in);
  const uint64_t offset = in.U64("offset");
  const OffsetAck ack = ReadAck(in);
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return StoreConsumerOffsetRequest{std::move(prefix.consumer),
                                    std::move(prefix.stream),
                                    std::move(prefix.topic),
                                    prefix.partition,
                                    offset,
                                    ack};
}

absl::StatusOr<DeleteConsumerOffsetRequest> DecodeDeleteConsumerOffset(ByteSpan body) {
  BodyReader in(body, "delete_consumer_offset body");
  OffsetPrefix prefix = ReadPrefix(in);
  const OffsetAck ack = ReadAck(in);
  if (absl::Status status = in.Finish(Trailing::kIgnore); !status.ok()) return status;
  return DeleteConsumerOffsetRequest{std::move(prefix.consumer), std::move(prefix.stream),
                                     std::move(prefix.topic), prefix.partition, ack};
}

}  // namespace sluice::client_protocol::internal
