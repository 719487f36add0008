#pragma once
// The server's own answers (PROTOCOL.md §5.1): GetStats from the process, the host
// and the replica's state; GetClusterMetadata from the roster. A single node is its
// own leader, so the roster has one healthy leader (the SDK then stays connected,
// §2.4).

#include <cstdint>
#include <string>

#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/system_payloads.h"
#include "core/replica/single_node_replica.h"

namespace sluice::server {

struct ServerIdentity {
  std::string cluster_name = "sluice";
  std::string node_name = "sluice-node-0";
  // The address clients reach this node at (a wildcard listen address advertises
  // 127.0.0.1, as Iggy's single node does).
  std::string advertised_ip = "127.0.0.1";
  uint16_t tcp_port = 8090;
  uint64_t start_time_us = 0;
  std::string data_directory;
};

// The one-node roster: this node, leader, healthy (Iggy's other ports 0: not served).
client_protocol::ClusterMetadata SingleNodeRoster(const ServerIdentity& identity);

// Per-partition figures from the partition logs, for metadata reads and stats:
// current_offset = the highest committed offset (0 when empty), messages_count =
// committed messages since the last purge, segments_count = the log's segments.
client_protocol::PartitionStats PartitionStatsOf(replica::SingleNodeReplica& replica,
                                                 const metadata::PartitionKey& key,
                                                 const metadata::Partition& partition);

// GetStats: the process (pid, memory), the host (memory, names, disk), the metadata
// counts and the partition logs' totals. `clients_count` is the connections open now.
client_protocol::ServerStats CollectStats(replica::SingleNodeReplica& replica,
                                          const ServerIdentity& identity, uint64_t now_us,
                                          uint32_t clients_count);

}  // namespace sluice::server
