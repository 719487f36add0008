#pragma once
// Private parts of PartitionLog shared by its .cc files (not exported).

#include <optional>
#include <vector>

#include "core/partition/partition_log.h"

namespace sluice::partition {

struct PartitionLog::Segment {
  SegmentInfo info;
  io::FileHandle log;
  io::FileHandle index;
  uint64_t size = 0;                  // bytes of valid entries in the .log
  absl::uint128 parent_of_first = 0;  // the `parent` its first entry carries
  std::vector<IndexEntry> entries;    // the index, in memory
  uint64_t last_op() const { return entries.empty() ? info.first_op - 1 : entries.back().op; }
};

struct PartitionLog::Unit {
  enum class Kind : uint8_t { kGroup, kApply };
  Kind kind = Kind::kGroup;
  bool in_flight = false;
  // kGroup: optionally roll to a new segment first, then write `bytes`.
  std::optional<SegmentInfo> roll;
  Bytes bytes;
  std::vector<IndexEntry> index_entries;  // positions relative to the unit's start
  Bytes index_bytes;                      // their encoding, reused
  std::vector<PendingAck> acks;
  uint64_t first_op = 0;
  uint64_t last_op = 0;
  // The appended state before this unit, restored if its write fails.
  absl::uint128 checksum_before = 0;
  uint64_t next_offset_before = 0;
  bool roll_before_next_before = false;
};

std::string Hex(absl::uint128 value);

}  // namespace sluice::partition
