#include "core/vsr/partition_sync.h"

#include "core/vsr/staging_header.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"

namespace sluice::vsr {
namespace {

constexpr absl::string_view kStagingMagic = "SLPSYNCS";

std::string StagingPath(const std::string& directory) { return io::JoinPath(directory, kPartitionStagingName); }


io::Task<absl::Status> WriteAndSync(io::Storage& storage, std::string path, io::OpenMode mode, uint64_t offset,
                                    Bytes bytes, bool truncate_first) {
  CO_ASSIGN_OR_RETURN(io::FileHandle file, co_await io::OpenFile(storage, path, mode), "opening ", path);
  absl::Status status = absl::OkStatus();
  if (truncate_first) status = co_await io::TruncateFile(storage, file, 0);
  if (status.ok()) status = co_await io::WriteAt(storage, file, offset, bytes);
  if (status.ok()) status = co_await io::SyncFile(storage, file);
  const absl::Status closed = co_await io::CloseFile(storage, file);
  CO_RETURN_IF_ERROR(status, "staging ", bytes.size(), " bytes at offset ", offset, " of ", path);
  CO_RETURN_IF_ERROR(closed, "closing ", path);
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::StatusOr<std::optional<StagedSnapshot>>> LoadPartitionStaging(io::Storage& storage,
                                                                             std::string directory,
                                                                             uint64_t base_op) {
  const std::string path = StagingPath(directory);
  absl::StatusOr<Bytes> staging = co_await io::ReadWholeFile(storage, path);
  if (io::IsEnoent(staging.status())) co_return std::optional<StagedSnapshot>();
  CO_RETURN_IF_ERROR(staging.status(), "reading ", path);
  const std::optional<SnapshotId> id = DecodeStagingHeader(kStagingMagic, *staging);
  if (!id.has_value() || id->op <= base_op) co_return std::optional<StagedSnapshot>();
  co_return std::optional<StagedSnapshot>(StagedSnapshot{
      .id = *id, .staged_bytes = std::min<uint64_t>(staging->size() - kPartitionStagingHeaderSize, id->size_bytes)});
}

io::Task<absl::Status> StagePartitionChunk(io::Storage& storage, std::string directory, SnapshotId snapshot,
                                           uint64_t offset, Bytes bytes) {
  const std::string path = StagingPath(directory);
  if (offset == 0) {
    Bytes first = EncodeStagingHeader(kStagingMagic, snapshot);
    first.insert(first.end(), bytes.begin(), bytes.end());
    CO_RETURN_IF_ERROR(co_await WriteAndSync(storage, path, io::OpenMode::kCreate, 0, std::move(first), true));
    // The staging's name must survive a crash too, or the sync would restart.
    CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, directory), "syncing ", directory);
    co_return absl::OkStatus();
  }
  co_return co_await WriteAndSync(storage, path, io::OpenMode::kExisting, kPartitionStagingHeaderSize + offset,
                                  std::move(bytes), false);
}

io::Task<absl::StatusOr<Bytes>> ReadStagedPartitionSnapshot(io::Storage& storage, std::string directory,
                                                            SnapshotId snapshot) {
  const std::string path = StagingPath(directory);
  CO_ASSIGN_OR_RETURN(Bytes staged, co_await io::ReadWholeFile(storage, path), "reading ", path);
  absl::Status verified = absl::OkStatus();
  if (DecodeStagingHeader(kStagingMagic, staged) != std::optional<SnapshotId>(snapshot) ||
      staged.size() != kPartitionStagingHeaderSize + snapshot.size_bytes) {
    verified = SnapshotRejected(absl::StrCat(path, " does not hold the whole snapshot of op ", snapshot.op, " (",
                                                staged.size(), " bytes)"));
  } else if (base::Checksum128(ByteSpan(staged).subspan(kPartitionStagingHeaderSize)) != snapshot.checksum) {
    verified = SnapshotRejected(
        absl::StrCat(path, ": the staged snapshot of op ", snapshot.op, " fails its checksum"));
  }
  if (!verified.ok()) {
    // Never installed; the sync starts over (from a peer's snapshot).
    CO_RETURN_IF_ERROR(co_await RemovePartitionStaging(storage, directory));
    co_return verified;
  }
  co_return Bytes(staged.begin() + kPartitionStagingHeaderSize, staged.end());
}

io::Task<absl::Status> RemovePartitionStaging(io::Storage& storage, std::string directory) {
  const std::string path = StagingPath(directory);
  const absl::Status removed = co_await io::UnlinkFile(storage, path);
  if (!removed.ok() && !io::IsEnoent(removed)) co_return base::Annotate(removed, absl::StrCat("removing ", path));
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, directory), "syncing ", directory);
  co_return absl::OkStatus();
}

}  // namespace sluice::vsr
