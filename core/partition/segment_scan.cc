#include "core/partition/segment_scan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/checksum.h"
#include "core/wire/batch.h"
#include "core/wire/header.h"
#include "core/wire/prepare_batch.h"

namespace sluice::partition {
namespace {

// A header whose own checksum verifies (so its fields can be believed).
bool HeaderChecksumValid(ByteSpan header) {
  return base::LoadU128(header, wire::header_offset::kChecksum) ==
         base::Checksum128(header.subspan(wire::header_offset::kChecksummedBegin));
}

// Validates the entry at `position`; on success fills `entry`, else returns why not.
std::optional<std::string> CheckEntry(ByteSpan log, uint64_t position, const ScanContext& context,
                                      uint64_t expected_op, absl::uint128 expected_parent,
                                      uint64_t next_offset, ScannedEntry& entry) {
  if (log.size() - position < wire::kHeaderSize) {
    return absl::StrCat("only ", log.size() - position, " bytes left for a 256-byte header");
  }
  const ByteSpan header = log.subspan(position, wire::kHeaderSize);
  if (!HeaderChecksumValid(header)) return std::string("header checksum mismatch");
  const uint32_t size = base::LoadLittleEndian<uint32_t>(header, wire::header_offset::kSize);
  if (size < wire::kHeaderSize || size > log.size() - position) {
    return absl::StrCat("entry size ", size, " runs past the end of the segment");
  }
  absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(log.subspan(position, size), context.cluster);
  if (!prepare.ok()) return std::string(prepare.status().message());
  const wire::PrepareHeader& fields = prepare->header();
  if (fields.namespace_id != context.namespace_id || fields.incarnation != context.incarnation) {
    return absl::StrFormat("entry of namespace %d incarnation %d, expected %d incarnation %d",
                           fields.namespace_id, fields.incarnation, context.namespace_id, context.incarnation);
  }
  if (fields.op != expected_op) return absl::StrCat("op ", fields.op, ", expected ", expected_op);
  if (fields.parent != expected_parent) return std::string("hash chain broken: parent is not the previous entry's checksum");
  entry = ScannedEntry{.op = fields.op, .position = position, .size = size,
                       .checksum = prepare->checksum(), .commit = fields.commit,
                       .timestamp = fields.timestamp, .operation = fields.operation,
                       .client = fields.client, .request_checksum = fields.request_checksum,
                       .base_offset = next_offset};
  if (fields.operation == wire::Operation::kSendMessages) {
    absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(prepare->body());
    if (!batch.ok()) return absl::StrCat("message batch: ", batch.status().message());
    if (batch->base_offset() != next_offset) {
      return absl::StrCat("batch base offset ", batch->base_offset(), ", expected ", next_offset);
    }
    entry.message_count = batch->message_count();
  }
  return std::nullopt;
}

// A whole entry of this partition starts at `position`: its header checksum, cluster,
// namespace, incarnation and size check out, and so does its body checksum. Only
// such entries count as durability evidence, and their bodies are skipped, so a
// message payload that happens to contain (or was crafted to contain) a prepare
// header is never read as one.
std::optional<uint64_t> WholeEntryAt(ByteSpan log, uint64_t position, const ScanContext& context) {
  const ByteSpan header = log.subspan(position, wire::kHeaderSize);
  if (header[wire::header_offset::kCommand] != static_cast<uint8_t>(wire::Command::kPrepare)) return std::nullopt;
  if (!HeaderChecksumValid(header)) return std::nullopt;
  if (base::LoadU128(header, wire::header_offset::kCluster) != context.cluster ||
      base::LoadLittleEndian<uint64_t>(header, wire::header_offset::kNamespace) != context.namespace_id ||
      base::LoadLittleEndian<uint64_t>(header, wire::header_offset::kIncarnation) != context.incarnation) {
    return std::nullopt;
  }
  const uint32_t size = base::LoadLittleEndian<uint32_t>(header, wire::header_offset::kSize);
  if (size < wire::kHeaderSize || size > log.size() - position) return std::nullopt;
  if (base::LoadU128(header, wire::header_offset::kChecksumBody) !=
      base::Checksum128(log.subspan(position + wire::kHeaderSize, size - wire::kHeaderSize))) {
    return std::nullopt;
  }
  return size;
}

// The highest `commit` among whole entries found after the bad entry at `from`, and
// in `last_op` the highest op among them up to the context's log end (entries above
// it are a decided truncation, never a promise). Walks entry by entry where headers
// verify (skipping their bodies) and byte by byte only across damage. (A header lost
// to a torn write leaves its body unskippable; that body is still only believed if it
// holds a whole, checksummed entry of this cluster and partition.)
uint64_t LaterCommitEvidence(ByteSpan log, uint64_t from, const ScanContext& context, uint64_t& found,
                             uint64_t& last_op) {
  uint64_t best = 0;
  uint64_t position = from;
  // The bad entry's own header may be intact (only its body is bad): skip its body.
  if (log.size() - position >= wire::kHeaderSize && HeaderChecksumValid(log.subspan(position, wire::kHeaderSize))) {
    const uint32_t size = base::LoadLittleEndian<uint32_t>(log, position + wire::header_offset::kSize);
    position += (size >= wire::kHeaderSize && size <= log.size() - position) ? size : 1;
  } else {
    ++position;
  }
  while (position + wire::kHeaderSize <= log.size()) {
    const std::optional<uint64_t> size = WholeEntryAt(log, position, context);
    if (!size.has_value()) {
      ++position;
      continue;
    }
    ++found;
    best = std::max(best, base::LoadLittleEndian<uint64_t>(log, position + wire::header_offset::kCommit));
    const uint64_t op = base::LoadLittleEndian<uint64_t>(log, position + wire::header_offset::kOp);
    if (op <= context.log_end_op) last_op = std::max(last_op, op);
    position += *size;
  }
  return best;
}

}  // namespace

ScanResult ScanSegment(ByteSpan log, const ScanContext& context) {
  ScanResult result;
  result.next_offset = context.start_offset;
  uint64_t position = 0;
  uint64_t expected_op = context.first_op;
  absl::uint128 expected_parent = context.expected_parent;
  while (position < log.size()) {
    if (expected_op > context.log_end_op) {
      result.verdict = TailVerdict::kTruncated;
      result.bad_op = expected_op;
      result.bad_reason = absl::StrCat("above the truncation point ", context.log_end_op);
      break;
    }
    ScannedEntry entry;
    std::optional<std::string> problem =
        CheckEntry(log, position, context, expected_op, expected_parent, result.next_offset, entry);
    if (problem.has_value()) {
      result.bad_op = expected_op;
      result.bad_reason = *std::move(problem);
      const uint64_t later_commit = LaterCommitEvidence(log, position, context, result.later_valid_entries, result.later_last_op);
      const uint64_t evidence = std::max(context.durable_watermark, later_commit);
      result.verdict = expected_op <= evidence ? TailVerdict::kCorrupt : TailVerdict::kUncertainTail;
      result.proven_by = evidence;
      break;
    }
    position += entry.size;
    ++expected_op;
    expected_parent = entry.checksum;
    result.next_offset = entry.base_offset + entry.message_count;
    result.entries.push_back(entry);
  }
  result.cut_position = position;
  return result;
}

std::string ScanResult::Describe(absl::string_view file) const {
  switch (verdict) {
    case TailVerdict::kClean:
      return absl::StrCat(file, ": ", entries.size(), " valid entries, clean");
    case TailVerdict::kTruncated:
      return absl::StrCat(file, ": ", entries.size(), " valid entries; entries from op ", bad_op,
                          " at offset ", cut_position, " are above the recorded truncation point: cut");
    case TailVerdict::kUncertainTail:
      return absl::StrCat(file, ": uncertain tail from op ", bad_op, " at offset ", cut_position, " (",
                          bad_reason, "); not proven durable (evidence reaches op ", proven_by,
                          ", ", later_valid_entries, " valid entries after it) (rule B7)");
    case TailVerdict::kCorrupt:
      return absl::StrCat(file, ": corrupt entry op ", bad_op, " at offset ", cut_position, " (", bad_reason,
                          "); proven durable by commit evidence up to op ", proven_by,
                          ", so it must not be cut (rule B7)");
  }
  return "";
}

}  // namespace sluice::partition
