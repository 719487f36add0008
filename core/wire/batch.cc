#include "core/wire/batch.h"

#include <algorithm>
#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/wire/batch_checksum.h"
#include "core/wire/hex.h"
#include "core/wire/user_headers.h"

namespace sluice::wire {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using internal::BatchChecksumBuilder;
using internal::Hex64;

constexpr absl::string_view kBatchErrorPayloadUrl = "type.sluice.dev/wire.BatchError";

absl::Status WithKind(absl::Status status, BatchError kind) {
  status.SetPayload(kBatchErrorPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(kind))));
  return status;
}

template <typename... Pieces>
absl::Status Malformed(const Pieces&... pieces) {
  return WithKind(absl::InvalidArgumentError(absl::StrCat("batch: ", pieces...)),
                  BatchError::kMalformed);
}

// What DecodeBatch learns from the frames that it checks only after the checksums.
struct FrameSummary {
  uint32_t timestamp_delta_max = 0;
};

absl::Status CheckHeaderStructure(ByteSpan batch, const BatchLimits& limits) {
  if (batch.size() < kBatchHeaderSize) {
    return Malformed("too short: expected at least ", kBatchHeaderSize, " bytes, found ",
                     batch.size());
  }
  if (batch.size() > limits.batch_size_bytes_max) {
    return Malformed("too large: expected at most ", limits.batch_size_bytes_max, " bytes, found ",
                     batch.size());
  }
  const uint64_t batch_length = LoadLittleEndian<uint64_t>(batch, batch_offset::kBatchLength);
  if (batch_length != batch.size()) {
    return Malformed("batch_length mismatch: expected ", batch.size(),
                     " (the batch's length), found ", batch_length);
  }
  const auto reserved =
      batch.subspan(batch_offset::kReserved, kBatchHeaderSize - batch_offset::kReserved);
  const auto nonzero =
      std::find_if(reserved.begin(), reserved.end(), [](uint8_t b) { return b != 0; });
  if (nonzero != reserved.end()) {
    const size_t at = batch_offset::kReserved + static_cast<size_t>(nonzero - reserved.begin());
    return Malformed("reserved header bytes 52..256 must be zero: byte ", at, " is 0x",
                     absl::Hex(*nonzero, absl::kZeroPad2));
  }
  const uint32_t message_count = LoadLittleEndian<uint32_t>(batch, batch_offset::kMessageCount);
  if (message_count == 0) return Malformed("message_count is 0: expected at least 1 message");
  const uint64_t frames_bytes = batch.size() - kBatchHeaderSize;
  if (message_count > frames_bytes / kMessageHeaderSize) {
    return Malformed("message_count ", message_count, " cannot fit in ", frames_bytes,
                     " bytes of frames (each frame is at least ", kMessageHeaderSize, " bytes)");
  }
  return absl::OkStatus();
}

// Checks frame `index` at `position`; on success returns its size and adds its checksum
// field to `checksum`.
absl::StatusOr<size_t> CheckFrame(ByteSpan batch, uint32_t index, size_t position,
                                  BatchChecksumBuilder& checksum, FrameSummary& summary) {
  const size_t remaining = batch.size() - position;
  if (remaining < kMessageHeaderSize) {
    return Malformed("message ", index, " at byte ", position, " truncated: expected a ",
                     kMessageHeaderSize, "-byte header, found ", remaining, " bytes");
  }
  const ByteSpan header = batch.subspan(position, kMessageHeaderSize);
  const uint32_t payload_length =
      LoadLittleEndian<uint32_t>(header, message_offset::kPayloadLength);
  const uint32_t user_headers_length =
      LoadLittleEndian<uint32_t>(header, message_offset::kUserHeadersLength);
  // Summed in 64 bits: two u32 cannot overflow it.
  const uint64_t body_length = uint64_t{payload_length} + user_headers_length;
  if (body_length > remaining - kMessageHeaderSize) {
    return Malformed("message ", index, " at byte ", position, " truncated: payload_length ",
                     payload_length, " + user_headers_length ", user_headers_length, " exceed the ",
                     remaining - kMessageHeaderSize, " bytes after its header");
  }
  const size_t frame_size = kMessageHeaderSize + static_cast<size_t>(body_length);
  const ByteSpan frame = batch.subspan(position, frame_size);
  const uint64_t stored = LoadLittleEndian<uint64_t>(frame, message_offset::kChecksum);
  const uint64_t computed = base::Checksum64(frame.subspan(message_offset::kChecksummedBegin));
  if (stored != computed) {
    return WithKind(absl::DataLossError(
                        absl::StrCat("batch: message ", index, " at byte ", position,
                                     " checksum mismatch over frame bytes 8..", frame_size,
                                     ": expected ", Hex64(computed), ", found ", Hex64(stored))),
                    BatchError::kMessageChecksum);
  }
  const uint64_t reserved = LoadLittleEndian<uint64_t>(frame, message_offset::kReserved);
  if (reserved != 0) {
    return Malformed("message ", index, " at byte ", position,
                     " reserved field (frame bytes 40..48) must be zero, found ", Hex64(reserved));
  }
  const uint32_t offset_delta = LoadLittleEndian<uint32_t>(frame, message_offset::kOffsetDelta);
  if (offset_delta != index) {
    return Malformed("message ", index, " at byte ", position, " offset_delta mismatch: expected ",
                     index, " (its index in the batch), found ", offset_delta);
  }
  const ByteSpan user_headers = frame.subspan(message_offset::kPayload + payload_length);
  if (absl::Status status = ValidateUserHeaders(user_headers); !status.ok()) {
    return WithKind(
        base::Annotate(status, absl::StrCat("batch: message ", index, " at byte ", position)),
        BatchError::kMalformed);
  }
  summary.timestamp_delta_max =
      std::max(summary.timestamp_delta_max,
               LoadLittleEndian<uint32_t>(frame, message_offset::kTimestampDelta));
  checksum.AddMessageChecksum(stored);
  return frame_size;
}

// The derived per-message values must be representable: checked after the batch
// checksum, because a flipped bit in base_offset or origin_timestamp is corruption
// and should say so.
absl::Status CheckDerivedValues(ByteSpan batch, const FrameSummary& summary) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t base_offset = LoadLittleEndian<uint64_t>(batch, batch_offset::kBaseOffset);
  const uint32_t message_count = LoadLittleEndian<uint32_t>(batch, batch_offset::kMessageCount);
  if (base_offset > kMax - (message_count - 1)) {
    return Malformed("base_offset ", base_offset, " + ", message_count,
                     " messages overflows the u64 offset range");
  }
  const uint64_t origin = LoadLittleEndian<uint64_t>(batch, batch_offset::kOriginTimestamp);
  if (origin > kMax - summary.timestamp_delta_max) {
    return Malformed("origin_timestamp ", origin, " + timestamp_delta ",
                     summary.timestamp_delta_max, " overflows u64");
  }
  return absl::OkStatus();
}

}  // namespace

BatchError ClassifyBatchError(const absl::Status& status) {
  if (status.ok()) return BatchError::kNone;
  const auto payload = status.GetPayload(kBatchErrorPayloadUrl);
  if (!payload.has_value()) return BatchError::kNone;
  for (BatchError kind :
       {BatchError::kMalformed, BatchError::kBatchChecksum, BatchError::kMessageChecksum}) {
    if (*payload == absl::StrCat(static_cast<int>(kind))) return kind;
  }
  return BatchError::kNone;
}

absl::StatusOr<ValidatedBatch> DecodeBatch(ByteSpan batch, const BatchLimits& limits) {
  RETURN_IF_ERROR(CheckHeaderStructure(batch, limits));
  const uint32_t message_count = LoadLittleEndian<uint32_t>(batch, batch_offset::kMessageCount);
  BatchChecksumBuilder checksum(batch);
  FrameSummary summary;
  size_t position = kBatchHeaderSize;
  // Bounded: message_count <= (size - 256) / 48 was checked above.
  for (uint32_t index = 0; index < message_count; ++index) {
    ASSIGN_OR_RETURN(const size_t frame_size,
                     CheckFrame(batch, index, position, checksum, summary));
    position += frame_size;
  }
  if (position != batch.size()) {
    return Malformed(batch.size() - position, " trailing bytes after its ", message_count,
                     " messages (frames end at byte ", position, ")");
  }
  const uint64_t computed = checksum.Finish();
  const uint64_t stored = LoadLittleEndian<uint64_t>(batch, batch_offset::kBatchChecksum);
  if (computed != stored) {
    return WithKind(absl::DataLossError(absl::StrCat("batch: batch checksum mismatch: expected ",
                                                     Hex64(computed), ", found ", Hex64(stored))),
                    BatchError::kBatchChecksum);
  }
  RETURN_IF_ERROR(CheckDerivedValues(batch, summary));
  return ValidatedBatch(batch);
}

ValidatedBatch StampBatch(const ValidatedBatch& batch, MutableByteSpan bytes,
                          const BatchStamp& stamp) {
  SLUICE_ASSERT(bytes.data() == batch.bytes().data() && bytes.size() == batch.bytes().size(),
                "StampBatch needs the validated batch's own bytes");
  SLUICE_ASSERT(
      stamp.base_offset <= std::numeric_limits<uint64_t>::max() - (batch.message_count() - 1),
      "base_offset ", stamp.base_offset, " overflows with ", batch.message_count(), " messages");
  base::StoreLittleEndian<uint64_t>(bytes, batch_offset::kPartitionId, stamp.partition_id);
  base::StoreLittleEndian<uint64_t>(bytes, batch_offset::kBaseOffset, stamp.base_offset);
  base::StoreLittleEndian<uint64_t>(bytes, batch_offset::kBaseTimestamp, stamp.base_timestamp);
  BatchChecksumBuilder checksum(bytes);
  for (const MessageView& message : batch) checksum.AddMessageChecksum(message.checksum);
  base::StoreLittleEndian<uint64_t>(bytes, batch_offset::kBatchChecksum, checksum.Finish());
  return ValidatedBatch(bytes);
}

uint64_t ValidatedBatch::partition_id() const {
  return LoadLittleEndian<uint64_t>(bytes_, batch_offset::kPartitionId);
}
uint64_t ValidatedBatch::base_offset() const {
  return LoadLittleEndian<uint64_t>(bytes_, batch_offset::kBaseOffset);
}
uint64_t ValidatedBatch::base_timestamp() const {
  return LoadLittleEndian<uint64_t>(bytes_, batch_offset::kBaseTimestamp);
}
uint64_t ValidatedBatch::origin_timestamp() const {
  return LoadLittleEndian<uint64_t>(bytes_, batch_offset::kOriginTimestamp);
}
uint64_t ValidatedBatch::batch_checksum() const {
  return LoadLittleEndian<uint64_t>(bytes_, batch_offset::kBatchChecksum);
}
uint32_t ValidatedBatch::message_count() const {
  return LoadLittleEndian<uint32_t>(bytes_, batch_offset::kMessageCount);
}

size_t ValidatedBatch::Iterator::FrameSize() const {
  const uint64_t size =
      kMessageHeaderSize +
      uint64_t{LoadLittleEndian<uint32_t>(batch_, position_ + message_offset::kPayloadLength)} +
      LoadLittleEndian<uint32_t>(batch_, position_ + message_offset::kUserHeadersLength);
  // Validated at decode; asserted because span::subspan does not check bounds.
  SLUICE_ASSERT(size <= batch_.size() - position_, "frame at byte ", position_, " of ", size,
                " bytes overruns the batch of ", batch_.size());
  return static_cast<size_t>(size);
}

MessageView ValidatedBatch::Iterator::operator*() const {
  const ByteSpan frame = batch_.subspan(position_, FrameSize());
  const uint32_t payload_length = LoadLittleEndian<uint32_t>(frame, message_offset::kPayloadLength);
  MessageView message;
  message.checksum = LoadLittleEndian<uint64_t>(frame, message_offset::kChecksum);
  message.id = LoadU128(frame, message_offset::kId);
  message.offset = LoadLittleEndian<uint64_t>(batch_, batch_offset::kBaseOffset) +
                   LoadLittleEndian<uint32_t>(frame, message_offset::kOffsetDelta);
  message.timestamp = LoadLittleEndian<uint64_t>(batch_, batch_offset::kBaseTimestamp);
  message.origin_timestamp = LoadLittleEndian<uint64_t>(batch_, batch_offset::kOriginTimestamp) +
                             LoadLittleEndian<uint32_t>(frame, message_offset::kTimestampDelta);
  message.payload = frame.subspan(message_offset::kPayload, payload_length);
  message.user_headers = frame.subspan(message_offset::kPayload + payload_length);
  message.frame = frame;
  return message;
}

ValidatedBatch::Iterator& ValidatedBatch::Iterator::operator++() {
  position_ += FrameSize();
  ++index_;
  return *this;
}

}  // namespace sluice::wire
