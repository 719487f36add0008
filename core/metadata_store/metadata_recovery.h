#pragma once
// RecoverMetadata: bootstrap's steps 2 and 3 (DESIGN.md "Bootstrap") — superblock →
// snapshot → WAL → apply only what is committed — turned into the pieces the
// metadata group is built from, or a clear error. Nothing here is patched after
// construction (rule B4): the state is the snapshot the superblock names with the
// committed WAL suffix applied, and the Journal comes from RecoverJournal.
//
// Steps, each logged in `decisions`:
//   1. OpenSuperblock: the highest version with 2 valid identical copies, every other
//      copy rewritten (rule B17: no superblock, no boot). Checked against the caller's
//      identity (cluster id, replica index and count) and widths (rule B9).
//   2. LoadSnapshot of the checkpoint the superblock names, checksum verified (rule
//      B6); its widths must equal the superblock's and every id must fit (rule B9).
//   3. RecoverJournal anchored at the checkpoint: (op, prepare checksum) from the
//      superblock, commit watermark from the superblock (rules B7, B8, B16).
//   4. Apply `to_apply` — the ops known committed — in op order. "B6: snapshot op =
//      last applied op": when the WAL holds nothing after the checkpoint, the state
//      is exactly the snapshot at the checkpoint op; no op is replayed twice because
//      the WAL suffix starts at checkpoint + 1.
//   5. Check every id of the result fits the widths (rule B9).
// `unapplied` are verified ops beyond the commit bound: VSR commits or discards them
// (a single node commits them itself: SingleNodeMetadata). `faulty` (cluster only)
// are corrupt or uncertain ops for VSR to repair; a single node refuses corruption
// and cuts an uncertain tail instead (rule B7).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal.h"
#include "core/journal/journal_recovery.h"
#include "core/metadata/metadata_state.h"
#include "core/superblock/superblock.h"

namespace sluice::metadata_store {

// What the replica's config says it is; the data directory must agree.
struct MetadataIdentity {
  absl::uint128 cluster_id = 0;
  uint8_t replica_index = 0;
  uint8_t replica_count = 1;
  superblock::NamespaceWidths widths;
};

struct MetadataRecoveryOptions {
  MetadataIdentity identity;
  journal::JournalOptions journal;  // journal.cluster must equal identity.cluster_id
  bool single_node = true;
};

struct RecoveredMetadata {
  superblock::OpenedSuperblock superblock;
  metadata::MetadataState state;  // the snapshot plus every committed WAL op
  absl::uint128 applied_checksum = 0;  // the prepare checksum of state.last_applied_op
  std::unique_ptr<journal::Journal> journal;
  std::vector<journal::RecoveredEntry> unapplied;  // verified, not known committed (B16)
  std::vector<journal::FaultyOp> faulty;           // cluster only (B7)
  journal::JournalRecovery journal_report;         // per-slot verdicts, for inspect
  std::vector<std::string> decisions;              // every step's finding, in order
  std::vector<std::string> warnings;
};

// Errors name the step, the file and the rule: NotFound / DataLoss / FailedPrecondition
// from the superblock (B17), the snapshot (B6) or the WAL (B5, B7, B8);
// FailedPrecondition if the directory belongs to another replica or its widths differ
// from config (B9); InvalidArgument if a recovered id does not fit the widths (B9) or
// a committed op does not apply in order; any I/O error while repairing (B1).
io::Task<absl::StatusOr<RecoveredMetadata>> RecoverMetadata(io::Storage& storage,
                                                            MetadataRecoveryOptions options);

}  // namespace sluice::metadata_store
