#include "core/partition/state_record.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/checksum.h"
#include "core/io/storage_ops.h"
#include "core/partition/layout.h"

namespace sluice::partition {
namespace {

constexpr uint64_t kMagic = 0x4554415453504C53ULL;  // "SLPSTATE" little-endian
constexpr uint32_t kVersion = 1;

std::string Hex128(absl::uint128 value) {
  return absl::StrFormat("0x%016x%016x", absl::Uint128High64(value), absl::Uint128Low64(value));
}

}  // namespace

Bytes EncodeStateRecord(const StateRecord& record) {
  SLUICE_ASSERT(!record.segments.empty() && record.segments.size() <= kMaxSegments,
                "state record with ", record.segments.size(), " segments");
  Bytes slot(kStateSlotSize, 0);
  base::StoreLittleEndian<uint64_t>(slot, 16, kMagic);
  base::StoreLittleEndian<uint32_t>(slot, 24, kVersion);
  base::StoreLittleEndian<uint32_t>(slot, 28, static_cast<uint32_t>(record.segments.size()));
  base::StoreLittleEndian<uint64_t>(slot, 32, record.sequence);
  base::StoreLittleEndian<uint64_t>(slot, 40, record.incarnation);
  base::StoreLittleEndian<uint64_t>(slot, 48, record.namespace_id);
  base::StoreLittleEndian<uint64_t>(slot, 56, record.commit_watermark);
  base::StoreLittleEndian<uint64_t>(slot, 64, record.anchor_op);
  base::StoreU128(slot, 72, record.anchor_parent);
  base::StoreLittleEndian<uint64_t>(slot, 88, record.log_end_op);
  base::StoreLittleEndian<uint64_t>(slot, 96, record.purge_step);
  base::StoreLittleEndian<uint64_t>(slot, 104, record.promised_op);
  size_t offset = kStateRecordHeaderSize;
  for (const SegmentInfo& segment : record.segments) {
    base::StoreLittleEndian<uint64_t>(slot, offset, segment.first_op);
    base::StoreLittleEndian<uint64_t>(slot, offset + 8, segment.start_offset);
    offset += 16;
  }
  base::StoreU128(slot, 0, base::Checksum128(ByteSpan(slot).subspan(16, offset - 16)));
  return slot;
}

absl::StatusOr<StateRecord> DecodeStateRecord(ByteSpan slot) {
  if (slot.size() < kStateRecordHeaderSize) {
    return absl::DataLossError(absl::StrCat("state record slot too short: ", slot.size(), " bytes"));
  }
  const uint64_t magic = base::LoadLittleEndian<uint64_t>(slot, 16);
  if (magic != kMagic) {
    return absl::DataLossError(absl::StrFormat("bad magic 0x%016x (expected 0x%016x)", magic, kMagic));
  }
  const uint32_t count = base::LoadLittleEndian<uint32_t>(slot, 28);
  if (count == 0 || count > kMaxSegments || kStateRecordHeaderSize + 16 * uint64_t{count} > slot.size()) {
    return absl::DataLossError(absl::StrCat("segment count ", count, " out of range 1..", kMaxSegments));
  }
  const size_t end = kStateRecordHeaderSize + 16 * size_t{count};
  const absl::uint128 stored = base::LoadU128(slot, 0);
  const absl::uint128 computed = base::Checksum128(slot.subspan(16, end - 16));
  if (stored != computed) {
    return absl::DataLossError(absl::StrCat("checksum mismatch: stored ", Hex128(stored), ", computed ",
                                            Hex128(computed)));
  }
  const uint32_t version = base::LoadLittleEndian<uint32_t>(slot, 24);
  if (version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsupported state record version ", version, " (this build reads ", kVersion, ")"));
  }
  StateRecord record;
  record.sequence = base::LoadLittleEndian<uint64_t>(slot, 32);
  record.incarnation = base::LoadLittleEndian<uint64_t>(slot, 40);
  record.namespace_id = base::LoadLittleEndian<uint64_t>(slot, 48);
  record.commit_watermark = base::LoadLittleEndian<uint64_t>(slot, 56);
  record.anchor_op = base::LoadLittleEndian<uint64_t>(slot, 64);
  record.anchor_parent = base::LoadU128(slot, 72);
  record.log_end_op = base::LoadLittleEndian<uint64_t>(slot, 88);
  record.purge_step = base::LoadLittleEndian<uint64_t>(slot, 96);
  record.promised_op = base::LoadLittleEndian<uint64_t>(slot, 104);
  for (size_t offset = kStateRecordHeaderSize; offset < end; offset += 16) {
    const SegmentInfo segment{base::LoadLittleEndian<uint64_t>(slot, offset),
                              base::LoadLittleEndian<uint64_t>(slot, offset + 8)};
    if (!record.segments.empty() && segment.first_op <= record.segments.back().first_op) {
      return absl::DataLossError(absl::StrCat("segments out of order: ", segment.first_op, " after ",
                                              record.segments.back().first_op));
    }
    record.segments.push_back(segment);
  }
  if (record.segments.front().first_op != record.anchor_op) {
    return absl::DataLossError(absl::StrCat("anchor op ", record.anchor_op, " is not the first segment's op ",
                                            record.segments.front().first_op));
  }
  return record;
}

io::Task<absl::StatusOr<StateRecordLoad>> LoadStateRecord(io::Storage& storage, std::string directory) {
  const std::string path = io::JoinPath(directory, kStateRecordName);
  CO_ASSIGN_OR_RETURN(const io::FileHandle file,
                      co_await io::OpenFile(storage, path, io::OpenMode::kExisting),
                      "partition state record (rule B5: never recreated)");
  StateRecordLoad load;
  std::optional<StateRecord> best;
  Bytes slot(kStateSlotSize);
  for (int index = 0; index < 2; ++index) {
    const absl::StatusOr<size_t> count =
        co_await io::ReadAt(storage, file, index * kStateSlotSize, MutableByteSpan(slot));
    absl::StatusOr<StateRecord> record =
        count.ok() ? DecodeStateRecord(ByteSpan(slot).subspan(0, *count)) : count.status();
    if (record.ok() && record->sequence % 2 != static_cast<uint64_t>(index)) {
      record = absl::DataLossError(absl::StrCat("sequence ", record->sequence, " in the wrong slot"));
    }
    if (!record.ok()) {
      load.slot_status[index] = absl::StrCat("invalid: ", record.status().message());
      continue;
    }
    load.slot_status[index] = absl::StrCat("valid, sequence ", record->sequence);
    if (!best.has_value() || record->sequence > best->sequence) {
      best = *std::move(record);
      load.chosen_slot = index;
    }
  }
  CO_RETURN_IF_ERROR(co_await io::CloseFile(storage, file), "closing ", path);
  if (!best.has_value()) {
    co_return absl::DataLossError(absl::StrCat("no valid copy of ", path, ": slot 0 ",
                                               load.slot_status[0], "; slot 1 ", load.slot_status[1]));
  }
  load.record = *std::move(best);
  co_return load;
}

io::Task<absl::Status> StoreStateRecord(io::Storage& storage, std::string directory,
                                        const StateRecord& record) {
  const std::string path = io::JoinPath(directory, kStateRecordName);
  const Bytes slot = EncodeStateRecord(record);
  CO_ASSIGN_OR_RETURN(const io::FileHandle file,
                      co_await io::OpenFile(storage, path, io::OpenMode::kCreate), "opening ", path);
  absl::Status status = co_await io::WriteAt(storage, file, (record.sequence % 2) * kStateSlotSize, slot);
  if (status.ok()) status = co_await io::SyncFile(storage, file);
  const absl::Status closed = co_await io::CloseFile(storage, file);
  if (status.ok()) status = closed;
  CO_RETURN_IF_ERROR(status, "writing ", path, " sequence ", record.sequence);
  co_return absl::OkStatus();
}

}  // namespace sluice::partition
