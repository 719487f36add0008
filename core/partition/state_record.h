#pragma once
// The partition state record (FORMATS.md §3): what a partition's recovery starts
// from. Small, checksummed, and kept as two copies in `partition.state` (slot 0 at
// byte 0, slot 1 at byte kStateSlotSize). A write goes to the slot the new sequence
// selects (sequence mod 2) and is synced; the other slot still holds the previous
// version, so a torn write leaves one valid copy. The valid copy with the higher
// sequence wins.
//
// Written when the partition is created (before the creation counts as applied), at
// every segment roll, retention step and purge, at a truncation of the log, and as a
// durability checkpoint every so many appended bytes — never per message.
//
// Slot layout (little-endian):
//     0  16  checksum          XXH3-128 over bytes 16 .. 112 + 16 * segment_count
//    16   8  magic             "SLPSTATE"
//    24   4  version           1
//    28   4  segment_count
//    32   8  sequence
//    40   8  incarnation
//    48   8  namespace
//    56   8  commit_watermark  every op up to here was durable and committed
//    64   8  anchor_op         oldest retained op (the first entry of the first segment)
//    72  16  anchor_parent     the `parent` that entry must carry (chain anchor)
//    88   8  log_end_op        entries above it are a truncated suffix (UINT64_MAX: none)
//    96   8  purge_step        the metadata step id of the last purge applied (0: none)
//   104   8  promised_op       the highest op this replica may have acknowledged whose
//                              entry is no longer on disk (an installed snapshot dropped
//                              it, B15); recovery reports the ops above the log up to it
//                              as faulty, so VSR never nacks them (0: none; cleared once
//                              the log reaches it or VSR truncates below it)
//   112  16 * segment_count    per segment: first_op u64, start_offset u64
//                              (ascending; the last is the active segment)

#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::partition {

inline constexpr uint64_t kStateSlotSize = 64 * 1024;
inline constexpr uint64_t kStateRecordHeaderSize = 112;
inline constexpr uint64_t kMaxSegments = (kStateSlotSize - kStateRecordHeaderSize) / 16;
inline constexpr uint64_t kNoLogEnd = UINT64_MAX;

struct SegmentInfo {
  uint64_t first_op = 0;
  uint64_t start_offset = 0;  // message offset of the segment's first message
  friend bool operator==(const SegmentInfo&, const SegmentInfo&) = default;
};

struct StateRecord {
  uint64_t sequence = 0;
  uint64_t incarnation = 0;
  uint64_t namespace_id = 0;
  uint64_t commit_watermark = 0;
  uint64_t anchor_op = 1;
  absl::uint128 anchor_parent = 0;
  uint64_t log_end_op = kNoLogEnd;
  uint64_t purge_step = 0;
  uint64_t promised_op = 0;
  std::vector<SegmentInfo> segments;
  friend bool operator==(const StateRecord&, const StateRecord&) = default;
};

// Encodes one slot (exactly kStateSlotSize bytes). Requires 1..kMaxSegments segments.
Bytes EncodeStateRecord(const StateRecord& record);

// Decodes and validates one slot; every failure names what was wrong.
absl::StatusOr<StateRecord> DecodeStateRecord(ByteSpan slot);

// What LoadStateRecord found in each slot, for logs and `inspect`.
struct StateRecordLoad {
  StateRecord record;
  int chosen_slot = 0;
  std::string slot_status[2];  // "valid, sequence N" or why not
};

// Reads both slots of `directory`/partition.state (opened without create: a missing
// file is an error, rule B5) and returns the valid one with the higher sequence.
io::Task<absl::StatusOr<StateRecordLoad>> LoadStateRecord(io::Storage& storage, std::string directory);

// Writes `record` into slot (record.sequence % 2) and syncs it. A sync failure is
// returned and must be treated as fail-stop (rule B1).
io::Task<absl::Status> StoreStateRecord(io::Storage& storage, std::string directory,
                                        const StateRecord& record);

}  // namespace sluice::partition
