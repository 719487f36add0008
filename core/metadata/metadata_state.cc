#include "core/metadata/metadata_state.h"

#include "core/base/assert.h"

namespace sluice::metadata {

absl::Status ValidateConfig(const MetadataConfig& config) {
  if (absl::Status widths = superblock::ValidateNamespaceWidths(config.widths); !widths.ok()) {
    return widths;
  }
  if (config.clients_max == 0) {
    return absl::InvalidArgumentError("metadata config: the client table needs a capacity >= 1");
  }
  return absl::OkStatus();
}

MetadataState NewMetadataState(const MetadataConfig& config) {
  const absl::Status valid = ValidateConfig(config);
  SLUICE_ASSERT(valid.ok(), valid.ToString());
  MetadataState state;
  state.config = config;
  return state;
}

uint64_t IdLimit(uint8_t bits) {
  constexpr uint8_t kIdBits = 32;
  return bits >= kIdBits ? (uint64_t{1} << kIdBits) : (uint64_t{1} << bits);
}

}  // namespace sluice::metadata
