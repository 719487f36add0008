// The segment_scan fuzz target: recovery's classification of a segment's bytes
// (core/partition/segment_scan.h: ScanSegment, rules B2 and B7).
//
// The input is a segment. It is scanned as given, resealed with the hash chain
// relinked, and resealed with the chain as the input has it (fuzz_support.h), each
// with the fixed ScanContext below, and again with a decided truncation above op
// kTruncatedLogEndOp. Oracle, per scan:
//  - the valid prefix is entries of ops first_op, first_op + 1, ... at positions 0,
//    then each previous position + size, each within the segment; each one's frame
//    decodes (DecodePrepare) to the fields recorded, belongs to the partition, and
//    links to the previous checksum (the anchor for the first); a SendMessages entry's
//    batch decodes with its base offset = the running next offset;
//  - cut_position = end of the prefix <= size; next_offset = start_offset + messages;
//  - verdict kClean iff cut_position == size (then no bad op, no reason); otherwise
//    a bad op (the op after the prefix) with a reason, and kCorrupt iff it is proven
//    durable (bad_op <= proven_by, proven_by >= the durable watermark), kUncertainTail
//    iff not, kTruncated iff it is above log_end_op;
//  - no entry is cut while a later header of this partition proves it durable (B7);
// and between the two scans of the same bytes: the truncated scan is the full scan
// cut to ops <= kTruncatedLogEndOp.
//
// Decisions (decisions.h): each scan's TailVerdict ("verdict:clean", ...), and, as
// extras, which check rejected the first bad entry ("reason:...").
#include "fuzz/segment_scan_target.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/partition/segment_scan.h"
#include "core/wire/batch.h"
#include "core/wire/command.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

using partition::ScanContext;
using partition::ScannedEntry;
using partition::ScanResult;
using partition::TailVerdict;

ScanContext FixedContext(uint64_t log_end_op) {
  return ScanContext{.cluster = kCluster,
                     .namespace_id = kNamespace,
                     .incarnation = kIncarnation,
                     .first_op = kFirstOp,
                     .expected_parent = kAnchorParent,
                     .durable_watermark = kDurableWatermark,
                     .log_end_op = log_end_op,
                     .start_offset = kStartOffset};
}

// Re-derives what the scan recorded about entry `index` from the bytes themselves.
void CheckEntry(ByteSpan log, const ScanContext& context, const ScannedEntry& entry, size_t index,
                absl::uint128 parent, uint64_t next_offset) {
  SLUICE_ASSERT(entry.op == context.first_op + index, "entry ", index, " has op ", entry.op);
  SLUICE_ASSERT(entry.size >= wire::kHeaderSize && entry.position <= log.size() &&
                    entry.size <= log.size() - entry.position,
                "entry ", index, " [", entry.position, ", +", entry.size, ") outside ", log.size());
  const ByteSpan frame = log.subspan(entry.position, entry.size);
  const absl::StatusOr<wire::ValidatedPrepare> prepare =
      wire::DecodePrepare(frame, context.cluster);
  SLUICE_ASSERT(prepare.ok(), "entry ", index,
                " kept but its frame is refused: ", prepare.status().ToString());
  const wire::PrepareHeader& header = prepare->header();
  SLUICE_ASSERT(header.op == entry.op && header.commit == entry.commit &&
                    header.timestamp == entry.timestamp && header.operation == entry.operation &&
                    header.client == entry.client &&
                    header.request_checksum == entry.request_checksum &&
                    prepare->checksum() == entry.checksum,
                "entry ", index, " recorded fields differ from its frame");
  SLUICE_ASSERT(
      header.namespace_id == context.namespace_id && header.incarnation == context.incarnation,
      "entry ", index, " belongs to another partition");
  SLUICE_ASSERT(header.parent == parent, "entry ", index, " kept with a broken hash chain");
  SLUICE_ASSERT(entry.base_offset == next_offset, "entry ", index, " base offset ",
                entry.base_offset);
  if (header.operation != wire::Operation::kSendMessages) {
    SLUICE_ASSERT(entry.message_count == 0, "entry ", index, " counts messages without a batch");
    return;
  }
  const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(prepare->body());
  SLUICE_ASSERT(batch.ok(), "entry ", index, " kept with a bad batch: ", batch.status().ToString());
  SLUICE_ASSERT(
      batch->base_offset() == next_offset && batch->message_count() == entry.message_count,
      "entry ", index, " batch disagrees with the scan");
}

void CheckVerdict(ByteSpan log, const ScanContext& context, const ScanResult& result) {
  const uint64_t bad_op_expected = context.first_op + result.entries.size();
  switch (result.verdict) {
    case TailVerdict::kClean:
      SLUICE_ASSERT(result.cut_position == log.size(), "clean but cut at ", result.cut_position,
                    " of ", log.size());
      SLUICE_ASSERT(result.bad_op == 0 && result.bad_reason.empty() &&
                    result.later_valid_entries == 0);
      return;
    case TailVerdict::kTruncated:
      SLUICE_ASSERT(result.bad_op > context.log_end_op, "truncated at op ", result.bad_op);
      break;
    case TailVerdict::kCorrupt:
      SLUICE_ASSERT(result.bad_op <= context.log_end_op && result.bad_op <= result.proven_by &&
                        result.proven_by >= context.durable_watermark,
                    "corrupt op ", result.bad_op, " proven by ", result.proven_by);
      break;
    case TailVerdict::kUncertainTail:
      SLUICE_ASSERT(result.bad_op <= context.log_end_op && result.bad_op > result.proven_by &&
                        result.proven_by >= context.durable_watermark,
                    "uncertain op ", result.bad_op, " proven by ", result.proven_by);
      break;
  }
  SLUICE_ASSERT(result.cut_position < log.size(), "verdict ", static_cast<int>(result.verdict),
                " at the end");
  SLUICE_ASSERT(result.bad_op == bad_op_expected, "bad op ", result.bad_op, ", expected ",
                bad_op_expected);
  SLUICE_ASSERT(!result.bad_reason.empty(), "a bad entry without a reason");
}

// Rule B7's safety half: an entry is cut only if nothing proves it durable. Evidence
// is every whole entry of this partition (header and body checksums, cluster,
// namespace, incarnation and size all checking out) met by walking the rest of the
// segment entry by entry, byte by byte only across damage; the bodies of whole
// entries are skipped, so a header inside a message payload is not evidence. The
// scan must have counted each of them, so it never calls a proven entry a tail.
std::optional<uint64_t> WholeEntrySize(ByteSpan log, uint64_t position,
                                       const ScanContext& context) {
  namespace offset = wire::header_offset;
  const ByteSpan header = log.subspan(position, wire::kHeaderSize);
  if (header[offset::kCommand] != static_cast<uint8_t>(wire::Command::kPrepare))
    return std::nullopt;
  if (base::LoadU128(header, offset::kChecksum) !=
      base::Checksum128(header.subspan(offset::kChecksummedBegin))) {
    return std::nullopt;
  }
  if (base::LoadU128(header, offset::kCluster) != context.cluster ||
      base::LoadLittleEndian<uint64_t>(header, offset::kNamespace) != context.namespace_id ||
      base::LoadLittleEndian<uint64_t>(header, offset::kIncarnation) != context.incarnation) {
    return std::nullopt;
  }
  const uint64_t size = base::LoadLittleEndian<uint32_t>(header, offset::kSize);
  if (size < wire::kHeaderSize || size > log.size() - position) return std::nullopt;
  if (base::LoadU128(header, offset::kChecksumBody) !=
      base::Checksum128(log.subspan(position + wire::kHeaderSize, size - wire::kHeaderSize))) {
    return std::nullopt;
  }
  return size;
}

void CheckEvidence(ByteSpan log, const ScanContext& context, const ScanResult& result) {
  if (result.verdict != TailVerdict::kCorrupt && result.verdict != TailVerdict::kUncertainTail)
    return;
  namespace offset = wire::header_offset;
  uint64_t evidence = context.durable_watermark;
  uint64_t entries = 0;
  uint64_t position = result.cut_position;
  // The bad entry's own body is skipped when its header verifies.
  if (log.size() - position >= wire::kHeaderSize &&
      base::LoadU128(log, position + offset::kChecksum) ==
          base::Checksum128(log.subspan(position + offset::kChecksummedBegin,
                                        wire::kHeaderSize - offset::kChecksummedBegin))) {
    const uint64_t size = base::LoadLittleEndian<uint32_t>(log, position + offset::kSize);
    position += (size >= wire::kHeaderSize && size <= log.size() - position) ? size : 1;
  } else {
    ++position;
  }
  while (position + wire::kHeaderSize <= log.size()) {
    const std::optional<uint64_t> size = WholeEntrySize(log, position, context);
    if (!size.has_value()) {
      ++position;
      continue;
    }
    ++entries;
    evidence =
        std::max(evidence, base::LoadLittleEndian<uint64_t>(log, position + offset::kCommit));
    position += *size;
  }
  SLUICE_ASSERT(result.proven_by >= evidence, "evidence reaches op ", evidence, ", the scan saw ",
                result.proven_by);
  SLUICE_ASSERT(result.later_valid_entries >= entries, entries, " later entries, the scan counted ",
                result.later_valid_entries);
  if (result.verdict == TailVerdict::kUncertainTail) {
    SLUICE_ASSERT(result.bad_op > evidence, "op ", result.bad_op, " proven durable (evidence ",
                  evidence, ") called an uncertain tail");
  }
}

// Which of ScanSegment's checks rejected the first bad entry, from its reason (the
// header names the checks, not their messages: an unknown message is "other").
absl::string_view ReasonClass(absl::string_view reason) {
  static constexpr std::pair<absl::string_view, absl::string_view> kPrefixes[] = {
      {"only ", "short_header"},
      {"header checksum", "header_checksum"},
      {"entry size", "size"},
      {"entry of namespace", "other_partition"},
      {"op ", "op"},
      {"hash chain", "hash_chain"},
      {"message batch", "batch"},
      {"batch base offset", "batch_base_offset"},
      {"above the truncation point", "truncation_point"},
  };
  for (const auto& [prefix, name] : kPrefixes) {
    if (absl::StartsWith(reason, prefix)) return name;
  }
  return "frame";  // DecodePrepare's own checks (body checksum, cluster, command, ...)
}

ScanResult Scan(ByteSpan log, const ScanContext& context, DecisionSet* decisions) {
  ScanResult result = partition::ScanSegment(log, context);
  Reach(decisions, "verdict", TailVerdictName(result.verdict));
  if (result.verdict != TailVerdict::kClean)
    Reach(decisions, "reason", ReasonClass(result.bad_reason));
  absl::uint128 parent = context.expected_parent;
  uint64_t position = 0;
  uint64_t next_offset = context.start_offset;
  for (size_t index = 0; index < result.entries.size(); ++index) {
    const ScannedEntry& entry = result.entries[index];
    SLUICE_ASSERT(entry.position == position, "entry ", index, " at ", entry.position,
                  ", expected ", position);
    CheckEntry(log, context, entry, index, parent, next_offset);
    position += entry.size;
    parent = entry.checksum;
    next_offset = entry.base_offset + entry.message_count;
  }
  SLUICE_ASSERT(result.cut_position == position, "cut at ", result.cut_position,
                ", prefix ends at ", position);
  SLUICE_ASSERT(result.next_offset == next_offset, "next offset ", result.next_offset,
                ", expected ", next_offset);
  CheckVerdict(log, context, result);
  CheckEvidence(log, context, result);
  SLUICE_ASSERT(!result.Describe("fuzz.log").empty());
  return result;
}

// The truncated scan must be the full scan cut after op kTruncatedLogEndOp.
void CheckTruncation(const ScanResult& full, const ScanResult& truncated) {
  const size_t allowed = kTruncatedLogEndOp - kFirstOp + 1;
  if (full.entries.size() < allowed ||
      (full.entries.size() == allowed && full.verdict == TailVerdict::kClean)) {
    SLUICE_ASSERT(truncated.entries == full.entries && truncated.verdict == full.verdict &&
                      truncated.cut_position == full.cut_position &&
                      truncated.bad_op == full.bad_op && truncated.bad_reason == full.bad_reason &&
                      truncated.proven_by == full.proven_by &&
                      truncated.next_offset == full.next_offset,
                  "a truncation above the scanned ops changed the scan");
    return;
  }
  SLUICE_ASSERT(truncated.verdict == TailVerdict::kTruncated, "verdict ",
                static_cast<int>(truncated.verdict));
  SLUICE_ASSERT(
      truncated.entries.size() == allowed &&
          std::equal(truncated.entries.begin(), truncated.entries.end(), full.entries.begin()),
      "the truncated scan is not a prefix of the full scan");
  const ScannedEntry& last = truncated.entries.back();
  SLUICE_ASSERT(truncated.cut_position == last.position + last.size);
}

void CheckSegment(ByteSpan log, DecisionSet* decisions) {
  const ScanResult full = Scan(log, FixedContext(UINT64_MAX), decisions);
  const ScanResult truncated = Scan(log, FixedContext(kTruncatedLogEndOp), decisions);
  CheckTruncation(full, truncated);
}

}  // namespace

absl::string_view TailVerdictName(TailVerdict verdict) {
  switch (verdict) {
    case TailVerdict::kClean:
      return "clean";
    case TailVerdict::kUncertainTail:
      return "uncertain_tail";
    case TailVerdict::kCorrupt:
      return "corrupt";
    case TailVerdict::kTruncated:
      return "truncated";
  }
  return "";
}

void CheckSegmentScanInput(ByteSpan input, DecisionSet* decisions) {
  CheckSegment(input, decisions);
  for (const bool relink : {true, false}) {
    Bytes resealed(input.begin(), input.end());
    ResealSegment(resealed, kAnchorParent, relink);
    CheckSegment(resealed, decisions);
  }
}

std::vector<std::string> SegmentScanDecisionNames() {
  std::vector<std::string> names;
  // Every value TailVerdictName names (its switch makes a new verdict a compile
  // error there, and then a required decision here).
  for (int value = 0; value <= UINT8_MAX; ++value) {
    const absl::string_view name = TailVerdictName(static_cast<TailVerdict>(value));
    if (!name.empty()) names.push_back(DecisionName("verdict", name));
  }
  return names;
}

}  // namespace sluice::fuzz
