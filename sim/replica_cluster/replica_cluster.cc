#include "sim/replica_cluster/replica_cluster.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/metadata_store/format_metadata.h"
#include "core/wire/command.h"
#include "core/wire/header.h"
#include "sim/cluster/cluster_setup.h"

namespace sluice::sim {
namespace {

constexpr absl::uint128 kCluster = 0x5A1CE0C1;

}  // namespace

ReplicaCluster::ReplicaCluster(ReplicaClusterOptions options)
    : options_(std::move(options)),
      packets_(loop_, ClusterPacketOptions(options_.seed, options_.replica_count, options_.network)) {
  SLUICE_ASSERT(options_.replica_count >= 1, "a cluster needs a replica");
  nodes_.resize(options_.replica_count);
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    nodes_[index].storage = std::make_unique<SimStorage>(
        loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kClusterStorageSeed + index)});
    nodes_[index].network = std::make_unique<SimNetwork>(packets_, index, io::kFrameSizeMaxBytesDefault);
  }
}

ReplicaCluster::~ReplicaCluster() {
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (nodes_[index].process != nullptr) Crash(index, base::Ratio::Never());
  }
  loop_.RunUntil(
      [&] {
        Reap();
        return dead_.empty();
      },
      UINT64_MAX);
  SLUICE_ASSERT(dead_.empty(), "a dead process still waits for completions");
}

void ReplicaCluster::Reap() {
  std::erase_if(dead_, [](const std::unique_ptr<Process>& process) { return process->storage.idle(); });
}

replica::ClusterReplicaOptions ReplicaCluster::OptionsFor(uint8_t index) const {
  replica::ClusterReplicaOptions options;
  options.identity.cluster_id = kCluster;
  options.identity.replica_index = index;
  options.identity.replica_count = options_.replica_count;
  options.journal = {.cluster = kCluster, .slot_count = options_.slot_count, .message_size_max = 64 * 1024};
  options.checkpoint_interval_ops = options_.checkpoint_interval_ops;
  options.vsr = options_.replica;
  options.pipeline_bytes_max = options_.pipeline_bytes_max;
  // Small segments and indexes: the simulated disk holds every replica's files.
  options.partitions.index_entries_reserved = 64;
  options.partitions.group_commit_bytes_max = 256 * 1024;
  return options;
}

void ReplicaCluster::StartProcess(uint8_t index) {
  Node& node = nodes_[index];
  node.process = std::make_unique<Process>(*this, index, *node.storage, *node.network, loop_);
  node.boot_failed = false;
  node.refusal.clear();
  node.sync_failures_at_start = node.storage->fault_counts().sync_failures;
}

void ReplicaCluster::Format(uint8_t index, bool recovering, absl::AnyInvocable<void(absl::Status)> then) {
  const replica::ClusterReplicaOptions options = OptionsFor(index);
  metadata_store::MetadataFormat format;
  format.identity.cluster_id = kCluster;
  format.identity.replica_index = index;
  format.identity.replica_count = options_.replica_count;
  format.identity.recovering = recovering;
  format.journal = options.journal;
  format.identity.namespace_widths = format.config.widths;
  io::Spawn(metadata_store::FormatMetadata(nodes_[index].process->storage, format), std::move(then));
}

void ReplicaCluster::Start() {
  uint64_t formatted = 0;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    StartProcess(index);
    nodes_[index].network->SetHandler(&nodes_[index].process->network);
    Format(index, /*recovering=*/false, [this, &formatted](absl::Status status) {
      if (!status.ok()) Violation(absl::StrCat("format: ", status.ToString()));
      ++formatted;
    });
  }
  SLUICE_ASSERT(loop_.RunUntil([&] { return formatted == options_.replica_count; }, UINT64_MAX),
                "format did not finish");
  for (uint8_t index = 0; index < options_.replica_count; ++index) Boot(index);
  loop_.RunUntil(
      [&] {
        if (!violation_.empty()) return true;
        for (const Node& node : nodes_) {
          if (node.process->replica == nullptr) return false;
        }
        return true;
      },
      UINT64_MAX);
}

void ReplicaCluster::Boot(uint8_t index) {
  Node& node = nodes_[index];
  const uint64_t boot = node.boot;
  replica::ClusterReplicaOptions options = OptionsFor(index);
  // The identity's widths must be the formatted ones.
  options.identity.widths = metadata::MetadataConfig{}.widths;
  Process& process = *node.process;
  io::Spawn(replica::ClusterReplica::Open(process.storage, loop_, process.watch, std::move(options), &process.observer),
            [this, index, boot](absl::StatusOr<std::unique_ptr<replica::ClusterReplica>> replica) {
              Node& node = nodes_[index];
              if (node.boot != boot || node.process == nullptr) return;  // crashed meanwhile
              if (!replica.ok()) {
                if (FailStopExpected(index)) {
                  // A sync failed during boot: the boot stops (B1); the harness restarts it.
                  node.boot_failed = true;
                  ++expected_fail_stops_;
                  return;
                }
                if (!node.refusal_expected.empty() &&
                    absl::StrContains(replica.status().message(), node.refusal_expected)) {
                  node.refusal = replica.status().ToString();
                  return;
                }
                return Violation(absl::StrCat("replica ", int{index}, " cannot boot: ", replica.status().ToString()));
              }
              node.process->replica = *std::move(replica);
              ++boots_;
              if (options_.check_promises) CheckPromisesKept(index);

              Mix(0xB007, index, node.process->replica->metadata().last_applied_op);
            });
}

void ReplicaCluster::RecordDurable(uint8_t index) {
  Node& node = nodes_[index];
  replica::ClusterReplica* replica = node.process == nullptr ? nullptr : node.process->replica.get();
  if (replica == nullptr) return;  // died booting: it acknowledged nothing new since the last record
  node.durable_at_death.clear();
  vsr::Replica& consensus = replica->consensus();
  for (const vsr::GroupId group : consensus.groups()) node.durable_at_death[group] = consensus.log(group).durable_op();
}

// B4 ("prepares acknowledged before a crash are never lost after it"), and with it
// B2, B5 and B7 at the replica's own level: recovery may find entries faulty (then
// they count, repaired from peers and never nacked) but never loses one its previous
// process had made durable — a replica that forgot an op it acknowledged could nack
// it in a view change, and a committed op could go. Groups deleted meanwhile are
// gone; a wiped disk forgets by design (B17: the replica is not a voter until synced).
void ReplicaCluster::CheckPromisesKept(uint8_t index) {
  Node& node = nodes_[index];
  vsr::Replica& consensus = node.process->replica->consensus();
  for (const auto& [group, durable] : node.durable_at_death) {
    if (!consensus.has_group(group)) continue;
    const vsr::GroupLog& log = consensus.log(group);
    if (log.faulty_head_op() >= durable) continue;
    Violation(absl::StrCat("replica ", int{index}, " forgot op ", durable, " of group ", group.namespace_id, "/",
                           group.incarnation, ", which it had made durable (and may have acknowledged) before it ",
                           "went down: it recovered ops up to ", log.last_op(), ", faulty up to ", log.faulty_head_op(),
                           " (rules B4, B7: recovery never loses an acknowledged entry)"));
    return;
  }
}

void ReplicaCluster::Crash(uint8_t index, std::optional<base::Ratio> lands) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process != nullptr, "crash of replica ", int{index}, ", which is down");
  RecordDurable(index);
  ++node.boot;
  node.fail_stop_expected = false;
  Process& process = *node.process;
  if (process.replica != nullptr) past_faulty_ops_ += process.replica->recovered_faulty_ops();
  process.network.Kill();
  process.watch.Kill();
  process.observer.Kill();
  process.storage.Kill();
  node.network->Crash();
  node.storage->CrashMachine(lands.value_or(options_.crash_sector_lands));
  dead_.push_back(std::move(node.process));
  Mix(0xC4A5, index, node.boot);
}

void ReplicaCluster::StopProcess(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process != nullptr, "stop of replica ", int{index}, ", which is down");
  RecordDurable(index);
  ++node.boot;
  node.fail_stop_expected = false;
  Process& process = *node.process;
  if (process.replica != nullptr) past_faulty_ops_ += process.replica->recovered_faulty_ops();
  process.network.Kill();
  process.watch.Kill();
  process.observer.Kill();
  process.storage.Kill();
  node.network->Crash();
  node.storage->RestartProcess();
  dead_.push_back(std::move(node.process));
  Mix(0x5709, index, node.boot);
}

void ReplicaCluster::Restart(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process == nullptr, "restart of a live replica");
  if (node.formatting) return FormatNewDisk(index);
  StartProcess(index);
  node.network->Restart(&node.process->network);
  Boot(index);
}

void ReplicaCluster::Wipe(uint8_t index) {
  Node& node = nodes_[index];
  SLUICE_ASSERT(node.process == nullptr, "wipe of a live replica");
  ++wipes_;
  FormatNewDisk(index);
}

void ReplicaCluster::FormatNewDisk(uint8_t index) {
  Node& node = nodes_[index];
  ++node.boot;
  ++disks_;
  node.durable_at_death.clear();  // the disk is lost (B17)
  node.refusal_expected.clear();
  Mix(0x3193, index, node.boot);
  lost_sync_failures_ += node.storage->fault_counts().sync_failures;
  // A new, empty disk; the old one stays alive for the dead processes still using it.
  lost_storage_.push_back(std::move(node.storage));
  node.storage = std::make_unique<SimStorage>(
      loop_, SimStorageOptions{.seed = base::DeriveSeed(options_.seed, kClusterStorageSeed + 1000 * disks_ + index)});
  node.formatting = true;
  StartProcess(index);
  node.network->Restart(&node.process->network);
  const uint64_t boot = node.boot;
  Format(index, /*recovering=*/true, [this, index, boot](absl::Status status) {
    Node& node = nodes_[index];
    if (node.boot != boot || node.process == nullptr) return;  // crashed meanwhile
    if (!status.ok()) {
      if (FailStopExpected(index)) {
        node.boot_failed = true;
        ++expected_fail_stops_;
        return;
      }
      return Violation(absl::StrCat("format --recover of replica ", int{index}, ": ", status.ToString()));
    }
    node.formatting = false;
    Boot(index);
  });
}

bool ReplicaCluster::SyncFailedInProcess(uint8_t index) const {
  const Node& node = nodes_[index];
  return node.storage->fault_counts().sync_failures > node.sync_failures_at_start;
}

bool ReplicaCluster::FailStopExpected(uint8_t index) const {
  return nodes_[index].fail_stop_expected || SyncFailedInProcess(index);
}

absl::Status ReplicaCluster::AckWatch::Send(io::PeerId to, ByteSpan frame) {
  if (dead_ || frame.size() <= wire::header_offset::kCommand) return base_.Send(to, frame);
  const auto command = static_cast<wire::Command>(frame[wire::header_offset::kCommand]);
  if (command == wire::Command::kPrepareOk && cluster_.SyncFailedInProcess(index_)) {
    cluster_.Violation(absl::StrCat("replica ", int{index_}, " sent prepare_ok after a failed fsync (rule B1)"));
  }
  // B17: until it has caught up, a replica formatted with --recover never votes. (It
  // may send a start_view_change to ask for the next view once caught up in a view at
  // or below its floor: that is no promise, the voters run the view change.)
  replica::ClusterReplica* replica = cluster_.replica(index_);
  if (replica != nullptr && replica->consensus().recovering() &&
      (command == wire::Command::kPrepareOk || command == wire::Command::kDoViewChange)) {
    cluster_.Violation(absl::StrCat("replica ", int{index_}, ", recovering after format --recover, sent command ",
                                    static_cast<int>(command), " (a vote, rule B17)"));
  }
  return base_.Send(to, frame);
}

void ReplicaCluster::OnFailStop(uint8_t replica, const absl::Status& cause) {
  Node& node = nodes_[replica];
  // A partition opened after the boot (its creating op replayed) refuses the same way.
  if (!node.refusal_expected.empty() && absl::StrContains(cause.message(), node.refusal_expected)) {
    node.refusal = cause.ToString();
    return;
  }
  if (!FailStopExpected(replica)) {
    return Violation(absl::StrCat("replica ", int{replica}, " fail-stopped: ", cause.ToString()));
  }
  ++expected_fail_stops_;
}

bool ReplicaCluster::fail_stopped(uint8_t index) {
  const Node& node = nodes_[index];
  if (node.process == nullptr) return false;
  if (node.boot_failed) return true;
  return node.process->replica != nullptr && node.process->replica->failed() && FailStopExpected(index);
}

void ReplicaCluster::InjectSyncFailure(uint8_t index, const std::string& path, SyncOutcome outcome) {
  nodes_[index].storage->InjectSyncFailure(path, outcome);
  Mix(0x5F41, index, base::Checksum128(base::AsBytes(path)));
}

uint64_t ReplicaCluster::recovered_faulty_ops() {
  uint64_t faulty = past_faulty_ops_;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    if (replica(index) != nullptr) faulty += replica(index)->recovered_faulty_ops();
  }
  return faulty;
}

uint64_t ReplicaCluster::sync_failures() const {
  uint64_t failures = lost_sync_failures_;
  for (const Node& node : nodes_) failures += node.storage->fault_counts().sync_failures;
  return failures;
}

bool ReplicaCluster::state_syncing(uint8_t index) {
  replica::ClusterReplica* live = replica(index);
  if (live == nullptr || live->failed()) return false;
  for (const vsr::GroupId group : live->consensus().groups()) {
    if (live->consensus().sync_progress(group).has_value()) return true;
  }
  return false;
}

void ReplicaCluster::OnStateSync(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) {
  ++state_syncs_;
  Mix(0x5C5C ^ (uint64_t{replica} << 56), op, checksum ^ group.namespace_id);
}

void ReplicaCluster::OnVoter(uint8_t replica) {
  ++voters_restored_;
  Mix(0x707E, replica, 0);
}

std::optional<uint8_t> ReplicaCluster::Primary() {
  return FindPrimary(options_.replica_count, [this](uint8_t index) -> vsr::Replica* {
    replica::ClusterReplica* live = replica(index);
    return live == nullptr || live->failed() ? nullptr : &live->consensus();
  });
}

absl::Status ReplicaCluster::SubmitMetadata(wire::Operation operation, Bytes body,
                                            replica::ClusterReplica::MetadataReply on_reply) {
  return SubmitMetadata({.operation = operation, .body = std::move(body)}, std::move(on_reply));
}

absl::Status ReplicaCluster::SubmitMetadata(metadata_store::MetadataRequest request,
                                            replica::ClusterReplica::MetadataReply on_reply) {
  const std::optional<uint8_t> primary = Primary();
  if (!primary.has_value()) return absl::UnavailableError("no primary");
  return replica(*primary)->SubmitMetadata(std::move(request), std::move(on_reply));
}

absl::Status ReplicaCluster::SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                                             ByteSpan body, replica::ClusterReplica::PartitionReply on_reply) {
  const std::optional<uint8_t> primary = Primary();
  if (!primary.has_value()) return absl::UnavailableError("no primary");
  return replica(*primary)->SubmitPartition(namespace_id, incarnation, operation, body, std::move(on_reply));
}

void ReplicaCluster::RunTicks(uint64_t ticks) {
  const uint64_t duration = ticks * io::kTickNs;
  const uint64_t deadline = loop_.MonotonicNs() + duration;
  loop_.ScheduleAfterNs(duration, [] {});
  loop_.RunUntil([] { return false; }, deadline);
  Reap();
}

void ReplicaCluster::RunUntilNs(uint64_t deadline_ns) {
  loop_.RunUntil([] { return false; }, deadline_ns);
  Reap();
}

bool ReplicaCluster::Converged() {
  std::optional<uint32_t> view;
  std::map<vsr::GroupId, uint64_t> commits;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    replica::ClusterReplica* replica = this->replica(index);
    if (replica == nullptr || replica->failed() || !replica->settled()) return false;
    vsr::Replica& consensus = replica->consensus();
    if (consensus.status() != vsr::Status::kNormal || consensus.recovering()) return false;
    if (view.has_value() && *view != consensus.view()) return false;
    view = consensus.view();
    if (index == 0) {
      for (const vsr::GroupId group : consensus.groups()) commits[group] = consensus.commit(group);
    } else {
      const std::vector<vsr::GroupId> groups = consensus.groups();
      if (groups.size() != commits.size()) return false;
      for (const vsr::GroupId group : groups) {
        const auto it = commits.find(group);
        if (it == commits.end() || it->second != consensus.commit(group)) return false;
      }
    }
    for (const vsr::GroupId group : consensus.groups()) {
      if (consensus.head_op(group) != consensus.commit(group)) return false;
    }
  }
  return true;
}

void ReplicaCluster::Violation(std::string message) {
  if (violation_.empty()) violation_ = std::move(message);
}

void ReplicaCluster::Mix(uint64_t a, uint64_t b, absl::uint128 c) {
  uint8_t bytes[48];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(a >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(b >> (8 * i));
  }
  for (int i = 0; i < 16; ++i) {
    bytes[16 + i] = static_cast<uint8_t>(c >> (8 * i));
    bytes[32 + i] = static_cast<uint8_t>(digest_ >> (8 * i));
  }
  digest_ = base::Checksum128(ByteSpan(bytes, sizeof(bytes)));
}

void ReplicaCluster::OnCommit(uint8_t replica, vsr::GroupId group, uint64_t op, absl::uint128 checksum) {
  const auto [it, first] = committed_.try_emplace({group, op}, checksum);
  if (!first && it->second != checksum) {
    Violation(absl::StrCat("hash-chain agreement: replica ", int{replica}, " committed op ", op, " of group ",
                           group.namespace_id, "/", group.incarnation, " with another checksum than a peer did"));
  }
  Mix(group.namespace_id ^ (uint64_t{replica} << 56), op, checksum);
}

void ReplicaCluster::OnMetadataApplied(uint8_t replica, uint64_t op, absl::uint128 digest) {
  const auto [it, first] = applied_.try_emplace(op, digest);
  if (!first && it->second != digest) {
    Violation(absl::StrCat("applied-state agreement: replica ", int{replica}, "'s metadata at op ", op,
                           " differs from a peer's"));
  }
}

std::string ReplicaCluster::Describe() {
  std::string out;
  for (uint8_t index = 0; index < options_.replica_count; ++index) {
    replica::ClusterReplica* replica = this->replica(index);
    if (replica == nullptr) {
      absl::StrAppend(&out, "replica ", int{index}, down(index) ? " down\n" : " booting\n");
      continue;
    }
    absl::StrAppend(&out, "metadata applied ", replica->metadata().last_applied_op,
                    replica->settled() ? " settled " : " unsettled ", replica->consensus().DebugString());
  }
  return out;
}

}  // namespace sluice::sim
