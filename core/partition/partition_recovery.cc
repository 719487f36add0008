// PartitionLog::Open: partition recovery in explicit stages (after Redpanda's
// segment recovery), each logged in the RecoveryReport:
//   1. the state record (rule B5: opened without create; identity checked);
//   2. stray files from a crashed roll or retention step are removed;
//   3. every listed segment is opened without create (B5); sealed segments' indexes
//      are checked cheaply and rebuilt from the log if they disagree (B2);
//   4. the active segment is scanned: checksums and hash chain, bad entries
//      classified by durability evidence (B7), the index checked or rebuilt (B2), and
//      the next offset derived from the log (B2);
//   5. what sits above the durable watermark is rewritten and synced, and the state
//      record rewritten, before anything is trusted (B1);
//   6. consumer offsets: checkpoint plus replayed stores, checked against the log
//      end (B3); the snapshot of the anchor (partition_snapshot.h) is loaded and
//      verified (B6), served for state sync (B15), and is where the offsets start
//      when the checkpoint is older than the anchor (an install interrupted after
//      its state record).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/entry_body.h"
#include "core/partition/partition_log.h"
#include "core/partition/partition_log_internal.h"
#include "core/partition/partition_snapshot.h"
#include "core/wire/header.h"

namespace sluice::partition {

class PartitionRecovery {
 public:
  PartitionRecovery(PartitionLog& log, RecoveryReport& report) : log_(log), report_(report) {}

  io::Task<absl::Status> Run() {
    CO_RETURN_IF_ERROR(co_await LoadRecord());
    CO_RETURN_IF_ERROR(co_await RemoveStrayFiles());
    CO_RETURN_IF_ERROR(co_await OpenSegments());
    CO_RETURN_IF_ERROR(co_await LoadAnchorSnapshot());
    for (size_t i = 0; i + 1 < log_.segments_.size(); ++i) CO_RETURN_IF_ERROR(co_await CheckSealedSegment(i));
    CO_RETURN_IF_ERROR(co_await RecoverActiveSegment());
    ReportPromises();
    CollectSegmentSteps(active_scan_, active_bytes_);
    CO_RETURN_IF_ERROR(co_await MakeTailDurable());
    CO_RETURN_IF_ERROR(co_await RestoreConsumerOffsets());
    CO_RETURN_IF_ERROR(co_await ReapplySegmentSteps());
    report_.last_op = log_.last_op_;
    report_.next_offset = log_.next_offset_;
    report_.commit_op = log_.commit_op_;
    co_return absl::OkStatus();
  }

 private:
  std::string Path(absl::string_view name) const { return io::JoinPath(log_.directory_, name); }
  void Decide(std::string decision) { report_.decisions.push_back(std::move(decision)); }
  void Warn(std::string warning) {
    report_.decisions.push_back("WARNING: " + warning);
    report_.warnings.push_back(std::move(warning));
  }

  io::Task<absl::Status> LoadRecord() {
    CO_ASSIGN_OR_RETURN(StateRecordLoad load, co_await LoadStateRecord(log_.storage_, log_.directory_),
                        "partition ", log_.directory_);
    Decide(absl::StrCat(Path(kStateRecordName), ": slot 0 ", load.slot_status[0], "; slot 1 ",
                        load.slot_status[1], "; using slot ", load.chosen_slot));
    const StateRecord& record = load.record;
    if (record.incarnation != log_.options_.address.incarnation || record.namespace_id != log_.options_.namespace_id) {
      co_return absl::FailedPreconditionError(absl::StrCat(
          Path(kStateRecordName), ": belongs to namespace ", record.namespace_id, " incarnation ",
          record.incarnation, ", expected namespace ", log_.options_.namespace_id, " incarnation ",
          log_.options_.address.incarnation));
    }
    log_.record_ = record;
    co_return absl::OkStatus();
  }

  bool Listed(uint64_t first_op) const {
    for (const SegmentInfo& segment : log_.record_.segments) {
      if (segment.first_op == first_op) return true;
    }
    return false;
  }

  io::Task<absl::Status> RemoveStrayFiles() {
    CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> entries,
                        co_await io::ListDirectory(log_.storage_, log_.directory_));
    // A roll writes entries into its new segment only once the record listing it is
    // durable, and a truncation names its new end (log_end_op) before its files go. So
    // a segment above the last listed one that holds bytes, with no truncation below
    // it, means the record is older than the log (its newer slot was lost): removing
    // it would silently promote the previous segment to active (rule B5).
    const uint64_t last_listed = log_.record_.segments.back().first_op;
    for (const io::DirectoryEntry& entry : entries) {
      const std::optional<uint64_t> first_op = ParseSegmentFileName(entry.name);
      if (!first_op.has_value() || !absl::EndsWith(entry.name, ".log") || *first_op <= last_listed ||
          (log_.record_.log_end_op != kNoLogEnd && *first_op > log_.record_.log_end_op)) {
        continue;
      }
      CO_ASSIGN_OR_RETURN(const io::FileHandle file,
                          co_await io::OpenFile(log_.storage_, Path(entry.name), io::OpenMode::kExisting),
                          "opening ", Path(entry.name));
      const absl::StatusOr<uint64_t> size = co_await io::FileSize(log_.storage_, file);
      CO_RETURN_IF_ERROR(co_await io::CloseFile(log_.storage_, file), "closing ", Path(entry.name));
      CO_RETURN_IF_ERROR(size.status(), "sizing ", Path(entry.name));
      if (*size > 0) {
        co_return absl::DataLossError(absl::StrCat(
            Path(entry.name), ": ", *size, " bytes of entries from op ", *first_op,
            " in a segment the state record does not list (its last segment starts at op ", last_listed,
            "): the record is older than the log. Refusing to start rather than drop them and promote the "
            "previous segment to active (rule B5); restore ", Path(kStateRecordName),
            " from a replica or a backup."));
      }
    }
    bool removed = false;
    for (const io::DirectoryEntry& entry : entries) {
      const std::optional<uint64_t> first_op = ParseSegmentFileName(entry.name);
      const bool temporary = absl::EndsWith(entry.name, ".tmp");
      // Only the current anchor's snapshot counts: an older one was superseded by a
      // step that crashed before removing it, a newer one belongs to a step (or an
      // install) that crashed before its state record.
      const std::optional<uint64_t> anchor = ParseAnchorSnapshotName(entry.name);
      if (anchor.has_value() && *anchor + 1 != log_.record_.anchor_op) {
        Decide(absl::StrCat(Path(entry.name), ": not the snapshot of the anchor op ", log_.record_.anchor_op - 1,
                            "; removed"));
        CO_RETURN_IF_ERROR(co_await io::UnlinkFile(log_.storage_, Path(entry.name)));
        removed = true;
        continue;
      }
      if ((first_op.has_value() && !Listed(*first_op)) || temporary) {
        // Not in the record: left by a roll that crashed before its record (empty by
        // construction) or by a retention step after its record (already dropped).
        Decide(absl::StrCat(Path(entry.name), ": not listed in the state record; removed"));
        CO_RETURN_IF_ERROR(co_await io::UnlinkFile(log_.storage_, Path(entry.name)));
        removed = true;
      }
    }
    if (removed) CO_RETURN_IF_ERROR(co_await io::SyncDirectory(log_.storage_, log_.directory_));
    co_return absl::OkStatus();
  }

  io::Task<absl::Status> OpenSegments() {
    for (const SegmentInfo& info : log_.record_.segments) {
      auto segment = std::make_unique<PartitionLog::Segment>();
      segment->info = info;
      const std::string log_path = Path(SegmentLogName(info.first_op));
      absl::StatusOr<io::FileHandle> file = co_await io::OpenFile(log_.storage_, log_path, io::OpenMode::kExisting);
#ifdef SLUICE_MUTATION_B5
      // Mutation proof only (tests/mutation; never in a product build): a missing
      // segment is recreated empty, which rule B5 forbids.
      if (io::IsEnoent(file.status())) file = co_await io::OpenFile(log_.storage_, log_path, io::OpenMode::kCreate);
#endif
      if (io::IsEnoent(file.status())) {
        const bool active = info.first_op == log_.record_.segments.back().first_op;
        co_return absl::DataLossError(absl::StrCat(
            log_path, ": the ", active ? "active" : "sealed", " segment starting at op ", info.first_op,
            " that the state record lists is missing; it is never recreated empty and no other segment "
            "takes its place (rule B5). Restore it from a replica (cluster: repaired by state sync) or from a backup."));
      }
      CO_RETURN_IF_ERROR(file.status(), "opening ", log_path);
      segment->log = *file;
      const std::string index_path = Path(SegmentIndexName(info.first_op));
      absl::StatusOr<io::FileHandle> index = co_await io::OpenFile(log_.storage_, index_path, io::OpenMode::kExisting);
      if (io::IsEnoent(index.status())) {
        Decide(absl::StrCat(index_path, ": missing; rebuilt from the log (rule B2)"));
        index = co_await io::OpenFile(log_.storage_, index_path, io::OpenMode::kCreate);
        CO_RETURN_IF_ERROR(index.status(), "creating ", index_path);
        CO_RETURN_IF_ERROR(co_await io::SyncDirectory(log_.storage_, log_.directory_));
      }
      CO_RETURN_IF_ERROR(index.status(), "opening ", index_path);
      segment->index = *index;
      log_.segments_.push_back(std::move(segment));
    }
    log_.segments_.front()->parent_of_first = log_.record_.anchor_parent;
    co_return absl::OkStatus();
  }

  // The snapshot of the anchor (state sync, B15). Absent at anchor 0 and in
  // directories written before anchor snapshots existed (nothing is served then); a
  // torn, corrupt or foreign one is never loaded (B6): it is not served, and it is
  // an error only if the offsets must start from it (RestoreConsumerOffsets).
  io::Task<absl::Status> LoadAnchorSnapshot() {
    const uint64_t anchor = log_.record_.anchor_op - 1;
    if (anchor == 0) co_return absl::OkStatus();
    const std::string path = Path(AnchorSnapshotName(anchor));
    absl::StatusOr<Bytes> bytes = co_await io::ReadWholeFile(log_.storage_, path);
    if (io::IsEnoent(bytes.status())) {
      Decide(absl::StrCat(path, ": none; no snapshot of anchor op ", anchor, " to serve (rule B15)"));
      co_return absl::OkStatus();
    }
    CO_RETURN_IF_ERROR(bytes.status(), "reading ", path);
    const OffsetsOwner owner{.namespace_id = log_.options_.namespace_id,
                             .incarnation = log_.options_.address.incarnation};
    const absl::StatusOr<PartitionSnapshot> snapshot =
        VerifyAnchorSnapshot(*bytes, anchor, log_.record_.anchor_parent, owner, path);
    if (!snapshot.ok()) {
      anchor_snapshot_error_ = snapshot.status();
      Warn(absl::StrCat(snapshot.status().message(), "; not served"));
      co_return absl::OkStatus();
    }
    log_.anchor_snapshot_ = EncodeServedSnapshot(*snapshot);
    anchor_offsets_ = snapshot->offsets;
    co_return absl::OkStatus();
  }

  // A checkpoint older than the anchor predates the step that set the anchor: only an
  // install writes its checkpoint after its record (partition_snapshot.h), and a
  // retention step checkpoints through its own op before its record. The anchor's
  // snapshot holds the offsets then; a directory from before anchor snapshots has
  // none, and its checkpoint (written at its retention steps) stands.
  absl::Status StartFromAnchorIfNewer(const std::string& path) {
    const uint64_t anchor = log_.record_.anchor_op - 1;
    if (log_.consumer_offsets_.applied_op >= anchor) return absl::OkStatus();
    if (!anchor_snapshot_error_.ok()) {
      return absl::DataLossError(absl::StrCat(
          path, ": checkpoint at op ", log_.consumer_offsets_.applied_op, " predates the anchor op ", anchor,
          " and the anchor's snapshot is unusable (", anchor_snapshot_error_.message(),
          "). Refusing to start (rules B3, B6); restore the partition from a replica or a backup."));
    }
    if (!anchor_offsets_.has_value()) return absl::OkStatus();
    Decide(absl::StrCat(path, ": checkpoint at op ", log_.consumer_offsets_.applied_op,
                        " predates the anchor op ", anchor, "; offsets start from the anchor's snapshot (rule B15)"));
    log_.consumer_offsets_ = {.applied_op = anchor, .offsets = *anchor_offsets_};
    return absl::OkStatus();
  }

  io::Task<absl::StatusOr<Bytes>> ReadAll(io::FileHandle file, const std::string& path) {
    CO_ASSIGN_OR_RETURN(const uint64_t size, co_await io::FileSize(log_.storage_, file), "sizing ", path);
    Bytes bytes(size);
    CO_RETURN_IF_ERROR(co_await io::ReadExactly(log_.storage_, file, 0, MutableByteSpan(bytes)), "reading ", path);
    co_return bytes;
  }

  ScanContext ContextFor(const PartitionLog::Segment& segment) const {
    return {.cluster = log_.options_.cluster, .namespace_id = log_.options_.namespace_id,
            .incarnation = log_.options_.address.incarnation, .first_op = segment.info.first_op,
            .expected_parent = segment.parent_of_first, .durable_watermark = log_.record_.commit_watermark,
            .log_end_op = log_.record_.log_end_op, .start_offset = segment.info.start_offset};
  }

  static std::vector<IndexEntry> IndexOf(const ScanResult& scan) {
    std::vector<IndexEntry> index;
    index.reserve(scan.entries.size());
    for (const ScannedEntry& entry : scan.entries) {
      index.push_back({entry.op, entry.base_offset, entry.timestamp, entry.position});
    }
    return index;
  }

  // Checks a segment's index against its scanned entries; rewrites it if it lags,
  // leads or disagrees (rule B2: the log wins).
  io::Task<absl::Status> ReconcileIndex(PartitionLog::Segment& segment, const ScanResult& scan) {
    const std::string index_path = Path(SegmentIndexName(segment.info.first_op));
    CO_ASSIGN_OR_RETURN(const Bytes stored, co_await ReadAll(segment.index, index_path));
    const std::vector<IndexEntry> on_disk = DecodeIndex(stored);
    std::vector<IndexEntry> expected = IndexOf(scan);
    if (on_disk == expected && stored.size() == expected.size() * kIndexEntrySize) {
      segment.entries = std::move(expected);
      co_return absl::OkStatus();
    }
    const char* how = on_disk.size() < expected.size() ? "lags" : on_disk.size() > expected.size() ? "leads" : "disagrees with";
    Decide(absl::StrCat(index_path, ": ", on_disk.size(), " entries ", how, " the log's ", expected.size(),
                        "; rebuilt from the log (rule B2)"));
    report_.index_rebuilt = true;
    Bytes rebuilt(expected.size() * kIndexEntrySize);
    for (size_t i = 0; i < expected.size(); ++i) {
      EncodeIndexEntry(expected[i], MutableByteSpan(rebuilt).subspan(i * kIndexEntrySize));
    }
    CO_RETURN_IF_ERROR(co_await io::TruncateFile(log_.storage_, segment.index, 0));
    CO_RETURN_IF_ERROR(co_await io::WriteAt(log_.storage_, segment.index, 0, rebuilt));
    CO_RETURN_IF_ERROR(co_await io::SyncFile(log_.storage_, segment.index), "syncing ", index_path);
    segment.entries = std::move(expected);
    co_return absl::OkStatus();
  }

  // A sealed segment was synced before the roll after it, so every entry must be
  // valid: it is scanned like the active one, and any bad entry is corrupt.
  io::Task<absl::Status> CheckSealedSegment(size_t position) {
    PartitionLog::Segment& segment = *log_.segments_[position];
    const std::string log_path = Path(SegmentLogName(segment.info.first_op));
    CO_ASSIGN_OR_RETURN(const Bytes bytes, co_await ReadAll(segment.log, log_path));
    ScanContext context = ContextFor(segment);
    context.durable_watermark = UINT64_MAX;  // a sealed segment was entirely durable
    const ScanResult scan = ScanSegment(bytes, context);
    const uint64_t next_first = log_.segments_[position + 1]->info.first_op;
    const uint64_t last = scan.entries.empty() ? segment.info.first_op - 1 : scan.entries.back().op;
    if (scan.verdict != TailVerdict::kClean || last + 1 != next_first) {
      co_return absl::DataLossError(absl::StrCat(
          scan.Describe(log_path), "; sealed segment must hold ops ", segment.info.first_op, "..", next_first - 1,
          ". Refusing to start (rule B7); restore the partition from a replica or a backup."));
    }
    CO_RETURN_IF_ERROR(co_await ReconcileIndex(segment, scan));
    CollectSegmentSteps(scan, bytes);
    segment.size = bytes.size();
    log_.segments_[position + 1]->parent_of_first = scan.entries.empty() ? segment.parent_of_first : scan.entries.back().checksum;
    Decide(scan.Describe(log_path));
    co_return absl::OkStatus();
  }

  io::Task<absl::Status> RecoverActiveSegment() {
    PartitionLog::Segment& segment = *log_.segments_.back();
    const std::string log_path = Path(SegmentLogName(segment.info.first_op));
    CO_ASSIGN_OR_RETURN(active_bytes_, co_await ReadAll(segment.log, log_path));
    active_scan_ = ScanSegment(active_bytes_, ContextFor(segment));
    const ScanResult& scan = active_scan_;
    Decide(scan.Describe(log_path));
    // The record's watermark proves every op up to it durable: a valid prefix ending
    // below it lost proven entries even when it ends cleanly at an entry boundary (the
    // file cut behind our back), which the scan alone cannot see (rule B7).
    const uint64_t last_valid = scan.entries.empty() ? segment.info.first_op - 1 : scan.entries.back().op;
    if (log_.options_.single_node && scan.verdict != TailVerdict::kCorrupt &&
        last_valid < log_.record_.commit_watermark) {
      co_return absl::DataLossError(absl::StrCat(
          log_path, ": the log ends at op ", last_valid, " (", active_bytes_.size(),
          " bytes) but the state record's commit watermark proves ops up to ", log_.record_.commit_watermark,
          " durable (rule B7). Refusing to start: on a single node there is no intact copy to repair from. "
          "Restore the partition from a backup, or inspect it with `sluice inspect`."));
    }
#ifdef SLUICE_MUTATION_B2
    {  // Mutation proof only (tests/mutation; never in a product build): the index, not
       // the scan, says where the log ends, which rule B2 forbids.
      CO_ASSIGN_OR_RETURN(const Bytes index_bytes, co_await ReadAll(segment.index, log_path));
      const size_t indexed = DecodeIndex(index_bytes).size();
      if (indexed < active_scan_.entries.size()) {
        active_scan_.cut_position = active_scan_.entries[indexed].position;
        active_scan_.next_offset = active_scan_.entries[indexed].base_offset;
        active_scan_.entries.resize(indexed);
        active_scan_.verdict = TailVerdict::kTruncated;
      }
    }
#endif
    // A cluster replica keeps a bad entry and what follows it faulty for VSR (B7).
    bool keep_faulty = !log_.options_.single_node;
#ifdef SLUICE_MUTATION_B7
    // Mutation proof only (tests/mutation; never in a product build): a corrupt entry
    // proven durable is cut like an uncertain tail, and a cluster replica cuts it too
    // instead of keeping it faulty, which rule B7 forbids.
    if (active_scan_.verdict == TailVerdict::kCorrupt) active_scan_.verdict = TailVerdict::kUncertainTail;
    keep_faulty = false;
#endif
    if (scan.verdict == TailVerdict::kCorrupt) {
      if (log_.options_.single_node) {
        co_return absl::DataLossError(absl::StrCat(
            scan.Describe(log_path), ". Refusing to start: on a single node there is no intact copy to repair "
            "from. Restore the partition from a backup, or inspect it with `sluice inspect`."));
      }
      for (uint64_t op = scan.bad_op; op <= std::max(scan.bad_op, scan.proven_by); ++op) report_.faulty_ops.push_back(op);
      ReportPromisesAbove(scan, log_path);
    } else if (scan.verdict == TailVerdict::kUncertainTail && keep_faulty) {
      report_.faulty_ops.push_back(scan.bad_op);  // resolved by VSR (nack quorum or repair)
      ReportPromisesAbove(scan, log_path);
    } else if (scan.verdict != TailVerdict::kClean) {
      if (scan.verdict == TailVerdict::kUncertainTail) {
        Warn(absl::StrCat(log_path, ": cutting the uncertain tail from op ", scan.bad_op, " at offset ",
                          scan.cut_position, " (", active_bytes_.size() - scan.cut_position, " bytes; ",
                          scan.bad_reason, "): never acknowledged as durable (rule B7)"));
      }
      CO_RETURN_IF_ERROR(co_await io::TruncateFile(log_.storage_, segment.log, scan.cut_position));
      CO_RETURN_IF_ERROR(co_await io::SyncFile(log_.storage_, segment.log), "syncing ", log_path);
      active_bytes_.resize(scan.cut_position);
      report_.tail_cut = true;
    }
    CO_RETURN_IF_ERROR(co_await ReconcileIndex(segment, scan));
    segment.entries.reserve(log_.options_.index_entries_reserved);
    segment.size = scan.cut_position;
    RestoreLogState(segment);
    co_return absl::OkStatus();
  }

  // Cluster mode: whole entries after the bad one may have been acknowledged (their
  // write and its fsync completed before the crash, and prepare_ok went out), so they
  // are promises this replica must not forget (rule B7, DESIGN.md "a replica must not
  // forget promises it made"). The log's valid prefix ends before the bad entry, so
  // they stay faulty up to the highest such op: never nacked, repaired from peers or
  // discarded only by a nack quorum of the others, like the bad entry itself.
  void ReportPromisesAbove(const ScanResult& scan, const std::string& log_path) {
    SLUICE_ASSERT(!log_.options_.single_node, log_path, ": promises above a bad entry are a cluster matter");
    if (scan.later_last_op <= std::max(scan.bad_op, scan.proven_by)) return;
    report_.faulty_ops.push_back(scan.later_last_op);
    Decide(absl::StrCat(log_path, ": whole entries up to op ", scan.later_last_op, " follow the bad op ", scan.bad_op,
                        "; faulty until repaired (may have been acknowledged; rule B7)"));
  }

  void RestoreLogState(PartitionLog::Segment& segment) {
    const ScanResult& scan = active_scan_;
    const uint64_t previous_last = segment.info.first_op - 1;
    log_.last_op_ = scan.entries.empty() ? previous_last : scan.entries.back().op;
    log_.last_checksum_ = scan.entries.empty() ? segment.parent_of_first : scan.entries.back().checksum;
    log_.next_offset_ = scan.next_offset;
    log_.active_bytes_planned_ = segment.size;
    uint64_t commit = log_.record_.commit_watermark;
    for (const ScannedEntry& entry : scan.entries) commit = std::max(commit, entry.commit);
    // One node: every entry that survived recovery is its own quorum. A cluster
    // replica applies only what the evidence shows committed (B16); VSR decides the rest.
    log_.commit_op_ = log_.options_.single_node ? log_.last_op_ : std::min(commit, log_.last_op_);
    log_.durable_op_ = log_.last_op_;
    log_.committed_next_offset_ = segment.info.start_offset;
    for (const ScannedEntry& entry : scan.entries) {
      if (entry.client != 0) {
        log_.RecordRecent({entry.client, entry.request_checksum, entry.op, entry.base_offset});
      }
      if (entry.op <= log_.commit_op_) {
        log_.committed_next_offset_ = entry.base_offset + entry.message_count;
        if (entry.operation == wire::Operation::kPartitionPurge) log_.committed_next_offset_ = 0;
        continue;
      }
      log_.unapplied_.push_back({entry.op, entry.operation, entry.base_offset + entry.message_count,
                                 entry.checksum, BodyOf(entry)});
    }
    if (!scan.entries.empty() && scan.entries.back().operation == wire::Operation::kPartitionPurge) {
      log_.roll_before_next_ = true;
      log_.roll_start_offset_ = 0;
      log_.next_offset_ = 0;
    }
    log_.applied_op_ = log_.commit_op_;
  }

  Bytes BodyOf(const ScannedEntry& entry) const {
    if (entry.operation == wire::Operation::kSendMessages) return {};
    const auto begin = active_bytes_.begin() + static_cast<ptrdiff_t>(entry.position + wire::kHeaderSize);
    return Bytes(begin, active_bytes_.begin() + static_cast<ptrdiff_t>(entry.position + entry.size));
  }

  // Entries an installed snapshot dropped may have been acknowledged (B15): the ops
  // above the log up to the record's promised op stay faulty for VSR, never nacked.
  void ReportPromises() {
    if (log_.options_.single_node || log_.record_.promised_op <= log_.last_op_) return;
    report_.faulty_ops.push_back(log_.record_.promised_op);
    Decide(absl::StrCat(Path(kStateRecordName), ": ops ", log_.last_op_ + 1, "..", log_.record_.promised_op,
                        " may have been acknowledged before a snapshot replaced them; faulty until repaired (rule B15)"));
  }

  // Rule B1: bytes above the durable watermark may be pages a failed fsync left in the
  // cache (they read back, yet a machine crash loses them). Rewrite and sync them, and
  // rewrite the state record, before trusting either.
  io::Task<absl::Status> MakeTailDurable() {
    PartitionLog::Segment& segment = *log_.segments_.back();
    uint64_t from = segment.size;
    for (const ScannedEntry& entry : active_scan_.entries) {
      if (entry.op > log_.record_.commit_watermark) {
        from = entry.position;
        break;
      }
    }
    if (from < segment.size) {
      const ByteSpan tail = ByteSpan(active_bytes_).subspan(from, segment.size - from);
      CO_RETURN_IF_ERROR(co_await io::WriteAt(log_.storage_, segment.log, from, tail));
      CO_RETURN_IF_ERROR(co_await io::SyncFile(log_.storage_, segment.log), "syncing the rewritten tail");
      report_.tail_rewritten_bytes = tail.size();
      Decide(absl::StrCat(Path(SegmentLogName(segment.info.first_op)), ": rewrote and synced ", tail.size(),
                          " bytes above the durable watermark op ", log_.record_.commit_watermark, " (rule B1)"));
    }
    const bool had_log_end = log_.record_.log_end_op != kNoLogEnd;
    log_.record_.log_end_op = kNoLogEnd;
    CO_RETURN_IF_ERROR(co_await log_.WriteStateRecord());
    // The other slot still names the truncation point: overwrite it too, or losing the
    // slot just written would cut the entries appended above that point (rule B7).
    if (had_log_end) CO_RETURN_IF_ERROR(co_await log_.WriteStateRecord());
    co_return absl::OkStatus();
  }

  io::Task<absl::Status> RestoreConsumerOffsets() {
    const std::string path = Path(kConsumerOffsetsName);
    CO_ASSIGN_OR_RETURN(const Bytes bytes, co_await io::ReadWholeFile(log_.storage_, path),
                        "consumer offsets checkpoint (rule B5: never recreated)");
    CO_ASSIGN_OR_RETURN(OwnedConsumerOffsets checkpoint, DecodeConsumerOffsets(bytes), path);
    CO_RETURN_IF_ERROR(CheckOffsetsCheckpoint(path, checkpoint));
    log_.consumer_offsets_ = std::move(checkpoint.offsets);
    CO_RETURN_IF_ERROR(StartFromAnchorIfNewer(path));
    uint64_t replayed = 0;
    for (size_t i = 0; i < log_.segments_.size(); ++i) {
      for (const IndexEntry& index : log_.segments_[i]->entries) {
        if (index.op <= log_.consumer_offsets_.applied_op || index.op > log_.commit_op_) continue;
        CO_ASSIGN_OR_RETURN(const Bytes entry, co_await log_.ReadEntry(index.op));
        CO_ASSIGN_OR_RETURN(const wire::ValidatedPrepare prepare, wire::DecodePrepare(entry, log_.options_.cluster));
        if (ApplyOffsetEntry(prepare)) ++replayed;
      }
    }
    Decide(absl::StrCat(path, ": checkpoint at op ", log_.consumer_offsets_.applied_op, " with ",
                        log_.consumer_offsets_.offsets.size(), " offsets; replayed ", replayed, " stores/deletes"));
    CO_RETURN_IF_ERROR(CheckOffsetsWithinLog());
    // Rule B1 again: the checkpoint in the cache may not be on the media.
    CO_RETURN_IF_ERROR(co_await log_.CheckpointConsumerOffsets());
    co_return absl::OkStatus();
  }

  // A crash can interrupt a committed retention, delete-segments or purge step after
  // its entry was durable: re-apply every such step of the active segment (the
  // segment-dropping part is idempotent), so recovery ends before or after it.
  io::Task<absl::Status> ReapplySegmentSteps() {
    for (const SegmentStep& step : segment_steps_) {
      if (step.op > log_.commit_op_) break;
      const size_t before = log_.segments_.size();
      CO_RETURN_IF_ERROR(co_await log_.DropSegmentsFor(step.op, step.operation, step.checksum, step.body),
                         "re-applying op ", step.op);
      if (log_.segments_.size() != before) {
        Decide(absl::StrCat("op ", step.op, " (", wire::OperationName(step.operation),
                            "): finished the segment step a crash interrupted"));
      }
    }
    co_return absl::OkStatus();
  }

  // Retention, delete-segments and purge entries of a scanned segment, in op order.
  void CollectSegmentSteps(const ScanResult& scan, const Bytes& bytes) {
    for (const ScannedEntry& entry : scan.entries) {
      if (entry.operation != wire::Operation::kPartitionRetention &&
          entry.operation != wire::Operation::kPartitionDeleteSegments &&
          entry.operation != wire::Operation::kPartitionPurge) {
        continue;
      }
      const auto begin = bytes.begin() + static_cast<ptrdiff_t>(entry.position + wire::kHeaderSize);
      segment_steps_.push_back({entry.op, entry.operation, entry.checksum,
                                Bytes(begin, bytes.begin() + static_cast<ptrdiff_t>(entry.position + entry.size))});
    }
  }

  // The checkpoint must be this partition's (rule B3: offsets change only by stores
  // and deletes in its own log), and the ops it reflects must be in the log: its
  // applied_op proves that op committed, so a log ending below it lost committed
  // entries (rule B7's evidence of durability), and replaying from it would skip the
  // ops a later write gives those numbers.
  absl::Status CheckOffsetsCheckpoint(const std::string& path, const OwnedConsumerOffsets& checkpoint) {
    const OffsetsOwner own{.namespace_id = log_.options_.namespace_id, .incarnation = log_.options_.address.incarnation};
    if (checkpoint.owner != own) {
      return absl::DataLossError(absl::StrCat(
          path, ": the consumer offsets checkpoint belongs to namespace ", checkpoint.owner.namespace_id,
          " incarnation ", checkpoint.owner.incarnation, ", not to this partition (namespace ", own.namespace_id,
          " incarnation ", own.incarnation, "): another partition's file or a misdirected write; its offsets "
          "were never stored here (rule B3). Refusing to start; restore this partition's own checkpoint."));
    }
    const uint64_t applied = checkpoint.offsets.applied_op;
    if (applied <= log_.last_op_) return absl::OkStatus();
    if (!log_.options_.single_node) {
      report_.faulty_ops.push_back(log_.last_op_ + 1);
      Decide(absl::StrCat(path, ": checkpoint at op ", applied, " but the log ends at op ", log_.last_op_,
                          ": committed entries are missing here; repair from peers (rules B3, B7)"));
      return absl::OkStatus();
    }
    return absl::DataLossError(absl::StrCat(
        path, ": the consumer offsets checkpoint reflects ops up to ", applied, ", which committed, but the log ends "
        "at op ", log_.last_op_, ": committed entries are missing (rules B3, B7). Refusing to start; restore the "
        "partition's segments from a backup."));
  }

  bool ApplyOffsetEntry(const wire::ValidatedPrepare& prepare) {
    const wire::Operation operation = prepare.header().operation;
    if (operation == wire::Operation::kStoreConsumerOffset) {
      const absl::StatusOr<StoreOffsetBody> body = DecodeStoreOffset(prepare.body());
      if (!body.ok()) return false;
      log_.consumer_offsets_.offsets[body->consumer] = body->offset;
    } else if (operation == wire::Operation::kDeleteConsumerOffset) {
      const absl::StatusOr<ConsumerKey> key = DecodeDeleteOffset(prepare.body());
      if (!key.ok()) return false;
      log_.consumer_offsets_.offsets.erase(*key);
    } else if (operation == wire::Operation::kPartitionPurge) {
      log_.consumer_offsets_.offsets.clear();
    } else {
      return false;
    }
    log_.consumer_offsets_.applied_op = prepare.header().op;
    return true;
  }

  // Rule B3: an offset past the recovered end means committed entries were lost.
  absl::Status CheckOffsetsWithinLog() {
    const uint64_t end = log_.committed_next_offset_;  // offsets < end exist
    std::vector<std::pair<ConsumerKey, uint64_t>> beyond;
    for (const auto& [key, offset] : log_.consumer_offsets_.offsets) {
      if (offset >= end) beyond.push_back({key, offset});
    }
    if (beyond.empty()) return absl::OkStatus();
    auto name = [](const ConsumerKey& key) {
      return absl::StrCat(key.kind == ConsumerKind::kGroup ? "group " : "consumer ", key.id);
    };
    if (!log_.options_.single_node) {
      report_.faulty_ops.push_back(log_.last_op_ + 1);  // lost committed entries: repair from peers
      Decide(absl::StrCat(beyond.size(), " consumer offsets point past the log end ", end,
                          ": committed entries are missing here; repair from peers (rule B3)"));
      return absl::OkStatus();
    }
    if (!log_.options_.clamp_consumer_offsets) {
      return absl::DataLossError(absl::StrCat(
          Path(kConsumerOffsetsName), ": ", name(beyond.front().first), " has offset ", beyond.front().second,
          " but the log ends before offset ", end, " (", beyond.size(),
          " offsets beyond the end): committed messages are missing (rule B3). Refusing to start; set "
          "recovery.clamp_consumer_offsets = true to clamp them instead."));
    }
    for (const auto& [key, offset] : beyond) {
      if (end == 0) {
        log_.consumer_offsets_.offsets.erase(key);
        Warn(absl::StrCat("clamped ", name(key), " offset ", offset, " -> none (empty log) (rule B3 opt-in)"));
      } else {
        log_.consumer_offsets_.offsets[key] = end - 1;
        Warn(absl::StrCat("clamped ", name(key), " offset ", offset, " -> ", end - 1, " (rule B3 opt-in)"));
      }
    }
    return absl::OkStatus();
  }

  struct SegmentStep {
    uint64_t op;
    wire::Operation operation;
    absl::uint128 checksum;
    Bytes body;
  };

  PartitionLog& log_;
  RecoveryReport& report_;
  std::vector<SegmentStep> segment_steps_;
  std::optional<std::map<ConsumerKey, uint64_t>> anchor_offsets_;  // from the anchor's snapshot
  absl::Status anchor_snapshot_error_;                             // why it is unusable
  Bytes active_bytes_;
  ScanResult active_scan_;
};

io::Task<absl::StatusOr<std::unique_ptr<PartitionLog>>> PartitionLog::Open(io::Storage& storage,
                                                                            PartitionOptions options,
                                                                            RecoveryReport* report) {
  RecoveryReport local_report;
  RecoveryReport* const out = report != nullptr ? report : &local_report;
  std::unique_ptr<PartitionLog> log(new PartitionLog(storage, std::move(options)));
  PartitionRecovery recovery(*log, *out);
  CO_RETURN_IF_ERROR(co_await recovery.Run());
  co_return log;
}

}  // namespace sluice::partition
