// A one-replica cluster's replica on the simulator's disk: the root user on first
// boot, topics whose partitions exist before the reply, writes routed by namespace
// and incarnation (rule B10), deleted partitions' directories removed by the
// replicated step, and everything back after a machine crash.
#include "core/replica/single_node_replica.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/io/io_error.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/layout.h"
#include "core/wire/batch_encoder.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::replica {
namespace {

using metadata::Identifier;
using metadata_store::testing::kCluster;
using metadata_store::testing::StoreFixture;
using wire::Operation;

class ReplicaTest : public ::testing::Test {
 protected:
  ReplicaTest() { fixture_.FormatDisk(); }

  SingleNodeReplicaOptions Options() const {
    SingleNodeReplicaOptions options;
    options.boot.metadata = fixture_.options_;
    options.boot.partitions.single_node = true;
    options.boot.partitions.index_entries_reserved = 64;
    options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
    return options;
  }

  void Open() {
    absl::StatusOr<std::unique_ptr<SingleNodeReplica>> opened = fixture_.machine_.Run(
        SingleNodeReplica::Open(fixture_.machine_.interrupting_, Options(),
                                [this] { return Bytes(metadata::kPasswordSaltBytes, ++salts_); }));
    ASSERT_TRUE(opened.ok()) << opened.status();
    replica_ = *std::move(opened);
  }

  void CrashAndReopen() {
    ASSERT_TRUE(fixture_.machine_.Run(replica_->Drain()).ok());
    replica_.reset();
    fixture_.machine_.storage_.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
    Open();
  }

  metadata::ApplyResult Metadata(Operation operation, Bytes body) {
    std::optional<absl::StatusOr<metadata::ApplyResult>> reply;
    EXPECT_TRUE(replica_
                    ->SubmitMetadata({.operation = operation, .body = std::move(body)},
                                     [&](absl::StatusOr<metadata::ApplyResult> r) { reply = r; })
                    .ok());
    EXPECT_TRUE(fixture_.machine_.Run(replica_->Drain()).ok());
    SLUICE_ASSERT(reply.has_value() && reply->ok(), "no reply");
    return **reply;
  }

  uint64_t Namespace(uint32_t s, uint32_t t, uint32_t p) const {
    return *metadata::PackNamespace(fixture_.config_.widths, {s, t, p});
  }
  uint64_t Incarnation(uint32_t s, uint32_t t, uint32_t p) const {
    return replica_->metadata().streams.at(s).topics.at(t).partitions.at(p).incarnation;
  }

  absl::StatusOr<uint64_t> Send(uint32_t s, uint32_t t, uint32_t p, absl::string_view payload) {
    const wire::MessageToSend message{.id = ++message_id_, .payload = base::AsBytes(payload)};
    const absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok());
    std::optional<absl::StatusOr<uint64_t>> reply;
    const absl::Status submitted =
        replica_->SubmitPartition(Namespace(s, t, p), Incarnation(s, t, p), Operation::kSendMessages,
                                  *batch, 1'700'000'000'000'000,
                                  [&](absl::StatusOr<uint64_t> r) { reply = r; });
    if (!submitted.ok()) return submitted;
    SLUICE_ASSERT(fixture_.machine_.Run(replica_->Drain()).ok());
    SLUICE_ASSERT(reply.has_value());
    return *reply;
  }

  uint64_t CommittedMessages(uint32_t s, uint32_t t, uint32_t p) {
    absl::StatusOr<partition::PartitionLog*> log =
        replica_->Partition(Namespace(s, t, p), Incarnation(s, t, p));
    SLUICE_ASSERT(log.ok(), log.status().ToString());
    return (*log)->committed_next_offset();
  }

  void CreateTopic(uint32_t partitions) {
    ASSERT_TRUE(Metadata(Operation::kCreateStream,
                         metadata::Encode(metadata::CreateStreamBody{"orders"}))
                    .ok());
    ASSERT_TRUE(Metadata(Operation::kCreateTopic,
                         metadata::Encode(metadata::CreateTopicBody{
                             .stream = Identifier::Numeric(0),
                             .partitions_count = partitions,
                             .name = "events"}))
                    .ok());
  }

  StoreFixture fixture_{/*disk_seed=*/31, /*slot_count=*/8};
  std::unique_ptr<SingleNodeReplica> replica_;
  uint8_t salts_ = 0;
  uint64_t message_id_ = 0;
};

TEST_F(ReplicaTest, TheFirstBootCreatesTheRootUserWithAHashedPassword) {
  Open();
  ASSERT_EQ(replica_->metadata().users.size(), 1u);
  const metadata::User& root = replica_->metadata().users.at(metadata::kRootUserId);
  EXPECT_EQ(root.name, "iggy");
  EXPECT_EQ(root.password.hash.size(), metadata::kPasswordHashBytes);
  EXPECT_NE(std::string(root.password.hash.begin(), root.password.hash.end()), "iggy");
  CrashAndReopen();
  EXPECT_EQ(replica_->metadata().users.size(), 1u) << "the root user is created once";
}

TEST_F(ReplicaTest, ATopicsPartitionsExistWhenItsCreationIsRepliedAndSurviveACrash) {
  Open();
  CreateTopic(3);
  EXPECT_EQ(replica_->partition_count(), 3u);
  ASSERT_TRUE(Send(0, 0, 1, "hello").ok());
  ASSERT_TRUE(Send(0, 0, 1, "world").ok());
  EXPECT_EQ(CommittedMessages(0, 0, 1), 2u);
  CrashAndReopen();
  EXPECT_EQ(replica_->partition_count(), 3u);
  EXPECT_EQ(CommittedMessages(0, 0, 1), 2u);
  EXPECT_EQ(CommittedMessages(0, 0, 0), 0u);
}

TEST_F(ReplicaTest, AWriteForAnUnknownNamespaceOrIncarnationIsRefusedNeverRerouted_B10) {
  Open();
  CreateTopic(1);
  const absl::Status unknown = replica_->SubmitPartition(
      Namespace(0, 0, 5), 1, Operation::kSendMessages, Bytes{}, 1, [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsNotFound(unknown)) << unknown;
  const absl::Status stale = replica_->SubmitPartition(
      Namespace(0, 0, 0), Incarnation(0, 0, 0) + 100, Operation::kSendMessages, Bytes{}, 1,
      [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsFailedPrecondition(stale)) << stale;
  EXPECT_EQ(replica_->router_counters().dropped_no_owner, 1u);
  EXPECT_EQ(replica_->router_counters().dropped_wrong_incarnation, 1u);
}

TEST_F(ReplicaTest, DeletingATopicRemovesItsPartitionsAndARecreatedOneStartsEmpty) {
  Open();
  CreateTopic(2);
  ASSERT_TRUE(Send(0, 0, 0, "old").ok());
  const uint64_t old_incarnation = Incarnation(0, 0, 0);
  const std::string old_directory =
      partition::PartitionDirectory({0, 0, 0, old_incarnation});
  ASSERT_TRUE(Metadata(Operation::kDeleteTopic,
                       metadata::Encode(metadata::TopicBody{Identifier::Numeric(0),
                                                            Identifier::Numeric(0)}))
                  .ok());
  EXPECT_EQ(replica_->partition_count(), 0u);
  EXPECT_TRUE(replica_->metadata().pending_steps.empty()) << "the deletion steps completed";
  EXPECT_TRUE(io::IsEnoent(fixture_.machine_.disk_.List(old_directory).status()));

  ASSERT_TRUE(Metadata(Operation::kCreateTopic,
                       metadata::Encode(metadata::CreateTopicBody{.stream = Identifier::Numeric(0),
                                                                  .partitions_count = 1,
                                                                  .name = "events"}))
                  .ok());
  EXPECT_NE(Incarnation(0, 0, 0), old_incarnation);
  EXPECT_EQ(CommittedMessages(0, 0, 0), 0u) << "a reused id never sees the old data";
  const absl::Status stale = replica_->SubmitPartition(
      Namespace(0, 0, 0), old_incarnation, Operation::kSendMessages, Bytes{}, 1,
      [](absl::StatusOr<uint64_t>) {});
  EXPECT_TRUE(absl::IsFailedPrecondition(stale)) << stale;
  CrashAndReopen();
  EXPECT_EQ(replica_->partition_count(), 1u);
}

}  // namespace
}  // namespace sluice::replica
