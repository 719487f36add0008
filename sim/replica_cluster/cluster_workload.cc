#include "sim/replica_cluster/cluster_workload.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/prng.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "sim/network_fault_profile.h"
#include "sim/replica_cluster/cluster_consumers.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::sim {
namespace {

using metadata::Identifier;
using wire::Operation;

constexpr uint64_t kWorkloadSeed = 7;

// A partition group: (namespace, incarnation).
using GroupKey = std::pair<uint64_t, uint64_t>;

struct TopicModel {
  uint32_t stream = 0;
  uint32_t topic = 0;
  std::vector<GroupKey> groups;
  bool deleting = false;  // a delete was submitted: sends stop, its messages are no longer owed
};

class Workload {
 public:
  Workload(uint64_t seed, const ClusterWorkloadOptions& options)
      : options_(options), prng_(base::DeriveSeed(seed, kWorkloadSeed)) {
    ReplicaClusterOptions cluster;
    cluster.seed = seed;
    cluster.replica_count = options.replicas;
    const NetworkFaultProfile drawn = DrawSwarmNetworkProfile(prng_);  // drawn anyway: the seed's later draws stay put
    cluster.network = options.network.value_or(drawn);
    cluster.crash_sector_lands = {prng_.UniformBelow(3), 2};  // never, half or always
    cluster.checkpoint_interval_ops = 16 + prng_.UniformBelow(48);
    cluster.slot_count = 256;
    cluster.check_promises = options.check_promises;
    profile_ = DescribeNetworkProfile(cluster.network);
    cluster_ = std::make_unique<ReplicaCluster>(cluster);
    faults_ = std::make_unique<ClusterFaults>(seed, *cluster_, cluster.crash_sector_lands, options.trace);
    consumers_ = std::make_unique<ClusterConsumers>(*cluster_, prng_, options.trace);
  }

  ClusterWorkloadResult Run() {
    result_.fault_mix = faults_->Describe();
    Trace(absl::StrCat("network ", profile_));
    Trace(absl::StrCat("faults: ", result_.fault_mix));
    cluster_->Start();
    for (uint64_t step = 0; step < options_.operations && cluster_->violation().empty() && result_.violations.empty();
         ++step) {
      Step();
    }
    Liveness();
    result_.faults = faults_->counts();
    result_.consumers = consumers_->counts();
    if (!cluster_->violation().empty()) result_.violations.push_back(cluster_->violation());
    result_.digest = absl::StrFormat("%016x%016x", absl::Uint128High64(cluster_->digest()),
                                     absl::Uint128Low64(cluster_->digest()));
    result_.simulated_ns = cluster_->loop().MonotonicNs();
    return result_;
  }

 private:
  void Trace(const std::string& line) {
    if (options_.trace) options_.trace(line);
  }

  uint64_t Namespace(uint32_t stream, uint32_t topic, uint32_t partition) const {
    return *metadata::PackNamespace(metadata::MetadataConfig{}.widths, {stream, topic, partition});
  }

  void Step() {
    faults_->BeforeStep(/*inject=*/true);
    const uint64_t roll = prng_.UniformBelow(100);
    if (roll < 7) {
      CreateTopic();
    } else if (roll < 10) {
      DeleteTopic();
    } else if (roll < 16) {
      CrashOne();
    } else if (roll < 22) {
      RestartOne();
    } else if (roll < 28) {
      consumers_->GroupStep(LiveTopics());
    } else if (roll < 38) {
      consumers_->ConsumeStep(LiveTopics());
    } else {
      for (uint64_t i = 1 + prng_.UniformBelow(4); i > 0; --i) Send();
    }
    faults_->RunTicks(1 + prng_.UniformBelow(12));
    // Rule B3 on every live replica, all along (offset_checker.h).
    consumers_->CheckOffsets(LiveTopics(), result_.violations);
  }

  std::vector<LiveTopic> LiveTopics() const {
    std::vector<LiveTopic> live;
    for (const TopicModel& topic : topics_) {
      if (!topic.deleting) live.push_back({.stream = topic.stream, .topic = topic.topic, .partitions = topic.groups});
    }
    return live;
  }

  void CreateTopic() {
    const uint32_t partitions = 1 + static_cast<uint32_t>(prng_.UniformBelow(3));
    const std::string name = absl::StrCat("s", ++names_);
    const absl::Status submitted = cluster_->SubmitMetadata(
        Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{name}),
        [this, partitions](absl::StatusOr<metadata_store::CommittedResult> stream) {
          if (!stream.ok() || !stream->result.ok()) return;
          const uint32_t stream_id = stream->result.payload[0] | (uint32_t{stream->result.payload[1]} << 8);
          // The topic is created from the reply's continuation; the primary may have
          // changed: whatever accepts it.
          pending_topics_.push_back({stream_id, partitions});
        });
    Trace(absl::StrCat("create stream ", name, submitted.ok() ? "" : " refused: " + submitted.ToString()));
    for (const auto& pending : std::exchange(pending_topics_, {})) {
      // (Named copies: clang 14 cannot capture structured bindings.)
      const uint32_t stream_id = pending.first;
      const uint32_t count = pending.second;
      const absl::Status topic = cluster_->SubmitMetadata(
          Operation::kCreateTopic,
          metadata::Encode(metadata::CreateTopicBody{.stream = Identifier::Numeric(stream_id), .partitions_count = count, .name = "t"}),
          [this, stream_id, count](absl::StatusOr<metadata_store::CommittedResult> created) {
            if (!created.ok() || !created->result.ok()) return;
            TopicModel model{.stream = stream_id,
                             .topic = created->result.payload[0] | (uint32_t{created->result.payload[1]} << 8)};
            for (uint32_t p = 0; p < count; ++p) model.groups.push_back({Namespace(stream_id, model.topic, p), created->op});
            topics_.push_back(model);
            ++result_.topics_created;
          });
      Trace(absl::StrCat("create topic in stream ", stream_id, topic.ok() ? "" : " refused: " + topic.ToString()));
    }
  }

  void DeleteTopic() {
    std::vector<size_t> live;
    for (size_t i = 0; i < topics_.size(); ++i) {
      if (!topics_[i].deleting) live.push_back(i);
    }
    if (live.empty()) return;
    TopicModel& topic = topics_[live[prng_.UniformBelow(live.size())]];
    const absl::Status submitted = cluster_->SubmitMetadata(
        Operation::kDeleteTopic,
        metadata::Encode(metadata::TopicBody{Identifier::Numeric(topic.stream), Identifier::Numeric(topic.topic)}),
        [this](absl::StatusOr<metadata_store::CommittedResult> deleted) {
          if (deleted.ok() && deleted->result.ok()) ++result_.topics_deleted;
        });
    if (!submitted.ok()) return;
    // From now on the topic may be gone: its messages are no longer owed.
    topic.deleting = true;
    for (const GroupKey& group : topic.groups) deleted_groups_.insert(group);
    consumers_->Forget(topic.groups);
    Trace(absl::StrCat("delete topic ", topic.stream, "/", topic.topic));
  }

  void CrashOne() {
    const uint8_t index = static_cast<uint8_t>(prng_.UniformBelow(options_.replicas));
    if (!faults_->MayCrash(index)) return;
    faults_->Crash(index);
    ++result_.crashes;
    Trace(absl::StrCat("crash replica ", int{index}));
  }

  void RestartOne() {
    for (uint8_t index = 0; index < options_.replicas; ++index) {
      if (!cluster_->down(index)) continue;
      faults_->Restart(index);
      ++result_.restarts;
      Trace(absl::StrCat("restart replica ", int{index}));
      return;
    }
  }

  void Send() {
    std::vector<GroupKey> groups;
    for (const TopicModel& topic : topics_) {
      if (!topic.deleting) groups.insert(groups.end(), topic.groups.begin(), topic.groups.end());
    }
    if (groups.empty()) return;
    const GroupKey group = groups[prng_.UniformBelow(groups.size())];
    const uint64_t id = ++next_id_;
    const std::string payload = absl::StrCat("message-", id);
    const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
    const absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok());
    const absl::Status submitted = cluster_->SubmitPartition(
        group.first, group.second, Operation::kSendMessages, *batch, [this, group, id](absl::StatusOr<uint64_t> op) {
          if (!op.ok()) return;
          Trace(absl::StrCat("ack message ", id, " group ", group.first, "/", group.second, " op ", *op));
          acked_[group].insert(id);
          ++result_.acked_messages;
        });
    if (submitted.ok()) sent_[group].insert(id);
  }

  void Liveness() {
    cluster_->packets().set_random_faults_enabled(false);
    cluster_->packets().Heal();
    for (uint8_t index = 0; index < options_.replicas; ++index) {
      if (cluster_->down(index)) {
        cluster_->Restart(index);
        ++result_.restarts;
      }
    }
    const bool converged = cluster_->RunUntil(
        [&] {
          // A sync failure injected earlier may still come (a file synced rarely).
          faults_->BeforeStep(/*inject=*/false);
          return cluster_->Converged();
        },
        options_.liveness_ticks_max);
    if (!converged) {
      if (cluster_->violation().empty()) {
        result_.liveness_failures.push_back(absl::StrCat("no convergence within ", options_.liveness_ticks_max,
                                                         " ticks of the liveness phase:\n", cluster_->Describe()));
      }
      return;
    }
    result_.view = cluster_->replica(0)->consensus().view();
    CheckMessages();
    consumers_->CheckOffsets(LiveTopics(), result_.violations);
    consumers_->CheckGroups(result_.violations);
  }

  // After convergence: every replica serves the same messages per group; no id twice;
  // only sent ids; every acknowledged id (of a group whose deletion was not asked for).
  void CheckMessages() {
    for (const vsr::GroupId group : cluster_->replica(0)->consensus().groups()) {
      if (group == replica::kMetadataGroup) continue;
      std::optional<std::vector<uint64_t>> first;
      for (uint8_t index = 0; index < options_.replicas; ++index) {
        const std::vector<uint64_t> ids = Poll(index, group);
        if (!first.has_value()) {
          first = ids;
          Check(group, ids);
        } else if (ids != *first) {
          Violation(absl::StrCat("replica ", int{index}, " serves other messages than replica 0 in group ",
                                 group.namespace_id, "/", group.incarnation));
        }
      }
    }
    for (const auto& [group, ids] : acked_) {
      if (deleted_groups_.contains(group) || ids.empty()) continue;
      if (!cluster_->replica(0)->consensus().has_group({group.first, group.second})) {
        Violation(absl::StrCat("group ", group.first, "/", group.second, " with acknowledged messages is gone"));
      }
    }
  }

  void Check(vsr::GroupId group, const std::vector<uint64_t>& ids) {
    const GroupKey key{group.namespace_id, group.incarnation};
    std::set<uint64_t> seen;
    for (uint64_t id : ids) {
      if (!seen.insert(id).second) Violation(absl::StrCat("message ", id, " twice in group ", key.first));
      if (!sent_[key].contains(id)) Violation(absl::StrCat("message ", id, " was never sent to group ", key.first));
    }
    if (deleted_groups_.contains(key)) return;
    for (uint64_t id : acked_[key]) {
      if (!seen.contains(id)) {
        Violation(absl::StrCat("acknowledged message ", id, " lost from group ", key.first, "/", key.second,
                               " (serves ", ids.size(), " messages: ", absl::StrJoin(ids, ","), ")"));
      }
    }
  }

  std::vector<uint64_t> Poll(uint8_t index, vsr::GroupId group) {
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(index)->Partition(group.namespace_id, group.incarnation);
    if (!log.ok()) {
      Violation(absl::StrCat("replica ", int{index}, ": ", log.status().ToString()));
      return {};
    }
    std::optional<absl::StatusOr<partition::PollResult>> polled;
    io::Spawn((*log)->PollByOffset(0, 1'000'000),
              [&](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
    cluster_->RunUntil([&] { return polled.has_value(); }, 1000);
    std::vector<uint64_t> ids;
    if (!polled.has_value() || !polled->ok()) {
      Violation(absl::StrCat("replica ", int{index}, ": poll of group ", group.namespace_id, " failed"));
      return ids;
    }
    uint64_t offset = 0;
    for (const partition::PolledBatch& stored : (*polled)->batches) {
      const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
      if (!batch.ok()) {
        Violation("a stored batch does not decode: " + batch.status().ToString());
        continue;
      }
      for (const wire::MessageView message : *batch) {
        if (message.offset != offset++) Violation(absl::StrCat("offsets not contiguous at ", message.offset));
        ids.push_back(absl::Uint128Low64(message.id));
      }
    }
    return ids;
  }

  void Violation(std::string message) { result_.violations.push_back(std::move(message)); }

  ClusterWorkloadOptions options_;
  base::Prng prng_;
  std::string profile_;
  std::unique_ptr<ReplicaCluster> cluster_;
  std::unique_ptr<ClusterFaults> faults_;
  std::unique_ptr<ClusterConsumers> consumers_;
  ClusterWorkloadResult result_;
  uint32_t names_ = 0;
  uint64_t next_id_ = 0;
  std::vector<std::pair<uint32_t, uint32_t>> pending_topics_;  // (stream, partitions) to create a topic in
  std::vector<TopicModel> topics_;
  std::set<GroupKey> deleted_groups_;
  std::map<GroupKey, std::set<uint64_t>> sent_;
  std::map<GroupKey, std::set<uint64_t>> acked_;
};

}  // namespace

ClusterWorkloadResult RunClusterWorkload(uint64_t seed, const ClusterWorkloadOptions& options) {
  return Workload(seed, options).Run();
}

}  // namespace sluice::sim
