#pragma once
// Consumer and consumer-group offsets of one partition, and their crash-safe
// checkpoint. Offsets change only by committed StoreConsumerOffset /
// DeleteConsumerOffset entries (and a purge, which clears them). The checkpoint
// file records the offsets as of an applied op; recovery loads it and replays the
// store/delete entries after that op, so the result equals the last acknowledged
// store. It is replaced atomically (write tmp -> sync -> rename -> sync directory)
// and written before any segment holding entries newer than it is dropped.
//
// File layout: checksum u128 over bytes 16.., magic u64 "SLOFFSET", version u32,
// count u32, applied_op u64, then count × (kind u8, id u32, offset u64).

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

Bytes EncodeConsumerOffsets(const ConsumerOffsets& offsets);
absl::StatusOr<ConsumerOffsets> DecodeConsumerOffsets(ByteSpan bytes);

}  // namespace sluice::partition
