#include "core/partition/partition_snapshot.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/io/storage_ops.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"

namespace sluice::partition {
namespace {

constexpr uint64_t kMagic = 0x3150414E53504C53ULL;  // "SLPSNAP1" little-endian
constexpr uint32_t kVersion = 1;
constexpr size_t kEntrySize = 13;
constexpr absl::string_view kPrefix = "anchor-";
constexpr absl::string_view kSuffix = ".snapshot";

}  // namespace

Bytes EncodePartitionSnapshot(const PartitionSnapshot& snapshot) {
  Bytes bytes(kPartitionSnapshotHeaderSize + kEntrySize * snapshot.offsets.size(), 0);
  base::StoreLittleEndian<uint64_t>(bytes, 16, kMagic);
  base::StoreLittleEndian<uint32_t>(bytes, 24, kVersion);
  base::StoreLittleEndian<uint32_t>(bytes, 28, static_cast<uint32_t>(snapshot.offsets.size()));
  base::StoreLittleEndian<uint64_t>(bytes, 32, snapshot.op);
  base::StoreU128(bytes, 40, snapshot.op_checksum);
  base::StoreLittleEndian<uint64_t>(bytes, 56, snapshot.owner.namespace_id);
  base::StoreLittleEndian<uint64_t>(bytes, 64, snapshot.owner.incarnation);
  base::StoreLittleEndian<uint64_t>(bytes, 72, snapshot.next_offset);
  base::StoreLittleEndian<uint64_t>(bytes, 80, snapshot.purge_step);
  size_t position = kPartitionSnapshotHeaderSize;
  for (const auto& [key, offset] : snapshot.offsets) {  // std::map: ascending keys
    bytes[position] = static_cast<uint8_t>(key.kind);
    base::StoreLittleEndian<uint32_t>(bytes, position + 1, key.id);
    base::StoreLittleEndian<uint64_t>(bytes, position + 5, offset);
    position += kEntrySize;
  }
  base::StoreU128(bytes, 0, base::Checksum128(ByteSpan(bytes).subspan(16)));
  return bytes;
}

EncodedPartitionSnapshot EncodeServedSnapshot(const PartitionSnapshot& snapshot) {
  EncodedPartitionSnapshot encoded{.op = snapshot.op, .op_checksum = snapshot.op_checksum,
                                   .bytes = EncodePartitionSnapshot(snapshot)};
  encoded.checksum = base::Checksum128(encoded.bytes);
  return encoded;
}

absl::StatusOr<PartitionSnapshot> DecodePartitionSnapshot(ByteSpan bytes) {
  if (bytes.size() < kPartitionSnapshotHeaderSize) {
    return absl::DataLossError(absl::StrCat("partition snapshot too short: ", bytes.size(), " bytes"));
  }
  if (base::LoadU128(bytes, 0) != base::Checksum128(bytes.subspan(16))) {
    return absl::DataLossError("partition snapshot checksum mismatch");
  }
  if (base::LoadLittleEndian<uint64_t>(bytes, 16) != kMagic || base::LoadLittleEndian<uint32_t>(bytes, 24) != kVersion ||
      base::LoadLittleEndian<uint64_t>(bytes, 88) != 0) {
    return absl::DataLossError("partition snapshot: bad magic, unsupported version or non-zero reserved bytes");
  }
  const uint32_t count = base::LoadLittleEndian<uint32_t>(bytes, 28);
  if (bytes.size() != kPartitionSnapshotHeaderSize + kEntrySize * uint64_t{count}) {
    return absl::DataLossError(absl::StrCat("partition snapshot: ", count, " offsets need ",
                                            kPartitionSnapshotHeaderSize + kEntrySize * uint64_t{count},
                                            " bytes, it has ", bytes.size()));
  }
  PartitionSnapshot snapshot;
  snapshot.op = base::LoadLittleEndian<uint64_t>(bytes, 32);
  snapshot.op_checksum = base::LoadU128(bytes, 40);
  snapshot.owner.namespace_id = base::LoadLittleEndian<uint64_t>(bytes, 56);
  snapshot.owner.incarnation = base::LoadLittleEndian<uint64_t>(bytes, 64);
  snapshot.next_offset = base::LoadLittleEndian<uint64_t>(bytes, 72);
  snapshot.purge_step = base::LoadLittleEndian<uint64_t>(bytes, 80);
  for (size_t position = kPartitionSnapshotHeaderSize; position < bytes.size(); position += kEntrySize) {
    ASSIGN_OR_RETURN(const StoreOffsetBody entry, DecodeStoreOffset(bytes.subspan(position, kEntrySize)),
                     "partition snapshot offset at byte ", position);
    if (!snapshot.offsets.empty() && !(snapshot.offsets.rbegin()->first < entry.consumer)) {
      return absl::DataLossError("partition snapshot: offsets out of key order");  // never encoded so
    }
    snapshot.offsets[entry.consumer] = entry.offset;
  }
  return snapshot;
}

std::string AnchorSnapshotName(uint64_t op) { return absl::StrFormat("anchor-%020d.snapshot", op); }

std::optional<uint64_t> ParseAnchorSnapshotName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kPrefix) || !absl::ConsumeSuffix(&name, kSuffix) || name.size() != 20) {
    return std::nullopt;
  }
  uint64_t op = 0;
  if (!absl::SimpleAtoi(name, &op)) return std::nullopt;
  return op;
}

absl::Status ApplyOffsetOperation(std::map<ConsumerKey, uint64_t>& offsets, wire::Operation operation,
                                  ByteSpan body) {
  switch (operation) {
    case wire::Operation::kStoreConsumerOffset: {
      ASSIGN_OR_RETURN(const StoreOffsetBody store, DecodeStoreOffset(body));
      offsets[store.consumer] = store.offset;
      return absl::OkStatus();
    }
    case wire::Operation::kDeleteConsumerOffset: {
      ASSIGN_OR_RETURN(const ConsumerKey key, DecodeDeleteOffset(body));
      offsets.erase(key);
      return absl::OkStatus();
    }
    case wire::Operation::kPartitionPurge:
      offsets.clear();
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<PartitionSnapshot> VerifyAnchorSnapshot(ByteSpan bytes, uint64_t op, absl::uint128 op_checksum,
                                                       const OffsetsOwner& owner, absl::string_view path) {
  absl::StatusOr<PartitionSnapshot> snapshot = DecodePartitionSnapshot(bytes);
  if (!snapshot.ok()) return base::Annotate(snapshot.status(), path);
  if (snapshot->op != op || snapshot->op_checksum != op_checksum || snapshot->owner != owner) {
    return absl::DataLossError(absl::StrCat(
        path, ": the snapshot of op ", snapshot->op, " (namespace ", snapshot->owner.namespace_id, " incarnation ",
        snapshot->owner.incarnation, ") is not the anchor expected: op ", op, " of namespace ", owner.namespace_id,
        " incarnation ", owner.incarnation, " with its chain anchor (rule B6: never loaded)"));
  }
  return snapshot;
}

namespace {

// The first segment of the installed partition: reused if a file of that name is
// there (its stale entries are cut through log_end_op), else created empty.
io::Task<absl::Status> EnsureSegmentFile(io::Storage& storage, const std::string& path) {
  CO_ASSIGN_OR_RETURN(const io::FileHandle file, co_await io::OpenFile(storage, path, io::OpenMode::kCreate),
                      "opening ", path, " for the installed snapshot");
  CO_RETURN_IF_ERROR(co_await io::CloseFile(storage, file), "closing ", path);
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::Status> InstallAnchorSnapshot(io::Storage& storage, std::string directory, Bytes bytes,
                                             PartitionSnapshot snapshot, uint64_t promised_op) {
  SLUICE_ASSERT(snapshot.op >= 1, "a partition snapshot anchors at op 1 or above");
  const uint64_t first_op = snapshot.op + 1;
  // 1. The anchor's snapshot, durable before anything names it.
  const std::string anchor_path = io::JoinPath(directory, AnchorSnapshotName(snapshot.op));
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, anchor_path, bytes), "writing ", anchor_path);
  // 2. The segment the new record lists exists durably (rule B5).
  CO_RETURN_IF_ERROR(co_await EnsureSegmentFile(storage, io::JoinPath(directory, SegmentLogName(first_op))));
  CO_RETURN_IF_ERROR(co_await EnsureSegmentFile(storage, io::JoinPath(directory, SegmentIndexName(first_op))));
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, directory), "syncing ", directory);
  // 3. The commit point: the record anchored at the snapshot.
  CO_ASSIGN_OR_RETURN(const StateRecordLoad current, co_await LoadStateRecord(storage, directory),
                      "installing the snapshot of op ", snapshot.op);
  StateRecord next = current.record;
  SLUICE_ASSERT(next.namespace_id == snapshot.owner.namespace_id && next.incarnation == snapshot.owner.incarnation,
                "installing another partition's snapshot into ", directory);
  next.sequence = current.record.sequence + 1;
  next.commit_watermark = snapshot.op;
  next.anchor_op = first_op;
  next.anchor_parent = snapshot.op_checksum;
  next.log_end_op = snapshot.op;
  next.purge_step = snapshot.purge_step;
  next.promised_op = std::max(next.promised_op, promised_op) > snapshot.op ? std::max(next.promised_op, promised_op) : 0;
  next.segments = {SegmentInfo{.first_op = first_op, .start_offset = snapshot.next_offset}};
  CO_RETURN_IF_ERROR(co_await StoreStateRecord(storage, directory, next), "anchoring ", directory, " at op ",
                     snapshot.op);
  // 4. The offsets as of the anchor.
  const Bytes offsets = EncodeConsumerOffsets({.applied_op = snapshot.op, .offsets = snapshot.offsets},
                                              snapshot.owner);
  const std::string offsets_path = io::JoinPath(directory, kConsumerOffsetsName);
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, offsets_path, offsets), "writing ", offsets_path);
  co_return absl::OkStatus();
}

}  // namespace sluice::partition
