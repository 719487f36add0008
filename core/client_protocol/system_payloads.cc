#include "core/client_protocol/system_payloads.h"

#include "core/client_protocol/body_writer.h"

namespace sluice::client_protocol {

using internal::BodyWriter;

Bytes EncodeClusterMetadata(const ClusterMetadata& cluster) {
  BodyWriter out;
  out.LongString(cluster.name);
  out.U32(static_cast<uint32_t>(cluster.nodes.size()));
  for (const ClusterNode& node : cluster.nodes) {
    out.LongString(node.name);
    out.LongString(node.ip);
    out.U16(node.tcp_port);
    out.U16(node.quic_port);
    out.U16(node.http_port);
    out.U16(node.websocket_port);
    out.U8(static_cast<uint8_t>(node.role));
    out.U8(static_cast<uint8_t>(node.status));
  }
  return std::move(out).Take();
}

void FillMetadataCounts(const metadata::MetadataState& state, ServerStats& stats) {
  uint64_t topics = 0;
  uint64_t partitions = 0;
  uint64_t groups = 0;
  for (const auto& [stream_id, stream] : state.streams) {
    topics += stream.topics.size();
    for (const auto& [topic_id, topic] : stream.topics) {
      partitions += topic.partitions.size();
      groups += topic.groups.size();
    }
  }
  stats.streams_count = static_cast<uint32_t>(state.streams.size());
  stats.topics_count = static_cast<uint32_t>(topics);
  stats.partitions_count = static_cast<uint32_t>(partitions);
  stats.consumer_groups_count = static_cast<uint32_t>(groups);
  stats.clients_count = static_cast<uint32_t>(state.clients.size());
}

Bytes EncodeStats(const ServerStats& stats) {
  BodyWriter out(256);
  out.U32(stats.process_id);
  out.F32(stats.cpu_usage);
  out.F32(stats.total_cpu_usage);
  out.U64(stats.memory_usage);
  out.U64(stats.total_memory);
  out.U64(stats.available_memory);
  out.U64(stats.run_time_us);
  out.U64(stats.start_time_us);
  out.U64(stats.read_bytes);
  out.U64(stats.written_bytes);
  out.U64(stats.messages_size_bytes);
  out.U32(stats.streams_count);
  out.U32(stats.topics_count);
  out.U32(stats.partitions_count);
  out.U32(stats.segments_count);
  out.U64(stats.messages_count);
  out.U32(stats.clients_count);
  out.U32(stats.consumer_groups_count);
  out.LongString(stats.hostname);
  out.LongString(stats.os_name);
  out.LongString(stats.os_version);
  out.LongString(stats.kernel_version);
  out.LongString(stats.server_version);
  out.U32(stats.server_semver);
  out.U32(0);  // cache_metrics: Sluice keeps no per-partition cache
  out.U32(stats.threads_count);
  out.U64(stats.free_disk_space);
  out.U64(stats.total_disk_space);
  return std::move(out).Take();
}

}  // namespace sluice::client_protocol
