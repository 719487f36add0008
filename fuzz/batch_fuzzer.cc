// Fuzz target: the message-batch decoder (core/wire/batch.h: DecodeBatch, StampBatch;
// core/wire/user_headers.h through it), where producers' bytes enter (rule B13).
//
// Oracle, for every input and for a resealed copy of it (fuzz_support.h):
//  - a rejection carries a BatchError kind matching its code (kMalformed:
//    InvalidArgument; the checksum kinds: DataLoss);
//  - an accepted batch iterates exactly message_count frames that tile bytes
//    256..end in order, with offsets base_offset + 0, 1, ..., payload and user headers
//    inside their frame, each message checksum matching its frame and well-formed
//    user headers; a smaller size limit refuses it;
//  - StampBatch of a copy (at an ordinary offset and at the largest offset the count
//    allows) changes only the stamped fields and the batch checksum, and the stamped
//    copy decodes again with the stamp visible and every message checksum unchanged.

#include <cstddef>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/wire/batch.h"
#include "core/wire/user_headers.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

void CheckRejection(const absl::Status& status) {
  const wire::BatchError kind = wire::ClassifyBatchError(status);
  SLUICE_ASSERT(!status.message().empty(), "a rejection must say why");
  switch (kind) {
    case wire::BatchError::kMalformed:
      SLUICE_ASSERT(status.code() == absl::StatusCode::kInvalidArgument, status.ToString());
      return;
    case wire::BatchError::kBatchChecksum:
    case wire::BatchError::kMessageChecksum:
      SLUICE_ASSERT(status.code() == absl::StatusCode::kDataLoss, status.ToString());
      return;
    case wire::BatchError::kNone:
      break;
  }
  SLUICE_UNREACHABLE("rejection without a BatchError kind: ", status.ToString());
}

// Walks every message of an accepted batch and checks how they tile its bytes.
void CheckMessages(const wire::ValidatedBatch& batch) {
  const ByteSpan bytes = batch.bytes();
  uint64_t position = wire::kBatchHeaderSize;
  uint32_t index = 0;
  for (const wire::MessageView& message : batch) {
    SLUICE_ASSERT(index < batch.message_count(), "iterated past message_count ",
                  batch.message_count());
    SLUICE_ASSERT(message.offset == batch.base_offset() + index, "message ", index, " offset ",
                  message.offset, ", base ", batch.base_offset());
    SLUICE_ASSERT(message.frame.data() == bytes.data() + position, "message ", index,
                  " not contiguous");
    SLUICE_ASSERT(message.frame.size() >= wire::kMessageHeaderSize &&
                      message.frame.size() <= bytes.size() - position,
                  "message ", index, " frame of ", message.frame.size(), " bytes at ", position);
    SLUICE_ASSERT(message.payload.data() == message.frame.data() + wire::kMessageHeaderSize);
    SLUICE_ASSERT(message.user_headers.data() == message.payload.data() + message.payload.size());
    SLUICE_ASSERT(wire::kMessageHeaderSize + message.payload.size() + message.user_headers.size() ==
                  message.frame.size());
    SLUICE_ASSERT(message.checksum ==
                  base::Checksum64(message.frame.subspan(wire::message_offset::kChecksummedBegin)));
    SLUICE_ASSERT(message.timestamp == batch.base_timestamp());
    SLUICE_ASSERT(message.origin_timestamp >= batch.origin_timestamp(), "origin overflowed");
    SLUICE_ASSERT(wire::ValidateUserHeaders(message.user_headers).ok(), "message ", index);
    position += message.frame.size();
    ++index;
  }
  SLUICE_ASSERT(index == batch.message_count(), index, " iterated, ", batch.message_count(),
                " declared");
  SLUICE_ASSERT(position == bytes.size(), "frames end at ", position, " of ", bytes.size());
  SLUICE_ASSERT(batch.last_offset() == batch.base_offset() + (batch.message_count() - 1));
}

// Only the stamped fields (0..24) and the batch checksum (40..48) may change.
bool OnlyStampedBytesDiffer(ByteSpan before, ByteSpan after) {
  if (before.size() != after.size()) return false;
  for (size_t i = 0; i < before.size(); ++i) {
    const bool stamped = i < 24 || (i >= wire::batch_offset::kBatchChecksum &&
                                    i < wire::batch_offset::kMessageCount);
    if (!stamped && before[i] != after[i]) return false;
  }
  return true;
}

void CheckStamp(ByteSpan original, const wire::BatchStamp& stamp) {
  Bytes copy(original.begin(), original.end());
  const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(copy);
  SLUICE_ASSERT(batch.ok(), "a copy of an accepted batch was refused: ", batch.status().ToString());
  const wire::ValidatedBatch stamped = wire::StampBatch(*batch, MutableByteSpan(copy), stamp);
  SLUICE_ASSERT(stamped.partition_id() == stamp.partition_id &&
                stamped.base_offset() == stamp.base_offset &&
                stamped.base_timestamp() == stamp.base_timestamp);
  SLUICE_ASSERT(OnlyStampedBytesDiffer(original, copy), "StampBatch changed an unstamped byte");
  const absl::StatusOr<wire::ValidatedBatch> again = wire::DecodeBatch(copy);
  SLUICE_ASSERT(again.ok(), "the stamped batch was refused: ", again.status().ToString());
  SLUICE_ASSERT(again->batch_checksum() == stamped.batch_checksum());
  CheckMessages(*again);
  const absl::StatusOr<wire::ValidatedBatch> unstamped = wire::DecodeBatch(original);
  SLUICE_ASSERT(unstamped.ok());
  auto message = again->begin();
  for (const wire::MessageView& before : *unstamped) {
    SLUICE_ASSERT((*message).checksum == before.checksum, "StampBatch changed a message checksum");
    ++message;
  }
}

void CheckBatch(ByteSpan bytes) {
  const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(bytes);
  if (!batch.ok()) {
    CheckRejection(batch.status());
    return;
  }
  SLUICE_ASSERT(batch->bytes().data() == bytes.data() && batch->batch_length() == bytes.size());
  SLUICE_ASSERT(batch->message_count() >= 1);
  CheckMessages(*batch);
  const absl::StatusOr<wire::ValidatedBatch> too_large =
      wire::DecodeBatch(bytes, wire::BatchLimits{.batch_size_bytes_max = bytes.size() - 1});
  SLUICE_ASSERT(!too_large.ok() &&
                    wire::ClassifyBatchError(too_large.status()) == wire::BatchError::kMalformed,
                "a batch over the size limit was accepted");

  const uint64_t count = batch->message_count();
  // An ordinary stamp, then the largest base offset that leaves room for every message.
  CheckStamp(bytes, {.partition_id = batch->batch_checksum(),
                     .base_offset = batch->batch_checksum() >> 33,
                     .base_timestamp = batch->origin_timestamp()});
  CheckStamp(bytes, {.partition_id = std::numeric_limits<uint64_t>::max(),
                     .base_offset = std::numeric_limits<uint64_t>::max() - (count - 1),
                     .base_timestamp = std::numeric_limits<uint64_t>::max()});
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sluice::ByteSpan input = sluice::fuzz::InputBytes(data, size);
  sluice::fuzz::CheckBatch(input);
  sluice::Bytes resealed(input.begin(), input.end());
  sluice::fuzz::ResealBatch(resealed);
  sluice::fuzz::CheckBatch(resealed);
  return 0;
}
