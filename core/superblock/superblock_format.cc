#include "core/superblock/superblock_format.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"

namespace sluice::superblock {
namespace {

namespace off = superblock_offset;

// The reserved ranges of a copy: [begin, end). Decoding requires them zero so that a
// later format version can use them without an old copy being misread.
constexpr std::pair<size_t, size_t> kReservedRanges[] = {
    {off::kCopyIndex + 1, off::kVersionBody},
    {off::kFormatVersion + 4, off::kSequence},
    {off::kRecovering + 1, off::kCheckpointOp},
    {off::kEnd, kSuperblockCopySizeBytes},
};

std::optional<size_t> FirstNonZero(ByteSpan bytes, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (bytes[i] != 0) return i;
  }
  return std::nullopt;
}

std::string Where(uint8_t slot) {
  return absl::StrCat("superblock copy ", slot, " (offset ", SuperblockCopyOffset(slot), ")");
}

absl::Status Corrupt(uint8_t slot, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(Where(slot), ": ", what));
}

SuperblockState DecodeState(ByteSpan copy) {
  using base::LoadLittleEndian;
  SuperblockState state;
  state.cluster_id = base::LoadU128(copy, off::kClusterId);
  state.replica_index = copy[off::kReplicaIndex];
  state.replica_count = copy[off::kReplicaCount];
  state.namespace_widths.stream_bits = copy[off::kStreamBits];
  state.namespace_widths.topic_bits = copy[off::kTopicBits];
  state.namespace_widths.partition_bits = copy[off::kPartitionBits];
  state.recovering = copy[off::kRecovering] != 0;  // range-checked by the caller
  state.metadata_checkpoint.op = LoadLittleEndian<uint64_t>(copy, off::kCheckpointOp);
  state.metadata_checkpoint.snapshot_checksum =
      base::LoadU128(copy, off::kCheckpointSnapshotChecksum);
  state.view = LoadLittleEndian<uint32_t>(copy, off::kView);
  state.metadata_log_view = LoadLittleEndian<uint32_t>(copy, off::kMetadataLogView);
  state.partition_log_views.op = LoadLittleEndian<uint64_t>(copy, off::kLogViewTableOp);
  state.partition_log_views.checksum = base::LoadU128(copy, off::kLogViewTableChecksum);
  state.metadata_commit_watermark = LoadLittleEndian<uint64_t>(copy, off::kCommitWatermark);
  state.metadata_checkpoint.prepare_checksum =
      base::LoadU128(copy, off::kCheckpointPrepareChecksum);
  return state;
}

// Identification: before the checksum, so that a copy written by another format
// version (whose checksum may cover other bytes) is reported as such, not as corrupt.
absl::Status CheckMagicAndVersion(ByteSpan copy, uint8_t slot) {
  if (!FirstNonZero(copy, 0, copy.size()).has_value()) {
    return Corrupt(slot, "all zeros (never written, or lost)");
  }
  const uint64_t magic = base::LoadLittleEndian<uint64_t>(copy, off::kMagic);
  if (magic != kSuperblockMagic) {
    return Corrupt(slot,
                   absl::StrCat("bad magic 0x", absl::Hex(magic, absl::kZeroPad16), ", expected 0x",
                                absl::Hex(kSuperblockMagic, absl::kZeroPad16), " (\"SLUICESB\")"));
  }
  const uint32_t version = base::LoadLittleEndian<uint32_t>(copy, off::kFormatVersion);
  if (version != kSuperblockFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        Where(slot), ": superblock format version ", version,
        " is not supported: this build reads format version ", kSuperblockFormatVersion));
  }
  return absl::OkStatus();
}

absl::Status CheckStructure(ByteSpan copy, uint8_t slot) {
  const absl::uint128 stored = base::LoadU128(copy, off::kChecksum);
  const absl::uint128 computed = SuperblockCopyChecksum(copy);
  if (stored != computed) {
    return Corrupt(slot, absl::StrCat("checksum mismatch: stored ", Hex128(stored), ", computed ",
                                      Hex128(computed)));
  }
  // After the checksum: a matching checksum with the wrong index means the copy was
  // written whole but landed in the wrong slot (a misdirected write).
  if (copy[off::kCopyIndex] != slot) {
    return Corrupt(slot, absl::StrCat("holds copy index ", copy[off::kCopyIndex], ", expected ",
                                      slot, " (a misdirected write?)"));
  }
  for (const auto& [begin, end] : kReservedRanges) {
    if (const std::optional<size_t> at = FirstNonZero(copy, begin, end); at.has_value()) {
      return Corrupt(slot, absl::StrCat("reserved byte at copy offset ", *at, " is 0x",
                                        absl::Hex(copy[*at], absl::kZeroPad2), ", expected 0"));
    }
  }
  if (copy[off::kRecovering] > 1) {
    return Corrupt(
        slot, absl::StrCat("recovering flag is ", copy[off::kRecovering], ", expected 0 or 1"));
  }
  return absl::OkStatus();
}

}  // namespace

bool SameVersion(const DecodedCopy& a, const DecodedCopy& b) {
  return a.format_version == b.format_version && a.sequence == b.sequence && a.parent == b.parent &&
         a.state == b.state;
}

absl::uint128 SuperblockVersionChecksum(ByteSpan copy) {
  SLUICE_ASSERT(copy.size() == kSuperblockCopySizeBytes, "copy of ", copy.size(), " bytes");
  return base::Checksum128(copy.subspan(off::kVersionBody));
}

absl::uint128 SuperblockCopyChecksum(ByteSpan copy) {
  SLUICE_ASSERT(copy.size() == kSuperblockCopySizeBytes, "copy of ", copy.size(), " bytes");
  return base::Checksum128(copy.subspan(off::kCopyIndex));
}

Bytes EncodeSuperblockCopy(const SuperblockState& state, uint64_t sequence, absl::uint128 parent,
                           uint8_t copy_index) {
  const absl::Status valid = ValidateSuperblockState(state);
  SLUICE_ASSERT(valid.ok(), "encoding an invalid superblock state: ", valid.message());
  SLUICE_ASSERT(copy_index < kSuperblockCopyCount, "copy index ", copy_index);
  SLUICE_ASSERT(sequence >= 1, "sequence 0 is never written");
  SLUICE_ASSERT(sequence != 1 || parent == 0, "sequence 1 has no parent");

  using base::StoreLittleEndian;
  Bytes copy(kSuperblockCopySizeBytes, 0);
  const MutableByteSpan out(copy);
  out[off::kCopyIndex] = copy_index;
  StoreLittleEndian<uint64_t>(out, off::kMagic, kSuperblockMagic);
  StoreLittleEndian<uint32_t>(out, off::kFormatVersion, kSuperblockFormatVersion);
  StoreLittleEndian<uint64_t>(out, off::kSequence, sequence);
  base::StoreU128(out, off::kParent, parent);
  base::StoreU128(out, off::kClusterId, state.cluster_id);
  out[off::kReplicaIndex] = state.replica_index;
  out[off::kReplicaCount] = state.replica_count;
  out[off::kStreamBits] = state.namespace_widths.stream_bits;
  out[off::kTopicBits] = state.namespace_widths.topic_bits;
  out[off::kPartitionBits] = state.namespace_widths.partition_bits;
  out[off::kRecovering] = state.recovering ? 1 : 0;
  StoreLittleEndian<uint64_t>(out, off::kCheckpointOp, state.metadata_checkpoint.op);
  base::StoreU128(out, off::kCheckpointSnapshotChecksum,
                  state.metadata_checkpoint.snapshot_checksum);
  StoreLittleEndian<uint32_t>(out, off::kView, state.view);
  StoreLittleEndian<uint32_t>(out, off::kMetadataLogView, state.metadata_log_view);
  StoreLittleEndian<uint64_t>(out, off::kLogViewTableOp, state.partition_log_views.op);
  base::StoreU128(out, off::kLogViewTableChecksum, state.partition_log_views.checksum);
  StoreLittleEndian<uint64_t>(out, off::kCommitWatermark, state.metadata_commit_watermark);
  base::StoreU128(out, off::kCheckpointPrepareChecksum,
                  state.metadata_checkpoint.prepare_checksum);
  // The checksum last: it covers everything above.
  base::StoreU128(out, off::kChecksum, SuperblockCopyChecksum(copy));
  return copy;
}

absl::StatusOr<DecodedCopy> DecodeSuperblockCopy(ByteSpan copy, uint8_t slot) {
  if (slot >= kSuperblockCopyCount) {
    return absl::InvalidArgumentError(absl::StrCat(
        "superblock slot ", slot, " out of range: there are ", kSuperblockCopyCount, " copies"));
  }
  if (copy.size() != kSuperblockCopySizeBytes) {
    return Corrupt(slot,
                   absl::StrCat("is ", copy.size(), " bytes, expected ", kSuperblockCopySizeBytes));
  }
  if (absl::Status status = CheckMagicAndVersion(copy, slot); !status.ok()) return status;
  if (absl::Status status = CheckStructure(copy, slot); !status.ok()) return status;

  DecodedCopy decoded;
  decoded.copy_index = slot;
  decoded.format_version = kSuperblockFormatVersion;
  decoded.sequence = base::LoadLittleEndian<uint64_t>(copy, off::kSequence);
  decoded.parent = base::LoadU128(copy, off::kParent);
  decoded.checksum = base::LoadU128(copy, off::kChecksum);
  decoded.version_checksum = SuperblockVersionChecksum(copy);
  decoded.state = DecodeState(copy);
  if (decoded.sequence == 0) {
    return Corrupt(slot, "sequence 0 (format writes sequence 1)");
  }
  if (decoded.sequence == 1 && decoded.parent != 0) {
    return Corrupt(slot, absl::StrCat("sequence 1 with parent ", Hex128(decoded.parent),
                                      ", expected 0 (the first version has no parent)"));
  }
  if (absl::Status valid = ValidateSuperblockState(decoded.state); !valid.ok()) {
    return Corrupt(
        slot, absl::StrCat("invalid state (sequence ", decoded.sequence, "): ", valid.message()));
  }
  return decoded;
}

}  // namespace sluice::superblock
