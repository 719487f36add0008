#include "core/partition/segment_index.h"

namespace sluice::partition {

void EncodeIndexEntry(const IndexEntry& entry, MutableByteSpan out) {
  base::StoreLittleEndian<uint64_t>(out, 0, entry.op);
  base::StoreLittleEndian<uint64_t>(out, 8, entry.base_offset);
  base::StoreLittleEndian<uint64_t>(out, 16, entry.timestamp);
  base::StoreLittleEndian<uint64_t>(out, 24, entry.position);
}

IndexEntry DecodeIndexEntry(ByteSpan bytes) {
  return {base::LoadLittleEndian<uint64_t>(bytes, 0), base::LoadLittleEndian<uint64_t>(bytes, 8),
          base::LoadLittleEndian<uint64_t>(bytes, 16), base::LoadLittleEndian<uint64_t>(bytes, 24)};
}

std::vector<IndexEntry> DecodeIndex(ByteSpan bytes) {
  std::vector<IndexEntry> entries;
  entries.reserve(bytes.size() / kIndexEntrySize);
  for (size_t offset = 0; offset + kIndexEntrySize <= bytes.size(); offset += kIndexEntrySize) {
    entries.push_back(DecodeIndexEntry(bytes.subspan(offset, kIndexEntrySize)));
  }
  return entries;
}

}  // namespace sluice::partition
