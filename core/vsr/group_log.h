#pragma once
// GroupLog: the log of one consensus group as VSR drives it — the journal interface
// (DESIGN.md "Replication model") seen from consensus. The metadata WAL
// (core/journal, adapted by journal_group_log.h) and the partition log implement
// the same shape; core/vsr/testing/memory_log.h is a crash-faithful in-memory one.
//
// A GroupLog is built from recovered state (rule B4): its last op, faulty tail and
// commit watermark are what recovery found, never a fresh log patched afterwards.
//
// The log holds ops base_op()+1 .. last_op() as a verified hash chain: each entry's
// parent is the previous entry's checksum, and base_op() (0 for a new group, or a
// checkpoint) is committed. Entries recovery found but could not verify (a corrupt
// entry proven durable, an uncertain tail) are *faulty*: they are not in the chain,
// but the replica may have acknowledged them before it crashed, so faulty_head_op()
// (the highest op with any entry on disk) bounds what this replica may ever nack.
//
// Callbacks never run inside the call that takes them (core/io's contract), and
// never after the log is destroyed.

#include <cstdint>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace sluice::vsr {

class GroupLog {
 public:
  using DurableCallback = absl::AnyInvocable<void(absl::Status)>;
  using ReadCallback = absl::AnyInvocable<void(absl::StatusOr<Bytes>)>;
  using DoneCallback = absl::AnyInvocable<void(absl::Status)>;

  virtual ~GroupLog() = default;

  // Adds the prepare of op last_op() + 1, whose parent must be last_checksum() (the
  // hash chain). It overwrites a faulty entry at that op, if any. `on_durable` runs
  // once the write and the sync covering it completed: only then may the replica
  // acknowledge the entry (prepare_ok). An error (InvalidArgument for a frame that is
  // not the next link; an I/O error) means nothing was appended. A failed sync is
  // reported through `on_durable` and is fail-stop for the replica (rule B1).
  virtual absl::Status Append(ByteSpan frame, DurableCallback on_durable) = 0;

  // The whole prepare of op (base_op() < op <= last_op()), checksums verified.
  // NotFound if the log no longer holds it; DataLoss if its bytes are bad.
  virtual void ReadEntry(uint64_t op, ReadCallback done) = 0;

  // Durably drops ops op+1 .. last_op() and every faulty entry above op, then runs
  // `done`. Refused (FailedPrecondition) for op < commit_watermark or op < base_op():
  // a committed op is never truncated. last_op() is op once this returns OK.
  virtual void TruncateAfter(uint64_t op, uint64_t commit_watermark, DoneCallback done) = 0;

  // Tells the log that every op <= op is committed (a durable watermark for the
  // next recovery may lag: it only saves repair work). op <= last_op().
  virtual void Commit(uint64_t op) = 0;

  virtual uint64_t base_op() const = 0;
  virtual absl::uint128 base_checksum() const = 0;
  virtual uint64_t last_op() const = 0;
  virtual absl::uint128 last_checksum() const = 0;
  // Every op <= durable_op() is written and synced. durable_op() <= last_op().
  virtual uint64_t durable_op() const = 0;
  // >= last_op(): ops last_op()+1 .. faulty_head_op() are faulty entries.
  virtual uint64_t faulty_head_op() const = 0;
  // The commit watermark recovery found (<= what the cluster committed).
  virtual uint64_t recovered_commit() const = 0;

  // The 256-byte prepare header of op, base_op() < op <= last_op(), if the log keeps
  // it in memory (a bounded recent window at least); nullopt otherwise. The span is
  // valid until the next call that changes the log.
  virtual std::optional<ByteSpan> Header(uint64_t op) const = 0;
  // The checksum of op in [base_op(), last_op()], if known (base_checksum() for base_op()).
  virtual std::optional<absl::uint128> ChecksumAt(uint64_t op) const = 0;
};

}  // namespace sluice::vsr
