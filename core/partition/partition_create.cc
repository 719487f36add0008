// PartitionLog::Create: a new partition's directory and files, made durable in an
// order that a crash at any point leaves either no partition (no valid state
// record: the creation never counted) or a complete one.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/partition/partition_log.h"
#include "core/partition/partition_log_internal.h"

namespace sluice::partition {
namespace {

// mkdir -p, syncing each parent whose entries changed.
io::Task<absl::Status> MakeDirectories(io::Storage& storage, const std::string& path) {
  std::string current;
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    const std::string parent = current;
    current = io::JoinPath(current, component);
    const absl::Status made = co_await io::MakeDirectory(storage, current);
    if (io::IsEexist(made)) continue;
    CO_RETURN_IF_ERROR(made, "creating ", current);
    CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, parent), "syncing ", parent);
  }
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::StatusOr<std::unique_ptr<PartitionLog>>> PartitionLog::Create(io::Storage& storage,
                                                                              PartitionOptions options,
                                                                              uint64_t first_op) {
  SLUICE_ASSERT(first_op >= 1, "ops start at 1");
  std::unique_ptr<PartitionLog> log(new PartitionLog(storage, std::move(options)));
  const std::string& directory = log->directory_;
  CO_RETURN_IF_ERROR(co_await MakeDirectories(storage, std::string(io::ParentOf(directory))));
  const absl::Status made = co_await io::MakeDirectory(storage, directory);
  CO_RETURN_IF_ERROR(made, "creating partition directory ", directory);
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, std::string(io::ParentOf(directory))));

  auto segment = std::make_unique<Segment>();
  segment->info = {first_op, 0};
  segment->entries.reserve(log->options_.index_entries_reserved);
  CO_ASSIGN_OR_RETURN(segment->log, co_await io::OpenFile(storage, io::JoinPath(directory, SegmentLogName(first_op)),
                                                          io::OpenMode::kCreateExclusive));
  CO_ASSIGN_OR_RETURN(segment->index, co_await io::OpenFile(storage, io::JoinPath(directory, SegmentIndexName(first_op)),
                                                            io::OpenMode::kCreateExclusive));
  log->segments_.push_back(std::move(segment));
  log->consumer_offsets_.applied_op = first_op - 1;
  CO_RETURN_IF_ERROR(co_await log->CheckpointConsumerOffsets());
  // The state record last: only once it is durable does the partition exist.
  log->record_.incarnation = log->options_.address.incarnation;
  log->record_.namespace_id = log->options_.namespace_id;
  log->record_.commit_watermark = first_op - 1;
  log->record_.anchor_op = first_op;
  log->record_.sequence = 0;
  CO_ASSIGN_OR_RETURN(const io::FileHandle state,
                      co_await io::OpenFile(storage, io::JoinPath(directory, kStateRecordName),
                                            io::OpenMode::kCreateExclusive));
  CO_RETURN_IF_ERROR(co_await io::CloseFile(storage, state));
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, directory));
  log->last_op_ = log->durable_op_ = log->commit_op_ = log->applied_op_ = first_op - 1;
  CO_RETURN_IF_ERROR(co_await log->WriteStateRecord());
  co_return log;
}

}  // namespace sluice::partition
