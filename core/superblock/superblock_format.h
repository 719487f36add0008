#pragma once
// The byte layout of one superblock copy (FORMATS.md §4), its encoder and its decoder.
//
// The file `superblock` at the data directory root holds kSuperblockCopyCount copies of
// kSuperblockCopySizeBytes each; copy i lives at offset i * kSuperblockCopySizeBytes.
// One copy, all integers little-endian:
//
// | offset | size | field                                                            |
// |--------|------|------------------------------------------------------------------|
// |      0 |   16 | checksum: XXH3-128 over bytes 16..4096 of this copy               |
// |     16 |    1 | copy index (0..3): must equal the slot it is read from            |
// |     17 |   15 | reserved, zero                                                    |
// |        |      | --- the version body: bytes 32..4096, the same in all 4 copies ---|
// |     32 |    8 | magic "SLUICESB"                                                  |
// |     40 |    4 | format version (u32), kSuperblockFormatVersion                    |
// |     44 |    4 | reserved, zero                                                    |
// |     48 |    8 | sequence (u64): 1 at format, +1 per update                        |
// |     56 |   16 | parent: version checksum of the previous sequence (0 at 1)        |
// |     72 |   16 | cluster id (u128)                                                 |
// |     88 |    1 | replica index                                                     |
// |     89 |    1 | replica count                                                     |
// |     90 |    1 | stream bits                                                       |
// |     91 |    1 | topic bits                                                        |
// |     92 |    1 | partition bits                                                    |
// |     93 |    1 | recovering (0 or 1)                                               |
// |     94 |    2 | reserved, zero                                                    |
// |     96 |    8 | metadata checkpoint op                                            |
// |    104 |   16 | metadata checkpoint snapshot checksum                             |
// |    120 |    4 | view (u32)                                                        |
// |    124 |    4 | metadata log view (u32)                                           |
// |    128 |    8 | partition log-view table op (0: no table)                         |
// |    136 |   16 | partition log-view table checksum (0: no table)                   |
// |    152 |    8 | metadata commit watermark                                         |
// |    160 |   16 | metadata checkpoint prepare checksum (the WAL's chain anchor)     |
// |    176 | 3920 | reserved, zero (room for later fields without moving these)       |
//
// Why the split at 32: the only per-copy fields (checksum, copy index) sit in front, so
// the version checksum — XXH3-128 over bytes 32..4096 — is the same for all four copies
// of one version, and serves both as the identity compared when counting agreeing
// copies and as the next version's parent.
//
// Decoding never trusts the bytes: it checks the length, magic, version, checksum,
// copy index, reserved bytes and every field's range, and returns a Status naming the
// copy, its file offset, what was expected and what was found. It never asserts on
// input, so it may be fuzzed.

#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/superblock/superblock_state.h"

namespace sluice::superblock {

inline constexpr absl::string_view kSuperblockPath = "superblock";
inline constexpr uint64_t kSuperblockCopySizeBytes = 4096;
inline constexpr uint8_t kSuperblockCopyCount = 4;
inline constexpr uint64_t kSuperblockFileSizeBytes =
    kSuperblockCopySizeBytes * kSuperblockCopyCount;
// Copies that must agree for a version to be trusted. Updates write the copies one at
// a time, so a crash mid-update leaves at most one copy torn: then either the old or
// the new version still has at least this many (TigerBeetle's flexible quorums).
inline constexpr uint8_t kSuperblockQuorum = 2;
inline constexpr uint32_t kSuperblockFormatVersion = 1;

// Offsets of the layout above.
namespace superblock_offset {
inline constexpr size_t kChecksum = 0;
inline constexpr size_t kCopyIndex = 16;
inline constexpr size_t kVersionBody = 32;  // start of the part shared by all copies
inline constexpr size_t kMagic = 32;
inline constexpr size_t kFormatVersion = 40;
inline constexpr size_t kSequence = 48;
inline constexpr size_t kParent = 56;
inline constexpr size_t kClusterId = 72;
inline constexpr size_t kReplicaIndex = 88;
inline constexpr size_t kReplicaCount = 89;
inline constexpr size_t kStreamBits = 90;
inline constexpr size_t kTopicBits = 91;
inline constexpr size_t kPartitionBits = 92;
inline constexpr size_t kRecovering = 93;
inline constexpr size_t kCheckpointOp = 96;
inline constexpr size_t kCheckpointSnapshotChecksum = 104;
inline constexpr size_t kView = 120;
inline constexpr size_t kMetadataLogView = 124;
inline constexpr size_t kLogViewTableOp = 128;
inline constexpr size_t kLogViewTableChecksum = 136;
inline constexpr size_t kCommitWatermark = 152;
inline constexpr size_t kCheckpointPrepareChecksum = 160;
inline constexpr size_t kEnd = 176;  // first byte of the trailing reserved area
}  // namespace superblock_offset

// "SLUICESB" read as a little-endian u64.
inline constexpr uint64_t kSuperblockMagic = 0x42534543'49554C53ULL;

inline constexpr uint64_t SuperblockCopyOffset(uint8_t copy_index) {
  return uint64_t{copy_index} * kSuperblockCopySizeBytes;
}

// One copy that decoded and checked out.
struct DecodedCopy {
  uint8_t copy_index = 0;
  uint32_t format_version = kSuperblockFormatVersion;
  uint64_t sequence = 0;
  absl::uint128 parent = 0;
  absl::uint128 checksum = 0;          // this copy's own checksum (bytes 16..4096)
  absl::uint128 version_checksum = 0;  // bytes 32..4096: shared by all copies of a version
  SuperblockState state;
  friend bool operator==(const DecodedCopy&, const DecodedCopy&) = default;
};

// True if two decoded copies hold the same version, byte for byte: a copy's version
// body is fully determined by its decoded fields, since every reserved byte must be 0.
bool SameVersion(const DecodedCopy& a, const DecodedCopy& b);

// Lays out one copy. The caller guarantees (asserted): `state` passes
// ValidateSuperblockState, sequence >= 1, parent == 0 when sequence == 1, and
// copy_index < kSuperblockCopyCount.
Bytes EncodeSuperblockCopy(const SuperblockState& state, uint64_t sequence, absl::uint128 parent,
                           uint8_t copy_index);

// Decodes the copy read from slot `slot`. Errors (message prefixed with
// "superblock copy <slot> (offset <offset>)"):
//  - FailedPrecondition: the magic is right but the format version is not one this
//    build reads (names the found and the supported version);
//  - DataLoss: wrong size, zeroed, bad magic, checksum mismatch, copy index not its
//    slot, non-zero reserved bytes, or a field out of range (widths name rule B9);
//  - InvalidArgument: slot >= kSuperblockCopyCount.
absl::StatusOr<DecodedCopy> DecodeSuperblockCopy(ByteSpan copy, uint8_t slot);

// XXH3-128 over a copy's version body (bytes 32..4096). `copy` must be a whole copy.
absl::uint128 SuperblockVersionChecksum(ByteSpan copy);

// XXH3-128 over bytes 16..4096: what a copy's checksum field must hold. `copy` must be
// a whole copy. Exposed for tests and tools that craft copies.
absl::uint128 SuperblockCopyChecksum(ByteSpan copy);

}  // namespace sluice::superblock
