#include "core/client_protocol/primitives.h"

#include "absl/strings/str_cat.h"

namespace sluice::client_protocol::internal {

std::string ReadNewName(BodyReader& in, absl::string_view field) {
  std::string name = in.Name(field);
  if (in.ok() && !IsUtf8(name)) {
    in.Fail(IggyError::kInvalidCommand, field, "name is not UTF-8");
    return {};
  }
  return name;
}

Consumer ReadConsumer(BodyReader& in) {
  Consumer consumer;
  const uint8_t kind = in.U8("consumer kind");
  if (in.ok() && kind != 1 && kind != 2) {
    in.Fail(IggyError::kInvalidCommand, "consumer kind",
            absl::StrCat(kind, " (must be 1 consumer or 2 consumer group)"));
  }
  consumer.kind = static_cast<Consumer::Kind>(kind);
  consumer.id = in.Id("consumer id");
  return consumer;
}

void WriteConsumer(BodyWriter& out, const Consumer& consumer) {
  out.U8(static_cast<uint8_t>(consumer.kind));
  out.Id(consumer.id);
}

std::optional<uint32_t> ReadOptionalPartition(BodyReader& in) {
  const bool present = in.Bool("partition flag");
  const uint32_t partition = in.U32("partition id");
  if (!present) return std::nullopt;
  return partition;
}

void WriteOptionalPartition(BodyWriter& out, std::optional<uint32_t> partition) {
  out.U8(partition.has_value() ? 1 : 0);
  out.U32(partition.value_or(0));
}

Partitioning ReadPartitioning(BodyReader& in) {
  Partitioning partitioning;
  const uint8_t kind = in.U8("partitioning kind");
  const uint8_t length = in.U8("partitioning length");
  if (!in.ok()) return {};
  switch (kind) {
    case 1:
      if (length != 0) break;
      partitioning.kind = Partitioning::Kind::kBalanced;
      return partitioning;
    case 2:
      if (length != 4) break;
      partitioning.kind = Partitioning::Kind::kPartitionId;
      partitioning.partition_id = in.U32("partition id");
      return partitioning;
    case 3: {
      if (length == 0) break;
      partitioning.kind = Partitioning::Kind::kMessagesKey;
      const ByteSpan key = in.Take(length, "messages key");
      partitioning.key.assign(key.begin(), key.end());
      return partitioning;
    }
    default:
      in.Fail(IggyError::kInvalidCommand, "partitioning kind",
              absl::StrCat(kind, " (must be 1 balanced, 2 partition id or 3 messages key)"));
      return {};
  }
  in.Fail(IggyError::kInvalidCommand, "partitioning length",
          absl::StrCat(length, " for kind ", kind, " (balanced 0, partition id 4, key 1..255)"));
  return {};
}

void WritePartitioning(BodyWriter& out, const Partitioning& partitioning) {
  out.U8(static_cast<uint8_t>(partitioning.kind));
  switch (partitioning.kind) {
    case Partitioning::Kind::kBalanced:
      out.U8(0);
      return;
    case Partitioning::Kind::kPartitionId:
      out.U8(4);
      out.U32(partitioning.partition_id);
      return;
    case Partitioning::Kind::kMessagesKey:
      SLUICE_ASSERT(!partitioning.key.empty() && partitioning.key.size() <= 255, "messages key of ",
                    partitioning.key.size(), " bytes");
      out.U8(static_cast<uint8_t>(partitioning.key.size()));
      out.Raw(partitioning.key);
      return;
  }
}

size_t PartitioningSize(const Partitioning& partitioning) {
  switch (partitioning.kind) {
    case Partitioning::Kind::kBalanced:
      return 2;
    case Partitioning::Kind::kPartitionId:
      return 6;
    case Partitioning::Kind::kMessagesKey:
      return 2 + partitioning.key.size();
  }
  return 2;
}

PollingStrategy ReadPollingStrategy(BodyReader& in) {
  PollingStrategy strategy;
  const uint8_t kind = in.U8("polling strategy kind");
  if (in.ok() && (kind < 1 || kind > 5)) {
    in.Fail(IggyError::kInvalidCommand, "polling strategy kind",
            absl::StrCat(kind, " (must be 1..5)"));
  }
  strategy.kind = static_cast<PollingStrategy::Kind>(kind);
  strategy.value = in.U64("polling strategy value");
  return strategy;
}

void WritePollingStrategy(BodyWriter& out, const PollingStrategy& strategy) {
  out.U8(static_cast<uint8_t>(strategy.kind));
  out.U64(strategy.value);
}

OffsetAck ReadAck(BodyReader& in) {
  const uint8_t ack = in.U8("ack");
  if (in.ok() && ack > 1) {
    in.Fail(IggyError::kInvalidCommand, "ack", absl::StrCat(ack, " (must be 0 or 1)"));
  }
  return static_cast<OffsetAck>(ack);
}

size_t IdentifierSize(const Identifier& id) {
  return 2 + (id.kind == Identifier::Kind::kNumeric ? 4 : id.name.size());
}

}  // namespace sluice::client_protocol::internal
