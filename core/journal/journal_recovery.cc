// RecoverJournal's stages (journal_recovery.h): read, analyze, decide, make durable,
// build. The decisions themselves are journal_analysis.cc and slot_verdict.cc.
#include "core/journal/journal_recovery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/journal/concurrent_writes.h"
#include "core/journal/entry_copy.h"

namespace sluice::journal {

// The one way to build a Journal: from what recovery found.
class JournalRecoveryAccess {
 public:
  static std::unique_ptr<Journal> Build(io::Storage& storage, const JournalOptions& options,
                                        io::FileHandle file, const RecoveryInputs& inputs,
                                        const JournalAnalysis& analysis, uint64_t extent_op) {
    std::unique_ptr<Journal> journal(new Journal(storage, options, file));
    journal->checkpoint_op_ = inputs.checkpoint_op;
    journal->checkpoint_checksum_ = inputs.checkpoint_checksum;
    journal->last_op_ = journal->durable_op_ = analysis.prefix_op;
    journal->last_checksum_ = inputs.checkpoint_checksum;
    for (uint64_t op = inputs.checkpoint_op + 1; op <= analysis.prefix_op; ++op) {
      const OpAnalysis& entry = analysis.At(op);
      journal->slots_[entry.slot] = Journal::SlotEntry{op, entry.checksum, true};
      journal->last_checksum_ = entry.checksum;
    }
    journal->extent_op_ = std::max(extent_op, analysis.prefix_op);
    // The verified chain beyond a gap (cluster: it goes on past a corrupt op through
    // its header copy); a valid op there is whole, and rewritten and synced (B1).
    for (uint64_t op = analysis.prefix_op + 1; op <= extent_op && op <= analysis.chain_end_op; ++op) {
      const OpAnalysis& entry = analysis.At(op);
      journal->on_disk_above_[op] = {entry.checksum, entry.verdict == SlotVerdict::kValid};
    }
    return journal;
  }
};

namespace {

class Recoverer {
 public:
  Recoverer(io::Storage& storage, const JournalOptions& options, const RecoveryInputs& inputs)
      : storage_(storage), options_(options), layout_(options), inputs_(inputs) {}

  io::Task<absl::StatusOr<JournalRecovery>> Run() {
    const std::string path(kJournalPath);
    absl::StatusOr<io::FileHandle> file =
        co_await io::OpenFile(storage_, path, io::OpenMode::kExisting);
    if (io::IsEnoent(file.status())) {
      co_return absl::NotFoundError(absl::StrCat(
          path,
          " is missing: the metadata WAL is never recreated empty (rule B5). Restore the data "
          "directory from a backup (cluster: re-create the replica with `format --recover`)."));
    }
    CO_RETURN_IF_ERROR(file.status(), "opening ", path);
    file_ = *file;
    const absl::Status recovered = co_await Recover();
    if (!recovered.ok()) {
      // The recovery error is what the operator needs; closing is only hygiene here.
      (void)co_await io::CloseFile(storage_, file_);
      co_return recovered;
    }
    co_return std::move(result_);
  }

 private:
  void Decide(std::string decision) { result_.decisions.push_back(std::move(decision)); }
  void Warn(std::string warning) {
    result_.decisions.push_back("WARNING: " + warning);
    result_.warnings.push_back(std::move(warning));
  }
  std::string Where(uint64_t op) const {
    return absl::StrCat(kJournalPath, ": op ", op, " in ",
                        layout_.DescribeSlot(layout_.SlotOf(op)));
  }

  io::Task<absl::Status> Recover() {
    CO_RETURN_IF_ERROR(co_await CheckSize());
    CO_RETURN_IF_ERROR(co_await ReadHeaderCopies());
    CO_RETURN_IF_ERROR(co_await ReadPrepares());
    CO_ASSIGN_OR_RETURN(analysis_, AnalyzeJournal(slots_, options_, inputs_), kJournalPath);
    DescribeAnalysis();
    CO_RETURN_IF_ERROR(RefuseCorruptionOnASingleNode());
    DecideTailAndFaults();
    CollectEntries();
    CO_RETURN_IF_ERROR(co_await MakeKeptEntriesDurable());
    const uint64_t extent = inputs_.single_node ? analysis_.prefix_op : analysis_.head_op;
    result_.journal =
        JournalRecoveryAccess::Build(storage_, options_, file_, inputs_, analysis_, extent);
    result_.last_op = result_.journal->last_op();
    result_.last_checksum = result_.journal->last_checksum();
    co_return absl::OkStatus();
  }

  io::Task<absl::Status> CheckSize() {
    CO_ASSIGN_OR_RETURN(const uint64_t size, co_await io::FileSize(storage_, file_), "sizing ",
                        kJournalPath);
    if (size == layout_.file_size_bytes()) co_return absl::OkStatus();
    co_return absl::FailedPreconditionError(
        absl::StrCat(kJournalPath, " is ", size, " bytes, expected ", layout_.file_size_bytes(),
                     " for ", options_.slot_count, " slots of ", options_.message_size_max,
                     " bytes: it was formatted with other options, or cut behind the server's "
                     "back. Refusing to start; check the journal options, or restore the data "
                     "directory from a backup."));
  }

  // The headers zone in one read; after a read error, header by header, so one bad
  // sector costs only the copies in it.
  io::Task<absl::Status> ReadHeaderCopies() {
    slots_.resize(layout_.slot_count());
    Bytes zone(layout_.headers_zone_bytes());
    const absl::Status read = co_await io::ReadExactly(storage_, file_, 0, MutableByteSpan(zone));
    if (!read.ok() && !io::IsEio(read)) {
      CO_RETURN_IF_ERROR(read, "reading the headers zone of ", kJournalPath);
    }
    for (uint64_t slot = 0; slot < layout_.slot_count(); ++slot) {
      MutableByteSpan header =
          MutableByteSpan(zone).subspan(layout_.HeaderOffset(slot), wire::kHeaderSize);
      absl::Status one = read;
      if (!one.ok()) {
        one = co_await io::ReadExactly(storage_, file_, layout_.HeaderOffset(slot), header);
      }
      if (io::IsEio(one)) {
        slots_[slot].header = UnreadableCopy(absl::StrCat("read error: ", one.message()));
        continue;
      }
      CO_RETURN_IF_ERROR(one, "reading the header copy of ", layout_.DescribeSlot(slot));
      slots_[slot].header = DecodeHeaderCopy(header, slot, options_);
    }
    co_return absl::OkStatus();
  }

  io::Task<absl::Status> ReadPrepares() {
    Bytes buffer(layout_.message_size_max());
    for (uint64_t slot = 0; slot < layout_.slot_count(); ++slot) {
      const absl::Status read = co_await io::ReadExactly(
          storage_, file_, layout_.PrepareOffset(slot), MutableByteSpan(buffer));
      if (io::IsEio(read)) {
        slots_[slot].prepare = UnreadableCopy(absl::StrCat("read error: ", read.message()));
        continue;
      }
      CO_RETURN_IF_ERROR(read, "reading the prepare of ", layout_.DescribeSlot(slot));
      slots_[slot].prepare = DecodePrepareCopy(buffer, slot, options_, slots_[slot].frame);
    }
    co_return absl::OkStatus();
  }

  std::string EvidenceText() const {
    if (analysis_.evidence_source_op == 0) {
      return absl::StrCat("the commit watermark op ", analysis_.evidence_op);
    }
    return absl::StrCat("the commit field (op ", analysis_.evidence_op, ") of op ",
                        analysis_.evidence_source_op);
  }

  void DescribeAnalysis();
  void DescribeChain();
  absl::Status RefuseCorruptionOnASingleNode();
  void DecideTailAndFaults();
  void CollectEntries();
  io::Task<absl::Status> MakeKeptEntriesDurable();
  void PlanClears(std::vector<WriteRequest>& writes);
  uint64_t PlanRewrites(std::vector<WriteRequest>& writes);

  io::Storage& storage_;
  JournalOptions options_;
  JournalLayout layout_;
  RecoveryInputs inputs_;
  io::FileHandle file_;
  std::vector<SlotCopies> slots_;
  JournalAnalysis analysis_;
  JournalRecovery result_;
  Bytes zeros_;  // the source of the tail's clearing writes
};

void Recoverer::DescribeAnalysis() {
  Decide(absl::StrCat(kJournalPath, ": ", options_.slot_count, " slots of ",
                      options_.message_size_max, " bytes; checkpoint op ", inputs_.checkpoint_op,
                      " (checksum ", Hex128(inputs_.checkpoint_checksum), "), commit watermark op ",
                      analysis_.commit_watermark, "; ",
                      inputs_.single_node ? "single node" : "cluster replica"));
  uint64_t earlier_wrap = 0;
  for (const OpAnalysis& entry : analysis_.ops) {
    const bool plain = entry.verdict == SlotVerdict::kEmpty ||
                       (entry.verdict == SlotVerdict::kValid && !entry.content.header_needs_repair);
    if (plain) continue;
    if (entry.verdict == SlotVerdict::kCollision && entry.content.content == SlotContent::kStale &&
        entry.op > analysis_.head_op) {
      ++earlier_wrap;  // the normal state of a ring that has wrapped: summarized below
      continue;
    }
    Decide(absl::StrCat(Where(entry.op), ": ", SlotVerdictName(entry.verdict), " (",
                        SlotContentName(entry.content.content), ", ", ChainLinkName(entry.link),
                        ")", entry.proven ? ", proven durable" : "", ": ", ExplainOp(entry)));
  }
  if (earlier_wrap > 0) {
    Decide(absl::StrCat(
        earlier_wrap, " slots hold ops from an earlier wrap of the ring (covered by checkpoint op ",
        inputs_.checkpoint_op, "): never applied"));
  }
  DescribeChain();
}

void Recoverer::DescribeChain() {
  const uint64_t first = inputs_.checkpoint_op + 1;
  if (analysis_.prefix_op == inputs_.checkpoint_op) {
    // Rule B6: with no op after the checkpoint, the snapshot's op is the last op.
    Decide(absl::StrCat("no verified op after checkpoint op ", inputs_.checkpoint_op,
                        ": the snapshot's op is the last applied op (rule B6)"));
  } else {
    Decide(absl::StrCat("verified chain: ops ", first, "..", analysis_.prefix_op,
                        " whole and linked to checkpoint op ", inputs_.checkpoint_op,
                        analysis_.chain_end_op > analysis_.prefix_op
                            ? absl::StrCat(" (headers link on to op ", analysis_.chain_end_op, ")")
                            : ""));
  }
  const uint64_t apply = analysis_.apply_through_op();
  Decide(absl::StrCat("commit bound op ", analysis_.commit_op, " (rule B16): apply ops ", first,
                      "..", apply, apply < first ? " (none)" : "",
                      "; verified ops above it stay unapplied for VSR"));
}

absl::Status Recoverer::RefuseCorruptionOnASingleNode() {
  const std::optional<uint64_t> corrupt = analysis_.FirstCorruptOp();
  if (!corrupt.has_value() || !inputs_.single_node) return absl::OkStatus();
  const OpAnalysis& entry = analysis_.At(*corrupt);
  return absl::DataLossError(absl::StrCat(Where(*corrupt), " is corrupt (",
                                          SlotVerdictName(entry.verdict), "): ", ExplainOp(entry),
                                          ". It is proven durable by ", EvidenceText(),
                                          ", so it must not be cut (rule B7). Refusing to start: a "
                                          "single node has no intact copy to repair it from. "
                                          "Restore the metadata from a backup, or inspect the "
                                          "WAL with `sluice inspect`."));
}

void Recoverer::DecideTailAndFaults() {
  if (analysis_.tail_first_op.has_value()) {
    const OpRange tail{*analysis_.tail_first_op, analysis_.head_op};
    result_.uncertain_tail = tail;
    const OpAnalysis& first = analysis_.At(tail.first);
    const std::string what =
        absl::StrCat("the uncertain tail ops ", tail.first, "..", tail.last, " (from ",
                     layout_.DescribeSlot(first.slot), "; op ", tail.first, " is ",
                     SlotVerdictName(first.verdict), ": ", ExplainOp(first),
                     "), not proven durable (evidence reaches ", EvidenceText(), ")");
    if (inputs_.single_node) {
      Warn(absl::StrCat(kJournalPath, ": cutting ", what,
                        ": never acknowledged as durable (rule B7)"));
      result_.tail_cut = true;
    } else {
      Decide(absl::StrCat(
          kJournalPath, ": keeping ", what,
          " as faulty: only a nack quorum of the other replicas may discard it (rule B7)"));
    }
  }
  if (inputs_.single_node) return;
  for (uint64_t op = analysis_.prefix_op + 1; op <= analysis_.head_op; ++op) {
    const OpAnalysis& entry = analysis_.At(op);
    if (entry.verdict == SlotVerdict::kValid) continue;
    result_.faulty.push_back({op, entry.slot, entry.verdict, ExplainOp(entry)});
    if (entry.proven) {
      Decide(
          absl::StrCat(Where(op), ": proven durable by ", EvidenceText(),
                       " but not whole here: faulty, repair from peers; never nacked (rule B7)"));
    }
  }
}

void Recoverer::CollectEntries() {
  result_.slots.resize(layout_.slot_count());
  for (const OpAnalysis& entry : analysis_.ops) {
    result_.slots[entry.slot] = {
        entry.slot, entry.op, entry.verdict, entry.content.content,
        entry.verdict == SlotVerdict::kValid ? entry.content.reason : ExplainOp(entry)};
  }
  const uint64_t chain_end = inputs_.single_node ? analysis_.prefix_op : analysis_.chain_end_op;
  for (uint64_t op = inputs_.checkpoint_op + 1; op <= chain_end; ++op) {
    const OpAnalysis& entry = analysis_.At(op);
    result_.verified_chain.push_back(
        {op, entry.checksum, entry.content.content == SlotContent::kIntact});
  }
  const uint64_t apply = analysis_.apply_through_op();
  for (const OpAnalysis& entry : analysis_.ops) {
    if (entry.verdict != SlotVerdict::kValid) continue;
    RecoveredEntry recovered{entry.op, entry.checksum, entry.header, slots_[entry.slot].frame};
    (entry.op <= apply ? result_.to_apply : result_.unapplied).push_back(std::move(recovered));
  }
  result_.commit_op = analysis_.commit_op;
  result_.head_op = inputs_.single_node ? analysis_.prefix_op : analysis_.head_op;
}

void Recoverer::PlanClears(std::vector<WriteRequest>& writes) {
  if (!result_.tail_cut) return;
  const OpRange tail = *result_.uncertain_tail;
  zeros_.assign(wire::kHeaderSize, 0);
  for (uint64_t op = tail.first; op <= tail.last; ++op) {
    const uint64_t slot = layout_.SlotOf(op);
    writes.push_back({layout_.HeaderOffset(slot), zeros_});
    writes.push_back({layout_.PrepareOffset(slot), zeros_});
  }
}

// Rule B1: every verified op above the commit watermark may be cached pages a failed
// fsync left behind, so it is rewritten (prepare and header copy); below it, only a
// header copy that disagrees with its whole prepare is rewritten (repaired).
uint64_t Recoverer::PlanRewrites(std::vector<WriteRequest>& writes) {
  uint64_t rewritten = 0;
  for (const OpAnalysis& entry : analysis_.ops) {
    if (entry.verdict != SlotVerdict::kValid) continue;
    const ByteSpan frame = slots_[entry.slot].frame;
    const bool above = entry.op > analysis_.commit_watermark;
    if (above) {
      writes.push_back({layout_.PrepareOffset(entry.slot), frame});
      ++rewritten;
    }
    if (above || entry.content.header_needs_repair) {
      writes.push_back({layout_.HeaderOffset(entry.slot), frame.first(wire::kHeaderSize)});
    }
    if (entry.content.header_needs_repair) {
      ++result_.repaired_headers;
      Decide(
          absl::StrCat(Where(entry.op), ": repaired the redundant header from the whole prepare"));
    }
  }
  return rewritten;
}

io::Task<absl::Status> Recoverer::MakeKeptEntriesDurable() {
  std::vector<WriteRequest> writes;
  PlanClears(writes);
  result_.rewritten_ops = PlanRewrites(writes);
  if (writes.empty()) co_return absl::OkStatus();
  CO_RETURN_IF_ERROR(co_await WriteAll(storage_, file_, std::move(writes)), "rewriting ",
                     kJournalPath, " during recovery");
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage_, file_), "syncing ", kJournalPath,
                     " during recovery");
  if (result_.rewritten_ops > 0) {
    Decide(absl::StrCat("rewrote and synced ", result_.rewritten_ops,
                        " verified ops above the commit watermark op ", analysis_.commit_watermark,
                        " before trusting them (rule B1)"));
  }
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::StatusOr<JournalRecovery>> RecoverJournal(io::Storage& storage,
                                                         JournalOptions options,
                                                         RecoveryInputs inputs) {
  CO_RETURN_IF_ERROR(ValidateJournalOptions(options));
  Recoverer recoverer(storage, options, inputs);
  co_return co_await recoverer.Run();
}

}  // namespace sluice::journal
