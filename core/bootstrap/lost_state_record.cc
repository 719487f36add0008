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

// The highest op of an entry of this partition found whole in `bytes`, walking
// entries from the segment's start (0 if none). Stops at the first entry that does
// not decode: what follows cannot be located without trusting its size field.
uint64_t HighestEntryOp(ByteSpan bytes, const partition::PartitionOptions& options) {
  uint64_t highest = 0;
  uint64_t position = 0;
  while (position + wire::kHeaderSize <= bytes.size()) {
    const ByteSpan rest = bytes.subspan(position);
    const size_t at = wire::header_offset::kSize;
    const uint32_t size = static_cast<uint32_t>(rest[at]) | (static_cast<uint32_t>(rest[at + 1]) << 8) |
                          (static_cast<uint32_t>(rest[at + 2]) << 16) | (static_cast<uint32_t>(rest[at + 3]) << 24);
    if (size < wire::kHeaderSize || size > rest.size()) break;
    const absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(rest.subspan(0, size), options.cluster);
    if (!prepare.ok() || prepare->header().namespace_id != options.namespace_id ||
        prepare->header().incarnation != options.address.incarnation) {
      break;
    }
    highest = std::max(highest, prepare->header().op);
    position += size;
  }
  return highest;
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
  const partition::StateRecord record{.sequence = 1,
                                      .incarnation = options.address.incarnation,
                                      .namespace_id = options.namespace_id,
                                      .commit_watermark = 0,
                                      .anchor_op = 1,
                                      .anchor_parent = 0,
                                      .log_end_op = 0,
                                      .promised_op = promised,
                                      .segments = {partition::SegmentInfo{.first_op = 1, .start_offset = 0}}};
  CO_RETURN_IF_ERROR(co_await partition::StoreStateRecord(storage, directory, record), "replacing the lost ",
                     io::JoinPath(directory, partition::kStateRecordName));
  log.warnings.push_back(absl::StrCat("partition ", directory, ": ", cause.message(),
                                      "; replaced by an empty log promising ops 1..", promised,
                                      ", repaired from peers (rules B5, B7, B15)"));
  co_return absl::OkStatus();
}

}  // namespace sluice::bootstrap
