#pragma once
// FormatMetadata: creates a new data directory's metadata — the empty state's
// snapshot, the WAL and, last, the superblock naming that snapshot (DESIGN.md
// "Format").
//
// Order, and why: the superblock is what makes a directory "formatted" (a replica
// refuses to boot without one, rule B17), so it is written only after everything it
// names is durable:
//   1. `metadata/` and the snapshot of the empty state at op 0 (tmp → fsync → rename
//      → fsync directory, rule B6);
//   2. `metadata/journal.wal` at its full size, every slot empty (FormatJournal);
//   3. the superblock: `identity` plus the checkpoint {op 0, that snapshot's checksum,
//      prepare checksum 0 — the chain anchor of op 1}.
// A crash before step 3 completes leaves no valid superblock, which boot refuses with
// a clear error; the operator removes the directory and formats again. Format never
// overwrites an existing superblock or WAL (AlreadyExists).
//
// The first metadata op (the root user's creation) is prepared by the first primary
// after boot, like any other op: format writes no op.

#include "absl/status/status.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal_layout.h"
#include "core/metadata/metadata_state.h"
#include "core/superblock/superblock_state.h"

namespace sluice::metadata_store {

struct MetadataFormat {
  // Cluster id, replica index and count, namespace widths, `recovering` (B17). Its
  // durable VSR fields must be zero: a new directory has seen no view or op.
  superblock::SuperblockState identity;
  journal::JournalOptions journal;  // journal.cluster must equal identity.cluster_id
  metadata::MetadataConfig config;  // config.widths must equal identity's widths (B9)
};

// InvalidArgument (before any I/O) for inconsistent options; AlreadyExists if a WAL
// or superblock is already there; any I/O error (fail-stop, rule B1).
io::Task<absl::Status> FormatMetadata(io::Storage& storage, MetadataFormat format);

}  // namespace sluice::metadata_store
