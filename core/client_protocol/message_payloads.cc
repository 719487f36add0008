#include "core/client_protocol/message_payloads.h"

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/client_protocol/body_writer.h"
#include "core/wire/batch.h"

namespace sluice::client_protocol {
namespace {

using base::LoadLittleEndian;
using base::StoreLittleEndian;
using internal::BodyWriter;

// Byte offsets of frames [first, first + count) within a stored batch, found by
// walking its frames with bounds checks.
struct FrameRange {
  size_t begin = 0;
  size_t end = 0;
};

absl::StatusOr<FrameRange> FindFrames(ByteSpan batch, uint32_t first, uint32_t count) {
  if (batch.size() < wire::kBatchHeaderSize) {
    return absl::DataLossError(absl::StrCat("stored batch of ", batch.size(), " bytes"));
  }
  const uint32_t stored_count =
      LoadLittleEndian<uint32_t>(batch, wire::batch_offset::kMessageCount);
  if (count == 0 || first > stored_count || count > stored_count - first) {
    return absl::DataLossError(
        absl::StrCat("messages ", first, "+", count, " of a batch of ", stored_count));
  }
  FrameRange range;
  size_t position = wire::kBatchHeaderSize;
  for (uint32_t index = 0; index < first + count; ++index) {
    if (index == first) range.begin = position;
    if (batch.size() - position < wire::kMessageHeaderSize) {
      return absl::DataLossError(absl::StrCat("stored batch truncated at message ", index));
    }
    const uint64_t frame_size =
        wire::kMessageHeaderSize +
        uint64_t{
            LoadLittleEndian<uint32_t>(batch, position + wire::message_offset::kPayloadLength)} +
        LoadLittleEndian<uint32_t>(batch, position + wire::message_offset::kUserHeadersLength);
    if (frame_size > batch.size() - position) {
      return absl::DataLossError(absl::StrCat("stored batch truncated in message ", index));
    }
    position += frame_size;
  }
  range.end = position;
  return range;
}

// PROTOCOL.md §6.4 over a record's header and frames: header bytes 0..40 and 48..52,
// then each frame's checksum field.
uint64_t RecordChecksum(ByteSpan record, uint32_t count) {
  Bytes covered(record.begin(), record.begin() + wire::batch_offset::kBatchChecksum);
  covered.insert(covered.end(), record.begin() + wire::batch_offset::kMessageCount,
                 record.begin() + wire::batch_offset::kReserved);
  size_t position = wire::kBatchHeaderSize;
  for (uint32_t index = 0; index < count; ++index) {
    covered.insert(covered.end(), record.begin() + position, record.begin() + position + 8);
    position +=
        wire::kMessageHeaderSize +
        LoadLittleEndian<uint32_t>(record, position + wire::message_offset::kPayloadLength) +
        LoadLittleEndian<uint32_t>(record, position + wire::message_offset::kUserHeadersLength);
  }
  return base::Checksum64(covered);
}

absl::Status AppendRecord(BodyWriter& out, const partition::PolledBatch& polled) {
  const ByteSpan batch = polled.batch;
  absl::StatusOr<FrameRange> range = FindFrames(batch, polled.first_message, polled.message_count);
  if (!range.ok()) return range.status();
  const uint32_t stored_count =
      LoadLittleEndian<uint32_t>(batch, wire::batch_offset::kMessageCount);
  if (polled.first_message == 0 && polled.message_count == stored_count &&
      range->end == batch.size()) {
    out.Raw(batch);  // the whole stored batch, as stored
    return absl::OkStatus();
  }
  Bytes record(batch.begin(), batch.begin() + wire::kBatchHeaderSize);
  record.insert(record.end(), batch.begin() + range->begin, batch.begin() + range->end);
  StoreLittleEndian<uint64_t>(record, wire::batch_offset::kBatchLength, record.size());
  StoreLittleEndian<uint32_t>(record, wire::batch_offset::kMessageCount, polled.message_count);
  StoreLittleEndian<uint64_t>(record, wire::batch_offset::kBatchChecksum,
                              RecordChecksum(record, polled.message_count));
  out.Raw(record);
  return absl::OkStatus();
}

}  // namespace

Bytes EncodeSendConfirmation(const metadata::PartitionKey& key, uint64_t base_offset) {
  BodyWriter out(24);
  out.U32(1);
  out.U32(key.stream);
  out.U32(key.topic);
  out.U32(key.partition);
  out.U64(base_offset);
  return std::move(out).Take();
}

Bytes EncodeConsumerOffset(uint32_t partition_id, uint64_t current_offset, uint64_t stored_offset) {
  BodyWriter out(20);
  out.U32(partition_id);
  out.U64(current_offset);
  out.U64(stored_offset);
  return std::move(out).Take();
}

Bytes EncodePollHead(uint32_t partition_id, uint64_t current_offset) {
  BodyWriter out(kPollHeadBytes);
  out.U32(partition_id);
  out.U64(current_offset);
  out.U32(0);
  return std::move(out).Take();
}

absl::StatusOr<Bytes> EncodePollReply(uint32_t partition_id, const partition::PollResult& result) {
  size_t size = kPollHeadBytes;
  uint64_t count = 0;
  for (const partition::PolledBatch& polled : result.batches) {
    size += polled.batch.size();
    count += polled.message_count;
  }
  if (count > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("poll of ", count, " messages"));
  }
  BodyWriter out(size);
  out.U32(partition_id);
  out.U64(result.committed_offset.value_or(0));
  out.U32(static_cast<uint32_t>(count));
  for (const partition::PolledBatch& polled : result.batches) {
    if (absl::Status status = AppendRecord(out, polled); !status.ok()) return status;
  }
  return std::move(out).Take();
}

}  // namespace sluice::client_protocol
