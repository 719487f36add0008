#include "core/wire/batch_encoder.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/wire/batch_checksum.h"
#include "core/wire/user_headers.h"

namespace sluice::wire {
namespace {

using base::StoreLittleEndian;
using base::StoreU128;
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

// Checks every message and returns the batch's total size.
absl::StatusOr<uint64_t> CheckMessages(std::span<const MessageToSend> messages, uint64_t origin_min,
                                       const BatchLimits& limits) {
  if (messages.empty()) return absl::InvalidArgumentError("a batch needs at least one message");
  if (messages.size() > kU32Max) {
    return absl::InvalidArgumentError(absl::StrCat(messages.size(), " messages exceed u32"));
  }
  uint64_t size = kBatchHeaderSize;
  for (size_t index = 0; index < messages.size(); ++index) {
    const MessageToSend& message = messages[index];
    if (message.origin_timestamp - origin_min > kU32Max) {
      return absl::InvalidArgumentError(
          absl::StrCat("message ", index, " origin_timestamp ", message.origin_timestamp,
                       " is more than ", kU32Max, " µs after the batch's earliest ", origin_min));
    }
    if (message.payload.size() > kU32Max || message.user_headers.size() > kU32Max) {
      return absl::InvalidArgumentError(
          absl::StrCat("message ", index, " payload or user headers exceed u32 bytes"));
    }
    RETURN_IF_ERROR(ValidateUserHeaders(message.user_headers), "message ", index);
    size += kMessageHeaderSize + message.payload.size() + message.user_headers.size();
    if (size > limits.batch_size_bytes_max) {
      return absl::InvalidArgumentError(absl::StrCat("batch exceeds the maximum of ",
                                                     limits.batch_size_bytes_max,
                                                     " bytes at message ", index));
    }
  }
  return size;
}

// Writes one frame at `frame` (sized exactly) and returns its checksum.
uint64_t WriteFrame(const MessageToSend& message, uint32_t index, uint64_t origin_min,
                    MutableByteSpan frame) {
  StoreU128(frame, message_offset::kId, message.id);
  StoreLittleEndian<uint32_t>(frame, message_offset::kOffsetDelta, index);
  StoreLittleEndian<uint32_t>(frame, message_offset::kTimestampDelta,
                              static_cast<uint32_t>(message.origin_timestamp - origin_min));
  StoreLittleEndian<uint32_t>(frame, message_offset::kUserHeadersLength,
                              static_cast<uint32_t>(message.user_headers.size()));
  StoreLittleEndian<uint32_t>(frame, message_offset::kPayloadLength,
                              static_cast<uint32_t>(message.payload.size()));
  // Reserved bytes 40..48 stay zero (the buffer starts zeroed).
  std::copy(message.payload.begin(), message.payload.end(),
            frame.begin() + message_offset::kPayload);
  std::copy(message.user_headers.begin(), message.user_headers.end(),
            frame.begin() + message_offset::kPayload + message.payload.size());
  const uint64_t checksum = base::Checksum64(frame.subspan(message_offset::kChecksummedBegin));
  StoreLittleEndian<uint64_t>(frame, message_offset::kChecksum, checksum);
  return checksum;
}

}  // namespace

absl::StatusOr<Bytes> EncodeBatch(std::span<const MessageToSend> messages,
                                  const BatchLimits& limits) {
  uint64_t origin_min = std::numeric_limits<uint64_t>::max();
  for (const MessageToSend& message : messages) {
    origin_min = std::min(origin_min, message.origin_timestamp);
  }
  ASSIGN_OR_RETURN(const uint64_t size, CheckMessages(messages, origin_min, limits));
  Bytes batch(size, 0);  // Zero: the server fields and every reserved byte.
  StoreLittleEndian<uint64_t>(batch, batch_offset::kOriginTimestamp, origin_min);
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchLength, size);
  StoreLittleEndian<uint32_t>(batch, batch_offset::kMessageCount,
                              static_cast<uint32_t>(messages.size()));
  internal::BatchChecksumBuilder checksum(batch);
  size_t position = kBatchHeaderSize;
  for (size_t index = 0; index < messages.size(); ++index) {
    const MessageToSend& message = messages[index];
    const size_t frame_size =
        kMessageHeaderSize + message.payload.size() + message.user_headers.size();
    checksum.AddMessageChecksum(WriteFrame(message, static_cast<uint32_t>(index), origin_min,
                                           MutableByteSpan(batch).subspan(position, frame_size)));
    position += frame_size;
  }
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchChecksum, checksum.Finish());
  return batch;
}

}  // namespace sluice::wire
