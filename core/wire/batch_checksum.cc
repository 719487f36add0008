#include "core/wire/batch_checksum.h"

#define XXH_STATIC_LINKING_ONLY  // Exposes XXH3_state_t's definition for in-place storage.
#include <xxhash.h>

#include <new>

#include "core/base/assert.h"

namespace sluice::wire::internal {
namespace {

static_assert(sizeof(XXH3_state_t) <= 640, "grow BatchChecksumBuilder::kStateSizeBytes");
static_assert(alignof(XXH3_state_t) <= 64, "grow BatchChecksumBuilder's state alignment");

XXH3_state_t* State(unsigned char* storage) {
  return std::launder(reinterpret_cast<XXH3_state_t*>(storage));
}
const XXH3_state_t* State(const unsigned char* storage) {
  return std::launder(reinterpret_cast<const XXH3_state_t*>(storage));
}

// Batch header offsets covered by the checksum (PROTOCOL.md §6.4).
constexpr size_t kCoveredFieldsEnd = 40;  // partition_id .. batch_length
constexpr size_t kMessageCountOffset = 48;
constexpr size_t kMessageCountSize = 4;

}  // namespace

BatchChecksumBuilder::BatchChecksumBuilder(ByteSpan batch_header) {
  SLUICE_ASSERT(batch_header.size() >= kMessageCountOffset + kMessageCountSize, "batch header of ",
                batch_header.size(), " bytes");
  XXH3_state_t* state = new (state_) XXH3_state_t;
  SLUICE_ASSERT(XXH3_64bits_reset(state) == XXH_OK);
  SLUICE_ASSERT(XXH3_64bits_update(state, batch_header.data(), kCoveredFieldsEnd) == XXH_OK);
  SLUICE_ASSERT(XXH3_64bits_update(state, batch_header.data() + kMessageCountOffset,
                                   kMessageCountSize) == XXH_OK);
}

void BatchChecksumBuilder::AddMessageChecksum(uint64_t message_checksum) {
  unsigned char field[sizeof(uint64_t)];
  base::StoreLittleEndian<uint64_t>(field, 0, message_checksum);
  SLUICE_ASSERT(XXH3_64bits_update(State(state_), field, sizeof(field)) == XXH_OK);
}

uint64_t BatchChecksumBuilder::Finish() const { return XXH3_64bits_digest(State(state_)); }

}  // namespace sluice::wire::internal
