#pragma once
// A snapshot file's bytes: a 48-byte header, then the encoded state (state_codec.h).
//
//   offset size field
//      0    8  magic           "SLMETASN"
//      8    4  format_version  kSnapshotFormatVersion (an unknown version is refused)
//     12    4  reserved        zero
//     16    8  op              the last op the state has applied (= the file's name)
//     24    8  body_length     bytes after the header
//     32   16  checksum        XXH3-128 over header bytes 0..32 and the body
//
// The checksum is what the superblock records for the checkpoint, so a loader checks
// a file both against itself (torn or corrupt) and against the superblock (a stale
// file under the right name).

#include <cstdint>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

inline constexpr size_t kSnapshotHeaderSize = 48;
inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct EncodedSnapshot {
  Bytes bytes;
  absl::uint128 checksum = 0;
};

// The snapshot of `state`, which has applied ops up to state.last_applied_op.
EncodedSnapshot EncodeSnapshot(const MetadataState& state);

// Decodes and verifies a snapshot file's bytes. `expected_op` is the op its name (and
// the superblock) gives; `expected_checksum` the checksum the superblock recorded.
// DataLoss for a torn or corrupt file (too short, bad magic, length or checksum,
// undecodable state), FailedPrecondition for an unknown format version, and
// InvalidArgument if it is intact but not the snapshot asked for (op or checksum
// differ). Messages say what was expected and what was found.
absl::StatusOr<MetadataState> DecodeSnapshot(ByteSpan bytes, uint64_t expected_op,
                                             absl::uint128 expected_checksum);

}  // namespace sluice::metadata
