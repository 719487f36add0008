#pragma once
// Internal to core/wire: the batch checksum of PROTOCOL.md §6.4, computed without
// allocating (rule B12). It covers bytes that are not contiguous in the batch
// (header fields around the checksum field itself, then one 8-byte field per
// message), so it is hashed incrementally with XXH3-64 (seed 0), which equals
// base::Checksum64 of the concatenation.

#include <cstddef>
#include <cstdint>

#include "core/base/bytes.h"

namespace sluice::wire::internal {

class BatchChecksumBuilder {
 public:
  // Starts the hash with batch header bytes 0..40 (partition_id, base_offset,
  // base_timestamp, origin_timestamp, batch_length) and 48..52 (message_count).
  // Requires batch_header.size() >= 52.
  explicit BatchChecksumBuilder(ByteSpan batch_header);
  BatchChecksumBuilder(const BatchChecksumBuilder&) = delete;
  BatchChecksumBuilder& operator=(const BatchChecksumBuilder&) = delete;

  // Appends one message's stored checksum field (8 bytes, little-endian), in order.
  void AddMessageChecksum(uint64_t message_checksum);

  uint64_t Finish() const;

 private:
  // An XXH3_state_t lives here (its size is checked in the .cc), so the builder
  // needs no heap and callers need not include xxhash.h.
  static constexpr size_t kStateSizeBytes = 640;
  alignas(64) unsigned char state_[kStateSizeBytes];
};

}  // namespace sluice::wire::internal
