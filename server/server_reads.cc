#include "server/server_reads.h"

#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "core/client_protocol/protocol_version.h"
#include "core/metadata/namespace_packing.h"

namespace sluice::server {

client_protocol::ClusterMetadata SingleNodeRoster(const ServerIdentity& identity) {
  client_protocol::ClusterMetadata roster;
  roster.name = identity.cluster_name;
  roster.nodes.push_back({.name = identity.node_name,
                          .ip = identity.advertised_ip,
                          .tcp_port = identity.tcp_port,
                          .role = client_protocol::NodeRole::kLeader,
                          .status = client_protocol::NodeStatus::kHealthy});
  return roster;
}

client_protocol::ClusterMetadata ClusterRoster(const ServerIdentity& identity, const ReplicaRole& role,
                                               const std::vector<std::string>& client_hosts,
                                               const std::vector<uint16_t>& client_ports) {
  client_protocol::ClusterMetadata roster;
  roster.name = identity.cluster_name;
  for (size_t i = 0; i < client_hosts.size() && i < client_ports.size(); ++i) {
    const std::string& host = client_hosts[i];
    const bool wildcard = host.empty() || host == "0.0.0.0" || host == "::";
    roster.nodes.push_back({.name = absl::StrCat("sluice-node-", i),
                            .ip = wildcard ? std::string("127.0.0.1") : host,
                            .tcp_port = i == role.self ? identity.tcp_port : client_ports[i],
                            .role = i == role.primary ? client_protocol::NodeRole::kLeader
                                                      : client_protocol::NodeRole::kFollower,
                            .status = client_protocol::NodeStatus::kHealthy});
  }
  return roster;
}

client_protocol::PartitionStats PartitionStatsOf(ServedReplica& replica,
                                                 const metadata::PartitionKey& key,
                                                 const metadata::Partition& partition) {
  client_protocol::PartitionStats stats;
  const absl::StatusOr<uint64_t> ns = metadata::PackNamespace(replica.metadata().config.widths, key);
  if (!ns.ok()) return stats;
  // A partition just created may not have its log yet (created before the reply).
  const absl::StatusOr<partition::PartitionLog*> log = replica.Partition(*ns, partition.incarnation);
  if (!log.ok()) return stats;
  const uint64_t next = (*log)->committed_next_offset();
  const uint64_t first = (*log)->segments().empty() ? 0 : (*log)->segments().front().start_offset;
  stats.current_offset = next == 0 ? 0 : next - 1;
  stats.messages_count = next - std::min(first, next);
  stats.segments_count = static_cast<uint32_t>(std::max<size_t>(1, (*log)->segments().size()));
  return stats;
}

namespace {

void FillHost(client_protocol::ServerStats& stats, const std::string& data_directory) {
  char hostname[256] = {};
  if (gethostname(hostname, sizeof(hostname) - 1) == 0) stats.hostname = hostname;
  utsname names{};
  if (uname(&names) == 0) {
    stats.os_name = names.sysname;
    stats.os_version = names.version;
    stats.kernel_version = names.release;
  }
  struct sysinfo info {};
  if (sysinfo(&info) == 0) {
    stats.total_memory = static_cast<uint64_t>(info.totalram) * info.mem_unit;
    stats.available_memory = static_cast<uint64_t>(info.freeram) * info.mem_unit;
  }
  struct statvfs disk {};
  if (statvfs(data_directory.c_str(), &disk) == 0) {
    stats.free_disk_space = static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize;
    stats.total_disk_space = static_cast<uint64_t>(disk.f_blocks) * disk.f_frsize;
  }
}

}  // namespace

client_protocol::ServerStats CollectStats(const ServerCounters& counters, ProcessSampler& process,
                                          const ServerIdentity& identity, uint64_t now_us,
                                          uint64_t monotonic_ns) {
  client_protocol::ServerStats stats;
  stats.process_id = static_cast<uint32_t>(getpid());
  stats.start_time_us = identity.start_time_us;
  stats.run_time_us = now_us > identity.start_time_us ? now_us - identity.start_time_us : 0;
  counters.FillStats(stats);
  process.Fill(stats, monotonic_ns);
  FillHost(stats, identity.data_directory);
  stats.server_version = std::string(client_protocol::kServerVersion);
  stats.server_semver = client_protocol::kServerProtocolVersion;
  return stats;
}

}  // namespace sluice::server
