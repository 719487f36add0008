#pragma once
// The superblock protocol: format, open (choose and repair), update.
//
// The file `superblock` (kSuperblockPath, at the storage root = the data directory)
// holds 4 copies of one fixed-size record (layout: superblock_format.h). Every write
// of a copy is followed by a Sync() of the file before the next copy is written, so at
// any moment at most one copy is in flight; that is what lets OpenSuperblock always
// find the old or the new version after a crash (superblock_quorum.h explains why).
//
// Fail-stop (rule B1): every function here returns the first I/O error it meets, and
// the caller must then stop the replica — in particular after a failed Sync(). Linux
// reports a failed fsync once and may drop the pages it covered later, even across a
// process restart, while reads still show them; a later fsync may "succeed" without
// writing them. So no function here retries a sync, and none trusts bytes it has not
// seen made durable: on restart, OpenSuperblock re-establishes durability by
// rewriting and syncing every copy that does not hold the chosen version, and by
// syncing the file when nothing needed rewriting.
//
// Lifetimes: these are lazily started coroutines (core/io/task.h). Reference
// parameters (storage, current) must outlive the task; states are taken by value so a
// temporary argument cannot dangle before the task runs.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/superblock/superblock_format.h"
#include "core/superblock/superblock_quorum.h"
#include "core/superblock/superblock_state.h"

namespace sluice::superblock {

// One copy OpenSuperblock rewrote, and why: for bootstrap's log (DESIGN.md: every
// step "repairs with a logged reason").
struct SuperblockRepair {
  uint8_t copy_index = 0;
  // "superblock copy 2 (offset 8192): rewritten with sequence 5; it held: <status>".
  std::string message;
};

// The superblock version the replica runs on.
struct OpenedSuperblock {
  SuperblockState state;
  uint64_t sequence = 0;
  absl::uint128 checksum = 0;  // the version checksum: the next update's parent
  absl::uint128 parent = 0;
  // What OpenSuperblock rewrote (empty if all four copies agreed). Not changed by updates.
  std::vector<SuperblockRepair> repairs;
};

// Creates the superblock of a new data directory: `initial` at sequence 1, parent 0.
// Opens `superblock` with OpenMode::kCreateExclusive, writes and syncs copies 0..3 in
// turn, closes it and syncs the root directory (the file's name is durable only then).
// Errors: InvalidArgument if `initial` fails ValidateSuperblockState (widths: rule B9);
// AlreadyExists (EEXIST) if a superblock is already there — format never overwrites
// one; any I/O error (fail-stop). A crash before OK may leave no file, or a file with
// fewer than 2 valid copies, which OpenSuperblock refuses: format again after removing it.
io::Task<absl::Status> FormatSuperblock(io::Storage& storage, SuperblockState initial);

// Opens the existing superblock (never creates it: rule B17), reads the 4 copies, picks
// the highest sequence held by at least 2 valid, identical copies, then rewrites every
// other copy (corrupt, unreadable, older, or a stray with a higher sequence) with the
// chosen version, syncing after each, and reports each rewrite in `repairs`.
// A read error (EIO) on one copy makes that copy invalid, not the open.
// Errors, each starting "no valid superblock: refusing to boot (rule B17)":
//  - NotFound (ENOENT) if there is no superblock file;
//  - DataLoss if no version has 2 valid identical copies; the message lists each copy
//    as "valid, sequence N" or why it is invalid;
//  - FailedPrecondition if the copies were written by a format version this build does
//    not read (names the found and the supported version);
// and any error writing, syncing or closing during repair (fail-stop, rule B1).
// Does not check the state against config: bootstrap calls ValidateAgainstConfig.
io::Task<absl::StatusOr<OpenedSuperblock>> OpenSuperblock(io::Storage& storage);

// Persists `next` as version current.sequence + 1 with parent current.checksum: writes
// copies 0..3 in turn, syncing each before writing the next. Only once all four are
// durable does it update `current` — the replica must not act on `next` (a new view, a
// checkpoint) before this returns OK (DESIGN.md "Replication model").
// Errors, with `current` left unchanged:
//  - InvalidArgument, before any I/O, if `next` is invalid or may not follow
//    current.state (ValidateSuccessor: identity changed, VSR state moving backwards);
//  - any open, write, sync or close error. The caller must treat it as fail-stop (rule
//    B1): the disk may now hold the old or the new version, and a failed sync is never
//    retried-and-trusted. The next OpenSuperblock settles which one survived.
io::Task<absl::Status> UpdateSuperblock(io::Storage& storage, OpenedSuperblock& current,
                                        SuperblockState next);

// Reads and decodes the 4 copies without repairing anything (for the inspect tool and
// tests). Errors only if the file cannot be opened or closed; per-copy read and decode
// errors are in the readings.
io::Task<absl::StatusOr<CopyReadings>> ReadSuperblockCopies(io::Storage& storage);

}  // namespace sluice::superblock
