// Session expiry and the removal of dead consumer-group members on a replicated
// cluster (issue #6; DESIGN.md "Time-driven decisions"): 3 replicas of the real
// replica on the simulator, with network faults (loss, duplication, reordering,
// clogs) and primary crashes.
//
// Two clients join one consumer group of a 4-partition topic. Member A then stops
// heartbeating; member B keeps heartbeating, but only through backups (a backup
// reports its clients' activity to the primary: session_activity.h). Every replica
// runs a SessionExpiryDriver; only the primary of a normal view decides.
//
// Checked:
//  - A is not removed before its timeout (nothing is decided early, and not by a
//    view change: the primary is crashed while A is idle and B heartbeats);
//  - A is then removed on every replica, and the removal is an op: a driver saw its
//    Logout{A} committed, and every replica applied it (A's session and membership
//    gone, the same state digest everywhere);
//  - B's membership survives everything, and B now holds all 4 partitions, the same
//    assignment on every replica; no driver ever expired B;
//  - backups did report activity to the primary (reports received);
//  - an expiry decided by a primary that dies before its prepare leaves it is
//    decided again by the next primary (and applied once, the same everywhere).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/testing/test_primary.h"
#include "core/replica/session_expiry_driver.h"
#include "sim/network_fault_profile.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using replica::SessionExpiryDriver;
using testing::ClusterTopic;
using testing::kClusterMaxTicks;
using wire::Operation;

constexpr uint64_t kMemberDeadTicks = 800;   // 8 s: many 1 s activity reports
constexpr uint64_t kHeartbeatTicks = 30;     // B's pings, to some backup
constexpr absl::uint128 kDeadClient = 0xA11CE;
constexpr absl::uint128 kLiveClient = 0xB0B;

// SLUICE_EXPIRY_SEED replays another seed (default 23).
uint64_t SeedFromEnvironment() {
  const char* seed = std::getenv("SLUICE_EXPIRY_SEED");
  return seed == nullptr ? 23 : std::strtoull(seed, nullptr, 10);
}

class ClusterSessionExpiryTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    options_.seed = SeedFromEnvironment();
    options_.replica_count = 3;
    // Random partitions would also (rightly) expire B when its backup is cut off
    // from the primary for a whole timeout; the other faults stay on.
    options_.network = NetworkFaultProfile::Light();
    options_.network.partition_interval_mean_ns = 0;
    StartCluster();
    drivers_.resize(options_.replica_count);
    hosts_.resize(options_.replica_count, nullptr);
  }

  void TearDown() override { drivers_.clear(); }  // before the replicas they drive

  // One driver per live replica process (a restart is a new process).
  void FollowReplicas() {
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      replica::ClusterReplica* live = cluster_->replica(index);
      if (live == hosts_[index]) continue;
      Retire(index);
      hosts_[index] = live;
      if (live != nullptr) {
        drivers_[index] = std::make_unique<SessionExpiryDriver>(
            *live, cluster_->loop(),
            replica::SessionExpiryOptions{
                .interval_ticks = 10, .session_idle_ticks = 0, .member_dead_ticks = kMemberDeadTicks});
      }
    }
  }

  void Retire(uint8_t index) {
    if (drivers_[index] != nullptr) {
      EXPECT_TRUE(drivers_[index]->failure().ok()) << drivers_[index]->failure();
      for (const absl::uint128 client : drivers_[index]->expired()) expired_.push_back(client);
    }
    drivers_[index].reset();
    hosts_[index] = nullptr;
  }

  std::vector<absl::uint128> Expired() const {
    std::vector<absl::uint128> all = expired_;
    for (const auto& driver : drivers_) {
      if (driver != nullptr) all.insert(all.end(), driver->expired().begin(), driver->expired().end());
    }
    return all;
  }

  // B's heartbeat, to a replica that is not the primary (any live one while there
  // is no primary: it is a backup then).
  void Heartbeat() {
    const std::optional<uint8_t> primary = cluster_->Primary();
    for (uint8_t step = 1; step <= options_.replica_count; ++step) {
      const uint8_t index = static_cast<uint8_t>(((primary.has_value() ? *primary : 0) + step) % options_.replica_count);
      if (primary.has_value() && index == *primary) continue;
      if (replica::ClusterReplica* target = cluster_->replica(index); target != nullptr) {
        target->NoteClientActivity(kLiveClient);
        ++heartbeats_;
        return;
      }
    }
  }

  // Runs `ticks` ticks with B heartbeating; stops early once `done()` holds.
  template <typename Predicate>
  bool RunHeartbeating(uint64_t ticks, Predicate done) {
    for (uint64_t tick = 0; tick < ticks; ++tick) {
      if (!cluster_->violation().empty()) return false;
      if (done()) return true;
      if (tick % kHeartbeatTicks == 0) Heartbeat();
      cluster_->RunTicks(1);
      FollowReplicas();
    }
    return done();
  }
  // Runs `ticks` ticks with B heartbeating; false on a violation.
  bool RunHeartbeating(uint64_t ticks) {
    RunHeartbeating(ticks, [] { return false; });
    return cluster_->violation().empty();
  }

  // A client's metadata request, resent unchanged until a reply comes (faults off).
  metadata::ApplyResult AsClient(metadata_store::MetadataRequest request) {
    auto reply = std::make_shared<std::optional<absl::StatusOr<metadata_store::CommittedResult>>>();
    bool pending = false;
    EXPECT_TRUE(cluster_->RunUntil(
        [&] {
          if (reply->has_value() && reply->value().ok()) return true;
          if (reply->has_value()) {
            reply->reset();
            pending = false;
          }
          const std::optional<uint8_t> primary = cluster_->Primary();
          if (!pending && primary.has_value()) {
            pending = cluster_->replica(*primary)
                          ->SubmitMetadata(request, [reply](auto result) { *reply = std::move(result); })
                          .ok();
          }
          return false;
        },
        kClusterMaxTicks))
        << cluster_->Describe();
    return reply->has_value() && reply->value().ok() ? reply->value()->result : metadata::ApplyResult{};
  }

  // Logs `client` in; returns its session number.
  uint64_t Login(absl::uint128 client) {
    const std::optional<uint8_t> primary = cluster_->Primary();
    EXPECT_TRUE(primary.has_value());
    if (!primary.has_value()) return 0;
    const metadata::ApplyResult login = AsClient(
        {.operation = Operation::kRegister,
         .body = hashes_.LoginWithPassword(cluster_->replica(*primary)->metadata(), 0, "iggy"),
         .client = client});
    EXPECT_TRUE(login.ok());
    return login.payload.size() >= 12 ? base::LoadLittleEndian<uint64_t>(login.payload, 4) : 0;
  }

  const metadata::ConsumerGroup* GroupOn(uint8_t index) const {
    const metadata::MetadataState& state = cluster_->replica(index)->metadata();
    const auto stream = state.streams.find(topic_.stream);
    if (stream == state.streams.end()) return nullptr;
    const auto topic = stream->second.topics.find(topic_.topic);
    if (topic == stream->second.topics.end() || topic->second.groups.empty()) return nullptr;
    return &topic->second.groups.begin()->second;
  }

  // Whether every replica is up and has applied A's removal.
  bool RemovedEverywhere() {
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      replica::ClusterReplica* replica = cluster_->replica(index);
      if (replica == nullptr || replica->metadata().clients.contains(kDeadClient)) return false;
    }
    return true;
  }
  bool RemovedSomewhere() {
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      replica::ClusterReplica* replica = cluster_->replica(index);
      if (replica != nullptr && !replica->metadata().clients.contains(kDeadClient)) return true;
    }
    return false;
  }

  metadata::testing::TestPrimary hashes_;
  ClusterTopic topic_;
  std::vector<std::unique_ptr<SessionExpiryDriver>> drivers_;
  std::vector<replica::ClusterReplica*> hosts_;
  std::vector<absl::uint128> expired_;  // by retired drivers
  uint64_t heartbeats_ = 0;
};

TEST_F(ClusterSessionExpiryTest, ASilentMemberIsRemovedByAReplicatedOpAndAHeartbeatingOneSurvivesViewChanges) {
  cluster_->packets().set_random_faults_enabled(false);
  ASSERT_TRUE(Metadata(Operation::kCreateUser, hashes_.CreateUser("iggy", "iggy")).result.ok());
  topic_ = CreateTopic(4);
  const metadata::Identifier stream = metadata::Identifier::Numeric(topic_.stream);
  const metadata::Identifier topic = metadata::Identifier::Numeric(topic_.topic);
  ASSERT_TRUE(Metadata(Operation::kCreateConsumerGroup,
                       metadata::Encode(metadata::CreateGroupBody{.stream = stream, .topic = topic, .name = "g"}))
                  .result.ok());
  const uint64_t dead_session = Login(kDeadClient);
  const uint64_t live_session = Login(kLiveClient);
  ASSERT_NE(dead_session, 0u);
  ASSERT_NE(live_session, 0u);
  const Bytes join = metadata::Encode(
      metadata::GroupBody{.stream = stream, .topic = topic, .group = metadata::Identifier::Named("g")});
  ASSERT_TRUE(AsClient({.operation = Operation::kJoinConsumerGroup, .body = join, .client = kDeadClient, .request = 1})
                  .ok());
  ASSERT_TRUE(AsClient({.operation = Operation::kJoinConsumerGroup, .body = join, .client = kLiveClient, .request = 1})
                  .ok());
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const metadata::ConsumerGroup* group = GroupOn(index);
    ASSERT_NE(group, nullptr);
    ASSERT_EQ(group->members.size(), 2u);
    EXPECT_EQ(group->members.at(dead_session).size(), 2u) << "replica " << int{index};
  }

  // A is silent from here; B heartbeats through backups only.
  const uint64_t silent_from = cluster_->loop().clock().MonotonicTicks();
  cluster_->packets().set_random_faults_enabled(true);
  FollowReplicas();
  ASSERT_TRUE(RunHeartbeating(kMemberDeadTicks / 3)) << cluster_->violation();
  // The primary crashes while A is idle: its successor starts A's clock afresh.
  const std::optional<uint8_t> first_primary = cluster_->Primary();
  ASSERT_TRUE(first_primary.has_value()) << cluster_->Describe();
  Retire(*first_primary);
  cluster_->Crash(*first_primary);
  ASSERT_TRUE(RunHeartbeating(kMemberDeadTicks / 3)) << cluster_->violation();
  EXPECT_FALSE(RemovedSomewhere()) << "A was removed before its timeout";
  cluster_->Restart(*first_primary);
  uint64_t first_removed_at = 0;
  ASSERT_TRUE(RunHeartbeating(kClusterMaxTicks, [&] {
    if (first_removed_at == 0 && RemovedSomewhere()) first_removed_at = cluster_->loop().clock().MonotonicTicks();
    return RemovedEverywhere();
  })) << cluster_->violation() << "\n" << cluster_->Describe();
  EXPECT_GE(first_removed_at, silent_from + kMemberDeadTicks) << "removed before the member timed out";

  // B goes on heartbeating through two more timeouts and another primary crash.
  ASSERT_TRUE(RunHeartbeating(kMemberDeadTicks)) << cluster_->violation();
  const std::optional<uint8_t> second_primary = cluster_->Primary();
  ASSERT_TRUE(second_primary.has_value()) << cluster_->Describe();
  Retire(*second_primary);
  cluster_->Crash(*second_primary);
  ASSERT_TRUE(RunHeartbeating(kMemberDeadTicks / 2)) << cluster_->violation();
  cluster_->Restart(*second_primary);
  ASSERT_TRUE(RunHeartbeating(kMemberDeadTicks)) << cluster_->violation();

  // Quiet network, everyone up: the same state everywhere.
  cluster_->packets().set_random_faults_enabled(false);
  ASSERT_TRUE(RunHeartbeating(kClusterMaxTicks, [&] { return cluster_->Converged(); })) << cluster_->Describe();
  EXPECT_TRUE(cluster_->violation().empty()) << cluster_->violation();
  const metadata::MetadataState& reference = cluster_->replica(0)->metadata();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const metadata::MetadataState& state = cluster_->replica(index)->metadata();
    EXPECT_FALSE(state.clients.contains(kDeadClient)) << "replica " << int{index};
    EXPECT_TRUE(state.clients.contains(kLiveClient)) << "replica " << int{index} << ": B was expired";
    const metadata::ConsumerGroup* group = GroupOn(index);
    ASSERT_NE(group, nullptr);
    ASSERT_EQ(group->members.size(), 1u) << "replica " << int{index};
    ASSERT_TRUE(group->members.contains(live_session)) << "replica " << int{index};
    EXPECT_EQ(group->members.at(live_session), (std::vector<uint32_t>{0, 1, 2, 3})) << "replica " << int{index};
    EXPECT_EQ(state.last_applied_op, reference.last_applied_op);
    EXPECT_EQ(metadata::EncodeSnapshot(state).checksum, metadata::EncodeSnapshot(reference).checksum)
        << "replica " << int{index};
  }
  const std::vector<absl::uint128> expired = Expired();
  EXPECT_NE(std::find(expired.begin(), expired.end(), kDeadClient), expired.end())
      << "no driver saw A's expiry committed";
  EXPECT_EQ(std::find(expired.begin(), expired.end(), kLiveClient), expired.end()) << "a driver expired B";
  uint64_t reports = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    reports += cluster_->replica(index)->activity_reports_received();
  }
  EXPECT_GT(reports, 0u) << "no backup reported B's activity to a primary";
  std::printf("A removed %llu ticks after it fell silent; %llu heartbeats, %llu reports received, view %u\n",
              static_cast<unsigned long long>(first_removed_at - silent_from),
              static_cast<unsigned long long>(heartbeats_), static_cast<unsigned long long>(reports),
              cluster_->replica(0)->consensus().view());
  EXPECT_GT(heartbeats_, 0u);
}

// Without heartbeats a member is removed too when it never had a backup: the
// control case for the test above (B silent as well: both removed, the group empty).
TEST_F(ClusterSessionExpiryTest, WithoutHeartbeatsEveryMemberIsRemoved) {
  ASSERT_TRUE(Metadata(Operation::kCreateUser, hashes_.CreateUser("iggy", "iggy")).result.ok());
  topic_ = CreateTopic(2);
  const metadata::Identifier stream = metadata::Identifier::Numeric(topic_.stream);
  const metadata::Identifier topic = metadata::Identifier::Numeric(topic_.topic);
  ASSERT_TRUE(Metadata(Operation::kCreateConsumerGroup,
                       metadata::Encode(metadata::CreateGroupBody{.stream = stream, .topic = topic, .name = "g"}))
                  .result.ok());
  ASSERT_NE(Login(kDeadClient), 0u);
  const Bytes join = metadata::Encode(
      metadata::GroupBody{.stream = stream, .topic = topic, .group = metadata::Identifier::Named("g")});
  ASSERT_TRUE(AsClient({.operation = Operation::kJoinConsumerGroup, .body = join, .client = kDeadClient, .request = 1})
                  .ok());
  FollowReplicas();
  bool removed = false;
  for (uint64_t tick = 0; tick < 3 * kMemberDeadTicks && !removed; ++tick) {
    cluster_->RunTicks(1);
    FollowReplicas();
    removed = RemovedEverywhere();
  }
  ASSERT_TRUE(removed) << cluster_->Describe();
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    const metadata::ConsumerGroup* group = GroupOn(index);
    ASSERT_NE(group, nullptr);
    EXPECT_TRUE(group->members.empty()) << "replica " << int{index};
  }
}

// The primary crashes the moment it has submitted A's expiry (before the op can
// commit): the decision may be lost with it, and the next primary must decide again.
TEST_F(ClusterSessionExpiryTest, AnExpiryLostWithItsPrimaryIsDecidedAgainByTheNext) {
  ASSERT_TRUE(Metadata(Operation::kCreateUser, hashes_.CreateUser("iggy", "iggy")).result.ok());
  ASSERT_NE(Login(kDeadClient), 0u);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  FollowReplicas();
  std::optional<uint8_t> decided;
  for (uint64_t tick = 0; tick < 3 * kMemberDeadTicks && !decided.has_value(); ++tick) {
    cluster_->RunTicks(1);
    FollowReplicas();
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      if (drivers_[index] != nullptr && drivers_[index]->ops_submitted() > 0) decided = index;
    }
  }
  // A session that is no member expires on the idle timeout only: it is disabled in
  // these drivers, so nothing was decided.
  EXPECT_FALSE(decided.has_value());
  for (uint8_t index = 0; index < options_.replica_count; ++index) Retire(index);
  // Drivers with an idle timeout now; until the decision, they decide only when
  // called (RunOnce), so the primary can be crashed right after it decided.
  uint64_t interval_ticks = 1'000'000;
  const auto follow_idle = [&] {
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      replica::ClusterReplica* live = cluster_->replica(index);
      if (live == hosts_[index]) continue;
      Retire(index);
      hosts_[index] = live;
      if (live != nullptr) {
        drivers_[index] = std::make_unique<SessionExpiryDriver>(
            *live, cluster_->loop(),
            replica::SessionExpiryOptions{.interval_ticks = interval_ticks, .session_idle_ticks = 200});
      }
    }
  };
  follow_idle();
  for (uint64_t tick = 0; tick < 3 * kMemberDeadTicks && !decided.has_value(); ++tick) {
    cluster_->RunTicks(1);
    follow_idle();
    const std::optional<uint8_t> primary = cluster_->Primary();
    if (!primary.has_value() || drivers_[*primary] == nullptr ||
        cluster_->replica(*primary)->IdleSessions(200, 0, 1).empty()) {
      continue;
    }
    // The primary is cut off first, so its prepare of the expiry reaches no backup.
    cluster_->packets().Partition({*primary}, PartitionMode::kSymmetric);
    const absl::StatusOr<size_t> submitted = drivers_[*primary]->RunOnce();
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    ASSERT_EQ(*submitted, 1u);
    decided = primary;
  }
  ASSERT_TRUE(decided.has_value()) << "no primary decided A's expiry";
  Retire(*decided);
  cluster_->Crash(*decided);
  cluster_->packets().Heal();
  interval_ticks = 10;
  for (uint8_t index = 0; index < options_.replica_count; ++index) Retire(index);
  const size_t expired_before = expired_.size();
  follow_idle();
  bool removed = false;
  for (uint64_t tick = 0; tick < kClusterMaxTicks && !removed; ++tick) {
    if (tick == 300) cluster_->Restart(*decided);
    cluster_->RunTicks(1);
    follow_idle();
    removed = tick > 300 && RemovedEverywhere();
  }
  ASSERT_TRUE(removed) << cluster_->violation() << "\n" << cluster_->Describe();
  const std::vector<absl::uint128> expired = Expired();
  EXPECT_NE(std::find(expired.begin() + static_cast<std::ptrdiff_t>(expired_before), expired.end(), kDeadClient),
            expired.end())
      << "the next primary did not decide A's expiry again";
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kClusterMaxTicks)) << cluster_->Describe();
  EXPECT_TRUE(cluster_->violation().empty()) << cluster_->violation();
  const absl::uint128 digest = metadata::EncodeSnapshot(cluster_->replica(0)->metadata()).checksum;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    EXPECT_FALSE(cluster_->replica(index)->metadata().clients.contains(kDeadClient)) << "replica " << int{index};
    EXPECT_EQ(metadata::EncodeSnapshot(cluster_->replica(index)->metadata()).checksum, digest) << int{index};
  }
}

}  // namespace
}  // namespace sluice::sim
