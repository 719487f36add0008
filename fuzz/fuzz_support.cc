#include "fuzz/fuzz_support.h"

#include <algorithm>

#include "core/base/checksum.h"
#include "core/partition/state_record.h"
#include "core/superblock/superblock_format.h"
#include "core/wire/batch.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"

namespace sluice::fuzz {
namespace {

using base::LoadLittleEndian;
using base::StoreLittleEndian;

// PROTOCOL.md §6.4: the batch checksum covers header bytes 0..40, then 48..52, then
// each walked message's checksum field.
constexpr size_t kBatchCoveredEnd = 40;
constexpr size_t kMessageCountSize = 4;
// The consumer-offsets file's header (consumer_offsets.h).
constexpr size_t kConsumerOffsetsHeaderSize = 40;

}  // namespace

void ResealFrame(MutableByteSpan frame) {
  if (frame.size() < wire::kHeaderSize) return;
  namespace offset = wire::header_offset;
  base::StoreU128(frame, offset::kChecksumBody,
                  base::Checksum128(frame.subspan(wire::kHeaderSize)));
  base::StoreU128(frame, offset::kChecksum,
                  base::Checksum128(frame.subspan(offset::kChecksummedBegin,
                                                  wire::kHeaderSize - offset::kChecksummedBegin)));
}

void ResealBatch(MutableByteSpan batch) {
  if (batch.size() < wire::kBatchHeaderSize) return;
  namespace message = wire::message_offset;
  Bytes covered(batch.begin(), batch.begin() + kBatchCoveredEnd);
  covered.insert(covered.end(), batch.begin() + wire::batch_offset::kMessageCount,
                 batch.begin() + wire::batch_offset::kMessageCount + kMessageCountSize);
  const uint32_t message_count =
      LoadLittleEndian<uint32_t>(batch, wire::batch_offset::kMessageCount);
  size_t position = wire::kBatchHeaderSize;
  // Bounded by the input: each walked frame consumes at least 48 bytes.
  for (uint32_t index = 0; index < message_count; ++index) {
    if (batch.size() - position < wire::kMessageHeaderSize) break;
    const uint64_t body_length =
        uint64_t{LoadLittleEndian<uint32_t>(batch, position + message::kPayloadLength)} +
        LoadLittleEndian<uint32_t>(batch, position + message::kUserHeadersLength);
    if (body_length > batch.size() - position - wire::kMessageHeaderSize) break;
    const size_t frame_size = wire::kMessageHeaderSize + static_cast<size_t>(body_length);
    const MutableByteSpan frame = batch.subspan(position, frame_size);
    const uint64_t checksum = base::Checksum64(frame.subspan(message::kChecksummedBegin));
    StoreLittleEndian<uint64_t>(frame, message::kChecksum, checksum);
    covered.insert(covered.end(), frame.begin(), frame.begin() + sizeof(uint64_t));
    position += frame_size;
  }
  StoreLittleEndian<uint64_t>(batch, wire::batch_offset::kBatchChecksum, base::Checksum64(covered));
}

void ResealSuperblockCopy(MutableByteSpan copy) {
  if (copy.size() != superblock::kSuperblockCopySizeBytes) return;
  base::StoreU128(copy, superblock::superblock_offset::kChecksum,
                  superblock::SuperblockCopyChecksum(copy));
}

void ResealStateRecord(MutableByteSpan slot) {
  if (slot.size() < partition::kStateRecordHeaderSize) return;
  const uint32_t count = LoadLittleEndian<uint32_t>(slot, 28);
  if (count == 0 || count > partition::kMaxSegments) return;
  const uint64_t end = partition::kStateRecordHeaderSize + 16 * uint64_t{count};
  if (end > slot.size()) return;
  base::StoreU128(slot, 0, base::Checksum128(slot.subspan(16, static_cast<size_t>(end) - 16)));
}

void ResealConsumerOffsets(MutableByteSpan file) {
  if (file.size() < kConsumerOffsetsHeaderSize) return;
  base::StoreU128(file, 0, base::Checksum128(file.subspan(16)));
}

void ResealSegment(MutableByteSpan segment, absl::uint128 anchor, bool relink) {
  namespace offset = wire::header_offset;
  absl::uint128 previous = anchor;
  size_t position = 0;
  // Bounded by the input: each resealed entry consumes at least 256 bytes.
  while (segment.size() - position >= wire::kHeaderSize) {
    const MutableByteSpan header = segment.subspan(position, wire::kHeaderSize);
    if (relink) base::StoreU128(header, offset::kParent, previous);
    const uint32_t size = LoadLittleEndian<uint32_t>(header, offset::kSize);
    if (size < wire::kHeaderSize || size > segment.size() - position) {
      ResealFrame(header);  // Believable header, unbelievable size: the scan must say so.
      return;
    }
    const MutableByteSpan frame = segment.subspan(position, size);
    if (header[offset::kOperation] == static_cast<uint8_t>(wire::Operation::kSendMessages)) {
      ResealBatch(frame.subspan(wire::kHeaderSize));
    }
    ResealFrame(frame);
    previous = base::LoadU128(frame, offset::kChecksum);
    position += size;
  }
}

}  // namespace sluice::fuzz
