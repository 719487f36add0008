#pragma once
// Metadata snapshots on disk (FORMATS.md §4, rule B6): `metadata/snapshot-{op:020}.bin`,
// each one a snapshot_codec.h file, named by the op it has applied up to.
//
// Rule B6, and the order a checkpoint must follow:
//   1. WriteSnapshot(storage, state, op): tmp → fsync → rename → fsync directory
//      (io::WriteFileAtomically). Returns the checksum.
//   2. Persist a superblock whose metadata checkpoint names (op, checksum), and wait
//      until it is durable (UpdateSuperblock returned OK).
//   3. Only then DeleteSnapshotsOlderThan(storage, op).
// A crash anywhere leaves the snapshot the durable superblock names intact: before
// step 2 completes that is the older one, which step 3 has not touched yet; after, the
// new one, fully synced in step 1. A torn or corrupt file is refused by LoadSnapshot,
// never loaded.
//
// Invariant "B6: snapshot op = last applied op" — a snapshot named op N holds exactly
// the state after applying ops 1..N (its state's last_applied_op is N, checked on
// write and on load). Bootstrap relies on it when the WAL holds nothing after the
// checkpoint: it then takes N as the last applied op without replaying anything. So
// nothing may write a snapshot of a state under another op's name.
//
// Lifetimes: these are lazily started coroutines; `storage` must outlive them.
// WriteSnapshot encodes `state` before it returns, so the state need not outlive the
// task.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

inline constexpr absl::string_view kMetadataDirectory = "metadata";

// "metadata/snapshot-00000000000000000042.bin".
std::string SnapshotPath(uint64_t op);

// The op of "snapshot-{op:020}.bin", or of its temporary "snapshot-{op:020}.bin.tmp"
// (with *temporary set); nullopt for any other name.
std::optional<uint64_t> ParseSnapshotFileName(absl::string_view name, bool* temporary = nullptr);

// Creates `metadata/` if it is missing and makes its name durable (syncs the root).
// Idempotent; called at format, before the first snapshot.
io::Task<absl::Status> CreateSnapshotDirectory(io::Storage& storage);

// Step 1 above. Asserts op == state.last_applied_op (the B6 invariant). Returns the
// snapshot's checksum, for the superblock. Any I/O error is returned (fail-stop,
// rule B1: the caller must not record this snapshot in the superblock).
io::Task<absl::StatusOr<absl::uint128>> WriteSnapshot(io::Storage& storage,
                                                      const MetadataState& state, uint64_t op);

// Reads and verifies the snapshot of `op`, which the superblock records with
// `expected_checksum`. Errors name the file: NotFound if it is missing, DataLoss if
// torn or corrupt, InvalidArgument if it is not the one the superblock names,
// FailedPrecondition for an unknown format version (snapshot_codec.h).
io::Task<absl::StatusOr<MetadataState>> LoadSnapshot(io::Storage& storage, uint64_t op,
                                                     absl::uint128 expected_checksum);

// Step 3 above: removes every snapshot (and leftover temporary) older than `op`, then
// syncs the directory. Precondition (rule B6, not checkable here): a durable
// superblock already names the snapshot of `op`.
io::Task<absl::Status> DeleteSnapshotsOlderThan(io::Storage& storage, uint64_t op);

}  // namespace sluice::metadata
