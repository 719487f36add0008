#pragma once
// Scanning a segment's bytes at recovery: the validation and classification of
// rules B2 and B7, as a pure function over bytes (no I/O), so it is unit-tested and
// fuzzed directly.
//
// Walking from position 0, each entry must have a valid header checksum, size, body
// checksum, cluster, namespace and incarnation (DecodePrepare plus the partition's
// identity), the next op, and `parent` == the previous entry's checksum (the hash
// chain). The first entry that fails is the first bad entry. What happens to it is
// decided by durability evidence, not by position (DESIGN.md "Acknowledged"):
//  - proven durable — its op is covered by the durable watermark (the state
//    record's commit watermark) or by the `commit` field of a valid later entry — it
//    is corrupt: never cut; a single node refuses to start, a cluster repairs it;
//  - otherwise it and everything after it are the uncertain tail: cut on a single
//    node (with a warning naming it), resolved by VSR in a cluster. A torn entry
//    followed by intact ones of the same unsynced group commit is such a tail.
// Valid later entries are found by walking the rest of the segment: whole entries
// (header and body checksums, cluster, namespace and incarnation all checking out)
// are taken as evidence and their bodies skipped; across damage the walk goes byte
// by byte, since the bad entry's own size field cannot be trusted. Skipping bodies
// keeps a message payload that contains a prepare header from counting as evidence.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/wire/operation.h"

namespace sluice::partition {

struct ScanContext {
  absl::uint128 cluster = 0;
  uint64_t namespace_id = 0;
  uint64_t incarnation = 0;
  uint64_t first_op = 1;             // the op the segment's first entry must have
  absl::uint128 expected_parent = 0;  // the checksum that entry's `parent` must equal
  uint64_t durable_watermark = 0;    // every op <= this is proven durable
  uint64_t log_end_op = UINT64_MAX;  // entries above it are a decided truncation
  uint64_t start_offset = 0;         // message offset of the segment's first message
};

// What recovery keeps about each valid entry.
struct ScannedEntry {
  uint64_t op = 0;
  uint64_t position = 0;
  uint64_t size = 0;  // header + body
  absl::uint128 checksum = 0;
  uint64_t commit = 0;
  uint64_t timestamp = 0;
  wire::Operation operation = wire::Operation::kReserved;
  absl::uint128 client = 0;
  absl::uint128 request_checksum = 0;
  uint64_t base_offset = 0;    // offset of its first message (or the next offset)
  uint32_t message_count = 0;  // SendMessages only
  friend bool operator==(const ScannedEntry&, const ScannedEntry&) = default;
};

enum class TailVerdict : uint8_t {
  kClean,          // every byte belongs to a valid entry
  kUncertainTail,  // a bad entry not proven durable: cut from `cut_position` (one node)
  kCorrupt,        // a bad entry proven durable: must not be cut
  kTruncated,      // entries above log_end_op: a decided truncation, cut at `cut_position`
};

struct ScanResult {
  std::vector<ScannedEntry> entries;  // the valid prefix, in op order
  TailVerdict verdict = TailVerdict::kClean;
  uint64_t cut_position = 0;     // end of the valid prefix
  uint64_t bad_op = 0;           // the op the first bad entry should have had
  std::string bad_reason;        // why that entry was rejected
  uint64_t proven_by = 0;        // the watermark or later commit proving it durable
  uint64_t later_valid_entries = 0;
  uint64_t later_last_op = 0;    // highest op of a whole entry after the bad one (0: none)
  uint64_t next_offset = 0;      // offset after the last message of the valid prefix
  std::string Describe(absl::string_view file) const;  // one line for logs
};

ScanResult ScanSegment(ByteSpan log, const ScanContext& context);

}  // namespace sluice::partition
