#include "core/vsr/staging_header.h"

#include <cstring>

#include "core/base/assert.h"
#include "core/base/checksum.h"

namespace sluice::vsr {
namespace {

constexpr size_t kHeaderChecksumOffset = 64;

}  // namespace

Bytes EncodeStagingHeader(absl::string_view magic, const SnapshotId& snapshot) {
  SLUICE_ASSERT(magic.size() == 8, "a staging magic has 8 characters");
  Bytes header(kStagingHeaderSize, 0);
  std::memcpy(header.data(), magic.data(), 8);
  base::StoreLittleEndian<uint64_t>(header, 8, snapshot.op);
  base::StoreLittleEndian<uint64_t>(header, 16, snapshot.size_bytes);
  base::StoreU128(header, 32, snapshot.op_checksum);
  base::StoreU128(header, 48, snapshot.checksum);
  base::StoreU128(header, kHeaderChecksumOffset, base::Checksum128(ByteSpan(header).first(kHeaderChecksumOffset)));
  return header;
}

std::optional<SnapshotId> DecodeStagingHeader(absl::string_view magic, ByteSpan header) {
  SLUICE_ASSERT(magic.size() == 8, "a staging magic has 8 characters");
  if (header.size() < kStagingHeaderSize || std::memcmp(header.data(), magic.data(), 8) != 0) return std::nullopt;
  if (base::LoadU128(header, kHeaderChecksumOffset) != base::Checksum128(header.first(kHeaderChecksumOffset))) {
    return std::nullopt;
  }
  return SnapshotId{.op = base::LoadLittleEndian<uint64_t>(header, 8),
                    .op_checksum = base::LoadU128(header, 32),
                    .size_bytes = base::LoadLittleEndian<uint64_t>(header, 16),
                    .checksum = base::LoadU128(header, 48)};
}

}  // namespace sluice::vsr
