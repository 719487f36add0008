// Fuzz target: the superblock copy decoder (core/superblock/superblock_format.h:
// DecodeSuperblockCopy), the first bytes a booting replica believes (rule B17).
//
// The input is decoded as read from each of the 4 slots, as given, and then padded
// or cut to one copy (4096 bytes; the tail of a copy is reserved zero) and resealed
// (fuzz_support.h). Oracle:
//  - a rejection is DataLoss or FailedPrecondition with a message; a slot past the
//    last is InvalidArgument;
//  - at most one slot accepts a copy: the one its copy index names;
//  - an accepted copy has sequence >= 1, no parent at sequence 1, a state that passes
//    ValidateSuperblockState, its own checksum and version checksum, and
//    EncodeSuperblockCopy of what was decoded reproduces the input byte for byte.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/superblock/superblock_format.h"
#include "core/superblock/superblock_state.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

using superblock::DecodedCopy;
using superblock::kSuperblockCopyCount;
using superblock::kSuperblockCopySizeBytes;

void CheckAccepted(ByteSpan copy, uint8_t slot, const DecodedCopy& decoded) {
  SLUICE_ASSERT(copy.size() == kSuperblockCopySizeBytes, copy.size());
  SLUICE_ASSERT(
      decoded.copy_index == slot && copy[superblock::superblock_offset::kCopyIndex] == slot,
      "slot ", int{slot}, " accepted copy index ",
      int{copy[superblock::superblock_offset::kCopyIndex]});
  SLUICE_ASSERT(decoded.format_version == superblock::kSuperblockFormatVersion);
  SLUICE_ASSERT(decoded.sequence >= 1);
  SLUICE_ASSERT(decoded.sequence != 1 || decoded.parent == 0, "sequence 1 with a parent");
  SLUICE_ASSERT(superblock::ValidateSuperblockState(decoded.state).ok(),
                superblock::ToString(decoded.state));
  SLUICE_ASSERT(decoded.checksum == superblock::SuperblockCopyChecksum(copy));
  SLUICE_ASSERT(decoded.version_checksum == superblock::SuperblockVersionChecksum(copy));
  SLUICE_ASSERT(superblock::SameVersion(decoded, decoded));

  const Bytes reencoded =
      superblock::EncodeSuperblockCopy(decoded.state, decoded.sequence, decoded.parent, slot);
  SLUICE_ASSERT(reencoded.size() == copy.size() &&
                    std::equal(reencoded.begin(), reencoded.end(), copy.begin()),
                "EncodeSuperblockCopy of the decoded copy does not reproduce it (slot ", int{slot},
                ")");
}

void CheckCopy(ByteSpan copy) {
  int accepted = 0;
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    const absl::StatusOr<DecodedCopy> decoded = superblock::DecodeSuperblockCopy(copy, slot);
    if (!decoded.ok()) {
      SLUICE_ASSERT(decoded.status().code() == absl::StatusCode::kDataLoss ||
                        decoded.status().code() == absl::StatusCode::kFailedPrecondition,
                    decoded.status().ToString());
      SLUICE_ASSERT(!decoded.status().message().empty());
      continue;
    }
    ++accepted;
    CheckAccepted(copy, slot, *decoded);
  }
  SLUICE_ASSERT(accepted <= 1, accepted, " slots accepted the same copy");
  for (const uint8_t slot : {kSuperblockCopyCount, uint8_t{0xFF}}) {
    const absl::StatusOr<DecodedCopy> decoded = superblock::DecodeSuperblockCopy(copy, slot);
    SLUICE_ASSERT(!decoded.ok() && decoded.status().code() == absl::StatusCode::kInvalidArgument,
                  "slot ", int{slot}, " is out of range");
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sluice::ByteSpan input = sluice::fuzz::InputBytes(data, size);
  sluice::fuzz::CheckCopy(input);
  sluice::Bytes resealed(input.begin(), input.end());
  resealed.resize(sluice::superblock::kSuperblockCopySizeBytes, 0);
  sluice::fuzz::ResealSuperblockCopy(resealed);
  sluice::fuzz::CheckCopy(resealed);
  return 0;
}
