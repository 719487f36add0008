#include "sim/replica_cluster/cluster_faults.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/storage.h"
#include "core/journal/journal_layout.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"
#include "core/superblock/superblock_format.h"
#include "core/wire/header.h"

namespace sluice::sim {
namespace {

// Sub-seed of the run's seed for the fault driver (the workload's own draws keep
// their stream, so a seed with every fault here off replays as before).
constexpr uint64_t kFaultsSeed = 11;
// The segment removals' own sub-seed: the draws above stay as they were.
constexpr uint64_t kRemovalSeed = 12;
// The words of B5's refusal of a missing segment (core/bootstrap/lost_state_record.h).
constexpr char kRemovalRefusal[] = "is missing (rule B5)";

// Storage completions after a restart within which a boot may be cut short: a boot
// reads the superblock copies, the WAL and each partition, so this reaches into
// every stage for small clusters.
constexpr uint64_t kBootCrashOperationsMax = 60;

}  // namespace

ClusterFaults::ClusterFaults(uint64_t seed, ReplicaCluster& cluster, base::Ratio lands,
                             std::function<void(const std::string&)> trace)
    : cluster_(cluster),
      lands_(lands),
      trace_(std::move(trace)),
      prng_(base::DeriveSeed(seed, kFaultsSeed)),
      removal_prng_(base::DeriveSeed(seed, kRemovalSeed)) {
  // Each kind is off for about half of the seeds.
  const bool sync_failures = prng_.UniformBelow(2) == 0;
  sync_failure_odds_ = sync_failures ? 5 + prng_.UniformBelow(40) : 0;
  const bool corruption = prng_.UniformBelow(2) == 0;
  corrupt_odds_ = corruption ? 2 + prng_.UniformBelow(6) : 0;
  const bool wipes = prng_.UniformBelow(2) == 0;
  wipe_odds_ = wipes ? 1 + prng_.UniformBelow(3) : 0;
  const bool boot_crashes = prng_.UniformBelow(2) == 0;
  boot_crash_odds_ = boot_crashes ? 1 + prng_.UniformBelow(4) : 0;
  const bool sync_crashes = prng_.UniformBelow(2) == 0;
  sync_crashes_max_ = sync_crashes ? 1 + prng_.UniformBelow(2) : 0;
  damaged_.assign(cluster_.replica_count(), false);
  const bool removals = removal_prng_.UniformBelow(2) == 0;
  removal_odds_ = removals ? 1 + removal_prng_.UniformBelow(3) : 0;
}

std::string ClusterFaults::Describe() const {
  return absl::StrCat("sync failures ", sync_failure_odds_, "/1000 steps, crash lands ", lands_.numerator, "/",
                      lands_.denominator, ", corruption ", corrupt_odds_, "/8 restarts, wipes ", wipe_odds_,
                      "/8 restarts, boot crashes ", boot_crash_odds_, "/8 restarts, state-sync crashes <= ",
                      sync_crashes_max_, ", segment removals ", removal_odds_, "/8 restarts");
}

uint8_t ClusterFaults::DownCount() const {
  uint8_t down = 0;
  for (uint8_t i = 0; i < cluster_.replica_count(); ++i) down += cluster_.down(i);
  return down;
}

bool ClusterFaults::MayCrash(uint8_t victim) const {
  // At most a minority down: the cluster must stay live for the workload.
  return !cluster_.down(victim) && DownCount() + 1 <= (cluster_.replica_count() - 1) / 2;
}

bool ClusterFaults::Healed(uint8_t index) {
  replica::ClusterReplica* replica = cluster_.replica(index);
  if (replica == nullptr || replica->failed()) return false;
  vsr::Replica& consensus = replica->consensus();
  if (consensus.recovering() || consensus.status() != vsr::Status::kNormal) return false;
  const std::optional<uint8_t> primary_index = cluster_.Primary();
  if (!primary_index.has_value()) return false;
  vsr::Replica& primary = cluster_.replica(*primary_index)->consensus();
  for (const vsr::GroupId group : primary.groups()) {
    if (!consensus.has_group(group)) return false;
    const vsr::GroupLog& log = consensus.log(group);
    if (log.faulty_head_op() != log.last_op() || log.durable_op() != log.last_op()) return false;
    if (log.last_op() < primary.commit(group)) return false;
  }
  return true;
}

void ClusterFaults::Heal() {
  for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
    if (damaged_[index] && Healed(index)) {
      damaged_[index] = false;
      Trace(absl::StrCat("replica ", int{index}, " no longer damaged"));
    }
  }
}

bool ClusterFaults::OthersUndamaged(uint8_t victim) const {
  for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
    if (index != victim && damaged_[index]) return false;
  }
  return true;
}

void ClusterFaults::BeforeStep(bool inject) {
  Heal();
  for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
    if (!cluster_.boot_refusal(index).empty()) {
      RecreateRefused(index);
      continue;
    }
    if (!cluster_.fail_stopped(index)) continue;
    // B1: the replica stopped on a failed sync; its supervisor restarts it with the
    // page cache intact — or the machine went down meanwhile, and the pages the
    // failed sync covered are lost.
    const bool machine = inject && prng_.UniformBelow(4) == 0;
    if (machine) {
      Crash(index);
    } else {
      cluster_.StopProcess(index);
    }
    ++counts_.fail_stop_restarts;
    Trace(absl::StrCat("replica ", int{index}, " fail-stopped; ", machine ? "machine crashed, " : "", "restarted"));
    cluster_.Restart(index);
  }
  if (inject && sync_failure_odds_ > 0 && prng_.UniformBelow(1000) < sync_failure_odds_) InjectSyncFailure();
}

void ClusterFaults::InjectSyncFailure() {
  const uint8_t victim = static_cast<uint8_t>(prng_.UniformBelow(cluster_.replica_count()));
  if (cluster_.down(victim) || !OthersUndamaged(victim)) return;
  std::string path(journal::kJournalPath);
  const uint64_t target = prng_.UniformBelow(4);
  if (target == 1) {
    path = std::string(superblock::kSuperblockPath);
  } else if (target >= 2) {
    // A partition's segment or state record, if it has one.
    std::vector<std::string> files;
    for (const TreeEntry& entry : cluster_.storage(victim).file_system().Tree()) {
      if (entry.is_directory) continue;
      if (absl::EndsWith(entry.path, ".log") || absl::EndsWith(entry.path, "/partition.state")) {
        files.push_back(entry.path);
      }
    }
    if (!files.empty()) path = files[prng_.UniformBelow(files.size())];
  }
  const bool no_space = prng_.UniformBelow(4) == 0;
  cluster_.InjectSyncFailure(victim, path, no_space ? SyncOutcome::kNoSpace : SyncOutcome::kIoError);
  // What the failed sync covered is lost at the machine's next crash.
  damaged_[victim] = true;
  Trace(absl::StrCat("next sync of ", path, " on replica ", int{victim}, " fails", no_space ? " (ENOSPC)" : ""));
}

void ClusterFaults::Crash(uint8_t victim) {
  base::Ratio lands = lands_;
  const bool tears = lands.numerator != 0 && lands.numerator != lands.denominator;
  if (tears && !OthersUndamaged(victim)) {
    // Another replica's copy may be damaged: this one's unsynced sectors all land or
    // all vanish.
    lands = prng_.UniformBelow(2) == 0 ? base::Ratio::Never() : base::Ratio::Always();
  } else if (tears) {
    damaged_[victim] = true;
    ++counts_.torn_crashes;
  }
  cluster_.Crash(victim, lands);
}

void ClusterFaults::Restart(uint8_t victim) {
  Heal();
  if (wipe_odds_ > 0 && prng_.UniformBelow(8) < wipe_odds_ && OthersUndamaged(victim)) {
    damaged_[victim] = true;
    ++counts_.wipes;
    Trace(absl::StrCat("replica ", int{victim}, "'s directory is lost: format --recover"));
    cluster_.Wipe(victim);
  } else {
    if (corrupt_odds_ > 0 && prng_.UniformBelow(8) < corrupt_odds_ && OthersUndamaged(victim)) Corrupt(victim);
    if (removal_odds_ > 0 && removal_prng_.UniformBelow(8) < removal_odds_ && OthersUndamaged(victim)) {
      RemoveSegment(victim);
    }
    cluster_.Restart(victim);
  }
  if (boot_crash_odds_ == 0 || prng_.UniformBelow(8) >= boot_crash_odds_) return;
  SimStorage& storage = cluster_.storage(victim);
  const uint64_t target = storage.completed_operations() + 1 + prng_.UniformBelow(kBootCrashOperationsMax);
  cluster_.loop().RunUntil([&] { return !cluster_.booting(victim) || storage.completed_operations() >= target; },
                           cluster_.loop().MonotonicNs() + io::kTickNs);
  if (!cluster_.booting(victim)) return;
  ++counts_.boot_crashes;
  Trace(absl::StrCat("replica ", int{victim}, " crashes while booting"));
  Crash(victim);
}

void ClusterFaults::Corrupt(uint8_t victim) {
  const uint64_t kind = prng_.UniformBelow(3);
  if (kind == 1 && CorruptPartitionFile(victim, /*segment=*/true)) return;
  if (kind == 2 && CorruptPartitionFile(victim, /*segment=*/false)) return;
  CorruptWal(victim);
}

void ClusterFaults::CorruptWal(uint8_t victim) {
  // An op above the live replicas' checkpoints (below one, the WAL's copy no longer
  // counts) and at most the commit point.
  uint64_t commit = 0;
  uint64_t base = UINT64_MAX;
  for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
    if (index == victim || cluster_.replica(index) == nullptr) continue;
    const vsr::Replica& consensus = cluster_.replica(index)->consensus();
    commit = std::max(commit, consensus.commit(replica::kMetadataGroup));
    base = std::min(base, consensus.log(replica::kMetadataGroup).base_op());
  }
  if (commit <= base || base == UINT64_MAX) return;
  const journal::JournalLayout layout(cluster_.journal_options());
  const uint64_t op = commit - prng_.UniformBelow(std::min(commit - base, layout.slot_count() / 2));
  const bool in_header = prng_.UniformBelow(2) == 0;
  const uint64_t slot = layout.SlotOf(op);
  // The header (of the header copy or of the prepare): every byte of it is checksummed.
  const uint64_t byte = prng_.UniformBelow(wire::kHeaderSize);
  const uint64_t offset = (in_header ? layout.HeaderOffset(slot) : layout.PrepareOffset(slot)) + byte;
  const uint8_t bit = static_cast<uint8_t>(prng_.UniformBelow(8));
  if (!cluster_.storage(victim).InjectBitFlip(std::string(journal::kJournalPath), offset, bit).ok()) return;
  damaged_[victim] = true;
  ++counts_.wal_corruptions;
  Trace(absl::StrCat("bit flip in replica ", int{victim}, "'s WAL, op ", op, in_header ? " header copy" : " prepare",
                     " offset ", offset));
}

bool ClusterFaults::CorruptPartitionFile(uint8_t victim, bool segment) {
  std::vector<std::pair<std::string, uint64_t>> files;  // (path, size)
  for (const TreeEntry& entry : cluster_.storage(victim).file_system().Tree()) {
    if (entry.is_directory || entry.contents.empty()) continue;
    if (segment ? absl::EndsWith(entry.path, ".log") : absl::EndsWith(entry.path, "/partition.state")) {
      files.push_back({entry.path, entry.contents.size()});
    }
  }
  if (files.empty()) return false;
  const auto& [path, size] = files[prng_.UniformBelow(files.size())];
  // In a segment, anywhere (entries are checksummed whole); in a state record, in the
  // checksummed bytes of either copy (its header and first segment's entry).
  uint64_t offset = 0;
  if (segment) {
    offset = prng_.UniformBelow(size);
  } else {
    const uint64_t copy = prng_.UniformBelow(2);
    const uint64_t byte = prng_.UniformBelow(partition::kStateRecordHeaderSize + 16);
    offset = std::min(size - 1, copy * partition::kStateSlotSize + byte);
  }
  const uint8_t bit = static_cast<uint8_t>(prng_.UniformBelow(8));
  if (!cluster_.storage(victim).InjectBitFlip(path, offset, bit).ok()) return false;
  damaged_[victim] = true;
  ++(segment ? counts_.segment_corruptions : counts_.state_record_corruptions);
  Trace(absl::StrCat("bit flip in replica ", int{victim}, "'s ", path, " at ", offset));
  return true;
}

void ClusterFaults::RemoveSegment(uint8_t victim) {
  // The segments each partition's state record lists (its valid copy with the higher
  // sequence) whose files are there: removing an unlisted one is no fault (recovery
  // removes strays itself).
  const std::vector<TreeEntry> tree = cluster_.storage(victim).file_system().Tree();
  std::vector<std::string> listed;
  for (const TreeEntry& entry : tree) {
    if (entry.is_directory || !absl::EndsWith(entry.path, "/partition.state")) continue;
    std::optional<partition::StateRecord> newest;
    for (uint64_t slot = 0; slot < 2; ++slot) {
      if (entry.contents.size() < (slot + 1) * partition::kStateSlotSize) break;
      const absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(
          ByteSpan(entry.contents).subspan(slot * partition::kStateSlotSize, partition::kStateSlotSize));
      if (record.ok() && (!newest.has_value() || record->sequence > newest->sequence)) newest = *record;
    }
    if (!newest.has_value()) continue;
    const std::string directory(io::ParentOf(entry.path));
    for (const partition::SegmentInfo& segment : newest->segments) {
      const std::string path = io::JoinPath(directory, partition::SegmentLogName(segment.first_op));
      if (std::any_of(tree.begin(), tree.end(), [&](const TreeEntry& file) { return file.path == path; })) {
        listed.push_back(path);
      }
    }
  }
  if (listed.empty()) return;
  const std::string& path = listed[removal_prng_.UniformBelow(listed.size())];
  if (!cluster_.storage(victim).RemoveBehindBack(path).ok()) return;
  damaged_[victim] = true;
  ++counts_.segment_removals;
  // A missing active segment (or one of a trimmed log) is refused, and that is right.
  cluster_.ExpectBootRefusal(victim, kRemovalRefusal);
  Trace(absl::StrCat("segment ", path, " removed from replica ", int{victim}, "'s disk while it is down"));
}

void ClusterFaults::RecreateRefused(uint8_t index) {
  Trace(absl::StrCat("replica ", int{index}, " refused to boot: ", cluster_.boot_refusal(index),
                     "; the operator re-creates it with format --recover"));
  ++counts_.removal_refusals;
  ++counts_.wipes;  // a format --recover like any other
  damaged_[index] = true;
  cluster_.Crash(index, base::Ratio::Always());
  cluster_.Wipe(index);
}

void ClusterFaults::RunTicks(uint64_t ticks) {
  if (counts_.sync_crashes >= sync_crashes_max_) return cluster_.RunTicks(ticks);
  std::optional<uint8_t> victim;
  uint64_t deadline_ns = 0;
  const bool syncing = cluster_.RunTicksUnless(
      ticks,
      [&] {
        for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
          if (cluster_.state_syncing(index) && MayCrash(index)) {
            victim = index;
            return true;
          }
        }
        return false;
      },
      &deadline_ns);
  if (syncing) {
    ++counts_.sync_crashes;
    Trace(absl::StrCat("replica ", int{*victim}, " crashes in the middle of a state sync"));
    Crash(*victim);
  }
  cluster_.RunUntilNs(deadline_ns);
}

ClusterFaultCounts ClusterFaults::counts() const {
  ClusterFaultCounts counts = counts_;
  counts.sync_failures = cluster_.sync_failures();
  counts.fail_stops = cluster_.expected_fail_stops();
  counts.voters_restored = cluster_.voters_restored();
  counts.state_syncs = cluster_.state_syncs();
  counts.faulty_ops = cluster_.recovered_faulty_ops();
  return counts;
}

}  // namespace sluice::sim
