#pragma once
// RetentionHost: what the retention driver (retention_driver.h) needs from a replica
// — the metadata it plans from, the hosted partitions' segments, and a way to
// replicate a PartitionRetention op — so one driver serves a single node and a
// replica of a cluster alike.
//
// The two differ in who decides and in what a failure means:
//  - a single node always decides; a failed submission or reply means the node
//    stopped (fail-stop, rule B1) and the driver stops with it;
//  - a cluster replica decides only while it is the primary of a normal view (the
//    decision must come from one clock, then be replicated: DESIGN.md "Time-driven
//    decisions"); a refused submission or a reply replaced in a view change is the
//    normal course of a view change, and the driver simply plans again later. Only a
//    replica that has stopped (fail-stop) stops the driver.

#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"
#include "core/partition/partition_log.h"

namespace sluice::replica {

class SingleNodeReplica;
class ClusterReplica;

class RetentionHost {
 public:
  using OnCommitted = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;
  virtual ~RetentionHost() = default;

  virtual const metadata::MetadataState& metadata() const = 0;
  // The hosted partition (NotFound while its group is created or deleted).
  virtual absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) = 0;
  // Whether this replica takes retention decisions now.
  virtual bool Decides() const = 0;
  // A number that changes whenever replies to earlier submissions may never come
  // (a cluster's view; constant on a single node).
  virtual uint64_t Epoch() const = 0;
  // Whether `failure` (of a submission or of its reply) means the replica stopped
  // for good (fail-stop): the driver then stops too.
  virtual bool Stops(const absl::Status& failure) const = 0;
  // Replicates one PartitionRetention op with `body`, decided at `now_us`;
  // `on_committed` gets its op once committed, or why not.
  virtual absl::Status SubmitRetention(uint64_t namespace_id, uint64_t incarnation, ByteSpan body, uint64_t now_us,
                                       OnCommitted on_committed) = 0;
};

std::unique_ptr<RetentionHost> RetentionHostOf(SingleNodeReplica& replica);
std::unique_ptr<RetentionHost> RetentionHostOf(ClusterReplica& replica);

}  // namespace sluice::replica
