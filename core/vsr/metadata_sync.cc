#include "core/vsr/metadata_sync.h"

#include "core/vsr/staging_header.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/snapshot_store.h"

namespace sluice::vsr {
namespace {

constexpr absl::string_view kStagingMagic = "SLSYNCST";


io::Task<absl::Status> WriteAndSync(io::Storage& storage, io::OpenMode mode, uint64_t offset, Bytes bytes,
                                    bool truncate_first) {
  CO_ASSIGN_OR_RETURN(io::FileHandle file, co_await io::OpenFile(storage, kSyncStagingPath, mode), "opening ",
                      kSyncStagingPath);
  absl::Status status = absl::OkStatus();
  if (truncate_first) status = co_await io::TruncateFile(storage, file, 0);
  if (status.ok()) status = co_await io::WriteAt(storage, file, offset, bytes);
  if (status.ok()) status = co_await io::SyncFile(storage, file);
  const absl::Status closed = co_await io::CloseFile(storage, file);
  CO_RETURN_IF_ERROR(status, "staging ", bytes.size(), " bytes at offset ", offset, " of ", kSyncStagingPath);
  CO_RETURN_IF_ERROR(closed, "closing ", kSyncStagingPath);
  co_return absl::OkStatus();
}

}  // namespace

std::string ViewTablePath(uint64_t sequence) { return absl::StrCat("vsr_view-", absl::Dec(sequence, absl::kZeroPad20)); }

namespace {

io::Task<absl::StatusOr<VsrState>> LoadViewState(io::Storage& storage, const superblock::SuperblockState& durable) {
  const superblock::LogViewTableReference table = durable.partition_log_views;
  if (table.op == 0) {
    co_return VsrState{
        .view = durable.view, .log_view = durable.metadata_log_view, .groups = {}, .recovering = durable.recovering};
  }
  const std::string path = ViewTablePath(table.op);
  CO_ASSIGN_OR_RETURN(Bytes bytes, co_await io::ReadWholeFile(storage, path), "reading the view table ", path,
                      " the superblock names (rule B4)");
  if (base::Checksum128(bytes) != table.checksum) {
    co_return absl::DataLossError(
        absl::StrCat(path, " is not the view table the superblock names (checksum differs): rule B4"));
  }
  CO_ASSIGN_OR_RETURN(VsrState state, DecodeVsrState(bytes, durable.cluster_id, durable.replica_index), path);
  if (state.view != durable.view || state.recovering != durable.recovering) {
    co_return absl::DataLossError(absl::StrCat(path, " holds view ", state.view, " but the superblock view ",
                                               durable.view, ": rule B4"));
  }
  co_return state;
}

}  // namespace

SnapshotId MetadataSnapshotId(uint64_t op, absl::uint128 op_checksum, ByteSpan bytes) {
  return {.op = op, .op_checksum = op_checksum, .size_bytes = bytes.size(), .checksum = base::Checksum128(bytes)};
}

io::Task<absl::StatusOr<MetadataSyncState>> LoadMetadataSyncState(io::Storage& storage) {
  MetadataSyncState state;
  CO_ASSIGN_OR_RETURN(state.superblock, co_await superblock::OpenSuperblock(storage));
  CO_ASSIGN_OR_RETURN(state.view_state, co_await LoadViewState(storage, state.superblock.state));
  const superblock::MetadataCheckpoint checkpoint = state.superblock.state.metadata_checkpoint;
  if (checkpoint.op > 0) {
    const std::string path = metadata::SnapshotPath(checkpoint.op);
    CO_ASSIGN_OR_RETURN(Bytes bytes, co_await io::ReadWholeFile(storage, path), "reading ", path);
    // Verified like bootstrap verifies it (rule B6): never serve a torn or stale file.
    CO_RETURN_IF_ERROR(metadata::DecodeSnapshot(bytes, checkpoint.op, checkpoint.snapshot_checksum).status(),
                       "served snapshot ", path);
    state.served = ServedMetadataSnapshot{
        .id = MetadataSnapshotId(checkpoint.op, checkpoint.prepare_checksum, bytes), .bytes = std::move(bytes)};
  }
  absl::StatusOr<Bytes> staging = co_await io::ReadWholeFile(storage, kSyncStagingPath);
  if (!staging.ok() && !io::IsEnoent(staging.status())) {
    co_return base::Annotate(staging.status(), absl::StrCat("reading ", kSyncStagingPath));
  }
  if (staging.ok()) {
    const std::optional<SnapshotId> id = DecodeStagingHeader(kStagingMagic, *staging);
    if (id.has_value() && id->op > checkpoint.op) {
      state.staged = StagedSnapshot{
          .id = *id, .staged_bytes = std::min<uint64_t>(staging->size() - kSyncStagingHeaderSize, id->size_bytes)};
    }
  }
  co_return state;
}

io::Task<absl::Status> StageMetadataChunk(io::Storage& storage, SnapshotId snapshot, uint64_t offset, Bytes bytes) {
  if (offset == 0) {
    Bytes first = EncodeStagingHeader(kStagingMagic, snapshot);
    first.insert(first.end(), bytes.begin(), bytes.end());
    CO_RETURN_IF_ERROR(co_await WriteAndSync(storage, io::OpenMode::kCreate, 0, std::move(first), true));
    // The staging's name must survive a crash too, or the sync would restart.
    CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, std::string(metadata::kMetadataDirectory)), "syncing ",
                       metadata::kMetadataDirectory);
    co_return absl::OkStatus();
  }
  co_return co_await WriteAndSync(storage, io::OpenMode::kExisting, kSyncStagingHeaderSize + offset, std::move(bytes),
                                  false);
}

io::Task<absl::StatusOr<ServedMetadataSnapshot>> InstallMetadataSnapshot(io::Storage& storage,
                                                                        superblock::OpenedSuperblock& superblock,
                                                                        SnapshotId snapshot) {
  CO_ASSIGN_OR_RETURN(Bytes staged, co_await io::ReadWholeFile(storage, kSyncStagingPath), "reading ",
                      kSyncStagingPath);
  const std::optional<SnapshotId> id = DecodeStagingHeader(kStagingMagic, staged);
  absl::Status verified = absl::OkStatus();
  if (id != std::optional<SnapshotId>(snapshot) || staged.size() != kSyncStagingHeaderSize + snapshot.size_bytes) {
    verified = SnapshotRejected(absl::StrCat(kSyncStagingPath, " does not hold the whole snapshot of op ",
                                                snapshot.op, " (", staged.size(), " bytes)"));
  }
  Bytes bytes;
  if (verified.ok()) {
    bytes.assign(staged.begin() + kSyncStagingHeaderSize, staged.end());
    if (base::Checksum128(bytes) != snapshot.checksum) {
      verified = SnapshotRejected(
          absl::StrCat(kSyncStagingPath, ": the staged snapshot of op ", snapshot.op, " fails its checksum"));
    }
  }
  // Intact, but is it the metadata snapshot of op? (The codec checks its own header.)
  absl::uint128 snapshot_checksum = 0;
  if (verified.ok() && bytes.size() >= metadata::kSnapshotHeaderSize) snapshot_checksum = base::LoadU128(bytes, 32);
  if (verified.ok()) {
    verified = metadata::DecodeSnapshot(bytes, snapshot.op, snapshot_checksum).status();
    if (!verified.ok()) verified = SnapshotRejected(absl::StrCat("staged snapshot: ", verified.message()));
  }
  if (!verified.ok()) {
    // Never installed; the sync starts over (from a peer's snapshot).
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage, kSyncStagingPath), "removing ", kSyncStagingPath);
    CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, std::string(metadata::kMetadataDirectory)), "syncing ",
                       metadata::kMetadataDirectory);
    co_return verified;
  }
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, metadata::SnapshotPath(snapshot.op), bytes),
                     "writing the snapshot of op ", snapshot.op);
  superblock::SuperblockState next = superblock.state;
  next.metadata_checkpoint = {
      .op = snapshot.op, .snapshot_checksum = snapshot_checksum, .prepare_checksum = snapshot.op_checksum};
  next.metadata_commit_watermark = std::max(next.metadata_commit_watermark, snapshot.op);
  CO_RETURN_IF_ERROR(co_await superblock::UpdateSuperblock(storage, superblock, next),
                     "naming the installed snapshot of op ", snapshot.op, " in the superblock");
  co_return ServedMetadataSnapshot{.id = snapshot, .bytes = std::move(bytes)};
}

io::Task<absl::Status> CleanUpAfterInstall(io::Storage& storage, uint64_t op) {
  const absl::Status unlinked = co_await io::UnlinkFile(storage, kSyncStagingPath);
  if (!unlinked.ok() && !io::IsEnoent(unlinked)) co_return base::Annotate(unlinked, absl::StrCat("removing ", kSyncStagingPath));
  co_return co_await metadata::DeleteSnapshotsOlderThan(storage, op);
}

}  // namespace sluice::vsr
