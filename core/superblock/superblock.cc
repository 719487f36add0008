#include "core/superblock/superblock.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"

namespace sluice::superblock {
namespace {

using io::FileHandle;
using io::Storage;
using io::Task;

constexpr absl::string_view kRefuseToBoot = "no valid superblock: refusing to boot (rule B17)";

std::string Path() { return std::string(kSuperblockPath); }

std::string Where(uint8_t slot) {
  return absl::StrCat(kSuperblockPath, " copy ", slot, " (offset ", SuperblockCopyOffset(slot),
                      ")");
}

// Writes one encoded copy into its slot and makes it durable before returning, so the
// caller never has two copies in flight at once.
Task<absl::Status> WriteCopyDurably(Storage& storage, FileHandle file, uint8_t slot, Bytes copy) {
  SLUICE_ASSERT(copy.size() == kSuperblockCopySizeBytes);
  SLUICE_ASSERT(slot < kSuperblockCopyCount);
  CO_RETURN_IF_ERROR(co_await io::WriteAt(storage, file, SuperblockCopyOffset(slot), copy),
                     "writing ", Where(slot));
  // Fail-stop on a failed sync (rule B1): the caller returns this error, never retries.
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage, file), "syncing ", kSuperblockPath,
                     " after writing copy ", slot);
  co_return absl::OkStatus();
}

Task<absl::Status> WriteAllCopies(Storage& storage, FileHandle file, const SuperblockState& state,
                                  uint64_t sequence, absl::uint128 parent) {
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    CO_RETURN_IF_ERROR(co_await WriteCopyDurably(
        storage, file, slot, EncodeSuperblockCopy(state, sequence, parent, slot)));
  }
  co_return absl::OkStatus();
}

Task<CopyReadings> ReadCopies(Storage& storage, FileHandle file) {
  CopyReadings readings;
  Bytes buffer(kSuperblockCopySizeBytes);
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    // One read per copy: a latent sector error in one copy must not hide the others.
    const absl::Status read = co_await io::ReadExactly(storage, file, SuperblockCopyOffset(slot),
                                                       MutableByteSpan(buffer));
    if (read.ok()) {
      readings[slot] = DecodeSuperblockCopy(buffer, slot);
    } else {
      readings[slot] =
          base::Annotate(read, absl::StrCat("superblock copy ", slot, " (offset ",
                                            SuperblockCopyOffset(slot), "): unreadable"));
    }
  }
  co_return readings;
}

// Rewrites every slot that does not hold the chosen version, each synced before the
// next; syncs the file once if none needed it, so that what this process read (perhaps
// only from the page cache of a process that died before its sync) is durable before
// the replica acts on it.
Task<absl::StatusOr<std::vector<SuperblockRepair>>> Repair(Storage& storage, FileHandle file,
                                                           const CopyReadings& readings,
                                                           const QuorumDecision& decision) {
  const DecodedCopy& chosen = decision.chosen;
  std::vector<SuperblockRepair> repairs;
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    if (decision.holds_chosen[slot]) continue;
    CO_RETURN_IF_ERROR(co_await WriteCopyDurably(storage, file, slot,
                                                 EncodeSuperblockCopy(chosen.state, chosen.sequence,
                                                                      chosen.parent, slot)),
                       "repairing ", kSuperblockPath);
    repairs.push_back(SuperblockRepair{
        .copy_index = slot,
        .message = absl::StrCat(Where(slot), ": rewritten with sequence ", chosen.sequence,
                                " (version checksum ", Hex128(chosen.version_checksum),
                                "); it held: ", DescribeMismatch(readings[slot], slot, chosen))});
  }
  SLUICE_ASSERT(repairs.size() + decision.agreeing_copies == kSuperblockCopyCount);
  if (repairs.empty()) {
    CO_RETURN_IF_ERROR(co_await io::SyncFile(storage, file), "syncing ", kSuperblockPath,
                       " before trusting it");
  }
  co_return repairs;
}

Task<absl::StatusOr<OpenedSuperblock>> ChooseAndRepair(Storage& storage, FileHandle file) {
  const CopyReadings readings = co_await ReadCopies(storage, file);
  CO_ASSIGN_OR_RETURN(const QuorumDecision decision, ChooseSuperblockVersion(readings),
                      kRefuseToBoot);
  CO_ASSIGN_OR_RETURN(std::vector<SuperblockRepair> repairs,
                      co_await Repair(storage, file, readings, decision));
  co_return OpenedSuperblock{.state = decision.chosen.state,
                             .sequence = decision.chosen.sequence,
                             .checksum = decision.chosen.version_checksum,
                             .parent = decision.chosen.parent,
                             .repairs = std::move(repairs)};
}

// Closes `file`, keeping the first error: an earlier error explains more than the close's.
Task<absl::Status> CloseKeepingFirstError(Storage& storage, FileHandle file, absl::Status status) {
  const absl::Status closed = co_await io::CloseFile(storage, file);
  if (status.ok() && !closed.ok()) co_return base::Annotate(closed, "closing superblock");
  co_return status;
}

}  // namespace

Task<absl::Status> FormatSuperblock(Storage& storage, SuperblockState initial) {
  CO_RETURN_IF_ERROR(ValidateSuperblockState(initial), "refusing to format ", kSuperblockPath);
  absl::StatusOr<FileHandle> file =
      co_await io::OpenFile(storage, Path(), io::OpenMode::kCreateExclusive);
  if (io::IsEexist(file.status())) {
    co_return base::Annotate(file.status(),
                             absl::StrCat("refusing to format: ", kSuperblockPath,
                                          " already exists (this data directory is formatted)"));
  }
  CO_RETURN_IF_ERROR(file.status(), "creating ", kSuperblockPath);
  const absl::Status written = co_await WriteAllCopies(storage, *file, initial, 1, 0);
  CO_RETURN_IF_ERROR(co_await CloseKeepingFirstError(storage, *file, written), "formatting");
  // The name is durable only after its directory is synced (core/io/storage.h).
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, ""),
                     "syncing the data directory after creating ", kSuperblockPath);
  co_return absl::OkStatus();
}

Task<absl::StatusOr<OpenedSuperblock>> OpenSuperblock(Storage& storage) {
  // kExisting: a missing superblock is never recreated (rule B17).
  CO_ASSIGN_OR_RETURN(
      const FileHandle file, co_await io::OpenFile(storage, Path(), io::OpenMode::kExisting),
      kRefuseToBoot, ": opening ", kSuperblockPath,
      " (format the data directory first, or `format --recover` if its data was lost)");
  absl::StatusOr<OpenedSuperblock> opened = co_await ChooseAndRepair(storage, file);
  CO_RETURN_IF_ERROR(co_await CloseKeepingFirstError(storage, file, opened.status()));
  SLUICE_ASSERT(opened.ok());
  SLUICE_ASSERT(opened->sequence >= 1);
  co_return std::move(opened);
}

Task<absl::Status> UpdateSuperblock(Storage& storage, OpenedSuperblock& current,
                                    SuperblockState next) {
  SLUICE_ASSERT(current.sequence >= 1, "updating a superblock that was never opened");
  CO_RETURN_IF_ERROR(ValidateSuperblockState(next), "superblock update refused");
  CO_RETURN_IF_ERROR(ValidateSuccessor(current.state, next));
  const uint64_t sequence = current.sequence + 1;
  CO_ASSIGN_OR_RETURN(const FileHandle file,
                      co_await io::OpenFile(storage, Path(), io::OpenMode::kExisting), "updating ",
                      kSuperblockPath);
  const absl::Status written =
      co_await WriteAllCopies(storage, file, next, sequence, current.checksum);
  CO_RETURN_IF_ERROR(co_await CloseKeepingFirstError(storage, file, written), "updating ",
                     kSuperblockPath, " to sequence ", sequence);
  // All four copies are durable: only now may the replica act on `next`.
  const Bytes copy = EncodeSuperblockCopy(next, sequence, current.checksum, 0);
  current.parent = current.checksum;
  current.checksum = SuperblockVersionChecksum(copy);
  current.sequence = sequence;
  current.state = std::move(next);
  co_return absl::OkStatus();
}

Task<absl::StatusOr<CopyReadings>> ReadSuperblockCopies(Storage& storage) {
  CO_ASSIGN_OR_RETURN(const FileHandle file,
                      co_await io::OpenFile(storage, Path(), io::OpenMode::kExisting), "opening ",
                      kSuperblockPath);
  CopyReadings readings = co_await ReadCopies(storage, file);
  CO_RETURN_IF_ERROR(co_await CloseKeepingFirstError(storage, file, absl::OkStatus()));
  co_return readings;
}

}  // namespace sluice::superblock
