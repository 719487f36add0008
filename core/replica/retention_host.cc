#include "core/replica/retention_host.h"

#include "core/replica/cluster_replica.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/operation.h"

namespace sluice::replica {
namespace {

class SingleNodeHost final : public RetentionHost {
 public:
  explicit SingleNodeHost(SingleNodeReplica& replica) : replica_(replica) {}
  const metadata::MetadataState& metadata() const override { return replica_.metadata(); }
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) override {
    return replica_.Partition(namespace_id, incarnation);
  }
  bool Decides() const override { return true; }
  uint64_t Epoch() const override { return 0; }
  // Any failure of a single node's submission is a fail-stop (rule B1).
  bool Stops(const absl::Status& /*failure*/) const override { return true; }
  absl::Status SubmitRetention(uint64_t namespace_id, uint64_t incarnation, ByteSpan body, uint64_t now_us,
                               OnCommitted on_committed) override {
    return replica_.SubmitPartition(namespace_id, incarnation, wire::Operation::kPartitionRetention, body, now_us,
                                    std::move(on_committed));
  }

 private:
  SingleNodeReplica& replica_;
};

class ClusterHost final : public RetentionHost {
 public:
  explicit ClusterHost(ClusterReplica& replica) : replica_(replica) {}
  const metadata::MetadataState& metadata() const override { return replica_.metadata(); }
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) override {
    return replica_.Partition(namespace_id, incarnation);
  }
  bool Decides() const override {
    vsr::Replica& consensus = replica_.consensus();
    return !replica_.failed() && consensus.is_primary() && consensus.status() == vsr::Status::kNormal;
  }
  uint64_t Epoch() const override { return replica_.consensus().view(); }
  // Refusals and replaced ops are a view change's normal course.
  bool Stops(const absl::Status& /*failure*/) const override { return replica_.failed(); }
  // The primary stamps the prepare with its own clock (ClusterReplica::SubmitPartition).
  absl::Status SubmitRetention(uint64_t namespace_id, uint64_t incarnation, ByteSpan body, uint64_t /*now_us*/,
                               OnCommitted on_committed) override {
    return replica_.SubmitPartition(namespace_id, incarnation, wire::Operation::kPartitionRetention, body,
                                    std::move(on_committed));
  }

 private:
  ClusterReplica& replica_;
};

}  // namespace

std::unique_ptr<RetentionHost> RetentionHostOf(SingleNodeReplica& replica) {
  return std::make_unique<SingleNodeHost>(replica);
}
std::unique_ptr<RetentionHost> RetentionHostOf(ClusterReplica& replica) {
  return std::make_unique<ClusterHost>(replica);
}

}  // namespace sluice::replica
