#pragma once
// Bodies of the partition group's non-message entries (the prepare header says which
// by its operation byte). SendMessages bodies are stamped message batches
// (core/wire/batch.h).
//
//   StoreConsumerOffset (161)       kind u8, consumer id u32, offset u64   (13 bytes)
//   DeleteConsumerOffset (162)      kind u8, consumer id u32               (5 bytes)
//   PartitionRetention (163)        cutoff_op u64: drop every sealed segment whose
//                                   entries all have op < cutoff_op        (8 bytes)
//   PartitionDeleteSegments (164)   cutoff_op u64, as retention: the primary turns
//                                   "delete the oldest N segments" into the first op
//                                   of the segment that stays, so applying the step
//                                   twice (recovery re-applies) drops nothing more
//   PartitionPurge (165)            step_id u64: every message goes; the next entry
//                                   starts a new segment at offset 0 (ops continue).
//                                   step_id names the metadata's pending purge step
//                                   (PurgeTopic / PurgeStream) it carries out, kept in
//                                   the state record once applied, so a primary
//                                   resuming the step after a crash or a view change
//                                   sees it done and never purges twice (8 bytes)

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace sluice::partition {

enum class ConsumerKind : uint8_t { kConsumer = 1, kGroup = 2 };

struct ConsumerKey {
  ConsumerKind kind = ConsumerKind::kConsumer;
  uint32_t id = 0;
  friend auto operator<=>(const ConsumerKey&, const ConsumerKey&) = default;
};

struct StoreOffsetBody {
  ConsumerKey consumer;
  uint64_t offset = 0;
};

Bytes EncodeStoreOffset(const StoreOffsetBody& body);
absl::StatusOr<StoreOffsetBody> DecodeStoreOffset(ByteSpan body);
Bytes EncodeDeleteOffset(const ConsumerKey& consumer);
absl::StatusOr<ConsumerKey> DecodeDeleteOffset(ByteSpan body);
Bytes EncodeRetention(uint64_t cutoff_op);
absl::StatusOr<uint64_t> DecodeRetention(ByteSpan body);
Bytes EncodePurge(uint64_t step_id);
absl::StatusOr<uint64_t> DecodePurge(ByteSpan body);

}  // namespace sluice::partition
