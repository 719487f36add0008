#pragma once
// A partition whose state record has no valid copy while a segment holds entries —
// in a cluster (rules B5, B7, with B15's promise).
//
// The record was lost after the partition's creation completed, so this replica may
// have acknowledged any entry in its segments, and nothing left on its disk says how
// far those entries were durable or committed. A single node refuses to start (its
// disk holds the only copy). A replica repairs from its peers instead, who hold
// intact copies while faults stay within the bound (DESIGN.md "The fault model"):
// the record is replaced by one that lists an empty log — the first segment, its
// entries cut through log_end_op = 0 (later segments are then removed as a
// truncation's) — and promises the highest op found in the segments (promised_op),
// so recovery reports ops 1..promised faulty: VSR never nacks them, and repairs
// them, or state-syncs the partition, from peers. The consumer-offset checkpoint is
// reset first (the offsets come back with the repaired store entries).
//
// Crash-safe: the one record write is what makes the replacement count; a crash
// before it leaves no valid record, and the next boot does it again.
//
// Only for a partition whose log starts at op 1 (never trimmed by retention or a
// purge: a later anchor needs its checksum and snapshot, which the record held);
// otherwise, and in single-node mode, `cause` is returned.

#include "absl/status/status.h"
#include "core/bootstrap/partition_bootstrap.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/partition/partition_log.h"

namespace sluice::bootstrap {

// Whether `directory`'s state record has no valid copy (LoadStateRecord's DataLoss).
// An I/O error on the way — a failed sync of a record rewrite reads back fine from
// the cache, a failed read is not DataLoss — is never taken for a lost record: it is
// returned (rule B1: a failed fsync is fail-stop, never "the creation never
// completed").
io::Task<absl::StatusOr<bool>> StateRecordLost(io::Storage& storage, std::string directory);

io::Task<absl::Status> ReplaceLostStateRecord(io::Storage& storage, partition::PartitionOptions options,
                                              absl::Status cause, BootLog& log);

// A cluster partition whose valid state record lists a segment file the disk lacks
// (rule B5), after PartitionLog::Open failed with `cause`. Nothing is recreated to
// carry on at an offset as if the segment had never held entries.
//
//  - A missing SEALED segment (the active segment is there): every op this replica
//    may have acknowledged is bounded by what is still on its disk — ops below the
//    active segment were all written and synced before the roll to it, and an
//    acknowledged op of the active segment was synced into it. The promise is the
//    highest of: the active segment's first op - 1, every op found whole in the
//    listed segment files that are there (across damage too), the record's commit
//    watermark and its earlier promise (entries above a decided truncation,
//    log_end_op, are not promises). The record is then replaced as
//    ReplaceLostStateRecord does: an empty log at op 1 promising those ops (VSR never
//    nacks them and repairs them, or state-syncs the partition, from peers), the
//    consumer offsets reset to op 0. Rebuilding from op 1 rather than filling the
//    hole keeps the log contiguous, which is all the partition log knows how to be.
//  - A missing ACTIVE segment (or only segment): nothing on the disk bounds the ops
//    it held (the index is not synced before a roll, the record's watermark is a
//    lower bound), so no promise can be computed without inventing one. A clear
//    error names the file and rule B5, and the repair: re-create the replica with
//    `format --recover` (rule B17: it rejoins from its peers and votes only once it
//    has caught up).
//  - A log trimmed by retention or a purge (anchor op above 1): refused the same way
//    (format --recover). Rebuilding it would need the anchor's snapshot of consumer
//    offsets to be usable and the empty log to start at the anchor; not done.
//
// A listed sealed segment with no bytes counts as missing: this function creates a
// missing first segment empty just before it writes the replacement record, so a
// crash between the two leaves exactly that (the next boot completes the replacement).
// Crash-safe otherwise as ReplaceLostStateRecord: the record write is what counts, it
// goes to the older slot with a higher sequence.
//
// Returns true once the record is replaced (open the partition again), false when no
// listed segment is missing (`cause` stands) or in single-node mode (a single node's
// missing segment stays recovery's clear error).
io::Task<absl::StatusOr<bool>> ReplaceLogMissingSegment(io::Storage& storage, partition::PartitionOptions options,
                                                        absl::Status cause, BootLog& log);

}  // namespace sluice::bootstrap
