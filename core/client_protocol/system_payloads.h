#pragma once
// Payloads of GetClusterMetadata and GetStats (PROTOCOL.md §5.1). The server fills
// the structs (its roster and configuration; process counters read with relaxed
// atomics, rule B14); this only lays them out.
//
//   ClusterMetadata  [name_len:u32][name][nodes_count:u32] then per node
//                    [name_len:u32][name][ip_len:u32][ip][tcp:u16][quic:u16][http:u16]
//                    [websocket:u16][role:u8][status:u8]
//   Stats            the fixed part (108 bytes: process_id .. consumer_groups_count),
//                    hostname, os_name, os_version, kernel_version ([len:u32][UTF-8]
//                    each; the Node SDK fails if one is missing), then what Iggy's
//                    server appends: iggy_server_version [len:u32][str],
//                    iggy_server_semver u32, cache_metrics [count:u32] (Sluice: 0),
//                    threads_count u32, free_disk_space u64, total_disk_space u64.

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol {

enum class NodeRole : uint8_t { kLeader = 0, kFollower = 1 };
enum class NodeStatus : uint8_t {
  kHealthy = 0,
  kStarting = 1,
  kStopping = 2,
  kUnreachable = 3,
  kMaintenance = 4,
};

struct ClusterNode {
  std::string name;
  std::string ip;
  uint16_t tcp_port = 0;
  uint16_t quic_port = 0;
  uint16_t http_port = 0;
  uint16_t websocket_port = 0;
  NodeRole role = NodeRole::kFollower;
  NodeStatus status = NodeStatus::kHealthy;
};

struct ClusterMetadata {
  std::string name;
  std::vector<ClusterNode> nodes;  // the leader first is customary, not required
};

Bytes EncodeClusterMetadata(const ClusterMetadata& cluster);

struct ServerStats {
  uint32_t process_id = 0;
  float cpu_usage = 0;
  float total_cpu_usage = 0;
  uint64_t memory_usage = 0;
  uint64_t total_memory = 0;
  uint64_t available_memory = 0;
  uint64_t run_time_us = 0;
  uint64_t start_time_us = 0;  // µs since the Unix epoch
  uint64_t read_bytes = 0;
  uint64_t written_bytes = 0;
  uint64_t messages_size_bytes = 0;
  uint32_t streams_count = 0;
  uint32_t topics_count = 0;
  uint32_t partitions_count = 0;
  uint32_t segments_count = 0;
  uint64_t messages_count = 0;
  uint32_t clients_count = 0;
  uint32_t consumer_groups_count = 0;
  std::string hostname;
  std::string os_name;
  std::string os_version;
  std::string kernel_version;
  std::string server_version;
  uint32_t server_semver = 0;
  uint32_t threads_count = 0;
  uint64_t free_disk_space = 0;
  uint64_t total_disk_space = 0;
};

// Sets the counts the metadata knows: streams, topics, partitions, consumer groups
// and clients (sessions in the client table).
void FillMetadataCounts(const metadata::MetadataState& state, ServerStats& stats);

Bytes EncodeStats(const ServerStats& stats);

}  // namespace sluice::client_protocol
