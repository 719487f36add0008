// What a backup's do_view_change says it may have acknowledged (faulty_head_op, the
// bound below which it never counts as a nack): one replica restored from a log,
// its frames captured. Entries above its head that are of a view older than its log
// view are leftovers the view change into that log view discarded (never committed):
// nacks. Faulty entries (any view) and entries of its log view are promises.
// (journal_cluster_main seed 5323 stalled when the leftovers counted as promises.)
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/vsr/messages.h"
#include "core/vsr/replica.h"
#include "core/vsr/testing/memory_log.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::vsr {
namespace {

constexpr absl::uint128 kCluster = 0xC1;
constexpr GroupId kGroup{.namespace_id = 0, .incarnation = 0};

// Keeps every frame the replica sends; delivers nothing.
class CapturingNetwork final : public io::Network {
 public:
  void SetHandler(io::NetworkHandler* handler) override {}
  absl::Status Send(io::PeerId to, ByteSpan frame) override {
    sent.push_back({to, Bytes(frame.begin(), frame.end())});
    return absl::OkStatus();
  }
  size_t frame_size_max_bytes() const override { return io::kFrameSizeMaxBytesDefault; }
  std::vector<std::pair<io::PeerId, Bytes>> sent;
};

class DoViewChangeTest : public ::testing::Test {
 protected:
  // Appends ops 1..views.size() (op i prepared in views[i-1]) durably to the disk.
  void Prepare(const std::vector<uint32_t>& views) {
    std::unique_ptr<testing::MemoryLog> log = Recover();
    for (uint32_t view : views) {
      const uint64_t op = log->last_op() + 1;
      const Bytes frame = wire::EncodePrepare({.cluster = kCluster,
                                               .view = view,
                                               .parent = log->last_checksum(),
                                               .op = op,
                                               .operation = wire::Operation::kCreateStream,
                                               .namespace_id = kGroup.namespace_id,
                                               .incarnation = kGroup.incarnation},
                                              base::AsBytes(absl::StrCat("stream ", op)));
      bool durable = false;
      ASSERT_TRUE(log->Append(frame, [&](absl::Status status) { durable = status.ok(); }).ok());
      while (!durable) ASSERT_TRUE(loop_.RunOnce());
      checksums_.push_back(log->last_checksum());
    }
  }
  std::unique_ptr<testing::MemoryLog> Recover() {
    return testing::MemoryLog::Recover(disk_, loop_, {.cluster = kCluster, .group = kGroup});
  }

  // Restores replica 1 of 3 in log view `log_view`, whose start_view named `head_op`,
  // as it was when it crashed during the view change to view log_view + 1 (primary:
  // replica 0, so `log_view` + 1 must be a multiple of 3) — durably in that view, so it sends its do_view_change again at once,
  // before any repair — and returns that do_view_change's faulty_head_op.
  std::optional<uint64_t> FaultyHeadOfDoViewChange(uint32_t log_view, uint64_t head_op) {
    SLUICE_ASSERT((log_view + 1) % 3 == 0, "replica 0 must be the primary of view ", log_view + 1);
    VsrState state{.view = log_view + 1,
                   .log_view = log_view,
                   .groups = {{.group = kGroup,
                               .log_view = log_view,
                               .head_op = head_op,
                               .head_checksum = checksums_[head_op - 1]}}};
    std::vector<RecoveredGroup> groups;
    groups.push_back({.id = kGroup, .log = Recover()});
    absl::StatusOr<std::unique_ptr<Replica>> replica =
        Replica::Restore({.cluster = kCluster, .replica_index = 1, .replica_count = 3}, loop_, network_,
                         storage_, state, std::move(groups), nullptr);
    EXPECT_TRUE(replica.ok()) << replica.status();
    if (!replica.ok()) return std::nullopt;
    for (int step = 0; step < 1000; ++step) {
      for (const auto& [to, frame] : network_.sent) {
        const absl::StatusOr<DoViewChangeChunk> chunk = DecodeDoViewChange(frame, kCluster);
        if (!chunk.ok()) continue;
        EXPECT_EQ(to, 0);
        EXPECT_EQ(chunk->records.size(), 1u);
        if (chunk->records.size() != 1) return std::nullopt;
        EXPECT_GE(chunk->records[0].head_op, head_op);
        return chunk->records[0].faulty_head_op;
      }
      if (!loop_.RunOnce()) break;
    }
    ADD_FAILURE() << "no do_view_change sent\n" << (*replica)->DebugString();
    return std::nullopt;
  }

  sim::SimLoop loop_;
  sim::SimStorage storage_{loop_, {.seed = 1, .sector_size_bytes = 512}};
  CapturingNetwork network_;
  testing::MemoryLogDisk disk_;
  std::vector<absl::uint128> checksums_;  // of ops 1.. as prepared
};

// Log view 2 started at head 4 (ops of view 0); ops 5 and 6 are of view 1, a suffix
// the view change into view 2 discarded: they were never committed.
TEST_F(DoViewChangeTest, OlderViewLeftoversAboveTheHeadAreNacks_B7) {
  Prepare({0, 0, 0, 0, 1, 1});
  EXPECT_EQ(FaultyHeadOfDoViewChange(/*log_view=*/2, /*head_op=*/4), std::optional<uint64_t>(4));
}

// Ops 5 and 6 prepared in the log view itself, above its start head: promises (the
// restored replica vouches for them as its head, too).
TEST_F(DoViewChangeTest, EntriesOfTheLogViewAboveTheStartHeadArePromises_B4) {
  Prepare({0, 0, 0, 0, 2, 2});
  EXPECT_EQ(FaultyHeadOfDoViewChange(/*log_view=*/2, /*head_op=*/4), std::optional<uint64_t>(6));
}

// Op 5 corrupt: recovery cannot tell its view, so 5 and 6 (faulty) stay promises,
// even though both were prepared in an older view (B7: a faulty entry is never a nack).
TEST_F(DoViewChangeTest, FaultyEntriesAboveTheHeadArePromisesWhateverTheirView_B7) {
  Prepare({0, 0, 0, 0, 1, 1});
  ASSERT_TRUE(disk_.Corrupt(5).ok());
  EXPECT_EQ(FaultyHeadOfDoViewChange(/*log_view=*/2, /*head_op=*/4), std::optional<uint64_t>(6));
}

// The new primary's side: view 2's start_view named head 6 and every replica vouches
// for it, but none holds ops 4..6 any more (their only copies were lost or turned
// faulty after the view was decided), so nobody can repair them and view 3 could never
// commit if it kept head 6. A nack quorum never acknowledged ops 4..6, so they were
// never committed: the new head drops to 3 even though nobody knows the checksums of
// ops 4 and 5 in between (./sluice sim --seed 272 --replicas 3 stalled on this).
TEST_F(DoViewChangeTest, ANewPrimaryDropsAHeadNobodyHoldsPastUnknownChecksums_B7) {
  Prepare({2, 2, 2});
  Recover()->Commit(3);  // committed and verified here: the checksum under the lost ops
  constexpr absl::uint128 kLostHeadChecksum = 0x6;  // op 6's, which nobody holds
  const VsrState state{.view = 3,
                       .log_view = 2,
                       .groups = {{.group = kGroup, .log_view = 2, .head_op = 6, .head_checksum = kLostHeadChecksum}}};
  std::vector<RecoveredGroup> groups;
  groups.push_back({.id = kGroup, .log = Recover()});
  absl::StatusOr<std::unique_ptr<Replica>> primary =
      Replica::Restore({.cluster = kCluster, .replica_index = 0, .replica_count = 3}, loop_, network_, storage_,
                       state, std::move(groups), nullptr);
  ASSERT_TRUE(primary.ok()) << primary.status();
  const std::vector<DoViewChangeRecord> backup{{.group = kGroup,
                                                .log_view = 2,
                                                .commit = 3,
                                                .head_op = 6,
                                                .head_checksum = kLostHeadChecksum,
                                                .faulty_head_op = 3}};
  for (const Bytes& frame : EncodeDoViewChange(kCluster, {.view = 3, .replica = 1}, 2, backup,
                                               io::kFrameSizeMaxBytesDefault)) {
    (*primary)->OnFrame(1, frame);
  }
  std::optional<StartViewRecord> decided;
  for (int step = 0; step < 1000 && !decided.has_value(); ++step) {
    for (const auto& [to, frame] : network_.sent) {
      const absl::StatusOr<StartViewChunk> start_view = DecodeStartView(frame, kCluster);
      if (start_view.ok() && start_view->records.size() == 1) decided = start_view->records[0];
    }
    if (!decided.has_value() && !loop_.RunOnce()) break;
  }
  ASSERT_TRUE(decided.has_value()) << (*primary)->DebugString();
  EXPECT_EQ(decided->head_op, 3u);
  EXPECT_EQ(decided->head_checksum, checksums_[2]);
}

}  // namespace
}  // namespace sluice::vsr
