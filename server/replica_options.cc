#include "server/replica_options.h"

namespace sluice::server {
namespace {

journal::JournalOptions JournalFromConfig(const config::Config& config) {
  return {.cluster = config.cluster.id,
          .slot_count = config.limits.wal_slot_count,
          .message_size_max = config.limits.wal_slot_size_bytes};
}

}  // namespace

metadata_store::MetadataFormat FormatFromConfig(const config::Config& config, bool recovering) {
  metadata_store::MetadataFormat format;
  format.identity.cluster_id = config.cluster.id;
  format.identity.replica_index = config.cluster.replica_index;
  format.identity.replica_count = config.cluster.replica_count;
  format.identity.namespace_widths = config.namespace_widths;
  format.identity.recovering = recovering;
  format.journal = JournalFromConfig(config);
  format.config.widths = config.namespace_widths;
  format.config.clients_max = static_cast<uint32_t>(config.limits.clients_max);
  return format;
}

replica::SingleNodeReplicaOptions ReplicaOptionsFromConfig(const config::Config& config) {
  replica::SingleNodeReplicaOptions options;
  options.boot.metadata.identity = {.cluster_id = config.cluster.id,
                                    .replica_index = config.cluster.replica_index,
                                    .replica_count = config.cluster.replica_count,
                                    .widths = config.namespace_widths};
  options.boot.metadata.journal = JournalFromConfig(config);
  options.boot.partitions.single_node = config.cluster.replica_count == 1;
  options.boot.partitions.clamp_consumer_offsets = config.recovery.clamp_consumer_offsets;
  options.boot.partitions.group_commit_bytes_max = config.limits.group_commit_bytes_max;
  options.boot.partitions.entry_size_bytes_max =
      config.limits.prepare_size_max_bytes + config::kPrepareHeaderBytes;
  options.root = {.name = config.root.username, .password = config.root.password};
  return options;
}

replica::ClusterReplicaOptions ClusterReplicaOptionsFromConfig(const config::Config& config) {
  replica::ClusterReplicaOptions options;
  options.identity = {.cluster_id = config.cluster.id,
                      .replica_index = config.cluster.replica_index,
                      .replica_count = config.cluster.replica_count,
                      .widths = config.namespace_widths};
  options.journal = JournalFromConfig(config);
  options.partitions.cluster = config.cluster.id;
  options.partitions.single_node = false;
  options.partitions.group_commit_bytes_max = config.limits.group_commit_bytes_max;
  options.partitions.entry_size_bytes_max = config.limits.prepare_size_max_bytes + config::kPrepareHeaderBytes;
  vsr::ReplicaOptions& vsr = options.vsr;
  vsr.cluster = config.cluster.id;
  vsr.replica_index = config.cluster.replica_index;
  vsr.replica_count = config.cluster.replica_count;
  vsr.pipeline_max = config.limits.pipeline_max;
  vsr.prepare_body_size_max_bytes = config.limits.prepare_size_max_bytes;
  const config::TimeoutsConfig& t = config.timeouts;
  vsr.heartbeat_interval_ticks = t.heartbeat_interval_ticks;
  vsr.primary_timeout_ticks = t.primary_timeout_ticks;
  vsr.view_change_timeout_ticks = t.view_change_timeout_ticks;
  vsr.view_change_resend_ticks = t.view_change_resend_ticks;
  vsr.prepare_retry_ticks = t.prepare_retry_ticks;
  vsr.repair_retry_ticks = t.repair_retry_ticks;
  return options;
}

}  // namespace sluice::server
