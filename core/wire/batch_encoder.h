#pragma once
// Builds a batch as a producer does (Iggy's SDKs, PROTOCOL.md §6.2–6.4): for tests,
// the simulator's clients and tools. The server never encodes batches; it decodes,
// stamps and stores what producers send.

#include <cstdint>
#include <span>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/wire/batch.h"

namespace sluice::wire {

struct MessageToSend {
  // Sent as given. (Iggy's SDKs replace a zero id with a random UUID client-side;
  // core/ has no randomness, so a caller that wants that does it first.)
  absl::uint128 id = 0;
  uint64_t origin_timestamp = 0;  // µs since the Unix epoch
  ByteSpan payload;
  ByteSpan user_headers;  // Encoded TLV pairs (user_headers.h), possibly empty.
};

// The producer's batch: partition_id, base_offset and base_timestamp 0;
// origin_timestamp = the smallest message origin; offset_delta = index;
// timestamp_delta = origin − smallest origin; message checksums; batch_length; the
// batch checksum over the zero server fields. DecodeBatch accepts the result.
// InvalidArgument if there are no messages, an origin is more than u32 µs (about 71
// minutes) after the smallest, user headers are malformed, a length exceeds u32, or
// the batch would exceed limits.batch_size_bytes_max.
absl::StatusOr<Bytes> EncodeBatch(std::span<const MessageToSend> messages,
                                  const BatchLimits& limits = {});

}  // namespace sluice::wire
