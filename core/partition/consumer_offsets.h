#pragma once
// Consumer and consumer-group offsets of one partition, and their crash-safe
// checkpoint. Offsets change only by committed StoreConsumerOffset /
// DeleteConsumerOffset entries (and a purge, which clears them). The checkpoint
// file records the offsets as of an applied op; recovery loads it and replays the
// store/delete entries after that op, so the result equals the last acknowledged
// store. It is replaced atomically (write tmp -> sync -> rename -> sync directory)
// and written before any segment holding entries newer than it is dropped.
//
// The file names its owner — the partition's namespace and incarnation, as in its
// state record — because its bytes alone cannot tell one partition's checkpoint
// from another's: a misdirected write or an operator's copy of another partition's
// file decodes, and its offsets would be adopted (rule B3: a committed offset
// changes only by a store or delete in this partition's log).
//
// File layout (version 2): checksum u128 over bytes 16.., magic u64 "SLOFFSET",
// version u32, count u32, applied_op u64, namespace_id u64, incarnation u64, then
// count × (kind u8, id u32, offset u64).

#include <cstdint>
#include <map>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/partition/entry_body.h"

namespace sluice::partition {

struct ConsumerOffsets {
  uint64_t applied_op = 0;  // every store/delete up to this op is reflected
  std::map<ConsumerKey, uint64_t> offsets;
  friend bool operator==(const ConsumerOffsets&, const ConsumerOffsets&) = default;
};

// Which partition group a checkpoint belongs to.
struct OffsetsOwner {
  uint64_t namespace_id = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const OffsetsOwner&, const OffsetsOwner&) = default;
};

struct OwnedConsumerOffsets {
  OffsetsOwner owner;
  ConsumerOffsets offsets;
};

Bytes EncodeConsumerOffsets(const ConsumerOffsets& offsets, const OffsetsOwner& owner);
// DataLoss for a torn, corrupt, truncated or unknown-version file. The owner is
// returned, not checked: the caller compares it with the partition it recovers.
absl::StatusOr<OwnedConsumerOffsets> DecodeConsumerOffsets(ByteSpan bytes);

}  // namespace sluice::partition
