// A one-replica cluster's boot on the simulator's disk (DESIGN.md "Bootstrap"): the
// metadata and every partition come back after a crash, partitions created by ops the
// boot replayed are created if the crash cut them short, partitions the checkpoint
// covers must exist (rule B5), and directories of incarnations the metadata no longer
// has are removed.
#include "core/bootstrap/single_node_bootstrap.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/io_error.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/layout.h"
#include "core/wire/batch_encoder.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::bootstrap {
namespace {

using base::Ratio;
using metadata::Identifier;
using metadata_store::testing::StoreFixture;
using wire::Operation;

class BootFixture : public StoreFixture {
 public:
  explicit BootFixture(uint64_t slot_count = 16) : StoreFixture(/*disk_seed=*/21, slot_count) {}

  SingleNodeBootOptions BootOptions() const {
    return {.metadata = options_, .partitions = {.single_node = true}};
  }

  absl::StatusOr<BootedSingleNode> Boot() {
    return machine_.Run(BootSingleNode(machine_.interrupting_, BootOptions()));
  }

  // Adopts a booted node's metadata as the fixture's store.
  void Adopt(BootedSingleNode& booted) {
    store_ = std::move(booted.metadata);
    partitions_ = std::move(booted.partitions);
  }

  // What the replica does when a CreateTopic commits: create its partitions durably.
  void CreatePartitionsOf(uint32_t stream, uint32_t topic) {
    const metadata::Topic& t = store_->state().streams.at(stream).topics.at(topic);
    for (uint32_t p = 0; p < t.partitions.size(); ++p) {
      partition::PartitionOptions options;
      options.cluster = metadata_store::testing::kCluster;
      options.address = {stream, topic, p, t.partitions[p].incarnation};
      options.namespace_id = *metadata::PackNamespace(config_.widths, {stream, topic, p});
      options.index_entries_reserved = 64;
      absl::StatusOr<std::unique_ptr<partition::PartitionLog>> log =
          machine_.Run(partition::PartitionLog::Create(machine_.interrupting_, options));
      SLUICE_ASSERT(log.ok(), log.status().ToString());
      partitions_[options.namespace_id] = *std::move(log);
    }
  }

  // Appends one message batch to a partition and commits it once durable.
  void SendMessage(uint64_t namespace_id, absl::string_view payload) {
    partition::PartitionLog& log = *partitions_.at(namespace_id);
    const wire::MessageToSend message{.id = ++message_id_, .payload = base::AsBytes(payload)};
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    SLUICE_ASSERT(batch.ok());
    absl::StatusOr<Bytes> frame = log.PrepareNext(Operation::kSendMessages, *batch, ++clock_us_);
    SLUICE_ASSERT(frame.ok());
    const uint64_t op = log.last_op() + 1;
    SLUICE_ASSERT(log.Append(*frame, [&log, op](absl::Status status) {
      if (status.ok()) log.Commit(op);
    }).ok());
    SLUICE_ASSERT(machine_.Run(log.Drain()).ok());
  }

  void StopEverything() {
    for (auto& [ns, log] : partitions_) (void)machine_.Run(log->Drain());
    partitions_.clear();
  }

  uint64_t NamespaceOf(uint32_t s, uint32_t t, uint32_t p) const {
    return *metadata::PackNamespace(config_.widths, {s, t, p});
  }

  PartitionLogs partitions_;
  uint64_t message_id_ = 0;
  uint64_t clock_us_ = 1'700'000'000'000'000;
};

void CreateStreamAndTopic(BootFixture& fixture, uint32_t partitions) {
  ASSERT_TRUE(fixture.Submit(Operation::kCreateStream,
                             metadata::Encode(metadata::CreateStreamBody{"orders"}))
                  .ok());
  ASSERT_TRUE(fixture.Submit(Operation::kCreateTopic,
                             metadata::Encode(metadata::CreateTopicBody{
                                 .stream = Identifier::Numeric(0),
                                 .partitions_count = partitions,
                                 .name = "events"}))
                  .ok());
  ASSERT_TRUE(fixture.Drain().ok());
}

std::string Joined(const BootLog& log) {
  return absl::StrJoin(log.decisions, "\n") + "\n" + absl::StrJoin(log.warnings, "\n");
}

void Format(BootFixture& fixture) {
  fixture.FormatDisk();
  absl::StatusOr<BootedSingleNode> booted = fixture.Boot();
  ASSERT_TRUE(booted.ok()) << booted.status();
  fixture.Adopt(*booted);
  ASSERT_TRUE(fixture.Submit(Operation::kCreateUser,
                             metadata::testing::RootUserBody(fixture.primary_))
                  .ok());
  ASSERT_TRUE(fixture.Drain().ok());
}

TEST(SingleNodeBootstrapTest, MetadataAndEveryPartitionComeBackAfterAMachineCrash) {
  BootFixture fixture;
  Format(fixture);
  CreateStreamAndTopic(fixture, 2);
  fixture.CreatePartitionsOf(0, 0);
  fixture.SendMessage(fixture.NamespaceOf(0, 0, 1), "hello");
  fixture.SendMessage(fixture.NamespaceOf(0, 0, 1), "world");
  fixture.StopEverything();
  fixture.CrashNow(Ratio::Never());

  absl::StatusOr<BootedSingleNode> booted = fixture.Boot();
  ASSERT_TRUE(booted.ok()) << booted.status();
  EXPECT_EQ(booted->metadata->state().last_applied_op, 3u);
  ASSERT_EQ(booted->partitions.size(), 2u);
  EXPECT_EQ(booted->partitions.at(fixture.NamespaceOf(0, 0, 1))->committed_next_offset(), 2u);
  EXPECT_EQ(booted->partitions.at(fixture.NamespaceOf(0, 0, 0))->committed_next_offset(), 0u);
  EXPECT_TRUE(absl::StrContains(Joined(booted->log), "2 partition(s) recovered")) << Joined(booted->log);
}

TEST(SingleNodeBootstrapTest, APartitionOfAnOpReplayedAtBootIsCreatedIfTheCrashCutItShort) {
  BootFixture fixture;
  Format(fixture);
  CreateStreamAndTopic(fixture, 3);  // committed, but the process died before the
  fixture.CrashNow(Ratio::Never());  // partitions were created
  absl::StatusOr<BootedSingleNode> booted = fixture.Boot();
  ASSERT_TRUE(booted.ok()) << booted.status();
  EXPECT_EQ(booted->partitions.size(), 3u);
  EXPECT_TRUE(absl::StrContains(Joined(booted->log), "created now")) << Joined(booted->log);
}

TEST(SingleNodeBootstrapTest, AMissingPartitionTheCheckpointCoversIsAClearError_B5) {
  BootFixture fixture(/*slot_count=*/4);
  Format(fixture);
  CreateStreamAndTopic(fixture, 1);
  fixture.CreatePartitionsOf(0, 0);
  // Enough metadata ops that a checkpoint covers the CreateTopic (op 3).
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(fixture.Submit(Operation::kCreateStream,
                               metadata::Encode(metadata::CreateStreamBody{absl::StrCat("s", i)}))
                    .ok());
    ASSERT_TRUE(fixture.Drain().ok());
  }
  ASSERT_GE(fixture.store_->superblock().state.metadata_checkpoint.op, 3u);
  fixture.StopEverything();
  fixture.CrashNow(Ratio::Never());
  const std::string directory = partition::PartitionDirectory({0, 0, 0, 3});
  ASSERT_TRUE(fixture.machine_.storage_.RemoveBehindBack(io::JoinPath(directory, "partition.state")).ok());
  absl::StatusOr<BootedSingleNode> booted = fixture.Boot();
  ASSERT_FALSE(booted.ok());
  EXPECT_TRUE(absl::StrContains(booted.status().message(), "B5")) << booted.status();
  EXPECT_TRUE(absl::StrContains(booted.status().message(), directory)) << booted.status();
}

TEST(SingleNodeBootstrapTest, DirectoriesOfIncarnationsTheMetadataNoLongerHasAreRemoved) {
  BootFixture fixture;
  Format(fixture);
  CreateStreamAndTopic(fixture, 1);
  fixture.CreatePartitionsOf(0, 0);
  fixture.StopEverything();
  // A leftover of an older incarnation of the same ids (say, a deleted and recreated
  // topic whose deletion step completed before the directory was gone).
  const std::string stale = partition::PartitionDirectory({0, 0, 0, 1});
  ASSERT_TRUE(fixture.machine_.disk_.CreateDirectory(stale).ok());
  ASSERT_TRUE(fixture.machine_.disk_
                  .WriteDurably(io::JoinPath(stale, partition::SegmentLogName(1)),
                                base::AsBytes("old bytes"))
                  .ok());
  fixture.CrashNow(Ratio::Always());
  absl::StatusOr<BootedSingleNode> booted = fixture.Boot();
  ASSERT_TRUE(booted.ok()) << booted.status();
  EXPECT_TRUE(absl::StrContains(Joined(booted->log), absl::StrCat(stale, ": removed")))
      << Joined(booted->log);
  EXPECT_TRUE(io::IsEnoent(fixture.machine_.disk_.List(stale).status()));
  EXPECT_TRUE(fixture.machine_.disk_.List(partition::PartitionDirectory({0, 0, 0, 3})).ok());
}

}  // namespace
}  // namespace sluice::bootstrap
