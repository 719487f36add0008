#pragma once
// The metadata group's state sync on disk (rule B15): what JournalGroupLog serves to
// a lagging peer, how it stages a peer's snapshot durably, and how it installs one.
//
// Served: the snapshot of the checkpoint the superblock names —
// `metadata/snapshot-{op:020}.bin` (core/metadata/snapshot_store.h), whose bytes are
// sent as they are. Its SnapshotId is {checkpoint op, that op's prepare checksum
// (the chain anchor), file size, XXH3-128 of the whole file}: opaque bytes to VSR, so
// every replica serving the same checkpoint offers the same id (the encoding is
// deterministic).
//
// Staging: `metadata/sync-staging.bin`, an 80-byte header then the snapshot's bytes
// as staged so far:
//   offset size field
//      0    8  magic "SLSYNCST"
//      8    8  op
//     16    8  size_bytes
//     24    8  reserved, zero
//     32   16  op_checksum
//     48   16  checksum (of the whole snapshot)
//     64   16  XXH3-128 of bytes 0..64
// Staging at offset 0 recreates the file (header and first chunk, synced, then the
// directory synced so its name survives); every later chunk is written at its offset
// and synced before the replica is told (so a crash keeps every acknowledged chunk).
// After a crash the staging resumes at the file's length (a torn last chunk is caught
// by the whole-snapshot checksum at install, which then discards the staging).
//
// Install, in rule B6's order (the same as a checkpoint in core/metadata_store):
//   1. verify the staged bytes against the id's checksum and decode them as the
//      metadata snapshot of op (DataLoss and the staging removed otherwise);
//   2. write them as the snapshot of op (tmp → fsync → rename → fsync directory);
//   3. update the superblock: checkpoint {op, the snapshot's checksum, op_checksum},
//      commit watermark raised to op — only once it is durable does the snapshot count;
//   4. (the caller) move the WAL's checkpoint (Journal::InstallCheckpoint);
//   5. remove the staging and snapshots older than op.
// A crash before 3 completes leaves the old checkpoint and a complete staging (the sync
// installs again); after it, the new checkpoint, which recovery anchors the WAL at.
//
// The replica's durable view state (vsr_state.h's VsrState: view, log view, each
// group's log view and head) lives, for a replica booted this way, in a table the
// superblock names: `vsr_view-{sequence:020}` (vsr_state.h's encoding), referenced by
// the superblock's partition_log_views {sequence, XXH3-128 of the file}, written
// atomically before the superblock that names it, with the superblock's view,
// metadata log view and recovering flag updated in the same superblock write. A crash
// between the two leaves the old superblock naming the old table, which is removed
// only after the new superblock is durable.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/superblock/superblock.h"
#include "core/vsr/group_log.h"
#include "core/vsr/vsr_state.h"

namespace sluice::vsr {

inline constexpr char kSyncStagingPath[] = "metadata/sync-staging.bin";
inline constexpr uint64_t kSyncStagingHeaderSize = 80;

// "vsr_view-00000000000000000007".
std::string ViewTablePath(uint64_t sequence);

struct ServedMetadataSnapshot {
  SnapshotId id;
  Bytes bytes;  // the snapshot file, verified against the superblock
};

// What bootstrap reads for the metadata group's state sync.
struct MetadataSyncState {
  superblock::OpenedSuperblock superblock;
  std::optional<ServedMetadataSnapshot> served;  // none at checkpoint op 0
  std::optional<StagedSnapshot> staged;          // a sync to resume
  // The durable view state from the table the superblock names; before the first
  // view change (no table yet): the superblock's view, log view and recovering flag,
  // with no group heads.
  VsrState view_state;
};

// The served snapshot's id for a snapshot file's bytes.
SnapshotId MetadataSnapshotId(uint64_t op, absl::uint128 op_checksum, ByteSpan bytes);

// Opens the superblock, reads the view table it names (checksum, cluster, replica and
// its view checked against the superblock: DataLoss otherwise, rule B4), reads and
// verifies the checkpoint's snapshot (rule B6), and
// reads the staging if one is there (ignored, with the file left for the next
// staging to replace, if its header is bad or it is not above the checkpoint).
// Errors: the superblock's and the snapshot's (NotFound, DataLoss…); I/O errors.
io::Task<absl::StatusOr<MetadataSyncState>> LoadMetadataSyncState(io::Storage& storage);

// Durably writes `bytes` at `offset` of the staging of `snapshot` (offset 0 starts a
// new staging). The caller checks offsets against what is staged.
io::Task<absl::Status> StageMetadataChunk(io::Storage& storage, SnapshotId snapshot, uint64_t offset, Bytes bytes);

// Steps 1–3 of the install above; returns the installed snapshot (served from now on).
// DataLoss (staging removed) if the staged bytes are not the snapshot; any other error
// is an I/O error (fail-stop) with the old checkpoint still the durable one.
io::Task<absl::StatusOr<ServedMetadataSnapshot>> InstallMetadataSnapshot(io::Storage& storage,
                                                                        superblock::OpenedSuperblock& superblock,
                                                                        SnapshotId snapshot);

// Step 5: removes the staging and older snapshots, then syncs `metadata/`.
io::Task<absl::Status> CleanUpAfterInstall(io::Storage& storage, uint64_t op);

}  // namespace sluice::vsr
