#include "core/client_protocol/metadata_payloads.h"

#include "core/client_protocol/body_writer.h"
#include "core/client_protocol/options.h"

namespace sluice::client_protocol {
namespace {

using internal::BodyWriter;
using metadata::PartitionKey;

struct Totals {
  uint64_t size_bytes = 0;
  uint64_t messages_count = 0;
};

Totals TopicTotals(uint32_t stream_id, uint32_t topic_id, const metadata::Topic& topic,
                   PartitionStatsLookup stats) {
  Totals totals;
  for (uint32_t id = 0; id < topic.partitions.size(); ++id) {
    const PartitionStats partition =
        stats(PartitionKey{stream_id, topic_id, id}, topic.partitions[id]);
    totals.size_bytes += partition.size_bytes;
    totals.messages_count += partition.messages_count;
  }
  return totals;
}

// [len:u32][TLV]; the request encoder writes the same pairs without the prefix.
void WriteOptionsBlock(BodyWriter& out, const Bytes& pairs) {
  out.U32(static_cast<uint32_t>(pairs.size()));
  out.Raw(pairs);
}

void WriteTopicHeader(BodyWriter& out, uint32_t stream_id, uint32_t topic_id,
                      const metadata::Topic& topic, PartitionStatsLookup stats) {
  const Totals totals = TopicTotals(stream_id, topic_id, topic, stats);
  out.U32(topic_id);
  out.U64(topic.created_at_us);
  out.U32(static_cast<uint32_t>(topic.partitions.size()));
  out.U64(topic.settings.message_expiry_us);
  out.U8(topic.settings.compression_algorithm);
  out.U64(topic.settings.max_topic_size_bytes);
  out.U64(totals.size_bytes);
  out.U64(totals.messages_count);
  out.Name(topic.name);
  WriteOptionsBlock(out, {});
  WriteOptionsBlock(
      out, EncodeTopicOptions({.compression_algorithm = topic.settings.compression_algorithm,
                               .message_expiry_us = topic.settings.message_expiry_us,
                               .max_topic_size_bytes = topic.settings.max_topic_size_bytes,
                               .segment_size_bytes = topic.settings.segment_size_bytes}));
}

void WriteStreamHeader(BodyWriter& out, uint32_t stream_id, const metadata::Stream& stream,
                       PartitionStatsLookup stats) {
  Totals totals;
  for (const auto& [topic_id, topic] : stream.topics) {
    const Totals topic_totals = TopicTotals(stream_id, topic_id, topic, stats);
    totals.size_bytes += topic_totals.size_bytes;
    totals.messages_count += topic_totals.messages_count;
  }
  out.U32(stream_id);
  out.U64(stream.created_at_us);
  out.U32(static_cast<uint32_t>(stream.topics.size()));
  out.U64(totals.size_bytes);
  out.U64(totals.messages_count);
  out.Name(stream.name);
  WriteOptionsBlock(out, {});
}

void WriteGroupHeader(BodyWriter& out, uint32_t group_id, const metadata::ConsumerGroup& group,
                      uint32_t partitions_count) {
  out.U32(group_id);
  out.U32(partitions_count);
  out.U32(static_cast<uint32_t>(group.members.size()));
  out.Name(group.name);
}

}  // namespace

PartitionStats NoPartitionStats(const PartitionKey&, const metadata::Partition&) { return {}; }

Bytes EncodeStreamDetails(uint32_t stream_id, const metadata::Stream& stream,
                          PartitionStatsLookup stats) {
  BodyWriter out;
  WriteStreamHeader(out, stream_id, stream, stats);
  for (const auto& [topic_id, topic] : stream.topics) {
    WriteTopicHeader(out, stream_id, topic_id, topic, stats);
  }
  return std::move(out).Take();
}

Bytes EncodeStreamHeaders(const metadata::MetadataState& state, PartitionStatsLookup stats) {
  BodyWriter out;
  for (const auto& [stream_id, stream] : state.streams) {
    WriteStreamHeader(out, stream_id, stream, stats);
  }
  return std::move(out).Take();
}

Bytes EncodeTopicDetails(uint32_t stream_id, uint32_t topic_id, const metadata::Topic& topic,
                         PartitionStatsLookup stats) {
  BodyWriter out;
  WriteTopicHeader(out, stream_id, topic_id, topic, stats);
  for (uint32_t id = 0; id < topic.partitions.size(); ++id) {
    const metadata::Partition& partition = topic.partitions[id];
    const PartitionStats numbers = stats(PartitionKey{stream_id, topic_id, id}, partition);
    out.U32(id);
    out.U64(partition.created_at_us);
    out.U32(numbers.segments_count);
    out.U64(numbers.current_offset);
    out.U64(numbers.size_bytes);
    out.U64(numbers.messages_count);
  }
  return std::move(out).Take();
}

Bytes EncodeTopicHeaders(uint32_t stream_id, const metadata::Stream& stream,
                         PartitionStatsLookup stats) {
  BodyWriter out;
  out.U32(static_cast<uint32_t>(stream.topics.size()));
  for (const auto& [topic_id, topic] : stream.topics) {
    WriteTopicHeader(out, stream_id, topic_id, topic, stats);
  }
  return std::move(out).Take();
}

Bytes EncodeGroupDetails(uint32_t group_id, const metadata::ConsumerGroup& group,
                         uint32_t partitions_count) {
  BodyWriter out;
  WriteGroupHeader(out, group_id, group, partitions_count);
  for (const auto& [member, partitions] : group.members) {
    out.U32(static_cast<uint32_t>(member));  // low 32 bits of the session
    out.U32(static_cast<uint32_t>(partitions.size()));
    for (uint32_t partition : partitions) out.U32(partition);
  }
  return std::move(out).Take();
}

Bytes EncodeGroupHeaders(const metadata::Topic& topic) {
  BodyWriter out;
  for (const auto& [group_id, group] : topic.groups) {
    WriteGroupHeader(out, group_id, group, static_cast<uint32_t>(topic.partitions.size()));
  }
  return std::move(out).Take();
}

Bytes EncodeAssignment(uint64_t generation, const std::vector<uint32_t>& partitions) {
  BodyWriter out(12 + 4 * partitions.size());
  out.U64(generation);
  out.U32(static_cast<uint32_t>(partitions.size()));
  for (uint32_t partition : partitions) out.U32(partition);
  return std::move(out).Take();
}

}  // namespace sluice::client_protocol
