#pragma once
// Inspect: what bootstrap would find and decide for a data directory, without
// changing it.
//
// How: the caller puts a scratch copy of the directory behind `copy` (the simulator's
// in-memory disk for `sluice inspect`, a temporary directory on io_uring for
// `sluice-server inspect`), and the very bootstrap code a replica runs boots that
// copy — so the decisions printed are, by construction, the ones the replica's boot
// would log. Afterwards the copy is compared file by file with the directory: whatever
// differs is what boot would repair (a torn tail cut, an index rebuilt, a superblock
// copy rewritten, a stale incarnation removed, a partition created) — except the files
// every boot rewrites with the same content (rule B1: a partition's state record and
// its consumer-offsets checkpoint are re-synced because a failed fsync in the last run
// may have left them only in the page cache; the offsets checkpoint also folds in the
// stores the log holds above it). Those are listed as re-synced, not as repairs: a
// directory whose boot only re-syncs, and warns of nothing, is healthy.
//
// A replica of a 3- or 5-replica cluster boots as ClusterReplica::Open boots it, up to
// the consensus (which needs peers): metadata recovered in cluster mode — the
// committed prefix only; ops above the commit watermark are VSR's to commit or
// discard (rule B16), reported, not damage — the durable view state and any staged
// state sync (B15), the partitions in cluster mode, whose faulty entries (corrupt or
// uncertain, B7) — like the metadata WAL's — are repaired from peers rather than
// refused: each is listed, naming its file and op, and makes the verdict
// "repairable from peers" (exit 1). The cluster facts are printed too: replica
// index and count, view, log view, each group's log view, staged syncs.
//
// The report goes to stdout (errors of the comparison itself to stderr).
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/inspect/file_tree.h"
#include "core/inspect/inspect_options.h"
#include "core/io/loop.h"
#include "core/io/storage.h"

namespace sluice::inspect {

// Exit codes: 0 healthy (boot would change nothing), 1 repairable (boot succeeds and
// changes the files listed, or a cluster replica has faulty entries to repair from
// peers), 2 refused (boot stops with the error printed), 3 not supported here
// (reserved; no directory inspect reads gives it today), 64 usage.
inline constexpr int kHealthy = 0;
inline constexpr int kRepairable = 1;
inline constexpr int kRefused = 2;
inline constexpr int kUnsupported = 3;
inline constexpr int kUsage = 64;

// The copy's files after boot, read back by the caller (its storage, its medium).
using AfterTree = absl::AnyInvocable<absl::StatusOr<FileTree>()>;

// Boots `copy` (driven by `loop`, which nothing else is using), closes what it
// opened, compares `read_after()` with `directory` and prints the verdict; returns
// one of the exit codes above.
int InspectCopy(io::Loop& loop, io::Storage& copy, const std::string& directory,
                const InspectOptions& options, AfterTree read_after);

}  // namespace sluice::inspect
