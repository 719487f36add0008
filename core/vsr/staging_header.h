#pragma once
// The 80-byte header a state-sync staging file starts with (the metadata group's,
// metadata_sync.h, and a partition's, partition_sync.h, differ only in its magic):
//   offset size field
//      0    8  magic
//      8    8  op
//     16    8  size_bytes
//     24    8  reserved, zero
//     32   16  op_checksum
//     48   16  checksum (of the whole snapshot)
//     64   16  XXH3-128 of bytes 0..64

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/vsr/messages.h"

namespace sluice::vsr {

inline constexpr uint64_t kStagingHeaderSize = 80;

// `magic` is 8 characters.
Bytes EncodeStagingHeader(absl::string_view magic, const SnapshotId& snapshot);
// nullopt for a short header, another magic or a bad header checksum.
std::optional<SnapshotId> DecodeStagingHeader(absl::string_view magic, ByteSpan header);

}  // namespace sluice::vsr
