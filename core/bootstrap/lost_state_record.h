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

}  // namespace sluice::bootstrap
