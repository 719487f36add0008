#include "core/partition/consumer_offsets.h"

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"

namespace sluice::partition {
namespace {
constexpr uint64_t kMagic = 0x544553464F4C53ULL;  // "SLOFFSET"-ish tag
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderSize = 56;
constexpr size_t kEntrySize = 13;
}  // namespace

Bytes EncodeConsumerOffsets(const ConsumerOffsets& offsets, const OffsetsOwner& owner) {
  Bytes bytes(kHeaderSize + kEntrySize * offsets.offsets.size());
  base::StoreLittleEndian<uint64_t>(bytes, 16, kMagic);
  base::StoreLittleEndian<uint32_t>(bytes, 24, kVersion);
  base::StoreLittleEndian<uint32_t>(bytes, 28, static_cast<uint32_t>(offsets.offsets.size()));
  base::StoreLittleEndian<uint64_t>(bytes, 32, offsets.applied_op);
  base::StoreLittleEndian<uint64_t>(bytes, 40, owner.namespace_id);
  base::StoreLittleEndian<uint64_t>(bytes, 48, owner.incarnation);
  size_t position = kHeaderSize;
  for (const auto& [key, offset] : offsets.offsets) {
    bytes[position] = static_cast<uint8_t>(key.kind);
    base::StoreLittleEndian<uint32_t>(bytes, position + 1, key.id);
    base::StoreLittleEndian<uint64_t>(bytes, position + 5, offset);
    position += kEntrySize;
  }
  base::StoreU128(bytes, 0, base::Checksum128(ByteSpan(bytes).subspan(16)));
  return bytes;
}

absl::StatusOr<OwnedConsumerOffsets> DecodeConsumerOffsets(ByteSpan bytes) {
  if (bytes.size() < kHeaderSize) {
    return absl::DataLossError(absl::StrCat("consumer offsets file too short: ", bytes.size(), " bytes"));
  }
  if (base::LoadU128(bytes, 0) != base::Checksum128(bytes.subspan(16))) {
    return absl::DataLossError("consumer offsets checksum mismatch");
  }
  if (base::LoadLittleEndian<uint64_t>(bytes, 16) != kMagic ||
      base::LoadLittleEndian<uint32_t>(bytes, 24) != kVersion) {
    return absl::DataLossError("consumer offsets: bad magic or unsupported version");
  }
  const uint32_t count = base::LoadLittleEndian<uint32_t>(bytes, 28);
  if (bytes.size() != kHeaderSize + kEntrySize * uint64_t{count}) {
    return absl::DataLossError(absl::StrCat("consumer offsets: ", count, " entries need ",
                                            kHeaderSize + kEntrySize * uint64_t{count}, " bytes, file has ",
                                            bytes.size()));
  }
  OwnedConsumerOffsets decoded;
  decoded.offsets.applied_op = base::LoadLittleEndian<uint64_t>(bytes, 32);
  decoded.owner.namespace_id = base::LoadLittleEndian<uint64_t>(bytes, 40);
  decoded.owner.incarnation = base::LoadLittleEndian<uint64_t>(bytes, 48);
  for (size_t position = kHeaderSize; position < bytes.size(); position += kEntrySize) {
    absl::StatusOr<StoreOffsetBody> entry = DecodeStoreOffset(bytes.subspan(position, kEntrySize));
    if (!entry.ok()) return entry.status();
    decoded.offsets.offsets[entry->consumer] = entry->offset;
  }
  return decoded;
}

}  // namespace sluice::partition
