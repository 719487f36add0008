#pragma once
// The replica's durable VSR state: its view, its log view, and each group's log
// view with the canonical head that view's start_view named for the group.
//
// Where it lives: a small checksummed file `vsr_state` at the data directory's
// root, replaced atomically (write `vsr_state.tmp` -> fsync -> rename -> fsync the
// directory). This is the "checksummed table" DESIGN.md allows in place of the
// superblock: the superblock's view / log-view fields (core/superblock) are
// maintained by other code, and one small file written atomically keeps a view
// change to exactly one durable write of bounded size, whatever the group count:
// never one fsync per group. A replica booted from a metadata directory keeps the same
// encoding instead as a table the superblock names (ViewStateStore below,
// metadata_sync.h): `vsr_view-{sequence}` referenced by the superblock's
// partition_log_views, written with the superblock's view fields in one update.
//
// Why each group's canonical head is kept: a backup that installed a start_view
// and crashed before repairing up to the head it was told must still report that
// head in its next do_view_change (ops below it may be committed), so the head is
// persisted with the log view that names it (TigerBeetle keeps "view headers" for
// the same reason).
//
// The `recovering` flag (rule B17): set only when the replica's directory is
// re-created with `format --recover` (its promises were lost with the old one); the
// replica then takes no part in view changes or commit quorums until it has caught
// up with the cluster, and clears the flag with a durable write. Never set again.
// (The superblock carries the same flag, core/superblock/superblock_state.h; the
// bootstrap wiring copies it here.)
//
// Layout (little-endian):
//   0  8  magic "SLVSRST1"        8  4 format version (1)     12 1 replica
//  13  1  flags: bit 0 recovering, other bits zero               14 2 zero
//  16 16  cluster                32  4 view                   36 4 log_view
//  40  8  group_count
//  48 ..  group_count records of 48 bytes: namespace u64, incarnation u64,
//         log_view u32, zero u32, head_op u64, head_checksum u128
//  end 16 XXH3-128 of every byte before it

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/vsr/messages.h"

namespace sluice::vsr {

inline constexpr char kVsrStatePath[] = "vsr_state";

struct GroupViewState {
  GroupId group;
  uint32_t log_view = 0;
  uint64_t head_op = 0;
  absl::uint128 head_checksum = 0;
  friend bool operator==(const GroupViewState&, const GroupViewState&) = default;
};

struct VsrState {
  uint32_t view = 0;
  uint32_t log_view = 0;  // <= view
  std::vector<GroupViewState> groups;  // sorted by group, unique
  bool recovering = false;  // formatted with --recover and not caught up yet (B17)
  friend bool operator==(const VsrState&, const VsrState&) = default;
};

Bytes EncodeVsrState(const VsrState& state, absl::uint128 cluster, uint8_t replica);
// DataLoss for a bad checksum or length; FailedPrecondition for another cluster,
// replica or format version; InvalidArgument for log_view > view, unsorted groups or
// unknown flags.
absl::StatusOr<VsrState> DecodeVsrState(ByteSpan bytes, absl::uint128 cluster, uint8_t replica);

// Durably replaces the state file (the atomic protocol above). `done` runs on the
// loop; an error is fail-stop for the replica (rule B1). If the process dies first,
// `done` never runs and the file holds the old or the new state.
void PersistVsrState(io::Storage& storage, const VsrState& state, absl::uint128 cluster,
                     uint8_t replica, absl::AnyInvocable<void(absl::Status)> done);

// Where a replica makes its VsrState durable, once per view change. Without one, the
// replica writes the `vsr_state` file above (PersistVsrState). The metadata WAL's
// adapter (journal_group_log.h) keeps it instead as a checksummed table the
// superblock names, written together with the superblock's view fields.
class ViewStateStore {
 public:
  virtual ~ViewStateStore() = default;
  // Durably replaces the view state, then runs `done` on the loop (never inside the
  // call); an error is fail-stop for the replica (rule B1). If the process dies
  // first, the old or the new state is what the next boot reads.
  virtual void PersistViewState(const VsrState& state, absl::AnyInvocable<void(absl::Status)> done) = 0;
};

// Reads and decodes the state file; NotFound if there is none (never created here).
void LoadVsrState(io::Storage& storage, absl::uint128 cluster, uint8_t replica,
                  absl::AnyInvocable<void(absl::StatusOr<VsrState>)> done);

}  // namespace sluice::vsr
