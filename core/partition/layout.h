#pragma once
// Where a partition keeps its files (FORMATS.md §3):
//
//   streams/{stream}/topics/{topic}/partitions/{partition}-{incarnation}/
//     {first_op:020}.log     a segment: the partition group's journal, entries
//                            [256-byte prepare header][body], named by the op of
//                            its first entry
//     {first_op:020}.index   32 bytes per entry of that segment (derived data)
//     partition.state        the partition state record, two copies
//     consumer_offsets       consumer and group offsets, checkpointed atomically
//     anchor-{op:020}.snapshot
//                            the partition's state as of its anchor op (the op before
//                            the first segment's first entry): what it serves to a
//                            lagging replica for state sync (partition_snapshot.h)
//     sync-staging.bin       a peer's snapshot being staged by state sync
//                            (core/vsr/partition_sync.h)
//
// The incarnation (the op of the metadata operation that created the partition) in
// the directory name keeps a stream or topic recreated under a reused id from ever
// seeing the old one's files.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace sluice::partition {

struct PartitionAddress {
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const PartitionAddress&, const PartitionAddress&) = default;
};

inline constexpr absl::string_view kStateRecordName = "partition.state";
inline constexpr absl::string_view kConsumerOffsetsName = "consumer_offsets";

std::string PartitionDirectory(const PartitionAddress& address);
std::string SegmentLogName(uint64_t first_op);    // "00000000000000000042.log"
std::string SegmentIndexName(uint64_t first_op);  // "00000000000000000042.index"

// The first op of a segment file name ("….log" or "….index"), or nullopt if the name
// is not one of ours.
std::optional<uint64_t> ParseSegmentFileName(absl::string_view name);

}  // namespace sluice::partition
