#include "core/bootstrap/lost_state_record.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/storage_ops.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"
#include "core/wire/header.h"

namespace sluice::bootstrap {
namespace {

// The highest op at or below `ceiling` of an entry of this partition found whole in
// `bytes` (0 if none). Walks entries from the segment's start; across damage — an
// entry that does not decode — it goes on byte by byte, since the bad entry's size
// field cannot be trusted: whole entries after a bit flip may have been acknowledged,
// so they count (as segment_scan.h's walk past a bad entry does).
uint64_t HighestEntryOp(ByteSpan bytes, const partition::PartitionOptions& options, uint64_t ceiling = UINT64_MAX) {
  uint64_t highest = 0;
  uint64_t position = 0;
  while (position + wire::kHeaderSize <= bytes.size()) {
    const ByteSpan rest = bytes.subspan(position);
    const size_t at = wire::header_offset::kSize;
    const uint32_t size = static_cast<uint32_t>(rest[at]) | (static_cast<uint32_t>(rest[at + 1]) << 8) |
                          (static_cast<uint32_t>(rest[at + 2]) << 16) | (static_cast<uint32_t>(rest[at + 3]) << 24);
    if (size >= wire::kHeaderSize && size <= rest.size()) {
      const absl::StatusOr<wire::ValidatedPrepare> prepare =
          wire::DecodePrepare(rest.subspan(0, size), options.cluster);
      if (prepare.ok() && prepare->header().namespace_id == options.namespace_id &&
          prepare->header().incarnation == options.address.incarnation) {
        if (prepare->header().op <= ceiling) highest = std::max(highest, prepare->header().op);
        position += size;
        continue;
      }
    }
    ++position;
  }
  return highest;
}

// The state record of an empty log at op 1 that promises ops 1..promised: VSR never
// nacks them and repairs them from peers (state_record.h, promised_op).
partition::StateRecord EmptyLogPromising(const partition::PartitionOptions& options, uint64_t sequence,
                                         uint64_t promised) {
  return {.sequence = sequence,
          .incarnation = options.address.incarnation,
          .namespace_id = options.namespace_id,
          .commit_watermark = 0,
          .anchor_op = 1,
          .anchor_parent = 0,
          .log_end_op = 0,
          .promised_op = promised,
          .segments = {partition::SegmentInfo{.first_op = 1, .start_offset = 0}}};
}

}  // namespace

io::Task<absl::StatusOr<bool>> StateRecordLost(io::Storage& storage, std::string directory) {
  const absl::StatusOr<partition::StateRecordLoad> load = co_await partition::LoadStateRecord(storage, directory);
  if (load.ok()) co_return false;
  if (absl::IsDataLoss(load.status())) co_return true;
  co_return load.status();
}

io::Task<absl::Status> ReplaceLostStateRecord(io::Storage& storage, partition::PartitionOptions options,
                                              absl::Status cause, BootLog& log) {
  if (options.single_node) co_return cause;
  const std::string directory = partition::PartitionDirectory(options.address);
  // Only a record with no valid copy (an older valid copy is recovery's to judge).
  CO_ASSIGN_OR_RETURN(const bool lost, co_await StateRecordLost(storage, directory));
  if (!lost) co_return cause;
  CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> entries, co_await io::ListDirectory(storage, directory),
                      "listing ", directory);
  std::optional<uint64_t> first_segment;
  uint64_t promised = 0;
  for (const io::DirectoryEntry& entry : entries) {
    const std::optional<uint64_t> first_op = partition::ParseSegmentFileName(entry.name);
    if (!first_op.has_value() || !absl::EndsWith(entry.name, ".log")) continue;
    first_segment = std::min(first_segment.value_or(*first_op), *first_op);
    CO_ASSIGN_OR_RETURN(const Bytes bytes, co_await io::ReadWholeFile(storage, io::JoinPath(directory, entry.name)),
                        "reading ", io::JoinPath(directory, entry.name));
    promised = std::max(promised, HighestEntryOp(bytes, options));
  }
  if (first_segment != std::optional<uint64_t>(1)) co_return cause;
  // 1. The offsets as of op 0: none (the repaired store entries bring them back).
  const Bytes offsets =
      partition::EncodeConsumerOffsets({}, {.namespace_id = options.namespace_id, .incarnation = options.address.incarnation});
  const std::string offsets_path = io::JoinPath(directory, partition::kConsumerOffsetsName);
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, offsets_path, offsets), "writing ", offsets_path);
  // 2. The record: an empty log at op 1 that promises every op found.
  CO_RETURN_IF_ERROR(co_await partition::StoreStateRecord(storage, directory, EmptyLogPromising(options, 1, promised)),
                     "replacing the lost ", io::JoinPath(directory, partition::kStateRecordName));
  log.warnings.push_back(absl::StrCat("partition ", directory, ": ", cause.message(),
                                      "; replaced by an empty log promising ops 1..", promised,
                                      ", repaired from peers (rules B5, B7, B15)"));
  co_return absl::OkStatus();
}

io::Task<absl::StatusOr<bool>> ReplaceLogMissingSegment(io::Storage& storage, partition::PartitionOptions options,
                                                        absl::Status cause, BootLog& log) {
  if (options.single_node) co_return false;
  const std::string directory = partition::PartitionDirectory(options.address);
  CO_ASSIGN_OR_RETURN(const partition::StateRecordLoad load, co_await partition::LoadStateRecord(storage, directory),
                      "partition ", directory);
  const partition::StateRecord& record = load.record;
  CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> entries, co_await io::ListDirectory(storage, directory),
                      "listing ", directory);
  auto present = [&](const std::string& name) {
    return std::any_of(entries.begin(), entries.end(), [&](const io::DirectoryEntry& e) { return e.name == name; });
  };
  const uint64_t active_first = record.segments.back().first_op;
  const std::string active_path = io::JoinPath(directory, partition::SegmentLogName(active_first));
  if (!present(partition::SegmentLogName(active_first))) {
    co_return absl::DataLossError(absl::StrCat(
        active_path, ": the active segment starting at op ", active_first,
        " that the state record lists is missing (rule B5). It is never recreated empty, and nothing left on this "
        "replica's disk bounds the ops it held, which this replica may have acknowledged: rejoining would risk "
        "nacking a committed op away. Refusing to start. Re-create this replica from its peers with "
        "`sluice-server format --recover` (rule B17: it rejoins without voting until it has caught up)."));
  }
  // The listed sealed segments that are missing (or, after a crash inside this
  // function, present with no bytes).
  std::optional<uint64_t> missing;
  std::vector<Bytes> contents;
  for (size_t i = 0; i + 1 < record.segments.size(); ++i) {
    const std::string name = partition::SegmentLogName(record.segments[i].first_op);
    if (!present(name)) {
      if (!missing.has_value()) missing = record.segments[i].first_op;
      continue;
    }
    CO_ASSIGN_OR_RETURN(Bytes bytes, co_await io::ReadWholeFile(storage, io::JoinPath(directory, name)), "reading ",
                        io::JoinPath(directory, name));
    if (bytes.empty() && !missing.has_value()) missing = record.segments[i].first_op;
    contents.push_back(std::move(bytes));
  }
  if (!missing.has_value()) co_return false;  // not a missing segment: `cause` stands
  const std::string missing_path = io::JoinPath(directory, partition::SegmentLogName(*missing));
  if (record.anchor_op != 1) {
    co_return absl::DataLossError(absl::StrCat(
        missing_path, ": the sealed segment starting at op ", *missing,
        " that the state record lists is missing (rule B5), and the log was trimmed (its oldest op is ",
        record.anchor_op, "), which this replica does not rebuild from peers on its own. Refusing to start. "
        "Re-create this replica from its peers with `sluice-server format --recover` (rule B17: it rejoins "
        "without voting until it has caught up)."));
  }
  CO_ASSIGN_OR_RETURN(Bytes active, co_await io::ReadWholeFile(storage, active_path), "reading ", active_path);
  contents.push_back(std::move(active));
  // Entries above a decided truncation were nacked by a quorum: no promise.
  const uint64_t ceiling = record.log_end_op;
  uint64_t promised = std::max({std::min(active_first - 1, ceiling), record.commit_watermark, record.promised_op});
  for (const Bytes& bytes : contents) promised = std::max(promised, HighestEntryOp(bytes, options, ceiling));
  // 1. The offsets as of op 0: none (the repaired store entries bring them back).
  const Bytes offsets =
      partition::EncodeConsumerOffsets({}, {.namespace_id = options.namespace_id, .incarnation = options.address.incarnation});
  const std::string offsets_path = io::JoinPath(directory, partition::kConsumerOffsetsName);
  CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, offsets_path, offsets), "writing ", offsets_path);
  // 2. The empty log's segment, if it was the one missing (a crash from here to the
  //    record leaves it empty and still sealed: missing, next boot).
  const std::string first_path = io::JoinPath(directory, partition::SegmentLogName(1));
  if (!present(partition::SegmentLogName(1))) {
    CO_RETURN_IF_ERROR(co_await io::WriteFileAtomically(storage, first_path, Bytes{}), "creating ", first_path);
  }
  // 3. The record: an empty log at op 1 that promises every op this replica may have
  //    acknowledged (the later segments go as a truncation's when it is opened).
  CO_RETURN_IF_ERROR(co_await partition::StoreStateRecord(storage, directory,
                                                          EmptyLogPromising(options, record.sequence + 1, promised)),
                     "replacing ",
                     io::JoinPath(directory, partition::kStateRecordName));
  log.warnings.push_back(absl::StrCat(missing_path, ": the sealed segment starting at op ", *missing,
                                      " is missing (", cause.message(), "); the partition is replaced by an empty "
                                      "log promising ops 1..", promised, ", repaired from peers (rules B5, B15)"));
  co_return true;
}

}  // namespace sluice::bootstrap
