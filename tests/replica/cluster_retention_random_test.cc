// Randomized retention and partition state sync on a replicated cluster (rules B15,
// B4), one run per seed, 3 or 5 replicas of the real replica
// (sim/replica_cluster/replica_cluster.h) under a swarm network profile.
//
// Every replica runs a RetentionDriver; only the primary of a normal view decides,
// from its clock and the prepare timestamps, and replicates the cutoffs
// (retention_driver.h). Clients send batches of 32 KiB messages to the partitions of
// a topic whose messages expire after a second or two, in 1 MiB segments. One backup
// (the victim, possibly the primary) is down for a random stretch while the others commit and retention
// drops their sealed segments — usually past everything the victim holds, so no peer
// can repair it from its log and it must state-sync the partition (B15). Sometimes
// it crashes again soon after its restart, in the middle of its bootstrap or of that
// sync. In 5-replica runs a second replica crashes and restarts too. Then faults
// stop, every replica is up, and the cluster must converge within a bound.
//
// Checked: the cluster's own checkers all along (hash-chain agreement per group,
// equal applied metadata); after convergence, on every replica, each partition
// serves the same messages from its first retained offset, contiguous, each id once,
// each with the payload its id determines; every acknowledged message whose op is
// at or above the partition's first retained op is there (retention drops whole
// segments of older ops only); the replicas hold the same segments. Over the seeds:
// retention committed ops, the victim often needed a state sync, and installed one
// whenever it needed one.
//
// Replay one seed:  bazel test //tests/replica:cluster_retention_random_test --test_env=VSR_SEED=<seed>
// More seeds:       bazel test //tests/replica:cluster_retention_random_test --test_env=VSR_SEEDS=100
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/prng.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/replica/retention_driver.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "gtest/gtest.h"
#include "sim/cluster/random_runs.h"
#include "sim/network_fault_profile.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::replica {
namespace {

using sim::ReplicaCluster;
using wire::Operation;

#ifdef SLUICE_SANITIZED
constexpr uint64_t kSeedsDefault = 4;  // ASan runs look for memory errors, not schedules
#else
constexpr uint64_t kSeedsDefault = 24;
#endif

constexpr uint64_t kSecondUs = 1'000'000;
constexpr size_t kPayloadBytes = 32 * 1024;  // 32 messages fill a 1 MiB segment
constexpr uint64_t kSendSteps = 360;
constexpr uint64_t kLivenessTicksMax = 30'000;

using GroupKey = std::pair<uint64_t, uint64_t>;  // (namespace, incarnation)

struct SeedResult {
  std::string failure;  // empty when every check held
  uint64_t retention_ops = 0;
  uint64_t acked = 0;
  uint64_t expired = 0;  // acknowledged messages retention dropped
  bool sync_needed = false;
  uint64_t syncs_installed = 0;  // by the victim, over its processes
  uint64_t sync_crashes = 0;     // crashes soon after a restart of the victim
};

// The payload a message id determines (so the check needs no copy of what was sent).
std::string PayloadOf(uint64_t id) {
  std::string payload(kPayloadBytes, '\0');
  base::Prng prng(id);
  for (size_t i = 0; i < payload.size(); i += 8) payload[i] = static_cast<char>(prng.Next());
  return payload;
}

class RetentionRun {
 public:
  explicit RetentionRun(uint64_t seed) : prng_(base::DeriveSeed(seed, 31)) {
    sim::ReplicaClusterOptions options;
    options.seed = seed;
    options.replica_count = prng_.UniformBelow(4) == 0 ? 5 : 3;
    options.network = sim::DrawSwarmNetworkProfile(prng_);
    options.crash_sector_lands = {prng_.UniformBelow(3), 2};
    options.checkpoint_interval_ops = 16 + prng_.UniformBelow(48);
    cluster_ = std::make_unique<ReplicaCluster>(options);
    drivers_.resize(options.replica_count);
    hosts_.resize(options.replica_count, nullptr);
  }

  ~RetentionRun() {
    // Drivers go before the replicas they plan for.
    drivers_.clear();
  }

  SeedResult Run() {
    cluster_->packets().set_random_faults_enabled(false);
    cluster_->Start();
    if (!CreateTopic()) return Finish();
    cluster_->packets().set_random_faults_enabled(true);

    const uint8_t count = cluster_->replica_count();
    victim_ = static_cast<uint8_t>(prng_.UniformBelow(count));
    const uint64_t crash_at = prng_.UniformBelow(kSendSteps / 4);
    const uint64_t restart_at = kSendSteps / 2 + prng_.UniformBelow(kSendSteps / 2);
    std::optional<uint8_t> other;
    if (count == 5) other = static_cast<uint8_t>((victim_ + 1 + prng_.UniformBelow(count - 1)) % count);
    uint64_t crash_again_at = UINT64_MAX;
    for (uint64_t step = 0; step < kSendSteps && cluster_->violation().empty(); ++step) {
      if (step == crash_at) CrashVictim();
      if (step == restart_at) {
        RestartVictim();
        // In the middle of its bootstrap, or of the state sync that follows it.
        if (prng_.UniformBelow(3) == 0) crash_again_at = step + 1 + prng_.UniformBelow(6);
      }
      if (step == crash_again_at && !cluster_->down(victim_)) {
        CrashVictim();
        ++result_.sync_crashes;
        RestartVictim();
      }
      if (other.has_value() && prng_.UniformBelow(40) == 0) {
        if (cluster_->down(*other)) {
          cluster_->Restart(*other);
        } else {
          Crash(*other);
        }
      }
      Send();
      Run(1 + prng_.UniformBelow(8));
    }
    Liveness();
    return Finish();
  }

 private:
  SeedResult Finish() {
    if (!cluster_->violation().empty() && result_.failure.empty()) result_.failure = cluster_->violation();
    for (const auto& driver : drivers_) {
      if (driver != nullptr) result_.retention_ops += driver->ops_committed();
    }
    result_.retention_ops += retired_retention_ops_;
    return result_;
  }

  void Fail(std::string message) {
    if (result_.failure.empty()) result_.failure = std::move(message);
  }

  // Keeps one driver per live replica process (a restart is a new process).
  void FollowReplicas() {
    for (uint8_t index = 0; index < cluster_->replica_count(); ++index) {
      ClusterReplica* live = cluster_->replica(index);
      if (live == hosts_[index] || retention_stopped_) continue;
      RetireDriver(index);
      hosts_[index] = live;
      if (live != nullptr) {
        drivers_[index] = std::make_unique<RetentionDriver>(*live, cluster_->loop(),
                                                            RetentionDriverOptions{.interval_ticks = 25});
      }
    }
  }

  void RetireDriver(uint8_t index) {
    if (drivers_[index] != nullptr) {
      retired_retention_ops_ += drivers_[index]->ops_committed();
      if (!drivers_[index]->failure().ok()) Fail("retention driver: " + drivers_[index]->failure().ToString());
    }
    drivers_[index].reset();
    hosts_[index] = nullptr;
  }

  void Run(uint64_t ticks) {
    for (uint64_t tick = 0; tick < ticks; ++tick) {
      cluster_->RunTicks(1);
      FollowReplicas();
    }
  }

  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t max_ticks) {
    for (uint64_t tick = 0; cluster_->violation().empty() && !done(); ++tick) {
      if (tick >= max_ticks) return false;
      Run(1);
    }
    return cluster_->violation().empty();
  }

  void Crash(uint8_t index) {
    RetireDriver(index);
    cluster_->Crash(index);
  }

  void CrashVictim() {
    if (cluster_->down(victim_)) return;
    if (ClusterReplica* live = cluster_->replica(victim_)) {
      result_.syncs_installed += live->consensus().counters().syncs_installed;
      for (const GroupKey& group : groups_) {
        absl::StatusOr<partition::PartitionLog*> log = live->Partition(group.first, group.second);
        if (log.ok()) victim_last_op_[group] = std::max(victim_last_op_[group], (*log)->last_op());
      }
    }
    Crash(victim_);
  }

  void RestartVictim() {
    // Whether the live replicas' anchors passed everything the victim holds.
    for (uint8_t index = 0; index < cluster_->replica_count(); ++index) {
      ClusterReplica* live = cluster_->replica(index);
      if (index == victim_ || live == nullptr) continue;
      for (const GroupKey& group : groups_) {
        absl::StatusOr<partition::PartitionLog*> log = live->Partition(group.first, group.second);
        if (log.ok() && (*log)->segments().front().first_op - 1 > victim_last_op_[group]) result_.sync_needed = true;
      }
    }
    cluster_->Restart(victim_);
  }

  // One stream and one topic with 1 or 2 partitions whose messages expire after one
  // to three seconds, created before the network faults start (no retries needed).
  bool CreateTopic() {
    std::optional<uint32_t> stream = SubmitMetadata(
        Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"retained"}));
    if (!stream.has_value()) return false;
    metadata::CreateTopicBody topic{.stream = metadata::Identifier::Numeric(*stream),
                                    .partitions_count = 1 + static_cast<uint32_t>(prng_.UniformBelow(2)),
                                    .name = "t"};
    topic.settings.message_expiry_us = (1 + prng_.UniformBelow(3)) * kSecondUs;
    topic.settings.segment_size_bytes = metadata::kSegmentSizeMin;
    std::optional<uint32_t> topic_id = SubmitMetadata(Operation::kCreateTopic, metadata::Encode(topic));
    if (!topic_id.has_value()) return false;
    const std::optional<uint8_t> primary = cluster_->Primary();
    const metadata::MetadataState& state = cluster_->replica(*primary)->metadata();
    const auto& partitions = state.streams.at(*stream).topics.at(*topic_id).partitions;
    for (uint32_t p = 0; p < partitions.size(); ++p) {
      const uint64_t namespace_id = *metadata::PackNamespace(state.config.widths, {*stream, *topic_id, p});
      groups_.push_back({namespace_id, partitions[p].incarnation});
    }
    // Every replica hosts the partitions before the faults start.
    if (!RunUntil([&] { return cluster_->Converged(); }, 2000)) {
      Fail("the cluster did not settle after creating the topic:\n" + cluster_->Describe());
      return false;
    }
    return true;
  }

  // Submits to the primary and waits for the reply; the created id (the payload's
  // first two bytes, little-endian) or nothing (recorded as the failure).
  std::optional<uint32_t> SubmitMetadata(Operation operation, Bytes body) {
    if (!RunUntil([&] { return cluster_->Primary().has_value(); }, 2000)) {
      Fail("no primary at the start:\n" + cluster_->Describe());
      return std::nullopt;
    }
    auto reply = std::make_shared<std::optional<absl::StatusOr<metadata_store::CommittedResult>>>();
    const absl::Status submitted =
        cluster_->SubmitMetadata(operation, std::move(body), [reply](auto committed) { *reply = std::move(committed); });
    if (!submitted.ok() || !RunUntil([&] { return reply->has_value(); }, 2000) || !reply->value().ok() ||
        !reply->value()->result.ok()) {
      Fail(absl::StrCat(wire::OperationName(operation), " failed with no faults on:\n", cluster_->Describe()));
      return std::nullopt;
    }
    const Bytes& payload = reply->value()->result.payload;
    return payload[0] | (uint32_t{payload[1]} << 8);
  }

  void Send() {
    const GroupKey group = groups_[prng_.UniformBelow(groups_.size())];
    const size_t count = 1 + prng_.UniformBelow(4);
    std::vector<std::string> payloads;
    std::vector<wire::MessageToSend> messages;
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < count; ++i) {
      ids.push_back(++next_id_);
      payloads.push_back(PayloadOf(ids.back()));
    }
    for (size_t i = 0; i < count; ++i) {
      messages.push_back({.id = ids[i], .payload = base::AsBytes(payloads[i])});
    }
    const absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    const absl::Status submitted = cluster_->SubmitPartition(
        group.first, group.second, Operation::kSendMessages, *batch,
        [this, group, ids](absl::StatusOr<uint64_t> op) {
          if (!op.ok()) return;
          for (uint64_t id : ids) acked_[group][id] = *op;
          result_.acked += ids.size();
        });
    if (submitted.ok()) {
      for (uint64_t id : ids) sent_[group].insert(id);
    }
  }

  void Liveness() {
    cluster_->packets().set_random_faults_enabled(false);
    cluster_->packets().Heal();
    for (uint8_t index = 0; index < cluster_->replica_count(); ++index) {
      if (cluster_->down(index)) cluster_->Restart(index);
    }
    if (!RunUntil([&] { return cluster_->Converged(); }, kLivenessTicksMax)) {
      if (cluster_->violation().empty()) {
        Fail(absl::StrCat("no convergence within ", kLivenessTicksMax, " ticks once faults stopped:\n",
                          cluster_->Describe()));
      }
      return;
    }
    // Retention stops before the checks, which take simulated time: every replica
    // must be compared at one op. An op in flight commits first.
    for (uint8_t index = 0; index < cluster_->replica_count(); ++index) RetireDriver(index);
    retention_stopped_ = true;
    if (!RunUntil([&] { return cluster_->Converged(); }, kLivenessTicksMax)) {
      Fail("no convergence once retention stopped:\n" + cluster_->Describe());
      return;
    }
    result_.syncs_installed += cluster_->replica(victim_)->consensus().counters().syncs_installed;
    for (const GroupKey& group : groups_) CheckGroup(group);
  }

  struct Served {
    std::vector<std::pair<uint64_t, uint64_t>> messages;  // (offset, id)
    std::vector<partition::SegmentInfo> segments;
    uint64_t first_op = 0;
  };

  std::optional<Served> Serve(uint8_t index, const GroupKey& group) {
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(index)->Partition(group.first, group.second);
    if (!log.ok()) {
      Fail(absl::StrCat("replica ", int{index}, ": ", log.status().ToString()));
      return std::nullopt;
    }
    Served served{.segments = (*log)->segments(), .first_op = (*log)->segments().front().first_op};
    std::optional<absl::StatusOr<partition::PollResult>> polled;
    io::Spawn((*log)->PollFirst(1'000'000),
              [&polled](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
    cluster_->RunUntil([&] { return polled.has_value(); }, 1000);
    if (!polled.has_value() || !polled->ok()) {
      Fail(absl::StrCat("replica ", int{index}, ": poll of group ", group.first, " failed"));
      return std::nullopt;
    }
    for (const partition::PolledBatch& stored : (*polled)->batches) {
      const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
      if (!batch.ok()) {
        Fail("a stored batch does not decode: " + batch.status().ToString());
        return std::nullopt;
      }
      for (const wire::MessageView message : *batch) {
        const uint64_t id = absl::Uint128Low64(message.id);
        if (!std::ranges::equal(message.payload, base::AsBytes(PayloadOf(id)))) {
          Fail(absl::StrCat("replica ", int{index}, ": message ", id, " has other bytes than were sent"));
        }
        served.messages.push_back({message.offset, id});
      }
    }
    return served;
  }

  static std::string Describe(const Served& served) {
    std::string text = absl::StrCat(served.messages.size(), " messages from op ", served.first_op);
    if (!served.messages.empty()) {
      absl::StrAppend(&text, ", offsets ", served.messages.front().first, "..", served.messages.back().first, " ids ",
                      served.messages.front().second, "..", served.messages.back().second);
    }
    absl::StrAppend(&text, ", segments at ops");
    for (const partition::SegmentInfo& segment : served.segments) absl::StrAppend(&text, " ", segment.first_op);
    return text;
  }

  void CheckGroup(const GroupKey& group) {
    std::optional<Served> reference = Serve(0, group);
    if (!reference.has_value()) return;
    for (uint8_t index = 1; index < cluster_->replica_count(); ++index) {
      std::optional<Served> other = Serve(index, group);
      if (!other.has_value()) return;
      if (other->messages != reference->messages) {
        Fail(absl::StrCat("replica ", int{index}, " serves other messages than replica 0 in group ", group.first,
                          ": ", Describe(*other), " vs ", Describe(*reference)));
      }
      if (other->segments != reference->segments) {
        Fail(absl::StrCat("replica ", int{index}, " holds other segments than replica 0 in group ", group.first));
      }
    }
    std::set<uint64_t> seen;
    for (size_t i = 0; i < reference->messages.size(); ++i) {
      const auto [offset, id] = reference->messages[i];
      if (i > 0 && offset != reference->messages[i - 1].first + 1) {
        Fail(absl::StrCat("offsets not contiguous at ", offset, " in group ", group.first));
      }
      if (!seen.insert(id).second) Fail(absl::StrCat("message ", id, " twice in group ", group.first));
      if (!sent_[group].contains(id)) Fail(absl::StrCat("message ", id, " was never sent to group ", group.first));
    }
    for (const auto& [id, op] : acked_[group]) {
      if (seen.contains(id)) continue;
      if (op >= reference->first_op) {
        Fail(absl::StrCat("acknowledged message ", id, " (op ", op, ") lost from group ", group.first,
                          ", whose first retained op is ", reference->first_op));
      } else {
        ++result_.expired;
      }
    }
  }

  base::Prng prng_;
  std::unique_ptr<ReplicaCluster> cluster_;
  std::vector<std::unique_ptr<RetentionDriver>> drivers_;  // per replica index
  std::vector<ClusterReplica*> hosts_;                     // the process each driver plans for
  uint64_t retired_retention_ops_ = 0;
  bool retention_stopped_ = false;
  uint8_t victim_ = 0;
  std::map<GroupKey, uint64_t> victim_last_op_;
  std::vector<GroupKey> groups_;
  uint64_t next_id_ = 0;
  std::map<GroupKey, std::set<uint64_t>> sent_;
  std::map<GroupKey, std::map<uint64_t, uint64_t>> acked_;  // id -> op
  SeedResult result_;
};

TEST(ClusterRetentionRandomTest, RetentionIsReplicatedAndALaggingReplicaStateSyncsPartitions_B15_B4) {
  const sim::SeedPlan plan = sim::SeedsFromEnvironment(kSeedsDefault);
  SeedResult total;
  uint64_t needed = 0;
  uint64_t failures = 0;
  for (uint64_t seed : plan.seeds) {
    const SeedResult result = RetentionRun(seed).Run();
    std::printf("seed=%llu acked=%llu expired=%llu retention_ops=%llu sync_needed=%d syncs=%llu sync_crashes=%llu%s\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(result.acked),
                static_cast<unsigned long long>(result.expired), static_cast<unsigned long long>(result.retention_ops),
                int{result.sync_needed}, static_cast<unsigned long long>(result.syncs_installed),
                static_cast<unsigned long long>(result.sync_crashes), result.failure.empty() ? "" : " FAILED");
    std::fflush(stdout);
    if (!result.failure.empty()) {
      ADD_FAILURE() << "seed " << seed << ": " << result.failure
                    << "\nreplay: bazel test //tests/replica:cluster_retention_random_test --test_env=VSR_SEED=" << seed;
      if (++failures >= 3) break;
      continue;
    }
    // A victim that could not be repaired from any peer's log caught up only by a sync.
    if (result.sync_needed) {
      ++needed;
      EXPECT_GE(result.syncs_installed, 1u) << "seed " << seed << " converged without the state sync it needed";
    }
    total.retention_ops += result.retention_ops;
    total.expired += result.expired;
    total.sync_crashes += result.sync_crashes;
  }
  // The runs must exercise what they claim to.
  if (plan.count >= 4) {
    EXPECT_GT(total.retention_ops, plan.count);
    EXPECT_GT(total.expired, 0u);
    EXPECT_GE(needed * 2, plan.count) << "most seeds should need a partition state sync";
  }
  if (plan.count >= 10) {
    EXPECT_GT(total.sync_crashes, 0u);
  }
}

}  // namespace
}  // namespace sluice::replica
