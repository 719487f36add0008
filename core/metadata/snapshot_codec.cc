#include "core/metadata/snapshot_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/metadata/state_codec.h"

namespace sluice::metadata {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'M', 'E', 'T', 'A', 'S', 'N'};
constexpr size_t kOffsetVersion = 8;
constexpr size_t kOffsetReserved = 12;
constexpr size_t kOffsetOp = 16;
constexpr size_t kOffsetBodyLength = 24;
constexpr size_t kOffsetChecksum = 32;

absl::uint128 ChecksumOf(ByteSpan header, ByteSpan body) {
  base::Checksum128Builder builder;
  builder.Add(header.first(kOffsetChecksum));
  builder.Add(body);
  return builder.Finish();
}

std::string Hex(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

// The header's own checks: torn or corrupt (DataLoss) or a version we cannot read.
absl::Status CheckHeader(ByteSpan bytes) {
  if (bytes.size() < kSnapshotHeaderSize) {
    return absl::DataLossError(absl::StrCat("snapshot torn: ", bytes.size(),
                                            " bytes, shorter than its ", kSnapshotHeaderSize,
                                            "-byte header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("snapshot corrupt: bad magic (expected \"SLMETASN\")");
  }
  const uint64_t body_length = base::LoadLittleEndian<uint64_t>(bytes, kOffsetBodyLength);
  if (body_length != bytes.size() - kSnapshotHeaderSize) {
    return absl::DataLossError(absl::StrCat("snapshot torn or corrupt: header says ",
                                            body_length, " body bytes, file has ",
                                            bytes.size() - kSnapshotHeaderSize));
  }
  const absl::uint128 stored = base::LoadU128(bytes, kOffsetChecksum);
  const absl::uint128 computed = ChecksumOf(bytes, bytes.subspan(kSnapshotHeaderSize));
  if (stored != computed) {
    return absl::DataLossError(absl::StrCat("snapshot corrupt: checksum ", Hex(computed),
                                            " computed, header says ", Hex(stored)));
  }
  const uint32_t version = base::LoadLittleEndian<uint32_t>(bytes, kOffsetVersion);
  if (version != kSnapshotFormatVersion ||
      base::LoadLittleEndian<uint32_t>(bytes, kOffsetReserved) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot format version ", version, " (reserved ",
        base::LoadLittleEndian<uint32_t>(bytes, kOffsetReserved), "); this build reads version ",
        kSnapshotFormatVersion, " with reserved 0"));
  }
  return absl::OkStatus();
}

}  // namespace

EncodedSnapshot EncodeSnapshot(const MetadataState& state) {
  const Bytes body = EncodeState(state);
  Bytes bytes(kSnapshotHeaderSize);
  std::memcpy(bytes.data(), kMagic, sizeof(kMagic));
  const MutableByteSpan header(bytes);
  base::StoreLittleEndian<uint32_t>(header, kOffsetVersion, kSnapshotFormatVersion);
  base::StoreLittleEndian<uint32_t>(header, kOffsetReserved, 0);
  base::StoreLittleEndian<uint64_t>(header, kOffsetOp, state.last_applied_op);
  base::StoreLittleEndian<uint64_t>(header, kOffsetBodyLength, body.size());
  const absl::uint128 checksum = ChecksumOf(bytes, body);
  base::StoreU128(MutableByteSpan(bytes), kOffsetChecksum, checksum);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return {std::move(bytes), checksum};
}

absl::StatusOr<MetadataState> DecodeSnapshot(ByteSpan bytes, uint64_t expected_op,
                                             absl::uint128 expected_checksum) {
  if (absl::Status header = CheckHeader(bytes); !header.ok()) return header;
  const uint64_t op = base::LoadLittleEndian<uint64_t>(bytes, kOffsetOp);
  const absl::uint128 checksum = base::LoadU128(bytes, kOffsetChecksum);
  if (op != expected_op || checksum != expected_checksum) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot is op ", op, " checksum ", Hex(checksum), ", expected op ", expected_op,
        " checksum ", Hex(expected_checksum)));
  }
  absl::StatusOr<MetadataState> state = DecodeState(bytes.subspan(kSnapshotHeaderSize));
  if (!state.ok()) {
    // The checksum matched, so these bytes were written like this: a bug, or a
    // corruption the checksum missed. Either way the file must not be loaded.
    return absl::DataLossError(absl::StrCat("snapshot body undecodable despite its checksum: ",
                                            state.status().message()));
  }
  if (state->last_applied_op != op) {
    return absl::DataLossError(absl::StrCat("snapshot header op ", op, " but its state is at op ",
                                            state->last_applied_op));
  }
  return state;
}

}  // namespace sluice::metadata
