#pragma once
// Namespace packing (FORMATS.md §5, rule B9): a partition's consensus group is keyed
// by a u64 with bit 63 set and its stream, topic and partition ids packed below it:
//
//   bit 63 | stream id | topic id | partition id
//          | s bits    | t bits   | p bits          (Iggy's defaults: 12 / 12 / 20)
//
// partition in bits [0, p), topic in [p, p + t), stream in [p + t, p + t + s).
// Bit 63 keeps stream 0 / topic 0 / partition 0 apart from the metadata group's 0,
// so s + t + p must be at most 63 — checked with a plain sum, since each width is at
// most 64 (superblock::ValidateNamespaceWidths, the one implementation of that rule).
// The widths are fixed at format time and stored in the superblock and the snapshot;
// a config that disagrees is refused, and so is any recovered id that does not fit.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

inline constexpr uint64_t kPartitionNamespaceBit = uint64_t{1} << 63;

struct PartitionKey {
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  friend bool operator==(const PartitionKey&, const PartitionKey&) = default;
};

// Rule B9: each width <= 64 and their plain sum <= 63; InvalidArgument naming B9.
absl::Status ValidateWidths(const NamespaceWidths& widths);

// Boot: the configured widths must equal the stored ones (superblock or snapshot).
// FailedPrecondition naming rule B9 and both triples otherwise; InvalidArgument if
// either breaks ValidateWidths.
absl::Status CheckWidthsMatchStored(const NamespaceWidths& stored,
                                    const NamespaceWidths& configured);

// InvalidArgument naming rule B9 and the id if any id does not fit its width.
absl::Status CheckIdsFit(const NamespaceWidths& widths, const PartitionKey& key);

// Every stream, topic and partition id of `state` fits state.config.widths: what a
// recovered snapshot must satisfy (InvalidArgument naming B9 and the first misfit).
absl::Status CheckStateIdsFit(const MetadataState& state);

// The namespace of a partition group; errors as ValidateWidths / CheckIdsFit.
absl::StatusOr<uint64_t> PackNamespace(const NamespaceWidths& widths, const PartitionKey& key);

// The ids packed in `namespace_id`. InvalidArgument if bit 63 is clear (not a
// partition group), if bits above the packed ids are set, or if the widths are invalid.
absl::StatusOr<PartitionKey> UnpackNamespace(const NamespaceWidths& widths,
                                             uint64_t namespace_id);

}  // namespace sluice::metadata
