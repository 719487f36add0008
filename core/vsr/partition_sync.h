#pragma once
// A partition group's state-sync staging on disk (rule B15): where a lagging replica
// keeps a peer's partition snapshot (core/partition/partition_snapshot.h) while it
// arrives in chunks, so a crash in the middle of a sync resumes instead of starting
// over — the partition counterpart of metadata_sync.h's staging, with the same shape.
//
// `{partition directory}/sync-staging.bin`: an 80-byte header, then the snapshot's
// bytes as staged so far:
//   offset size field
//      0    8  magic "SLPSYNCS"
//      8    8  op
//     16    8  size_bytes
//     24    8  reserved, zero
//     32   16  op_checksum
//     48   16  checksum (XXH3-128 of the whole snapshot)
//     64   16  XXH3-128 of bytes 0..64
// Staging at offset 0 recreates the file (header and first chunk, synced, then the
// directory synced so its name survives a crash); every later chunk is written at its
// offset and synced before the replica is told (a crash keeps every acknowledged
// chunk). After a crash the staging resumes at the file's length (a torn last chunk
// is caught by the whole-snapshot checksum at install, which then discards it).
// Partition recovery ignores this file (not a segment, not a temporary).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/vsr/group_log.h"

namespace sluice::vsr {

inline constexpr char kPartitionStagingName[] = "sync-staging.bin";
inline constexpr uint64_t kPartitionStagingHeaderSize = 80;

// The staging in `directory` if its header is intact and its snapshot is above
// `base_op` (a staging at or below the base can never be installed, and is left for
// the next staging to replace). Errors: I/O errors other than ENOENT.
io::Task<absl::StatusOr<std::optional<StagedSnapshot>>> LoadPartitionStaging(io::Storage& storage,
                                                                             std::string directory,
                                                                             uint64_t base_op);

// Durably writes `bytes` at `offset` of the staging of `snapshot` (offset 0 starts a
// new staging). The caller checks offsets against what is staged.
io::Task<absl::Status> StagePartitionChunk(io::Storage& storage, std::string directory, SnapshotId snapshot,
                                           uint64_t offset, Bytes bytes);

// The whole staged snapshot if the staging holds exactly `snapshot` (header, size and
// whole checksum). DataLoss otherwise, and the staging is removed first: a partial or
// corrupt staging is never installed. Other errors: I/O.
io::Task<absl::StatusOr<Bytes>> ReadStagedPartitionSnapshot(io::Storage& storage, std::string directory,
                                                            SnapshotId snapshot);

// Removes the staging (if any) and syncs the directory.
io::Task<absl::Status> RemovePartitionStaging(io::Storage& storage, std::string directory);

}  // namespace sluice::vsr
