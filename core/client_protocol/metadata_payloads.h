#pragma once
// Reply payloads rendered from the metadata state (PROTOCOL.md §5.3–5.5, §5.7), as
// the bytes after any result section. The metadata holds no message statistics, so
// per-partition numbers come from the caller (the partition logs) through a
// PartitionStatsLookup; topic and stream figures are their sums.
//
//   StreamHeader  id:u32 created_at:u64 topics_count:u32 size_bytes:u64
//                 messages_count:u64 name(u8 len) options [len:u32][TLV] (always empty:
//                 streams have no options)
//   StreamDetails StreamHeader + topics_count × TopicHeader
//   TopicHeader   id:u32 created_at:u64 partitions_count:u32 message_expiry:u64
//                 compression:u8 max_topic_size:u64 size_bytes:u64 messages_count:u64
//                 name(u8 len) explicit options [len:u32][TLV] derived options
//                 [len:u32][TLV]
//   Partition     id:u32 created_at:u64 segments_count:u32 current_offset:u64
//                 size_bytes:u64 messages_count:u64 (40 bytes)
//   TopicDetails  TopicHeader + partitions_count × Partition
//   GroupHeader   id:u32 partitions_count:u32 members_count:u32 name(u8 len)
//   GroupDetails  GroupHeader + members × [member_id:u32][count:u32][partition_id:u32 × count]
//   Assignment    generation:u64 count:u32 partition_id:u32 × count   (SyncConsumerGroup)
//
// Topic options: Sluice does not record which keys a client sent, so the explicit
// block is empty and the derived block carries the stored settings under the keys
// the SDK sends them with (compression_algorithm String, message_expiry,
// max_topic_size, segment_size Uint64). The SDK parses both blocks generically.
// A consumer group member is a session (u64); its member_id on the wire is the low
// 32 bits (the Node SDK reads only the header).

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/namespace_packing.h"

namespace sluice::client_protocol {

struct PartitionStats {
  uint32_t segments_count = 1;  // Iggy reports at least one
  uint64_t current_offset = 0;  // the highest offset; 0 when empty
  uint64_t size_bytes = 0;
  uint64_t messages_count = 0;
  friend bool operator==(const PartitionStats&, const PartitionStats&) = default;
};

using PartitionStatsLookup =
    absl::FunctionRef<PartitionStats(const metadata::PartitionKey&, const metadata::Partition&)>;

// Zero statistics (one segment, nothing in it): for replies to a create, and tests.
PartitionStats NoPartitionStats(const metadata::PartitionKey& key,
                                const metadata::Partition& partition);

Bytes EncodeStreamDetails(uint32_t stream_id, const metadata::Stream& stream,
                          PartitionStatsLookup stats = NoPartitionStats);
// GetStreams: StreamHeader per stream in id order, no count (none = empty payload).
Bytes EncodeStreamHeaders(const metadata::MetadataState& state,
                          PartitionStatsLookup stats = NoPartitionStats);

Bytes EncodeTopicDetails(uint32_t stream_id, uint32_t topic_id, const metadata::Topic& topic,
                         PartitionStatsLookup stats = NoPartitionStats);
// GetTopics: [count:u32] then TopicHeader per topic in id order.
Bytes EncodeTopicHeaders(uint32_t stream_id, const metadata::Stream& stream,
                         PartitionStatsLookup stats = NoPartitionStats);

Bytes EncodeGroupDetails(uint32_t group_id, const metadata::ConsumerGroup& group,
                         uint32_t partitions_count);
// GetConsumerGroups: GroupHeader per group in id order, no count.
Bytes EncodeGroupHeaders(const metadata::Topic& topic);
Bytes EncodeAssignment(uint64_t generation, const std::vector<uint32_t>& partitions);

}  // namespace sluice::client_protocol
