#pragma once
// PartitionLog: one partition's journal on disk — segments of [prepare header][body]
// entries, their indexes, the state record and the consumer-offset checkpoint — and
// the operations the consensus layer and the read path drive.
//
// Life cycle:
//   Create()  makes the directory, the first segment, the consumer-offset checkpoint
//             and the state record (the creation counts only once the record is
//             durable).
//   Open()    recovers from whatever a crash left (partition_recovery.cc): rules B1,
//             B2, B3, B5 and B7, with every decision in the RecoveryReport.
//
// Journal interface (what VSR drives):
//   Append()      adds an entry (a frame whose header this log checks: next op,
//                 parent = last checksum, this partition's namespace and incarnation).
//                 Entries are written in group commits: many entries, one write, one
//                 fsync. `on_durable` runs once the fsync covering the entry completed
//                 — only then is the entry acknowledged (prepare_ok, or a reply).
//   Commit()      marks ops committed; their effects (visible messages, consumer
//                 offsets, retention steps) apply in op order.
//   TruncateAfter() drops an uncommitted suffix (never at or below the commit point).
//   last_op(), last_checksum(), RecentRequests() (de-duplication window rebuilt at
//   boot), ReadEntry(op).
//
// Failure policy (rule B1): a failed write (e.g. ENOSPC) fails the entries of that
// group commit and the ones queued behind it (their ops are reused; appends resume
// when space returns). A failed fsync is fail-stop: the log refuses everything until
// the process restarts and recovery makes the tail durable again.
//
// Everything runs on one loop; nothing here is thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/ring_queue.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/layout.h"
#include "core/partition/partition_snapshot.h"
#include "core/partition/segment_index.h"
#include "core/partition/segment_scan.h"
#include "core/partition/state_record.h"
#include "core/wire/header.h"

namespace sluice::partition {

struct PartitionOptions {
  absl::uint128 cluster = 0;
  PartitionAddress address;
  uint64_t namespace_id = 0;
  uint64_t segment_size_bytes = uint64_t{1} << 30;  // a replicated topic setting
  uint64_t group_commit_bytes_max = 4 << 20;        // one group commit's write, at most
  uint64_t entry_size_bytes_max = (1 << 20) + 256;  // the maximum prepare size
  uint64_t state_checkpoint_bytes = 64 << 20;       // rewrite the state record this often
  // Recovery policy: a single node cuts an uncertain tail and refuses corruption; a
  // cluster replica keeps both for VSR to resolve (B7).
  bool single_node = true;
  // B3's operator opt-in: clamp consumer offsets beyond the log end (each logged).
  bool clamp_consumer_offsets = false;
  uint64_t recent_requests_max = 1024;
  // The active segment's in-memory index is reserved up front (2 MiB at the
  // default), as Kafka preallocates its index files, so appends do not grow it; it
  // grows only past this many entries in one segment.
  uint64_t index_entries_reserved = 65536;
};

// Every decision recovery took, in order, for logs and `inspect`.
struct RecoveryReport {
  std::vector<std::string> decisions;
  std::vector<std::string> warnings;
  uint64_t last_op = 0;
  uint64_t next_offset = 0;
  uint64_t commit_op = 0;
  bool index_rebuilt = false;
  bool tail_cut = false;
  uint64_t tail_rewritten_bytes = 0;
  std::vector<uint64_t> faulty_ops;  // cluster mode: ops VSR must repair or resolve
};

// A stored batch (as bytes) and the part of it a poll returns.
struct PolledBatch {
  Bytes batch;
  uint32_t first_message = 0;
  uint32_t message_count = 0;
};

struct PollResult {
  std::vector<PolledBatch> batches;
  uint64_t message_count = 0;
  // The highest committed offset (PROTOCOL.md §6.5 `current_offset`), if any message is committed.
  std::optional<uint64_t> committed_offset;
};

// One segment as the primary's retention decision sees it (segments are in op order;
// the last is the active one, never dropped).
struct SegmentSummary {
  uint64_t first_op = 0;
  uint64_t last_op = 0;            // first_op - 1 while the segment holds no entry
  uint64_t start_offset = 0;       // offset of its first message
  uint64_t size_bytes = 0;         // of its valid entries
  uint64_t last_timestamp_us = 0;  // the prepare timestamp of its last entry (0 if none)
  friend bool operator==(const SegmentSummary&, const SegmentSummary&) = default;
};

struct RecentRequest {
  absl::uint128 client = 0;
  absl::uint128 request_checksum = 0;
  uint64_t op = 0;
  uint64_t base_offset = 0;  // of its first message (a SendMessages' confirmation)
};

class PartitionLog {
 public:
  using DurableCallback = absl::AnyInvocable<void(absl::Status)>;

  static io::Task<absl::StatusOr<std::unique_ptr<PartitionLog>>> Create(io::Storage& storage,
                                                                         PartitionOptions options,
                                                                         uint64_t first_op = 1);
  static io::Task<absl::StatusOr<std::unique_ptr<PartitionLog>>> Open(io::Storage& storage,
                                                                       PartitionOptions options,
                                                                       RecoveryReport* report);
  ~PartitionLog();

  // --- building entries (the primary's side) ---
  // A prepare for the next op of this partition, with parent, namespace, incarnation
  // and commit filled in. For SendMessages, `body` is a validated batch that this
  // stamps with the partition id, the next offset and `timestamp` (µs).
  absl::StatusOr<Bytes> PrepareNext(wire::Operation operation, ByteSpan body, uint64_t timestamp,
                                    absl::uint128 client = 0, absl::uint128 request_checksum = 0,
                                    uint64_t request = 0);
  // The same into `frame`, reusing its capacity (allocation-free once it is large enough).
  absl::Status PrepareNextInto(Bytes& frame, wire::Operation operation, ByteSpan body, uint64_t timestamp,
                               absl::uint128 client = 0, absl::uint128 request_checksum = 0,
                               uint64_t request = 0);

  // --- journal interface ---
  absl::Status Append(ByteSpan frame, DurableCallback on_durable);
  void Commit(uint64_t op);
  io::Task<absl::Status> TruncateAfter(uint64_t op);
  io::Task<absl::StatusOr<Bytes>> ReadEntry(uint64_t op);
  std::vector<RecentRequest> RecentRequests() const;
  // The newest entry in that window with this client and request checksum (appended,
  // durable or not, committed or not; truncated entries leave the window).
  std::optional<RecentRequest> FindRecentRequest(absl::uint128 client, absl::uint128 request_checksum) const;
  uint64_t last_op() const { return last_op_; }
  absl::uint128 last_checksum() const { return last_checksum_; }
  uint64_t durable_op() const { return durable_op_; }
  uint64_t commit_op() const { return commit_op_; }
  uint64_t applied_op() const { return applied_op_; }

  // Waits until every appended entry's group commit finished and every committed op
  // was applied (or the log failed). For tests, shutdown and checkpoints.
  io::Task<absl::Status> Drain();

  // --- read path (committed data only) ---
  io::Task<absl::StatusOr<PollResult>> PollByOffset(uint64_t start_offset, uint32_t count);
  io::Task<absl::StatusOr<PollResult>> PollByTimestamp(uint64_t timestamp, uint32_t count);
  // PROTOCOL.md §6.5's other strategies. First: from offset 0 (the oldest retained
  // message). Last: the last `count` committed messages. Next: after the consumer's
  // stored offset, or from the start when it has none.
  io::Task<absl::StatusOr<PollResult>> PollFirst(uint32_t count);
  io::Task<absl::StatusOr<PollResult>> PollLast(uint32_t count);
  io::Task<absl::StatusOr<PollResult>> PollNext(const ConsumerKey& consumer, uint32_t count);
  // Offset after the last committed message (0 when empty).
  uint64_t committed_next_offset() const { return committed_next_offset_; }
  uint64_t appended_next_offset() const { return next_offset_; }
  std::optional<uint64_t> ConsumerOffset(const ConsumerKey& consumer) const;
  const ConsumerOffsets& consumer_offsets() const { return consumer_offsets_; }

  const absl::Status& failure() const { return failure_; }
  const std::vector<SegmentInfo>& segments() const { return record_.segments; }
  // The metadata step id of the last purge applied (entry_body.h), durable in the
  // state record: a purge step at or below it is done.
  uint64_t purged_through_step() const { return record_.purge_step; }
  // Every segment, including entries appended but not yet durable or committed (a
  // retention cutoff the primary derives from them is applied only once committed,
  // and only to sealed segments).
  std::vector<SegmentSummary> SegmentSummaries() const;
  const std::string& directory() const { return directory_; }
  io::Storage& storage() const { return storage_; }
  const PartitionOptions& options() const { return options_; }

  // --- state sync (rule B15, partition_snapshot.h) ---
  // The chain anchor: the `parent` of the first retained segment's first entry (the
  // prepare checksum of op anchor = segments().front().first_op - 1).
  absl::uint128 anchor_parent() const;
  // The snapshot of the current anchor, if this partition has one (none at anchor 0,
  // and none in a directory written before anchor snapshots existed, until its next
  // retention step). It changes only with the anchor (retention, purge).
  const std::optional<EncodedPartitionSnapshot>& anchor_snapshot() const { return anchor_snapshot_; }
  // Waits for the work in flight (Drain), then closes every segment file. The log
  // accepts nothing afterwards (for installing a snapshot: the caller reopens).
  io::Task<absl::Status> Close();

 private:
  friend class PartitionRecovery;
  struct Segment;
  struct PendingAck {
    uint64_t op;
    DurableCallback callback;
  };
  // Serialized I/O work: a group commit (possibly after a roll), or an apply step.
  struct Unit;
  // What applying a committed entry needs (kept for uncommitted entries).
  struct UncommittedEntry {
    uint64_t op = 0;
    wire::Operation operation = wire::Operation::kReserved;
    uint64_t next_offset_after = 0;
    absl::uint128 checksum = 0;
    Bytes small_body;  // consumer offsets and partition steps; empty for batches
  };

  PartitionLog(io::Storage& storage, PartitionOptions options);
  void Kick();
  io::Task<void> RunUnits();
  io::Task<void> RunQueuedUnits();
  io::Task<absl::Status> RunUnit(Unit& unit);
  io::Task<absl::Status> WriteGroup(Unit& unit);
  io::Task<absl::Status> Roll(uint64_t first_op, uint64_t start_offset, absl::uint128 parent_of_first);
  absl::Status FailGroupsFrom(Unit& failed, const absl::Status& error);
  io::Task<absl::Status> ApplySegmentStep(const UncommittedEntry& entry);
  io::Task<absl::Status> DropSegmentsFor(uint64_t op, wire::Operation operation, absl::uint128 checksum,
                                         ByteSpan body);
  io::Task<absl::Status> ApplyCommitted();
  io::Task<absl::Status> ApplyEntry(const UncommittedEntry& entry);
  io::Task<absl::Status> DropSealedSegments(size_t count, uint64_t applying_op);
  io::Task<absl::Status> CheckpointConsumerOffsets();
  // The snapshot of the anchor that dropping the first `count` segments makes
  // (partition_snapshot.h), written durably; nullopt if it cannot be derived (no
  // snapshot of the current anchor).
  io::Task<absl::StatusOr<std::optional<EncodedPartitionSnapshot>>> WriteAnchorSnapshot(size_t count);
  io::Task<absl::Status> WriteStateRecord();
  io::Task<absl::StatusOr<PollResult>> PollFrom(size_t segment, size_t entry, uint64_t start_offset,
                                                uint32_t count);
  void FailStop(const absl::Status& status);
  Unit& OpenUnitFor(uint64_t entry_size, bool needs_roll);
  std::unique_ptr<Unit> NewUnit();
  void RecycleUnit(std::unique_ptr<Unit> unit);
  absl::Status CheckAppendable(const wire::ValidatedPrepare& prepare) const;
  void RecordRecent(const RecentRequest& request);
  size_t SegmentForOp(uint64_t op) const;
  size_t SegmentsBelow(uint64_t op) const;
  std::optional<uint64_t> CommittedOffset() const;

  io::Storage& storage_;
  PartitionOptions options_;
  std::string directory_;
  StateRecord record_;
  std::vector<std::unique_ptr<Segment>> segments_;  // parallel to record_.segments

  // Appended (in memory / in flight).
  uint64_t last_op_ = 0;
  absl::uint128 last_checksum_ = 0;
  uint64_t next_offset_ = 0;
  bool roll_before_next_ = false;       // set by a purge entry
  uint64_t roll_start_offset_ = 0;
  uint64_t active_bytes_planned_ = 0;   // active segment size once queued units land
  // Durable / committed / applied.
  uint64_t durable_op_ = 0;
  uint64_t commit_op_ = 0;
  uint64_t applied_op_ = 0;
  uint64_t committed_next_offset_ = 0;
  uint64_t bytes_since_record_ = 0;
  ConsumerOffsets consumer_offsets_;
  std::optional<EncodedPartitionSnapshot> anchor_snapshot_;
  // Ring queues and pooled units: the steady-state append path allocates nothing (B12).
  base::RingQueue<UncommittedEntry> unapplied_{256};
  base::RingQueue<RecentRequest> recent_{256};

  base::RingQueue<std::unique_ptr<Unit>> units_;  // sized in the constructor (Unit is incomplete here)
  // The coroutine running units_, owned so that destroying the log (a process that
  // died mid-write in the simulator) destroys it rather than leaking it.
  io::Task<void> runner_;
  std::vector<std::unique_ptr<Unit>> free_units_;
  bool running_ = false;
  uint64_t index_write_failures_ = 0;  // the on-disk index lags: recovery rebuilds it
  absl::Status failure_;
  std::vector<absl::AnyInvocable<void(bool)>> drain_waiters_;
  std::vector<absl::AnyInvocable<void(bool)>> drain_waiters_running_;
  // Reads in flight (ReadEntry, polls) hold a lease: Drain() also waits for them, so a
  // log drained before it is destroyed (a removed partition, a state-sync install) is
  // never destroyed under a suspended read.
  struct ReaderLease {
    explicit ReaderLease(PartitionLog& log) : log(log) { ++log.readers_; }
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    PartitionLog& log;
  };
  uint64_t readers_ = 0;
  std::vector<absl::AnyInvocable<void(bool)>> reader_waiters_;
};

}  // namespace sluice::partition
