#pragma once
// The server's own answers (PROTOCOL.md §5.1): GetStats from the counters, the
// process and the host; GetClusterMetadata from the roster. A single node is its
// own leader, so the roster has one healthy leader (the SDK then stays connected,
// §2.4).

#include <cstdint>
#include <string>
#include <vector>

#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/system_payloads.h"
#include "server/served_replica.h"
#include "server/process_figures.h"
#include "server/server_counters.h"

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

// A cluster's roster: every replica by index, named sluice-node-I, at its client
// address (`client_hosts` / `client_ports`, by index; a wildcard host advertises
// 127.0.0.1), the primary of `role.view` the leader, the others followers. Every
// node is reported healthy: this replica does not know its peers' health.
client_protocol::ClusterMetadata ClusterRoster(const ServerIdentity& identity, const ReplicaRole& role,
                                               const std::vector<std::string>& client_hosts,
                                               const std::vector<uint16_t>& client_ports);

// Per-partition figures from the partition logs, for metadata reads and stats:
// current_offset = the highest committed offset (0 when empty), messages_count =
// committed messages since the last purge, segments_count = the log's segments.
client_protocol::PartitionStats PartitionStatsOf(ServedReplica& replica,
                                                 const metadata::PartitionKey& key,
                                                 const metadata::Partition& partition);

// GetStats: the data's figures from the counters (rule B14, server_counters.h), the
// process's from /proc (process_figures.h), the host's (memory, names, disk).
// `now_us` is the realtime clock, `monotonic_ns` the monotonic one.
client_protocol::ServerStats CollectStats(const ServerCounters& counters, ProcessSampler& process,
                                          const ServerIdentity& identity, uint64_t now_us,
                                          uint64_t monotonic_ns);

}  // namespace sluice::server
