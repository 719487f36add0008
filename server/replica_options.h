#pragma once
// From the operator's config (core/config) to what the replica, its format step and
// its bootstrap take. One place, so `format` and `start` can never disagree about
// the options fixed at format (WAL geometry, widths, client table size).

#include "core/config/config.h"
#include "core/metadata_store/format_metadata.h"
#include "core/replica/cluster_replica.h"
#include "core/replica/single_node_replica.h"

namespace sluice::server {

metadata_store::MetadataFormat FormatFromConfig(const config::Config& config, bool recovering);

replica::SingleNodeReplicaOptions ReplicaOptionsFromConfig(const config::Config& config);

// A replica of a cluster (replica_count > 1): identity, WAL, partitions, and VSR's
// bounds and timeouts ([limits], [timeouts]).
replica::ClusterReplicaOptions ClusterReplicaOptionsFromConfig(const config::Config& config);

}  // namespace sluice::server
