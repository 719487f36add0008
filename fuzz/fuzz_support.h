#pragma once
// Shared by the fuzz targets and the seed-corpus tool: the fixed identity the
// targets decode against, and "reseal" helpers.
//
// Every format fuzzed here is checksummed, and a mutation of a valid input almost
// never keeps its checksum valid, so on its own a fuzzer would spend nearly all its
// time in the first checksum comparison. Each target therefore decodes the input
// twice: as given (the checksum paths) and after resealing a copy — recomputing the
// checksums the format defines over whatever the input's lengths describe, without
// changing any other byte — so mutations of the fields behind the checksums reach
// the structural checks. The reseal helpers follow FORMATS.md / PROTOCOL.md §6.4
// independently of the encoders, and never assume the input is well formed.

#include <cstddef>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"

namespace sluice::fuzz {

// The cluster every prepare target decodes with (make_corpus encodes with it).
inline constexpr absl::uint128 kCluster =
    absl::MakeUint128(0x5EED'C1A5'7E20'0001, 0x0000'0000'F022'2026);

// The partition the segment-scan target's ScanContext describes.
inline constexpr uint64_t kNamespace =
    (uint64_t{1} << 63) | (uint64_t{3} << 32) | (uint64_t{2} << 20) | 1;
inline constexpr uint64_t kIncarnation = 42;
inline constexpr uint64_t kFirstOp = 1;
inline constexpr absl::uint128 kAnchorParent =
    absl::MakeUint128(0xA11C'0000'0000'0001, 0x0000'0000'0000'0042);
inline constexpr uint64_t kDurableWatermark = 2;  // ops 1..2 are proven durable
inline constexpr uint64_t kStartOffset = 1000;    // message offset of the first message
// The second scan of the segment target (a decided truncation above this op).
inline constexpr uint64_t kTruncatedLogEndOp = 4;

// libFuzzer hands over (nullptr, 0) for the empty input; std::span wants no null
// pointer with a non-zero size, so build the view with care.
inline ByteSpan InputBytes(const uint8_t* data, size_t size) {
  return size == 0 ? ByteSpan() : ByteSpan(data, size);
}

// Recomputes a consensus frame's body checksum (bytes 16..32, over bytes 256..end)
// and then its header checksum (bytes 0..16, over bytes 16..256). The size field is
// left as it is, so a mismatch between it and the frame's length stays reachable.
// Frames shorter than 256 bytes are left unchanged.
void ResealFrame(MutableByteSpan frame);

// Recomputes every message checksum of a batch, walking the frames by their
// payload_length and user_headers_length while message_count and the bounds allow,
// then the batch checksum over the header and the messages walked. Lengths, counts
// and every other field are left as they are. Batches shorter than their header
// are left unchanged.
void ResealBatch(MutableByteSpan batch);

// Recomputes a superblock copy's checksum (bytes 0..16 over bytes 16..4096).
// Inputs that are not exactly one copy are left unchanged.
void ResealSuperblockCopy(MutableByteSpan copy);

// Recomputes a partition state record's checksum (bytes 0..16, over bytes
// 16..112 + 16 * segment_count) when segment_count is 1..kMaxSegments and the slot
// holds that many segments; otherwise leaves the slot unchanged.
void ResealStateRecord(MutableByteSpan slot);

// Recomputes a consumer-offsets file's checksum (bytes 0..16 over bytes 16..end).
// Files shorter than its 40-byte header are left unchanged.
void ResealConsumerOffsets(MutableByteSpan file);

// Walks a segment from byte 0 by each entry's size field and reseals each entry:
// a SendMessages body (operation byte 160) with ResealBatch, then the frame with
// ResealFrame. When `relink` is set, each entry's `parent` is first set to the
// previous entry's checksum (`anchor` for the first), so the hash chain holds. Stops
// at the first entry whose size field is below 256 or past the end (that entry gets
// only its header checksum, over its header bytes, so its bad size stays visible).
void ResealSegment(MutableByteSpan segment, absl::uint128 anchor, bool relink);

}  // namespace sluice::fuzz
