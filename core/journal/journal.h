#pragma once
// Journal: the metadata group's write-ahead log (layout: journal_layout.h), the
// journal interface VSR drives for namespace 0 — the same shape as the partition
// log's (core/partition/partition_log.h).
//
// A Journal is only ever built by RecoverJournal (journal_recovery.h) from what it
// found on disk — a freshly formatted WAL included — never patched after
// construction (rule B4).
//
// Journal interface:
//   Append(frame, on_durable)  adds the prepare of op last_op() + 1. Checks: a valid
//       metadata prepare (wire::DecodePrepare, namespace 0, incarnation 0, commit
//       below op) of this cluster, op == last_op() + 1, parent == last_checksum()
//       (the hash chain), size <= message_size_max, and rule B8 (below). Appends are
//       group-committed: while one group's writes and sync are in flight the next
//       group collects entries; each group writes every prepare into its slot and its
//       redundant header into the headers zone, then syncs the file once.
//       `on_durable` runs after the sync covering the entry completed with OK: only
//       then is the entry acknowledged (prepare_ok, or a single node's reply).
//       Cluster repair of a faulty op (rule B7): if recovery found op beyond a gap
//       in the chain with this very checksum, the chain carries on through the whole
//       entries recovery found linking above it (they are promises: maybe
//       acknowledged, maybe the only copies of committed ops): last_op() moves to the
//       last of them at once, durable_op() with the sync of op's group (they were
//       synced at recovery, B1). Such a group takes no more entries, and a failed
//       write of it is fail-stop (failing it would forget them).
//   ReadEntry(op)  the prepare of a durable op, checksums verified. NotFound if the
//       op is not in the ring (beyond last_op, or its slot now holds another op);
//       Unavailable if appended but not yet durable; DataLoss if its bytes are bad.
//   TruncateAfter(op, commit_watermark)  drops ops op+1 .. last_op durably (their
//       header copies and prepare headers zeroed, then one sync), and with them any
//       faulty tail recovery left on disk above last_op. Refused (FailedPrecondition)
//       for op < commit_watermark or op < checkpoint_op(): committed ops are never
//       truncated. A crash before it completes leaves a prefix of the dropped ops,
//       possibly followed by a tail recovery classifies as uncertain.
//   InstallCheckpoint(op, checksum)  state sync (rule B15): a snapshot of a peer's
//       checkpoint at `op` (whose prepare checksum is `checksum`) is durable and a
//       durable superblock names it. The chain is anchored there from now on: if the
//       ring holds op with that checksum, it simply becomes the checkpoint (also when
//       only recovery found it, whole and linked, beyond a gap in the chain: the
//       chain then continues through the verified entries recovery found above it,
//       last_op() and durable_op() moving to the last of them); otherwise
//       last_op() jumps to op (last_checksum() = checksum, durable_op() = op) and the
//       entries this process appended above op no longer count (they stay on disk
//       until overwritten or truncated; recovery sees they do not link), and every
//       slot that cannot hold an entry this replica wrote above op (the slots of
//       ops above max(op, the highest op recovery or appends showed)) is cleared
//       durably, so that leftovers of the ops it jumped over — a torn or corrupt
//       copy it never repaired — never read as a torn write of a newer op. Refused
//       (FailedPrecondition) while appends are in flight (Drain() first) and for
//       op <= checkpoint_op(); a failed clear is fail-stop.
//   SetCheckpoint(op)  records that a durable snapshot covers every op <= op (call
//       it only once the superblock naming that snapshot is durable). Rule B8: the
//       ring never overwrites an op the checkpoint does not cover, so Append of op
//       refuses with ResourceExhausted while op - slot_count > checkpoint_op();
//       ops_until_checkpoint_needed() says how many appends remain before that, so
//       the metadata layer can checkpoint in time.
//
// Failure policy (rule B1): a failed write (ENOSPC, EIO) fails the entries of its
// group and of every group queued behind it (they chain onto it); last_op() returns
// to the op before the group and appends may resume with the same ops. A failed
// sync is fail-stop: the journal refuses everything (failure()) until the process
// restarts and recovery makes the tail durable again; Linux may have dropped the
// pages the sync covered even though they still read back.
//
// Everything runs on one loop; nothing here is thread-safe. Drain() before
// destroying a Journal: a group in flight refers to it.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal_layout.h"

namespace sluice::journal {

class JournalRecoveryAccess;

class Journal {
 public:
  using DurableCallback = absl::AnyInvocable<void(absl::Status)>;

  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  absl::Status Append(ByteSpan frame, DurableCallback on_durable);
  io::Task<absl::StatusOr<Bytes>> ReadEntry(uint64_t op);
  io::Task<absl::Status> TruncateAfter(uint64_t op, uint64_t commit_watermark);
  absl::Status SetCheckpoint(uint64_t op);
  io::Task<absl::Status> InstallCheckpoint(uint64_t op, absl::uint128 checksum);
  uint64_t ops_until_checkpoint_needed() const;

  // Waits until every appended group finished (durable, or failed). Returns failure().
  io::Task<absl::Status> Drain();
  // Drains, then closes the file. The journal is unusable afterwards.
  io::Task<absl::Status> Close();

  uint64_t last_op() const { return last_op_; }
  absl::uint128 last_checksum() const { return last_checksum_; }
  uint64_t durable_op() const { return durable_op_; }
  uint64_t checkpoint_op() const { return checkpoint_op_; }
  absl::uint128 checkpoint_checksum() const { return checkpoint_checksum_; }
  const absl::Status& failure() const { return failure_; }
  const JournalOptions& options() const { return options_; }
  const JournalLayout& layout() const { return layout_; }

 private:
  friend class JournalRecoveryAccess;
  struct Group;
  // What the ring holds in one slot, as far as this process knows.
  struct SlotEntry {
    uint64_t op = 0;
    absl::uint128 checksum = 0;
    bool known = false;
  };

  Journal(io::Storage& storage, const JournalOptions& options, io::FileHandle file);
  absl::Status CheckAppendable(ByteSpan frame, uint64_t op, absl::uint128 parent) const;
  Group& OpenGroup();
  void AdoptEntriesAbove(Group& group);
  void Kick();
  io::Task<void> RunGroups();
  io::Task<absl::Status> WriteGroup(Group& group);
  void FailGroupsFrom(const Group& failed, const absl::Status& error);
  void FailStop(const absl::Status& cause);
  std::optional<absl::uint128> ChecksumOf(uint64_t op) const;
  io::Task<absl::Status> ClearSlots(uint64_t first_op, uint64_t last_op);

  io::Storage& storage_;
  JournalOptions options_;
  JournalLayout layout_;
  io::FileHandle file_;
  std::vector<SlotEntry> slots_;  // slot_count entries, allocated once
  // What recovery found of the verified chain above the end of the journal's chain
  // (beyond a gap: e.g. a corrupt op whose header copy still names it): op -> its
  // checksum, and whether its prepare is whole on disk. A checkpoint installed at one
  // of them continues the chain through the whole ones linking above it
  // (InstallCheckpoint). Dropped from the first op appended or truncated over.
  struct OnDisk {
    absl::uint128 checksum = 0;
    bool whole = false;
  };
  absl::btree_map<uint64_t, OnDisk> on_disk_above_;

  uint64_t checkpoint_op_ = 0;
  absl::uint128 checkpoint_checksum_ = 0;
  uint64_t last_op_ = 0;  // appended (in memory)
  absl::uint128 last_checksum_ = 0;
  uint64_t durable_op_ = 0;  // written and synced
  uint64_t extent_op_ = 0;   // highest op whose slot may hold bytes of an entry

  std::deque<std::unique_ptr<Group>> groups_;
  bool running_ = false;
  bool truncating_ = false;
  bool closed_ = false;
  absl::Status failure_;
  std::vector<absl::AnyInvocable<void()>> drain_waiters_;
};

}  // namespace sluice::journal
