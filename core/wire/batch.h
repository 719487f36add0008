#pragma once
// Iggy's message batch (PROTOCOL.md §6.2–6.4). Sluice receives it from producers,
// stamps it, and stores and serves it in this same layout (FORMATS.md §2).
//
// Batch header, 256 bytes (all integers little-endian):
//
//   offset type field             producer fills            server
//      0   u64  partition_id      0                         stamps the partition
//      8   u64  base_offset       0                         stamps the next offset
//     16   u64  base_timestamp    0                         stamps append time (µs)
//     24   u64  origin_timestamp  min of message origins    keeps
//     32   u64  batch_length      256 + sum of frame sizes  keeps
//     40   u64  batch_checksum    computed with the three   recomputes after stamping
//                                 server fields = 0
//     48   u32  message_count     n                         keeps
//     52  204   reserved          zero                      keeps
//
// Then message_count frames, each a 48-byte header, the payload, the user headers:
//
//      0   u64  checksum          (below)
//      8   u128 id
//     24   u32  offset_delta      the message's index in the batch (0..n-1)
//     28   u32  timestamp_delta   message origin timestamp − batch origin_timestamp
//     32   u32  user_headers_length
//     36   u32  payload_length
//     40   u64  reserved          zero
//     48        payload, then user headers (user_headers.h)
//
// Checksums, XXH3-64 with seed 0:
//   message checksum = XXH3_64(frame bytes 8..end of frame): header bytes 8..48,
//     then payload, then user headers. Computed by the producer, never changed by the
//     server (so the server cannot renumber offset_delta: offsets are base + index).
//   batch checksum = XXH3_64(header bytes 0..40 ‖ header bytes 48..52 ‖ each
//     message's checksum field (frame bytes 0..8) in order). It excludes itself
//     (40..48) and the reserved bytes, which must be zero instead.
//
// So every byte of a valid batch is either covered by a checksum or required to be
// zero: any single bit flip is rejected.
//
// Per message, readers derive: offset = base_offset + offset_delta, timestamp =
// base_timestamp (one append time for the whole batch), origin timestamp =
// origin_timestamp + timestamp_delta (PROTOCOL.md §6.5).

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace sluice::wire {

class ValidatedPrepare;  // header.h
struct BatchStamp;

inline constexpr size_t kBatchHeaderSize = 256;
inline constexpr size_t kMessageHeaderSize = 48;

// Default bound on a whole batch: the default maximum prepare size (DESIGN.md
// "Bounds"). The prepare header is extra; callers that bound the prepare instead
// pass batch_size_bytes_max = prepare_size_max - 256.
inline constexpr uint64_t kBatchSizeBytesMaxDefault = uint64_t{1} << 20;

namespace batch_offset {
inline constexpr size_t kPartitionId = 0;
inline constexpr size_t kBaseOffset = 8;
inline constexpr size_t kBaseTimestamp = 16;
inline constexpr size_t kOriginTimestamp = 24;
inline constexpr size_t kBatchLength = 32;
inline constexpr size_t kBatchChecksum = 40;
inline constexpr size_t kMessageCount = 48;
inline constexpr size_t kReserved = 52;  // .. 256
}  // namespace batch_offset

namespace message_offset {
inline constexpr size_t kChecksum = 0;
inline constexpr size_t kId = 8;
inline constexpr size_t kOffsetDelta = 24;
inline constexpr size_t kTimestampDelta = 28;
inline constexpr size_t kUserHeadersLength = 32;
inline constexpr size_t kPayloadLength = 36;
inline constexpr size_t kReserved = 40;
inline constexpr size_t kPayload = 48;
// The span of the frame covered by its checksum starts here and runs to its end.
inline constexpr size_t kChecksummedBegin = 8;
}  // namespace message_offset

struct BatchLimits {
  uint64_t batch_size_bytes_max = kBatchSizeBytesMaxDefault;  // Header and frames.
};

// Why DecodeBatch refused a batch, for callers that answer differently per reason
// (Iggy answers 4039 for the batch checksum, 4027 for a message checksum and 3 for
// anything else; PROTOCOL.md §6.1). Carried as a status payload, so it survives
// base::Annotate.
enum class BatchError : uint8_t {
  kNone,             // The status is OK, or did not come from this package.
  kMalformed,        // Structure: lengths, counts, bounds, reserved bytes, overflow.
  kBatchChecksum,    // The batch checksum field does not match.
  kMessageChecksum,  // A message's checksum field does not match its frame.
};
BatchError ClassifyBatchError(const absl::Status& status);

// One message of a validated batch, as readers see it. Spans view the batch's bytes.
struct MessageView {
  uint64_t checksum = 0;
  absl::uint128 id = 0;
  uint64_t offset = 0;            // base_offset + offset_delta
  uint64_t timestamp = 0;         // base_timestamp (µs)
  uint64_t origin_timestamp = 0;  // origin_timestamp + timestamp_delta (µs)
  ByteSpan payload;
  ByteSpan user_headers;
  ByteSpan frame;  // The whole frame: 48-byte header, payload, user headers.
};

// A batch that passed DecodeBatch (or was stamped from one). Only this package's
// decoders construct one, so holding it is proof the structure and checksums were
// checked (rule B13); its accessors and iterator trust the bytes.
//
// It views the caller's bytes (no copy) and reads its fields from them on each call:
// the caller keeps them alive, and changes them only through StampBatch (after which
// every ValidatedBatch of those bytes shows the stamp), while it is in use.
class ValidatedBatch {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MessageView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = MessageView;

    Iterator() = default;
    MessageView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.batch_.data() == b.batch_.data() && a.index_ == b.index_;
    }

   private:
    friend class ValidatedBatch;
    Iterator(ByteSpan batch, uint32_t index, size_t position)
        : batch_(batch), index_(index), position_(position) {}
    size_t FrameSize() const;

    ByteSpan batch_;
    uint32_t index_ = 0;
    size_t position_ = 0;  // Byte offset of the current frame in the batch.
  };

  uint64_t partition_id() const;
  uint64_t base_offset() const;
  uint64_t base_timestamp() const;
  uint64_t origin_timestamp() const;
  uint64_t batch_length() const { return bytes_.size(); }
  uint64_t batch_checksum() const;
  uint32_t message_count() const;
  uint64_t last_offset() const { return base_offset() + message_count() - 1; }
  ByteSpan bytes() const { return bytes_; }

  Iterator begin() const { return Iterator(bytes_, 0, kBatchHeaderSize); }
  Iterator end() const { return Iterator(bytes_, message_count(), bytes_.size()); }

 private:
  explicit ValidatedBatch(ByteSpan bytes) : bytes_(bytes) {}
  friend absl::StatusOr<ValidatedBatch> DecodeBatch(ByteSpan batch, const BatchLimits& limits);
  friend ValidatedBatch StampBatch(const ValidatedBatch& batch, MutableByteSpan bytes,
                                   const BatchStamp& stamp);
  friend ValidatedBatch BatchOfPrepare(const ValidatedPrepare& prepare);  // prepare_batch.h

  ByteSpan bytes_;
};

// Validates a whole batch (exactly `batch`, nothing after it). Checks, in order:
//   header: length >= 256 and <= limits.batch_size_bytes_max, batch_length == the
//     span's length, reserved bytes 52..256 zero, 1 <= message_count <= what the
//     length can hold (48 bytes per frame at least);
//   each frame i: a whole 48-byte header, payload_length + user_headers_length within
//     the remaining bytes, the message checksum, reserved 40..48 zero, offset_delta
//     == i, well-formed user headers (ValidateUserHeaders);
//   no bytes after the last frame; the batch checksum; base_offset + n - 1 and every
//     origin_timestamp + timestamp_delta fit in u64.
// Where it can, a checksum is checked before the fields it covers are believed, so
// corruption reports a checksum mismatch: a frame's checksum before its reserved
// field, offset_delta and user headers; the batch checksum before the overflow
// checks. The lengths and count needed to find the bytes to hash (batch_length,
// message_count, payload_length, user_headers_length) can only be bounds-checked, and
// a flip there may report a structural error. Never reads out of bounds, whatever the input;
// loops are bounded by the input length. Errors are InvalidArgument (kMalformed) or
// DataLoss (the checksum kinds), with the message index, byte offset, expected and
// found values in the message.
absl::StatusOr<ValidatedBatch> DecodeBatch(ByteSpan batch, const BatchLimits& limits = {});

// The fields the server stamps into a received batch.
struct BatchStamp {
  uint64_t partition_id = 0;
  uint64_t base_offset = 0;
  uint64_t base_timestamp = 0;  // Append time, µs since the Unix epoch.
};

// Writes `stamp` into the batch header (bytes 0..24) and recomputes the batch
// checksum (bytes 40..48). Nothing else changes: message checksums, offset deltas and
// timestamp deltas are the producer's and stay as received. `bytes` must be the
// mutable view of exactly batch.bytes(). The stamp comes from the partition's own
// state, so an offset overflow is a broken invariant (asserted), not an input error.
// Allocates nothing.
ValidatedBatch StampBatch(const ValidatedBatch& batch, MutableByteSpan bytes,
                          const BatchStamp& stamp);

}  // namespace sluice::wire
