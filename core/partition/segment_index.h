#pragma once
// The segment index (FORMATS.md §3): one 32-byte entry per log entry of a segment —
// op, base_offset, timestamp, file position — for reads by offset, by timestamp and
// by op. It is derived data: recovery checks it against the log and rebuilds it
// when it lags, leads or disagrees (rule B2). The log always wins.
//
// Entry layout: op u64 @0, base_offset u64 @8 (the offset of the entry's first
// message, or of the next message for entries without messages), timestamp u64 @16
// (the prepare's timestamp, µs), position u64 @24 (byte position in the .log).

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace sluice::partition {

inline constexpr size_t kIndexEntrySize = 32;

struct IndexEntry {
  uint64_t op = 0;
  uint64_t base_offset = 0;
  uint64_t timestamp = 0;
  uint64_t position = 0;
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

void EncodeIndexEntry(const IndexEntry& entry, MutableByteSpan out);
IndexEntry DecodeIndexEntry(ByteSpan bytes);

// Decodes a whole index file; a trailing partial entry is ignored (a torn append).
std::vector<IndexEntry> DecodeIndex(ByteSpan bytes);

}  // namespace sluice::partition
