#pragma once
// BootSingleNode: bootstrap (DESIGN.md "Bootstrap") of a one-replica cluster, whose
// consensus is its own durable logs — so steps 5 and 6 (build consensus groups, join
// the cluster) reduce to committing what recovery found durable.
//
//   1-2. config and identity come in `options` (the caller loaded and validated them);
//   3.   metadata: superblock → snapshot → WAL → committed ops (SingleNodeMetadata::Open:
//        rules B1, B6, B7, B8, B9, B16, B17), then the durable suffix committed;
//   4.   every partition of the recovered metadata (RecoverPartitions: rules B1, B2, B3,
//        B5, B7), partitions created by ops replayed at this boot created now if the
//        crash cut them short; then directories of incarnations the metadata no longer
//        has are removed.
// Every step's findings and decisions are in `log`, in order; the first failure stops
// the boot with an error naming the file, op or offset and the rule.
//
// Invariant the replica must keep for step 4 (checked here as rule B5): a partition is
// created durably before any checkpoint covers the op that created it — that is what
// lets boot require every partition created at or below the checkpoint op to exist.

#include <memory>

#include "absl/status/statusor.h"
#include "core/bootstrap/partition_bootstrap.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/metadata_store/single_node_metadata.h"

namespace sluice::bootstrap {

struct SingleNodeBootOptions {
  metadata_store::SingleNodeOptions metadata;
  PartitionDefaults partitions;  // partitions.single_node must be true
};

struct BootedSingleNode {
  std::unique_ptr<metadata_store::SingleNodeMetadata> metadata;
  PartitionLogs partitions;
  BootLog log;
};

io::Task<absl::StatusOr<BootedSingleNode>> BootSingleNode(io::Storage& storage,
                                                          SingleNodeBootOptions options);

}  // namespace sluice::bootstrap
