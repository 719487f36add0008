#pragma once
// Every partition a metadata state holds, with its packed namespace and incarnation:
// what the replicas compare their hosted partition groups against.

#include <cstdint>
#include <vector>

#include "core/base/assert.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/namespace_packing.h"

namespace sluice::replica {

struct PartitionRef {
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  uint64_t incarnation = 0;
  uint64_t namespace_id = 0;
};

// In id order. An applied state's ids always fit its widths (rule B9): asserted.
inline std::vector<PartitionRef> PartitionsOf(const metadata::MetadataState& state) {
  std::vector<PartitionRef> refs;
  for (const auto& [s, stream] : state.streams) {
    for (const auto& [t, topic] : stream.topics) {
      for (uint32_t p = 0; p < topic.partitions.size(); ++p) {
        const absl::StatusOr<uint64_t> ns = metadata::PackNamespace(state.config.widths, {s, t, p});
        SLUICE_ASSERT(ns.ok(), "applied state holds an unpackable id: ", ns.status().ToString());
        refs.push_back({s, t, p, topic.partitions[p].incarnation, *ns});
      }
    }
  }
  return refs;
}

}  // namespace sluice::replica
