// Fuzz target: the partition's small on-disk decoders, which recovery runs over
// whatever the disk returns:
//   core/partition/state_record.h      DecodeStateRecord
//   core/partition/consumer_offsets.h  DecodeConsumerOffsets
//   core/partition/entry_body.h        DecodeStoreOffset, DecodeDeleteOffset, DecodeRetention
//   core/partition/segment_index.h     DecodeIndex
// The first input byte selects the decoder (modulo kDecoderCount); the rest is its
// input. The checksummed formats are decoded as given and resealed (fuzz_support.h).
//
// Oracle: a rejection is DataLoss (or FailedPrecondition for a state record of
// another version) with a message; whatever is accepted re-encodes to a value that
// decodes to the same thing, and byte for byte to the input where the format is
// canonical (entry bodies, index entries, every covered field of a state record).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/entry_body.h"
#include "core/partition/segment_index.h"
#include "core/partition/state_record.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

enum class Decoder : uint8_t {
  kStateRecord = 0,
  kConsumerOffsets = 1,
  kStoreOffset = 2,
  kDeleteOffset = 3,
  kRetention = 4,
  kIndex = 5,
};
constexpr uint8_t kDecoderCount = 6;

void CheckRejection(const absl::Status& status) {
  SLUICE_ASSERT(status.code() == absl::StatusCode::kDataLoss, status.ToString());
  SLUICE_ASSERT(!status.message().empty());
}

bool SameBytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool ValidKind(partition::ConsumerKind kind) {
  return kind == partition::ConsumerKind::kConsumer || kind == partition::ConsumerKind::kGroup;
}

void CheckStateRecord(ByteSpan slot) {
  const absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(slot);
  if (!record.ok()) {
    SLUICE_ASSERT(record.status().code() == absl::StatusCode::kDataLoss ||
                      record.status().code() == absl::StatusCode::kFailedPrecondition,
                  record.status().ToString());
    SLUICE_ASSERT(!record.status().message().empty());
    return;
  }
  SLUICE_ASSERT(!record->segments.empty() && record->segments.size() <= partition::kMaxSegments);
  for (size_t i = 1; i < record->segments.size(); ++i) {
    SLUICE_ASSERT(record->segments[i - 1].first_op < record->segments[i].first_op, "segment ", i);
  }
  SLUICE_ASSERT(record->segments.front().first_op == record->anchor_op);

  const Bytes reencoded = partition::EncodeStateRecord(*record);
  const absl::StatusOr<partition::StateRecord> again = partition::DecodeStateRecord(reencoded);
  SLUICE_ASSERT(again.ok() && *again == *record, "a re-encoded state record decodes differently");
  // Every decoded field's bytes round-trip; bytes 96..112 are reserved (see the README).
  const size_t end = partition::kStateRecordHeaderSize + 16 * record->segments.size();
  SLUICE_ASSERT(SameBytes(ByteSpan(reencoded).subspan(16, 96 - 16), slot.subspan(16, 96 - 16)));
  SLUICE_ASSERT(SameBytes(
      ByteSpan(reencoded).subspan(partition::kStateRecordHeaderSize,
                                  end - partition::kStateRecordHeaderSize),
      slot.subspan(partition::kStateRecordHeaderSize, end - partition::kStateRecordHeaderSize)));
}

void CheckConsumerOffsets(ByteSpan file) {
  const absl::StatusOr<partition::OwnedConsumerOffsets> decoded = partition::DecodeConsumerOffsets(file);
  if (!decoded.ok()) {
    CheckRejection(decoded.status());
    return;
  }
  const uint32_t count = base::LoadLittleEndian<uint32_t>(file, 28);
  SLUICE_ASSERT(decoded->offsets.offsets.size() <= count, decoded->offsets.offsets.size(), " offsets from ", count,
                " entries");
  for (const auto& [key, offset] : decoded->offsets.offsets) SLUICE_ASSERT(ValidKind(key.kind));
  const Bytes reencoded = partition::EncodeConsumerOffsets(decoded->offsets, decoded->owner);
  const absl::StatusOr<partition::OwnedConsumerOffsets> again = partition::DecodeConsumerOffsets(reencoded);
  SLUICE_ASSERT(again.ok() && again->offsets == decoded->offsets && again->owner == decoded->owner,
                "re-encoded consumer offsets decode differently");
}

void CheckStoreOffset(ByteSpan body) {
  const absl::StatusOr<partition::StoreOffsetBody> decoded = partition::DecodeStoreOffset(body);
  if (!decoded.ok()) {
    CheckRejection(decoded.status());
    return;
  }
  SLUICE_ASSERT(ValidKind(decoded->consumer.kind));
  SLUICE_ASSERT(SameBytes(partition::EncodeStoreOffset(*decoded), body));
}

void CheckDeleteOffset(ByteSpan body) {
  const absl::StatusOr<partition::ConsumerKey> decoded = partition::DecodeDeleteOffset(body);
  if (!decoded.ok()) {
    CheckRejection(decoded.status());
    return;
  }
  SLUICE_ASSERT(ValidKind(decoded->kind));
  SLUICE_ASSERT(SameBytes(partition::EncodeDeleteOffset(*decoded), body));
}

void CheckRetention(ByteSpan body) {
  const absl::StatusOr<uint64_t> decoded = partition::DecodeRetention(body);
  if (!decoded.ok()) {
    CheckRejection(decoded.status());
    return;
  }
  SLUICE_ASSERT(SameBytes(partition::EncodeRetention(*decoded), body));
}

void CheckIndex(ByteSpan bytes) {
  const std::vector<partition::IndexEntry> entries = partition::DecodeIndex(bytes);
  SLUICE_ASSERT(entries.size() == bytes.size() / partition::kIndexEntrySize, entries.size(),
                " entries");
  uint8_t encoded[partition::kIndexEntrySize];
  for (size_t i = 0; i < entries.size(); ++i) {
    partition::EncodeIndexEntry(entries[i], encoded);
    SLUICE_ASSERT(SameBytes(encoded, bytes.subspan(i * partition::kIndexEntrySize,
                                                   partition::kIndexEntrySize)),
                  "index entry ", i);
  }
}

void CheckDecoder(Decoder decoder, ByteSpan input) {
  switch (decoder) {
    case Decoder::kStateRecord: {
      CheckStateRecord(input);
      Bytes resealed(input.begin(), input.end());
      ResealStateRecord(resealed);
      CheckStateRecord(resealed);
      return;
    }
    case Decoder::kConsumerOffsets: {
      CheckConsumerOffsets(input);
      Bytes resealed(input.begin(), input.end());
      ResealConsumerOffsets(resealed);
      CheckConsumerOffsets(resealed);
      return;
    }
    case Decoder::kStoreOffset:
      return CheckStoreOffset(input);
    case Decoder::kDeleteOffset:
      return CheckDeleteOffset(input);
    case Decoder::kRetention:
      return CheckRetention(input);
    case Decoder::kIndex:
      return CheckIndex(input);
  }
  SLUICE_UNREACHABLE("decoder ", static_cast<int>(decoder));
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto decoder = static_cast<sluice::fuzz::Decoder>(data[0] % sluice::fuzz::kDecoderCount);
  sluice::fuzz::CheckDecoder(decoder, sluice::fuzz::InputBytes(data + 1, size - 1));
  return 0;
}
