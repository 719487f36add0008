// Rule B5 on a 3-replica cluster (BOOTSTRAP_CONTRACT.md): a segment file the state
// record lists is removed from a backup's disk while it is down.
//  - A sealed segment: the replica boots (its promise, the highest op it may have
//    acknowledged, is kept: `check_promises`), is repaired from its peers, and every
//    replica then serves every acknowledged message with the same bytes.
//  - The active segment: nothing bounds what it may have acknowledged, so the boot is
//    refused with B5's clear error (the file, the rule, `format --recover`); the
//    operator's `format --recover` (B17) brings the replica back from its peers.

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/metadata_state.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"
#include "core/replica/retention_driver.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "gtest/gtest.h"
#include "tests/replica/cluster_fixture.h"

namespace sluice::sim {
namespace {

using wire::Operation;
constexpr uint64_t kMaxTicks = testing::kClusterMaxTicks;
// Big enough that a 1 MiB segment rolls every few messages.
constexpr size_t kPayloadBytes = 48 * 1024;  // below the 64 KiB message limit
constexpr uint64_t kFirstBatch = 50;            // 2 segments and some
constexpr uint64_t kSmallBatch = 25;            // a sealed segment and an active one
constexpr uint64_t kExpiryUs = 2'000'000;       // 2 s of simulated time

class ClusterMissingSegmentTest : public testing::ClusterFixture {
 protected:
  void SetUp() override {
    options_.seed = 5;
    options_.replica_count = 3;
    options_.check_promises = true;  // a replica that boots keeps its promises (B4, B5, B7)
    options_.checkpoint_interval_ops = 2;  // the topic's creation checkpointed: opened at boot
    StartCluster();
    CreateSmallSegmentTopic();
  }

  void CreateSmallSegmentTopic() {
    const metadata_store::CommittedResult stream =
        Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"segments"}));
    ASSERT_TRUE(stream.result.ok());
    topic_.stream = stream.result.payload[0] | (uint32_t{stream.result.payload[1]} << 8);
    metadata::CreateTopicBody body{.stream = metadata::Identifier::Numeric(topic_.stream), .partitions_count = 1,
                                   .name = "t"};
    body.settings.segment_size_bytes = metadata::kSegmentSizeMin;
    // Retention is decided only by a driver (the trimmed-log test runs one).
    body.settings.message_expiry_us = kExpiryUs;
    const metadata_store::CommittedResult created = Metadata(Operation::kCreateTopic, metadata::Encode(body));
    ASSERT_TRUE(created.result.ok());
    topic_.topic = created.result.payload[0] | (uint32_t{created.result.payload[1]} << 8);
    topic_.incarnations = {created.op};
    ns_ = Namespace(topic_, 0);
  }

  static std::string PayloadOf(uint64_t id) {
    std::string payload(kPayloadBytes, static_cast<char>('a' + id % 26));
    const std::string tag = absl::StrCat("message-", id, "-");
    std::copy(tag.begin(), tag.end(), payload.begin());
    return payload;
  }

  // Sends message `id`, retrying (as an SDK does) until acknowledged.
  void Send(uint64_t id) {
    const std::string payload = PayloadOf(id);
    const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE(SubmitPartitionUntilAcknowledged(ns_, topic_.incarnations[0], Operation::kSendMessages, *batch,
                                                 kMaxTicks));
    acked_.push_back(id);
  }

  void SendRange(uint64_t first, uint64_t last) {
    for (uint64_t id = first; id <= last; ++id) {
      Send(id);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  // (id, payload) of every message replica `index` serves, in offset order.
  // (From the first retained offset, which retention may have moved.)
  std::vector<std::pair<uint64_t, std::string>> Serve(uint8_t index) {
    std::vector<std::pair<uint64_t, std::string>> served;
    std::optional<uint64_t> first;
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(index)->Partition(ns_, topic_.incarnations[0]);
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return served;
    for (;;) {
      std::optional<absl::StatusOr<partition::PollResult>> polled;
      io::Spawn((*log)->PollByOffset(first.value_or(0) + served.size(), 1000),
                [&](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
      EXPECT_TRUE(cluster_->RunUntil([&] { return polled.has_value(); }, kMaxTicks));
      if (!polled.has_value() || !polled->ok() || (*polled)->message_count == 0) return served;
      for (const partition::PolledBatch& stored : (*polled)->batches) {
        const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
        EXPECT_TRUE(batch.ok());
        if (!batch.ok()) return served;
        for (const wire::MessageView message : *batch) {
          if (!first.has_value()) first = message.offset;
          if (message.offset != *first + served.size()) continue;  // before the start (a batch's first messages)
          served.push_back({absl::Uint128Low64(message.id),
                            std::string(reinterpret_cast<const char*>(message.payload.data()), message.payload.size())});
        }
      }
    }
  }

  // Every replica serves exactly the acknowledged messages, in order, with their bytes
  // (with `retained`, only the last ones: retention dropped the others, the same on
  // every replica).
  void ExpectEveryReplicaServesTheAcknowledged(std::optional<size_t> retained = std::nullopt) {
    std::optional<size_t> count;
    for (uint8_t index = 0; index < options_.replica_count; ++index) {
      const std::vector<std::pair<uint64_t, std::string>> served = Serve(index);
      if (!retained.has_value()) {
        ASSERT_EQ(served.size(), acked_.size()) << "replica " << int{index};
      }
      ASSERT_GE(served.size(), retained.value_or(0)) << "replica " << int{index};
      ASSERT_LE(served.size(), acked_.size()) << "replica " << int{index};
      if (count.has_value()) {
        ASSERT_EQ(served.size(), *count) << "replica " << int{index};
      }
      count = served.size();
      const size_t skipped = acked_.size() - served.size();
      for (size_t i = 0; i < served.size(); ++i) {
        EXPECT_EQ(served[i].first, acked_[skipped + i]) << "replica " << int{index} << " message " << i;
        EXPECT_TRUE(served[i].second == PayloadOf(acked_[skipped + i])) << "replica " << int{index} << " message " << i;
      }
    }
  }

  vsr::GroupId Group() const { return {ns_, topic_.incarnations[0]}; }

  std::string Directory() const {
    return partition::PartitionDirectory({topic_.stream, topic_.topic, 0, topic_.incarnations[0]});
  }

  // A backup that holds at least `segments` segments, crashed (every sector landed:
  // the only damage is the removal to come).
  uint8_t CrashABackupWithSegments(size_t segments) {
    const uint8_t backup = (*cluster_->Primary() + 1) % options_.replica_count;
    absl::StatusOr<partition::PartitionLog*> log = cluster_->replica(backup)->Partition(ns_, topic_.incarnations[0]);
    EXPECT_TRUE(log.ok());
    segments_ = (*log)->segments();
    EXPECT_GE(segments_.size(), segments) << "the test needs more segments";
    held_op_ = cluster_->replica(backup)->consensus().log(Group()).last_op();
    cluster_->Crash(backup, base::Ratio::Always());
    return backup;
  }

  // Runs event by event (a tick may hold many storage operations) until `stop` holds;
  // false if it did not within kMaxTicks ticks.
  template <typename Predicate>
  bool RunEventsUntil(Predicate stop) {
    for (uint64_t tick = 0; tick < kMaxTicks; ++tick) {
      cluster_->loop().ScheduleAfterNs(io::kTickNs, [] {});  // time moves on when idle
      if (cluster_->loop().RunUntil(stop, cluster_->loop().MonotonicNs() + io::kTickNs)) return true;
    }
    return false;
  }

  // Whether the down replica's disk holds the first segment empty while the newest
  // valid copy of the state record still lists more than one segment.
  bool EmptyFirstSegmentUnderALongerRecord(uint8_t index) {
    std::optional<partition::StateRecord> newest;
    bool empty_first = false;
    const std::string first = absl::StrCat(Directory(), "/", partition::SegmentLogName(1));
    for (const TreeEntry& entry : cluster_->storage(index).file_system().Tree()) {
      if (entry.path == first) empty_first = entry.contents.empty();
      if (entry.path != absl::StrCat(Directory(), "/", partition::kStateRecordName)) continue;
      for (uint64_t slot = 0; slot < 2 && entry.contents.size() >= (slot + 1) * partition::kStateSlotSize; ++slot) {
        const absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(
            ByteSpan(entry.contents).subspan(slot * partition::kStateSlotSize, partition::kStateSlotSize));
        if (record.ok() && (!newest.has_value() || record->sequence > newest->sequence)) newest = *record;
      }
    }
    return empty_first && newest.has_value() && newest->segments.size() > 1;
  }

  void RemoveSegment(uint8_t index, uint64_t first_op) {
    const std::string path = absl::StrCat(Directory(), "/", partition::SegmentLogName(first_op));
    ASSERT_TRUE(cluster_->storage(index).RemoveBehindBack(path).ok()) << path;
  }

  void SealedSegmentRemovedIsRepaired(size_t which) {
    SendRange(1, kFirstBatch);
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
    const uint8_t backup = CrashABackupWithSegments(3);
    ASSERT_LT(which + 1, segments_.size());
    RemoveSegment(backup, segments_[which].first_op);
    SendRange(kFirstBatch + 1, kFirstBatch + 4);  // the replica must also catch up past what it held
    cluster_->Restart(backup);
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->replica(backup) != nullptr; }, kMaxTicks))
        << cluster_->violation() << "\n" << cluster_->Describe();
    // It booted on an empty log that keeps its promise: every op it held is faulty
    // (never nacked, repaired from peers), none forgotten.
    const vsr::GroupLog& booted = cluster_->replica(backup)->consensus().log(Group());
    EXPECT_EQ(booted.last_op(), 0u);
    EXPECT_GE(booted.faulty_head_op(), held_op_);
    const std::vector<std::string>& warnings = cluster_->replica(backup)->boot_log().warnings;
    EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string& warning) {
      return absl::StrContains(warning, "is missing") && absl::StrContains(warning, "rules B5, B15");
    })) << absl::StrJoin(warnings, "\n");
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
        << cluster_->violation() << "\n" << cluster_->Describe();
    SendRange(kFirstBatch + 5, kFirstBatch + 6);
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
    ExpectEveryReplicaServesTheAcknowledged();
    EXPECT_EQ(cluster_->violation(), "");
  }

  testing::ClusterTopic topic_;
  uint64_t ns_ = 0;
  std::vector<partition::SegmentInfo> segments_;
  std::vector<uint64_t> acked_;
  uint64_t held_op_ = 0;  // the backup's last op when it went down
};

TEST_F(ClusterMissingSegmentTest, AFirstSealedSegmentRemovedWhileDownIsRepairedFromPeers_B5) {
  SealedSegmentRemovedIsRepaired(0);
}

TEST_F(ClusterMissingSegmentTest, AMiddleSealedSegmentRemovedWhileDownIsRepairedFromPeers_B5) {
  SealedSegmentRemovedIsRepaired(1);
}

// The replacement is crash-safe (lost_state_record.h): a crash after any storage
// operation of the repairing boot from the first one that changes the partition's
// directory (before it, the disk is as the removal left it) leaves a disk that the
// next boot repairs — also between the empty first segment and the record naming it.
TEST_F(ClusterMissingSegmentTest, ACrashAnywhereInTheRepairingBootLeavesItRepairable_B5) {
  uint64_t first_change = 0;  // storage operations of the boot before its first change there
  uint64_t crash_points = 0;
  uint64_t between = 0;  // crashes that left the first segment empty under a record listing more
  for (uint64_t after = 0;; ++after) {
    SCOPED_TRACE(absl::StrCat("crash after ", after, " storage operations of the boot"));
    if (after > 0) {  // a fresh cluster, the same seed: the same run up to the crash
      acked_.clear();
      StartCluster();
      CreateSmallSegmentTopic();
    }
    SendRange(1, kSmallBatch);
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
    const uint8_t backup = CrashABackupWithSegments(2);
    RemoveSegment(backup, segments_.front().first_op);
    SimStorage& storage = cluster_->storage(backup);
    const uint64_t start = storage.completed_operations();
    cluster_->Restart(backup);
    if (after == 0) {  // the measuring run: no crash
      const absl::StatusOr<std::vector<io::DirectoryEntry>> before = storage.file_system().List(Directory());
      ASSERT_TRUE(before.ok());
      ASSERT_TRUE(RunEventsUntil([&] {
        if (first_change == 0 && storage.file_system().List(Directory()) != before) {
          first_change = storage.completed_operations() - start;
        }
        return cluster_->replica(backup) != nullptr;
      }));
      ASSERT_GT(first_change, 1u);
      after = first_change - 1;
    } else {
      ASSERT_TRUE(RunEventsUntil(
          [&] { return cluster_->replica(backup) != nullptr || storage.completed_operations() >= start + after; }));
      if (cluster_->replica(backup) != nullptr) break;  // the boot needs fewer: every point was covered
      ++crash_points;
      cluster_->Crash(backup);
      between += EmptyFirstSegmentUnderALongerRecord(backup);
      cluster_->Restart(backup);
    }
    ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
        << cluster_->violation() << "\n" << cluster_->Describe();
    ExpectEveryReplicaServesTheAcknowledged();
    ASSERT_EQ(cluster_->violation(), "");
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("crashed the repairing boot after each of its storage operations %llu..%llu; %llu left an empty "
              "first segment under a record listing more\n",
              static_cast<unsigned long long>(first_change),
              static_cast<unsigned long long>(first_change + crash_points - 1),
              static_cast<unsigned long long>(between));
  EXPECT_GT(crash_points, 5u);
  EXPECT_GT(between, 0u) << "no crash point between the empty first segment and its record";
}

// A log trimmed by retention (its first op above 1) is not rebuilt on the replica's
// own: a sealed segment of it removed is refused like a missing active one
// (lost_state_record.h), and `format --recover` brings the replica back.
TEST_F(ClusterMissingSegmentTest, ASealedSegmentOfATrimmedLogRemovedIsRefusedThenFormatRecoverRejoins_B5) {
  SendRange(1, kFirstBatch);
  cluster_->RunTicks(kExpiryUs / (io::kTickNs / 1000) + 100);  // every message so far expires
  const uint8_t primary = *cluster_->Primary();
  replica::RetentionDriver retention(*cluster_->replica(primary), cluster_->loop(), {});
  const absl::StatusOr<size_t> submitted = retention.RunOnce();
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  ASSERT_GT(*submitted, 0u);
  ASSERT_TRUE(cluster_->RunUntil(
      [&] {
        if (!cluster_->Converged()) return false;
        for (uint8_t index = 0; index < options_.replica_count; ++index) {
          if ((*cluster_->replica(index)->Partition(ns_, topic_.incarnations[0]))->segments().front().first_op == 1) {
            return false;
          }
        }
        return true;
      },
      kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  SendRange(kFirstBatch + 1, kFirstBatch + kSmallBatch);  // a sealed segment above the trimmed ones
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  const uint8_t backup = CrashABackupWithSegments(2);
  ASSERT_GT(segments_.front().first_op, 1u) << "the log was trimmed";
  RemoveSegment(backup, segments_.front().first_op);
  cluster_->ExpectBootRefusal(backup, "is missing (rule B5)");
  cluster_->Restart(backup);
  ASSERT_TRUE(cluster_->RunUntil([&] { return !cluster_->boot_refusal(backup).empty(); }, kMaxTicks))
      << "the boot was not refused: " << cluster_->violation() << "\n" << cluster_->Describe();
  const std::string& refusal = cluster_->boot_refusal(backup);
  EXPECT_TRUE(absl::StrContains(
      refusal, absl::StrCat(Directory(), "/", partition::SegmentLogName(segments_.front().first_op))))
      << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "the log was trimmed")) << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "format --recover")) << refusal;
  cluster_->Crash(backup);
  cluster_->Wipe(backup);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  ExpectEveryReplicaServesTheAcknowledged(kSmallBatch);
  EXPECT_EQ(cluster_->violation(), "");
}

TEST_F(ClusterMissingSegmentTest, TheActiveSegmentRemovedIsRefusedThenFormatRecoverRejoins_B5) {
  SendRange(1, kFirstBatch);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks)) << cluster_->Describe();
  const uint8_t backup = CrashABackupWithSegments(2);
  const uint64_t active = segments_.back().first_op;
  RemoveSegment(backup, active);
  SendRange(kFirstBatch + 1, kFirstBatch + 2);
  cluster_->ExpectBootRefusal(backup, "rule B5");
  cluster_->Restart(backup);
  ASSERT_TRUE(cluster_->RunUntil([&] { return !cluster_->boot_refusal(backup).empty(); }, kMaxTicks))
      << "the boot was not refused: " << cluster_->violation() << "\n" << cluster_->Describe();
  // The clear error: the file, the rule, what was expected, the repair path.
  const std::string& refusal = cluster_->boot_refusal(backup);
  EXPECT_TRUE(absl::StrContains(refusal, absl::StrCat(Directory(), "/", partition::SegmentLogName(active))))
      << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "active segment")) << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "is missing (rule B5)")) << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "format --recover")) << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "rule B17")) << refusal;
  EXPECT_EQ(cluster_->replica(backup), nullptr);
  // The operator re-creates it from its peers.
  cluster_->Crash(backup);
  cluster_->Wipe(backup);
  SendRange(kFirstBatch + 3, kFirstBatch + 4);
  ASSERT_TRUE(cluster_->RunUntil([&] { return cluster_->Converged(); }, kMaxTicks))
      << cluster_->violation() << "\n" << cluster_->Describe();
  EXPECT_FALSE(cluster_->replica(backup)->consensus().recovering());
  ExpectEveryReplicaServesTheAcknowledged();
  EXPECT_EQ(cluster_->violation(), "");
}

}  // namespace
}  // namespace sluice::sim
