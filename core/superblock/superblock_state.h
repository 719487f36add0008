#pragma once
// SuperblockState: the replica's durable state that lives in the superblock
// (DESIGN.md "Format", FORMATS.md §4), and the checks on it that do not need a disk.
//
// Three kinds of fields:
//  - identity, fixed at format time: cluster id, replica index and count, namespace
//    widths. Checked against config at boot (ValidateAgainstConfig) and never changed
//    by an update.
//  - durable VSR state, which only moves forward: view, the metadata group's log view,
//    the reference to the partition groups' log-view table, the metadata checkpoint
//    and the metadata commit watermark (rule B4: restored from here on restart).
//  - the `recovering` flag of `format --recover` (rule B17): set only at format, cleared
//    once the replica has state-synced.

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"

namespace sluice::superblock {

// Bit widths of the stream, topic and partition ids packed into a partition group's
// 64-bit namespace below bit 63 (FORMATS.md §5). Defaults are Iggy's.
struct NamespaceWidths {
  uint8_t stream_bits = 12;
  uint8_t topic_bits = 12;
  uint8_t partition_bits = 20;
  friend bool operator==(const NamespaceWidths&, const NamespaceWidths&) = default;
};

// Bits available to the packed ids: bit 63 marks a partition group (rule B9).
inline constexpr uint32_t kNamespaceIdBitsMax = 63;

// Rule B9: each width is at most 64 and their plain sum at most 63. Because each
// width is at most 64, the sum of three fits easily in 32 bits: no overflow branch.
// InvalidArgument naming rule B9, the widths and the sum otherwise.
absl::Status ValidateNamespaceWidths(const NamespaceWidths& widths);

// The metadata snapshot the replica recovers from (its file is named by `op`), and
// the checksum of op's prepare: the anchor the WAL's hash chain continues from (op + 1
// has it as parent). 0 for op 0, the empty state before the first prepare.
struct MetadataCheckpoint {
  uint64_t op = 0;
  absl::uint128 snapshot_checksum = 0;
  absl::uint128 prepare_checksum = 0;
  friend bool operator==(const MetadataCheckpoint&, const MetadataCheckpoint&) = default;
};

// Names the checksummed table holding every partition group's log view (written by
// the replica's view-change code, not here). All zero means "no table yet": then
// every partition group's log view is 0.
struct LogViewTableReference {
  uint64_t op = 0;  // the table's sequence: which version of the table file
  absl::uint128 checksum = 0;
  bool present() const { return op != 0; }
  friend bool operator==(const LogViewTableReference&, const LogViewTableReference&) = default;
};

struct SuperblockState {
  // Identity (fixed at format).
  absl::uint128 cluster_id = 0;
  uint8_t replica_index = 0;
  uint8_t replica_count = 1;
  NamespaceWidths namespace_widths;

  // Durable VSR state (never moves backwards).
  MetadataCheckpoint metadata_checkpoint;
  uint32_t view = 0;
  uint32_t metadata_log_view = 0;
  LogViewTableReference partition_log_views;
  uint64_t metadata_commit_watermark = 0;  // highest metadata op known committed

  // Rule B17: not a voter (view changes, commit quorums) until state-synced.
  bool recovering = false;

  friend bool operator==(const SuperblockState&, const SuperblockState&) = default;
};

// Checks what must hold of every state the superblock stores: widths (B9), the
// replica index within the count, log view <= view (VSR), checkpoint op <= commit
// watermark (a checkpoint only covers committed ops), and a log-view table
// reference that is either all zero or fully set. InvalidArgument naming the field.
absl::Status ValidateSuperblockState(const SuperblockState& state);

// Checks that `next` may follow `current` in an update: identity unchanged, durable
// VSR state not moving backwards, `recovering` never set again (only format sets it).
// InvalidArgument naming the field, its current and its proposed value.
absl::Status ValidateSuccessor(const SuperblockState& current, const SuperblockState& next);

// Boot step 2 (DESIGN.md "Bootstrap"): the superblock must describe the replica the
// config describes. FailedPrecondition listing every mismatch, e.g.
// "superblock cluster id 0x… differs from config 0x…"; InvalidArgument if the
// config's own widths break rule B9.
absl::Status ValidateAgainstConfig(const SuperblockState& state, absl::uint128 cluster_id,
                                   uint8_t replica_index, uint8_t replica_count,
                                   const NamespaceWidths& widths);

// One line with every field, for logs, the inspect tool and test failures.
std::string ToString(const SuperblockState& state);
std::ostream& operator<<(std::ostream& out, const SuperblockState& state);

// "0x" + 32 hex digits: checksums and cluster ids always print the same width.
std::string Hex128(absl::uint128 value);

}  // namespace sluice::superblock
