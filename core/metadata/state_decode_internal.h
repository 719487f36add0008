#pragma once
// Internal to DecodeState: the parts in state_decode_clients.cc.

#include "absl/status/status.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata::state_decode_internal {

void DecodeClientsAndSteps(ByteReader& in, MetadataState& state);
absl::Status CheckCrossReferences(const MetadataState& state);

}  // namespace sluice::metadata::state_decode_internal
