#include "core/metadata_store/metadata_recovery.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/metadata/apply.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata_store/prepare_fields.h"
#include "core/wire/header.h"

namespace sluice::metadata_store {
using superblock::Hex128;

io::Task<absl::StatusOr<RecoveredMetadata>> RecoverMetadata(io::Storage& storage,
                                                            MetadataRecoveryOptions options) {
  RecoveredMetadata out;
  const MetadataIdentity& identity = options.identity;

  // 1. Superblock (rule B17), then identity and widths against config (rule B9).
  CO_ASSIGN_OR_RETURN(out.superblock, co_await superblock::OpenSuperblock(storage),
                      "metadata recovery, superblock");
  for (const superblock::SuperblockRepair& repair : out.superblock.repairs) {
    out.decisions.push_back(absl::StrCat("superblock: ", repair.message));
  }
  const superblock::SuperblockState& sb = out.superblock.state;
  CO_RETURN_IF_ERROR(superblock::ValidateAgainstConfig(sb, identity.cluster_id,
                                                       identity.replica_index,
                                                       identity.replica_count, identity.widths),
                     "metadata recovery, superblock");
  out.decisions.push_back(absl::StrCat("superblock: sequence ", out.superblock.sequence, ", ",
                                       superblock::ToString(sb)));
  if (options.journal.cluster != sb.cluster_id) {
    co_return absl::InvalidArgumentError(absl::StrCat(
        "metadata recovery: journal options name cluster ", Hex128(options.journal.cluster),
        ", the superblock ", Hex128(sb.cluster_id)));
  }

  // 2. The snapshot the superblock names (rule B6), its widths and ids (rule B9).
  const superblock::MetadataCheckpoint& checkpoint = sb.metadata_checkpoint;
  CO_ASSIGN_OR_RETURN(
      out.state,
      co_await metadata::LoadSnapshot(storage, checkpoint.op, checkpoint.snapshot_checksum),
      "metadata recovery, the checkpoint the superblock names (rule B6)");
  CO_RETURN_IF_ERROR(
      metadata::CheckWidthsMatchStored(sb.namespace_widths, out.state.config.widths),
      "metadata recovery: snapshot ", metadata::SnapshotPath(checkpoint.op));
  CO_RETURN_IF_ERROR(metadata::CheckStateIdsFit(out.state), "metadata recovery: snapshot ",
                     metadata::SnapshotPath(checkpoint.op));
  out.decisions.push_back(absl::StrCat("snapshot: loaded ", metadata::SnapshotPath(checkpoint.op),
                                       " (checksum ", Hex128(checkpoint.snapshot_checksum),
                                       ", state at op ", out.state.last_applied_op, ")"));
  out.applied_checksum = checkpoint.prepare_checksum;

  // 3. The WAL after the checkpoint (rules B7, B8, B16).
  const journal::RecoveryInputs inputs{.checkpoint_op = checkpoint.op,
                                       .checkpoint_checksum = checkpoint.prepare_checksum,
                                       .commit_watermark = sb.metadata_commit_watermark,
                                       .single_node = options.single_node};
  CO_ASSIGN_OR_RETURN(out.journal_report,
                      co_await journal::RecoverJournal(storage, options.journal, inputs),
                      "metadata recovery, WAL");
  journal::JournalRecovery& wal = out.journal_report;
  for (std::string& decision : wal.decisions) out.decisions.push_back("wal: " + decision);
  for (std::string& warning : wal.warnings) out.warnings.push_back("wal: " + warning);

  // 4. Apply only what is known committed (rule B16), in op order from checkpoint + 1.
#ifdef SLUICE_MUTATION_B16
  // Mutation proof (tests/mutation/README.md), never in a product build: the verified
  // ops above the commit bound are applied as if committed, while VSR may still
  // discard them.
  for (const journal::RecoveredEntry& entry : wal.unapplied) {
    if (entry.op != (wal.to_apply.empty() ? checkpoint.op : wal.to_apply.back().op) + 1) break;
    wal.to_apply.push_back(entry);
  }
#endif
  for (const journal::RecoveredEntry& entry : wal.to_apply) {
    if (entry.op != out.state.last_applied_op + 1) {
      co_return absl::InvalidArgumentError(absl::StrCat(
          "metadata recovery: WAL op ", entry.op, " does not follow the state at op ",
          out.state.last_applied_op, " (snapshot ", metadata::SnapshotPath(checkpoint.op), ")"));
    }
    (void)metadata::Apply(out.state, ContextOf(entry.header), BodyOf(entry.frame));
    out.applied_checksum = entry.checksum;
  }
  out.decisions.push_back(absl::StrCat("apply: ", wal.to_apply.size(),
                                       " committed WAL op(s) replayed, state at op ",
                                       out.state.last_applied_op, "; ", wal.unapplied.size(),
                                       " verified op(s) left unapplied for VSR (rule B16)"));

  // 5. The replayed state's ids fit too (rule B9).
  CO_RETURN_IF_ERROR(metadata::CheckStateIdsFit(out.state),
                     "metadata recovery: after replaying the WAL to op ",
                     out.state.last_applied_op);

  out.journal = std::move(wal.journal);
  out.unapplied = std::move(wal.unapplied);
  out.faulty = std::move(wal.faulty);
  co_return out;
}

}  // namespace sluice::metadata_store
