#include "core/base/checksum.h"

#include <xxhash.h>

namespace sluice::base {

uint64_t Checksum64(ByteSpan bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

absl::uint128 Checksum128(ByteSpan bytes) {
  const XXH128_hash_t hash = XXH3_128bits(bytes.data(), bytes.size());
  return absl::MakeUint128(hash.high64, hash.low64);
}

Checksum128Builder::Checksum128Builder() : state_(XXH3_createState()) {
  SLUICE_ASSERT(state_ != nullptr, "out of memory creating an XXH3 state");
  SLUICE_ASSERT(XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_)) == XXH_OK);
}

Checksum128Builder::~Checksum128Builder() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void Checksum128Builder::Add(ByteSpan bytes) {
  SLUICE_ASSERT(
      XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size()) ==
      XXH_OK);
}

absl::uint128 Checksum128Builder::Finish() const {
  const XXH128_hash_t hash = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return absl::MakeUint128(hash.high64, hash.low64);
}

}  // namespace sluice::base
