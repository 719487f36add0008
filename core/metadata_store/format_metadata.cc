#include "core/metadata_store/format_metadata.h"

#include "absl/strings/str_cat.h"
#include "core/journal/format_journal.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/snapshot_store.h"
#include "core/superblock/superblock.h"

namespace sluice::metadata_store {
namespace {

absl::Status CheckFormat(const MetadataFormat& format) {
  RETURN_IF_ERROR(superblock::ValidateSuperblockState(format.identity));
  RETURN_IF_ERROR(journal::ValidateJournalOptions(format.journal));
  if (format.journal.cluster != format.identity.cluster_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("journal cluster ", superblock::Hex128(format.journal.cluster),
                     " differs from the superblock's ",
                     superblock::Hex128(format.identity.cluster_id)));
  }
  RETURN_IF_ERROR(metadata::CheckWidthsMatchStored(format.identity.namespace_widths,
                                                   format.config.widths));
  superblock::SuperblockState fresh;
  fresh.cluster_id = format.identity.cluster_id;
  fresh.replica_index = format.identity.replica_index;
  fresh.replica_count = format.identity.replica_count;
  fresh.namespace_widths = format.identity.namespace_widths;
  fresh.recovering = format.identity.recovering;
  if (!(fresh == format.identity)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a new data directory starts at view 0 with no checkpoint: got ",
                     superblock::ToString(format.identity)));
  }
  return absl::OkStatus();
}

}  // namespace

io::Task<absl::Status> FormatMetadata(io::Storage& storage, MetadataFormat format) {
  CO_RETURN_IF_ERROR(CheckFormat(format), "formatting metadata");
  CO_RETURN_IF_ERROR(co_await metadata::CreateSnapshotDirectory(storage));
  const metadata::MetadataState empty = metadata::NewMetadataState(format.config);
  CO_ASSIGN_OR_RETURN(const absl::uint128 snapshot_checksum,
                      co_await metadata::WriteSnapshot(storage, empty, 0),
                      "writing the empty metadata snapshot");
  CO_RETURN_IF_ERROR(co_await journal::FormatJournal(storage, format.journal));
  superblock::SuperblockState initial = format.identity;
  initial.metadata_checkpoint = {.op = 0, .snapshot_checksum = snapshot_checksum,
                                 .prepare_checksum = 0};
  CO_RETURN_IF_ERROR(co_await superblock::FormatSuperblock(storage, initial));
  co_return absl::OkStatus();
}

}  // namespace sluice::metadata_store
