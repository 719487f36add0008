#include "core/metadata/snapshot_store.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/metadata/snapshot_codec.h"

namespace sluice::metadata {
namespace {

constexpr absl::string_view kPrefix = "snapshot-";
constexpr absl::string_view kSuffix = ".bin";
constexpr absl::string_view kTemporarySuffix = ".tmp";
constexpr size_t kOpDigits = 20;

std::string SnapshotName(uint64_t op) { return absl::StrFormat("snapshot-%020u.bin", op); }

io::Task<absl::StatusOr<absl::uint128>> WriteEncoded(io::Storage& storage, uint64_t op,
                                                     EncodedSnapshot encoded) {
  const std::string path = SnapshotPath(op);
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, path, encoded.bytes),
                     "writing metadata snapshot of op ", op);
  co_return encoded.checksum;
}

}  // namespace

std::string SnapshotPath(uint64_t op) { return io::JoinPath(kMetadataDirectory, SnapshotName(op)); }

std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name, bool* temporary) {
  const bool is_temporary = absl::ConsumeSuffix(&name, kTemporarySuffix);
  if (!absl::ConsumePrefix(&name, kPrefix) || !absl::ConsumeSuffix(&name, kSuffix)) {
    return std::nullopt;
  }
  if (name.size() != kOpDigits) return std::nullopt;
  for (const char digit : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(digit))) return std::nullopt;
  }
  uint64_t op = 0;
  if (!absl::SimpleAtoi(name, &op)) return std::nullopt;  // above UINT64_MAX
  if (temporary != nullptr) *temporary = is_temporary;
  return op;
}

io::Task<absl::Status> CreateSnapshotDirectory(io::Storage& storage) {
  const std::string directory(kMetadataDirectory);
  const absl::Status created = co_await io::MakeDirectory(storage, directory);
  if (!created.ok() && !io::IsEexist(created)) {
    co_return base::Annotate(created, "creating the metadata directory");
  }
  // Even if it already existed: its name may not be durable yet (a crash right after
  // an earlier create), and syncing twice is harmless.
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, ""), "syncing the data directory");
  co_return absl::OkStatus();
}

io::Task<absl::StatusOr<absl::uint128>> WriteSnapshot(io::Storage& storage,
                                                      const MetadataState& state, uint64_t op) {
  // The B6 invariant "snapshot op = last applied op" (snapshot_store.h): the name
  // must say exactly which ops the state has applied.
  SLUICE_ASSERT(op == state.last_applied_op, "snapshot named op ", op, " of a state at op ",
                state.last_applied_op);
  // Not a coroutine: the state is encoded now, so the caller may change it meanwhile.
  return WriteEncoded(storage, op, EncodeSnapshot(state));
}

io::Task<absl::StatusOr<MetadataState>> LoadSnapshot(io::Storage& storage, uint64_t op,
                                                     absl::uint128 expected_checksum) {
  const std::string path = SnapshotPath(op);
  CO_ASSIGN_OR_RETURN(const Bytes bytes, co_await io::ReadWholeFile(storage, path),
                      "loading metadata snapshot");
  absl::StatusOr<MetadataState> state = DecodeSnapshot(bytes, op, expected_checksum);
  CO_RETURN_IF_ERROR(state.status(), path, " (", bytes.size(), " bytes)");
  // "B6: snapshot op = last applied op": DecodeSnapshot checked the state is at `op`.
  co_return std::move(state).value();
}

io::Task<absl::Status> DeleteSnapshotsOlderThan(io::Storage& storage, uint64_t op) {
  // Rule B6: the caller has made durable a superblock naming the snapshot of `op`, so
  // no crash from here on can need an older one.
  const std::string directory(kMetadataDirectory);
  CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> entries,
                      co_await io::ListDirectory(storage, directory), "listing ", directory);
  bool removed = false;
  for (const io::DirectoryEntry& entry : entries) {
    const std::optional<uint64_t> entry_op = ParseSnapshotFileName(entry.name);
    if (entry.type != io::EntryType::kFile || !entry_op.has_value() || *entry_op >= op) continue;
    const std::string path = io::JoinPath(directory, entry.name);
    CO_RETURN_IF_ERROR(co_await io::UnlinkFile(storage, path), "removing old snapshot ", path);
    removed = true;
  }
  if (removed) {
    CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, directory), "syncing ", directory);
  }
  co_return absl::OkStatus();
}

}  // namespace sluice::metadata
