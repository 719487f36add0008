#pragma once
// Bootstrap step 4 (DESIGN.md "Bootstrap"): every partition the recovered metadata
// has is recovered from its directory, and directories of incarnations the metadata
// no longer has are removed.
//
// Which partitions must already exist (rule B5) and which may be created now:
//   - a partition whose creating op (its incarnation) is at or below
//     `created_through_op` was created before that op's effects were checkpointed:
//     its directory and state record must be there. PartitionLog::Open recovers it
//     (rules B1, B2, B3, B5, B7); a missing one is a clear error, never recreated;
//   - a partition created by a later op — one this boot replayed from the WAL — may
//     have been cut short by the crash (the metadata op committed, the partition's
//     files not yet durable). If its state record is durable it is opened like any
//     other; otherwise whatever partial directory is there is removed and the
//     partition is created now (idempotent).
//
// Stale directories: a `streams/S/topics/T/partitions/P-I` directory is removed when
// no partition (S, T, P) of incarnation I exists and no pending step names it (a
// pending deletion is the replicated operation's job, not bootstrap's). Names that
// are not ours are left alone, with a warning. A directory whose incarnation is above
// the recovered metadata's last op is not stale but proof that the metadata lost a
// committed op: a clear error (rule B7), never removed. Likewise a partition created
// by a replayed op whose state record is missing while a segment holds entries was
// created completely and lost its record: a clear error (rule B5), never recreated.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/metadata/metadata_state.h"
#include "core/partition/partition_log.h"

namespace sluice::bootstrap {

// The local, non-replicated partition options (the segment size comes from each
// topic's replicated settings).
struct PartitionDefaults {
  absl::uint128 cluster = 0;
  bool single_node = true;
  bool clamp_consumer_offsets = false;  // rule B3's operator opt-in
  uint64_t group_commit_bytes_max = 4 << 20;
  uint64_t entry_size_bytes_max = (1 << 20) + 256;
  uint64_t index_entries_reserved = 65536;
};

struct BootLog {
  std::vector<std::string> decisions;
  std::vector<std::string> warnings;
};

using PartitionLogs = std::map<uint64_t, std::unique_ptr<partition::PartitionLog>>;  // by namespace
using PartitionReports = std::map<uint64_t, partition::RecoveryReport>;  // by namespace

// Errors name the partition's directory and the rule (B5 for a missing partition,
// the partition log's own errors otherwise); any I/O error while removing or creating.
// `reports`, if given, receives each opened partition's RecoveryReport (a created one
// gets an empty report): a cluster replica builds its groups from them (rule B4).
// `never_hosted` (cluster replicas): whether this replica never hosted the partition
// group (namespace, incarnation) — its durable view state has no record of it, so it
// never acknowledged an entry of it. A missing partition created at or below
// `created_through_op` is then created now rather than refused: a checkpoint installed
// by state sync (rule B15) covers partitions this replica had not created yet.
io::Task<absl::StatusOr<PartitionLogs>> RecoverPartitions(
    io::Storage& storage, const metadata::MetadataState& state, uint64_t created_through_op,
    PartitionDefaults defaults, BootLog& log, PartitionReports* reports = nullptr,
    std::function<bool(uint64_t namespace_id, uint64_t incarnation)> never_hosted = nullptr);

// The first segment log in `directory` that holds bytes, if any (none for a missing
// directory). Create writes the state record last and entries are appended only after
// it, so a partition whose record is missing or invalid while a segment holds entries
// was created completely: its record was lost (rule B5).
io::Task<absl::StatusOr<std::optional<std::string>>> NonEmptySegment(io::Storage& storage,
                                                                     const std::string& directory);

// With `cluster`, a directory whose incarnation is above the recovered metadata's last
// op is left alone: a cluster replica's metadata boots at its commit watermark, which
// may lag what was committed (the op that created the directory is applied once VSR
// commits it again, and the partition is then opened from it — rule B16).
//
// With `deferred`, a stale directory is not removed but added to it when the state is
// above `checkpoint_op`: the deleting op was replayed from the WAL, and a later boot
// may stop below it (a corrupt WAL entry under it, repaired from peers only after
// boot) and need the partition's directory again (rule B5). The caller removes such a
// directory once a checkpoint covers the state's op.
io::Task<absl::Status> RemoveStaleIncarnations(io::Storage& storage,
                                               const metadata::MetadataState& state,
                                               BootLog& log, bool cluster = false,
                                               uint64_t checkpoint_op = 0,
                                               std::vector<std::string>* deferred = nullptr);

}  // namespace sluice::bootstrap
