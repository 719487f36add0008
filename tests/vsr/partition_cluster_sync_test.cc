// Partition state sync in a cluster of VSR replicas (rule B15), 3 and 5 replicas:
// each replica runs one partition group on its real partition log
// (vsr::PartitionGroupLog over core/partition on its own SimStorage), formatted,
// crashed and recovered like a real one (PartitionLog::Open in cluster mode, the
// durable VSR state file, Replica::Restore: rule B4). A backup goes down; the others
// commit far more, and a replicated retention step drops their sealed segments, so
// their base (the partition's anchor) passes everything the backup holds: no peer
// can repair it from its log. Restarted, it catches up by state sync — the anchor's
// snapshot staged in chunks and installed — then repair above it, and converges:
// every replica commits the same checksums (checked at every commit), and ends with
// the same chain, consumer offsets and messages. Also when its machine crashes in the
// middle of the sync: the staging survives and the sync resumes from it.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/prng.h"
#include "core/io/task.h"
#include "core/partition/partition_log.h"
#include "core/vsr/partition_group_log.h"
#include "core/vsr/replica.h"
#include "core/vsr/vsr_state.h"
#include "gtest/gtest.h"
#include "sim/cluster/process_io.h"
#include "sim/packet_simulator.h"
#include "sim/sim_loop.h"
#include "sim/sim_network.h"
#include "sim/sim_storage.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::vsr {
namespace {

using partition::testing::kCluster;

partition::PartitionOptions PartitionOptionsFor() {
  partition::PartitionOptions options = partition::testing::TestOptions();  // 4 KiB segments
  options.single_node = false;
  return options;
}

GroupId Group() {
  const partition::PartitionOptions options = PartitionOptionsFor();
  return {.namespace_id = options.namespace_id, .incarnation = options.address.incarnation};
}

io::Task<absl::StatusOr<std::unique_ptr<PartitionGroupLog>>> RecoverPartition(io::Storage& storage, io::Loop& loop) {
  partition::RecoveryReport report;
  CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> log,
                      co_await partition::PartitionLog::Open(storage, PartitionOptionsFor(), &report));
  co_return co_await PartitionGroupLog::FromRecovery(std::move(log), std::move(report), loop, {.cluster = kCluster});
}

io::Task<absl::Status> CreatePartition(io::Storage& storage) {
  CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> log,
                      co_await partition::PartitionLog::Create(storage, PartitionOptionsFor()));
  co_return absl::OkStatus();
}

// Test-only harness: one partition group on every replica, with a commit checker.
class PartitionCluster final {
 public:
  PartitionCluster(uint8_t replica_count, uint64_t seed, ReplicaOptions replica)
      : replica_count_(replica_count),
        replica_options_(replica),
        packets_(loop_, {.seed = base::DeriveSeed(seed, 2),
                         .replica_count = replica_count,
                         .client_count = 0,
                         .path_queue_frames_max = 256,
                         .profile = sim::NetworkFaultProfile::None()}) {
    nodes_.resize(replica_count);
    for (uint8_t index = 0; index < replica_count; ++index) {
      nodes_[index].storage = std::make_unique<sim::SimStorage>(
          loop_, sim::SimStorageOptions{.seed = base::DeriveSeed(seed, 100 + index), .sector_size_bytes = 512});
      nodes_[index].network = std::make_unique<sim::SimNetwork>(packets_, index, io::kFrameSizeMaxBytesDefault);
    }
  }
  ~PartitionCluster() {
    for (uint8_t index = 0; index < replica_count_; ++index) {
      if (nodes_[index].process != nullptr) Crash(index);
    }
    loop_.RunUntil([&] { return Reap(); }, UINT64_MAX);
  }

  // Formats every replica (the partition, the VSR state file) and boots it.
  void Start() {
    VsrState initial{.view = 0, .log_view = 0, .groups = {{.group = Group()}}};
    uint64_t formatted = 0;
    for (uint8_t index = 0; index < replica_count_; ++index) {
      sim::SimStorage& storage = *nodes_[index].storage;
      io::Spawn(CreatePartition(storage), [this, &storage, &formatted, index, initial](absl::Status status) {
        if (!status.ok()) return Violation(absl::StrCat("format ", int{index}, ": ", status.ToString()));
        PersistVsrState(storage, initial, kCluster, index, [this, &formatted](absl::Status status) {
          if (!status.ok()) Violation(absl::StrCat("format: ", status.ToString()));
          ++formatted;
        });
      });
    }
    loop_.RunUntil([&] { return formatted == replica_count_ || !violation_.empty(); }, UINT64_MAX);
    for (uint8_t index = 0; index < replica_count_; ++index) Restart(index);
    RunUntil([&] { return AllUp(); }, 100);
  }

  // The process dies with its operations in flight and the machine crashes: what
  // was not synced is lost.
  void Crash(uint8_t index) {
    Node& node = nodes_[index];
    ++node.boot;
    Process& process = *node.process;
    process.network.Kill();
    process.storage.Kill();
    process.dead = true;
    node.network->Crash();
    node.storage->CrashMachine(base::Ratio::Never(), base::Ratio::Never());
    dead_.push_back(std::move(node.process));
  }

  // Boots the replica from its disk: the VSR state file, the partition recovered, then
  // Replica::Restore (B4). Asynchronous: replica(index) is set once up.
  void Restart(uint8_t index) {
    Node& node = nodes_[index];
    node.process = std::make_unique<Process>(*this, *node.storage, *node.network, loop_);
    if (node.network->crashed()) {
      node.network->Restart(&node.process->network);
    } else {
      node.network->SetHandler(&node.process->network);
    }
    const uint64_t boot = node.boot;
    LoadVsrState(node.process->storage, kCluster, index, [this, index, boot](absl::StatusOr<VsrState> state) {
      if (nodes_[index].boot != boot) return;
      if (!state.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", state.status().ToString()));
      io::Spawn(RecoverPartition(nodes_[index].process->storage, loop_),
                [this, index, boot, state = *std::move(state)](
                    absl::StatusOr<std::unique_ptr<PartitionGroupLog>> log) mutable {
                  if (nodes_[index].boot != boot) return;
                  if (!log.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", log.status().ToString()));
                  Restored(index, std::move(state), *std::move(log));
                });
    });
  }

  Replica* replica(uint8_t index) {
    return nodes_[index].process == nullptr ? nullptr : nodes_[index].process->replica.get();
  }
  PartitionGroupLog* log(uint8_t index) { return replica(index) == nullptr ? nullptr : nodes_[index].process->log; }

  std::optional<uint8_t> Primary() {
    std::optional<uint8_t> primary;
    uint32_t view = 0;
    for (uint8_t index = 0; index < replica_count_; ++index) {
      Replica* r = replica(index);
      if (r == nullptr || !r->is_primary() || r->status() != Status::kNormal || r->failed()) continue;
      if (!primary.has_value() || r->view() > view) {
        primary = index;
        view = r->view();
      }
    }
    return primary;
  }

  // The primary prepares the next entry of the partition: a batch of `messages`
  // messages (stamped with the partition's next offset, as the server does), or an
  // offset store / retention step when `body` is given.
  absl::Status Submit(wire::Operation operation, uint32_t messages, Bytes body = {}) {
    const std::optional<uint8_t> primary = Primary();
    if (!primary.has_value()) return absl::UnavailableError("no primary");
    if (operation == wire::Operation::kSendMessages) {
      const Bytes batch = partition::testing::MakeBatch(messages, next_message_id_);
      absl::StatusOr<Bytes> frame = log(*primary)->partition().PrepareNext(operation, batch, 1);
      if (!frame.ok()) return frame.status();
      body.assign(frame->begin() + wire::kHeaderSize, frame->end());
    }
    const absl::Status submitted = replica(*primary)->SubmitRequest(Group(), operation, body);
    if (submitted.ok() && operation == wire::Operation::kSendMessages) next_message_id_ += messages;
    return submitted;
  }
  // Submits until accepted (or `max_ticks` pass).
  bool SubmitAccepted(wire::Operation operation, uint32_t messages, Bytes body = {}, uint64_t max_ticks = 200) {
    for (uint64_t tick = 0; tick < max_ticks; ++tick) {
      if (Submit(operation, messages, body).ok()) return true;
      RunTicks(1);
    }
    return false;
  }

  void RunTicks(uint64_t ticks) {
    const uint64_t until = loop_.MonotonicNs() + ticks * io::kTickNs;
    loop_.RunUntil([&] { return loop_.MonotonicNs() >= until; }, until);
    Reap();
  }
  template <typename Predicate>
  bool RunUntil(Predicate done, uint64_t max_ticks) {
    for (uint64_t tick = 0; violation_.empty() && !done(); ++tick) {
      if (tick >= max_ticks) return false;
      RunTicks(1);
    }
    return violation_.empty();
  }
  sim::SimLoop& loop() { return loop_; }

  bool AllUp() {
    for (uint8_t index = 0; index < replica_count_; ++index) {
      if (replica(index) == nullptr) return false;
    }
    return true;
  }
  // The live replicas all normal in one view, each committed to the highest op ever
  // committed, with its log's head there.
  bool Converged(std::optional<uint8_t> except = std::nullopt) {
    std::optional<uint32_t> view;
    for (uint8_t index = 0; index < replica_count_; ++index) {
      if (index == except) continue;
      Replica* r = replica(index);
      if (r == nullptr || r->status() != Status::kNormal || r->failed()) return false;
      if (view.has_value() && *view != r->view()) return false;
      view = r->view();
      if (r->commit(Group()) != committed_.size() || log(index)->last_op() != committed_.size()) return false;
      if (log(index)->partition().applied_op() != committed_.size()) return false;
    }
    return true;
  }

  uint64_t committed() const { return committed_.size(); }
  uint64_t state_syncs() const { return state_syncs_; }
  const std::string& violation() const { return violation_; }
  std::string Describe() {
    std::string out;
    for (uint8_t index = 0; index < replica_count_; ++index) {
      Replica* r = replica(index);
      absl::StrAppend(&out, "replica ", int{index}, ": ");
      if (r == nullptr) {
        absl::StrAppend(&out, "down\n");
        continue;
      }
      absl::StrAppend(&out, r->DebugString(), "  base ", log(index)->base_op(), " last ", log(index)->last_op(),
                      " applied ", log(index)->partition().applied_op(), "\n");
    }
    return absl::StrCat(out, "committed ", committed_.size(), "\n", violation_);
  }

 private:
  struct Process;
  // Forwards a live process's reports to the checker.
  class Observer final : public ReplicaObserver {
   public:
    Observer(PartitionCluster& cluster, Process& process) : cluster_(cluster), process_(process) {}
    void OnCommit(uint8_t replica, GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!process_.dead) cluster_.OnCommit(replica, op, checksum);
    }
    void OnFailStop(uint8_t replica, const absl::Status& cause) override {
      if (!process_.dead) cluster_.Violation(absl::StrCat("replica ", int{replica}, " failed: ", cause.ToString()));
    }
    void OnStateSync(uint8_t replica, GroupId group, uint64_t op, absl::uint128 checksum) override {
      if (!process_.dead) cluster_.OnStateSync(replica, op, checksum);
    }

   private:
    PartitionCluster& cluster_;
    Process& process_;
  };
  struct Process {
    Process(PartitionCluster& cluster, sim::SimStorage& storage, sim::SimNetwork& network, sim::SimLoop& loop)
        : storage(storage, loop), network(network), observer(cluster, *this) {}
    sim::ProcessStorage storage;
    sim::ProcessNetwork network;
    Observer observer;
    bool dead = false;
    std::unique_ptr<Replica> replica;  // declared last: destroyed first
    PartitionGroupLog* log = nullptr;
  };
  struct Node {
    std::unique_ptr<sim::SimStorage> storage;
    std::unique_ptr<sim::SimNetwork> network;
    std::unique_ptr<Process> process;
    uint64_t reported = 0;
    uint64_t boot = 0;
  };

  void Restored(uint8_t index, VsrState state, std::unique_ptr<PartitionGroupLog> log) {
    Node& node = nodes_[index];
    // Nothing committed may be lost or changed: the recovered chain holds the
    // committed checksums up to what recovery proved committed.
    const uint64_t through = std::min(log->last_op(), log->recovered_commit());
    for (uint64_t op = log->base_op() + 1; op <= through && op <= committed_.size(); ++op) {
      const std::optional<absl::uint128> checksum = log->ChecksumAt(op);
      if (checksum.has_value() && *checksum != committed_[op - 1]) {
        Violation(absl::StrCat("replica ", int{index}, " recovered op ", op, " with another checksum"));
      }
    }
    PartitionGroupLog* raw = log.get();
    std::vector<RecoveredGroup> groups;
    groups.push_back({.id = Group(), .log = std::move(log)});
    ReplicaOptions options = replica_options_;
    options.cluster = kCluster;
    options.replica_index = index;
    options.replica_count = replica_count_;
    Process& process = *node.process;
    absl::StatusOr<std::unique_ptr<Replica>> replica = Replica::Restore(
        options, loop_, process.network, process.storage, std::move(state), std::move(groups), &process.observer);
    if (!replica.ok()) return Violation(absl::StrCat("replica ", int{index}, ": ", replica.status().ToString()));
    process.replica = *std::move(replica);
    process.log = raw;
    node.reported = process.replica->commit(Group());
  }

  void OnCommit(uint8_t replica, uint64_t op, absl::uint128 checksum) {
    Node& node = nodes_[replica];
    if (op != node.reported + 1) {
      return Violation(absl::StrCat("replica ", int{replica}, " committed op ", op, " after op ", node.reported));
    }
    node.reported = op;
    if (op > committed_.size()) {
      committed_.push_back(checksum);
    } else if (committed_[op - 1] != checksum) {
      Violation(absl::StrCat("replica ", int{replica}, " committed op ", op, " with another checksum"));
    }
  }
  // A sync installs a committed op with its committed checksum, after what it reported.
  void OnStateSync(uint8_t replica, uint64_t op, absl::uint128 checksum) {
    ++state_syncs_;
    Node& node = nodes_[replica];
    if (op > committed_.size() || committed_[op - 1] != checksum || op <= node.reported) {
      return Violation(absl::StrCat("replica ", int{replica}, " installed op ", op, " not a committed one above ",
                                    node.reported));
    }
    node.reported = op;
  }
  void Violation(std::string message) {
    if (violation_.empty()) violation_ = std::move(message);
  }
  // Destroys the dead processes with nothing left in flight; true once none is left.
  bool Reap() {
    std::erase_if(dead_, [](const std::unique_ptr<Process>& process) { return process->storage.idle(); });
    return dead_.empty();
  }

  uint8_t replica_count_;
  ReplicaOptions replica_options_;
  sim::SimLoop loop_;
  sim::PacketSimulator packets_;
  std::vector<Node> nodes_;
  std::vector<std::unique_ptr<Process>> dead_;
  std::vector<absl::uint128> committed_;  // op N at [N-1]
  std::string violation_;
  uint64_t state_syncs_ = 0;
  uint64_t next_message_id_ = 1;
};

class PartitionClusterSync : public ::testing::TestWithParam<uint8_t> {
 protected:
  uint8_t n() const { return GetParam(); }

  static ReplicaOptions Options() {
    ReplicaOptions options;
    options.sync_chunk_size_max_bytes = 16;  // the snapshot takes several chunks
    return options;
  }

  // Commits `batches` batches with an offset store after every third, for consumer
  // `consumer`, each store pointing at a committed message.
  static void CommitSome(PartitionCluster& cluster, uint32_t batches, uint32_t consumer) {
    for (uint32_t i = 0; i < batches; ++i) {
      ASSERT_TRUE(cluster.SubmitAccepted(wire::Operation::kSendMessages, 3)) << cluster.Describe();
      if (i % 3 == 2) {
        const uint64_t offset = cluster.committed() > 0 ? i : 0;
        ASSERT_TRUE(cluster.SubmitAccepted(wire::Operation::kStoreConsumerOffset, 0,
                                           partition::EncodeStoreOffset({{partition::ConsumerKind::kConsumer,
                                                                          consumer + i % 2},
                                                                         offset})))
            << cluster.Describe();
      }
    }
  }

  // Starts, commits a few ops, takes a backup down, commits many more and a retention
  // step dropping every sealed segment: every live replica's base passes the backup's
  // log. Returns the backup.
  uint8_t LeaveABackupBehindTheAnchor(PartitionCluster& cluster) {
    cluster.Start();
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000)) << cluster.Describe();
    CommitSome(cluster, 6, 1);
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Converged(); }, 1000)) << cluster.Describe();
    const uint8_t backup = static_cast<uint8_t>((*cluster.Primary() + 1) % n());
    const uint64_t backup_last = cluster.log(backup)->last_op();
    cluster.Crash(backup);
    CommitSome(cluster, 30, 3);
    const uint8_t primary = *cluster.Primary();
    const std::vector<partition::SegmentInfo>& segments = cluster.log(primary)->partition().segments();
    EXPECT_GE(segments.size(), 3u) << cluster.Describe();
    const uint64_t cutoff = segments.back().first_op;  // every sealed segment goes
    EXPECT_TRUE(cluster.SubmitAccepted(wire::Operation::kPartitionRetention, 0, partition::EncodeRetention(cutoff)));
    CommitSome(cluster, 3, 5);  // and a few entries above the new anchor
    EXPECT_TRUE(cluster.RunUntil([&] { return cluster.Converged(backup); }, 1000)) << cluster.Describe();
    for (uint8_t r = 0; r < n(); ++r) {
      if (r == backup) continue;
      EXPECT_GT(cluster.log(r)->base_op(), backup_last) << cluster.Describe();
      EXPECT_TRUE(cluster.log(r)->ServedSnapshot().has_value()) << "replica " << int{r};
      EXPECT_EQ(cluster.log(r)->ServedSnapshot(), cluster.log(primary)->ServedSnapshot())
          << "every replica at the same anchor serves the same snapshot";
    }
    return backup;
  }

  // Every replica converged and holds the same partition: chain, offsets, messages.
  static void ExpectConvergesToOnePartition(PartitionCluster& cluster, uint8_t replicas, uint64_t max_ticks) {
    const bool converged = cluster.RunUntil([&] { return cluster.Converged(); }, max_ticks);
    ASSERT_TRUE(cluster.violation().empty()) << cluster.violation() << "\n" << cluster.Describe();
    ASSERT_TRUE(converged) << "no convergence within " << max_ticks << " ticks\n" << cluster.Describe();
    const partition::PartitionLog& reference = cluster.log(0)->partition();
    for (uint8_t r = 1; r < replicas; ++r) {
      const partition::PartitionLog& other = cluster.log(r)->partition();
      EXPECT_EQ(cluster.log(r)->last_checksum(), cluster.log(0)->last_checksum()) << "replica " << int{r};
      EXPECT_EQ(other.consumer_offsets().offsets, reference.consumer_offsets().offsets) << "replica " << int{r};
      EXPECT_EQ(other.committed_next_offset(), reference.committed_next_offset()) << "replica " << int{r};
      EXPECT_EQ(other.segments(), reference.segments()) << "replica " << int{r} << ": the same segment boundaries";
    }
  }
};

TEST_P(PartitionClusterSync, BackupBehindThePeersAnchorCatchesUpByStateSync_B15) {
  PartitionCluster cluster(n(), /*seed=*/41, Options());
  const uint8_t backup = LeaveABackupBehindTheAnchor(cluster);
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  cluster.Restart(backup);
  ExpectConvergesToOnePartition(cluster, n(), 3000);
  EXPECT_GE(cluster.state_syncs(), 1u);
  EXPECT_GE(cluster.replica(backup)->counters().syncs_installed, 1u);
  EXPECT_GT(cluster.replica(backup)->counters().sync_chunks_staged, 1u) << "several chunks";
  EXPECT_EQ(cluster.log(backup)->base_op(), cluster.log(*cluster.Primary())->base_op());
}

TEST_P(PartitionClusterSync, CrashInTheMiddleOfTheSyncResumesFromItsStaging_B15) {
  PartitionCluster cluster(n(), /*seed=*/42, Options());
  const uint8_t backup = LeaveABackupBehindTheAnchor(cluster);
  ASSERT_TRUE(cluster.violation().empty()) << cluster.violation();
  cluster.Restart(backup);
  // Checked after every event: a sync of a few chunks takes less than a tick.
  const bool mid_sync = cluster.loop().RunUntil(
      [&] {
        Replica* replica = cluster.replica(backup);
        if (replica == nullptr) return false;
        const std::optional<StagedSnapshot> progress = replica->sync_progress(Group());
        return progress.has_value() && progress->staged_bytes > 0 && progress->staged_bytes < progress->id.size_bytes;
      },
      cluster.loop().MonotonicNs() + 2000 * io::kTickNs);
  ASSERT_TRUE(mid_sync) << cluster.Describe();
  cluster.Crash(backup);
  cluster.Restart(backup);
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.replica(backup) != nullptr; }, 100)) << cluster.Describe();
  ASSERT_TRUE(cluster.log(backup)->Staged().has_value()) << "the staging survived the crash";
  EXPECT_GT(cluster.log(backup)->Staged()->staged_bytes, 0u);
  ExpectConvergesToOnePartition(cluster, n(), 3000);
  EXPECT_GT(cluster.replica(backup)->counters().sync_bytes_resumed, 0u) << "resumed, not started over";
  EXPECT_GE(cluster.state_syncs(), 1u);
  EXPECT_EQ(cluster.log(backup)->base_op(), cluster.log(*cluster.Primary())->base_op());
}

INSTANTIATE_TEST_SUITE_P(Replicas, PartitionClusterSync, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr
