#include "core/bootstrap/partition_bootstrap.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/bootstrap/lost_state_record.h"
#include "core/bootstrap/remove_tree.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/layout.h"

namespace sluice::bootstrap {
namespace {

partition::PartitionOptions OptionsFor(const partition::PartitionAddress& address,
                                       uint64_t namespace_id, const metadata::Topic& topic,
                                       const PartitionDefaults& defaults) {
  partition::PartitionOptions options;
  options.cluster = defaults.cluster;
  options.address = address;
  options.namespace_id = namespace_id;
  options.segment_size_bytes = topic.settings.segment_size_bytes;
  options.group_commit_bytes_max = defaults.group_commit_bytes_max;
  options.entry_size_bytes_max = defaults.entry_size_bytes_max;
  options.single_node = defaults.single_node;
  options.clamp_consumer_offsets = defaults.clamp_consumer_offsets;
  options.index_entries_reserved = defaults.index_entries_reserved;
  return options;
}

// True if `directory` holds a state record file (whether it is valid is Open's call).
io::Task<absl::StatusOr<bool>> HasStateRecord(io::Storage& storage, const std::string& directory) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      co_await io::ListDirectory(storage, directory);
  if (io::IsEnoent(entries.status())) co_return false;
  CO_RETURN_IF_ERROR(entries.status(), "listing ", directory);
  for (const io::DirectoryEntry& entry : *entries) {
    if (entry.name == partition::kStateRecordName) co_return true;
  }
  co_return false;
}

}  // namespace

io::Task<absl::StatusOr<std::optional<std::string>>> NonEmptySegment(io::Storage& storage,
                                                                     const std::string& directory) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      co_await io::ListDirectory(storage, directory);
  if (io::IsEnoent(entries.status())) co_return std::nullopt;
  CO_RETURN_IF_ERROR(entries.status(), "listing ", directory);
  for (const io::DirectoryEntry& entry : *entries) {
    if (!partition::ParseSegmentFileName(entry.name).has_value() ||
        !absl::EndsWith(entry.name, ".log")) {
      continue;
    }
    const std::string path = io::JoinPath(directory, entry.name);
    CO_ASSIGN_OR_RETURN(const io::FileHandle file,
                        co_await io::OpenFile(storage, path, io::OpenMode::kExisting), "opening ",
                        path);
    const absl::StatusOr<uint64_t> size = co_await io::FileSize(storage, file);
    CO_RETURN_IF_ERROR(co_await io::CloseFile(storage, file), "closing ", path);
    CO_RETURN_IF_ERROR(size.status(), "sizing ", path);
    if (*size > 0) co_return path;
  }
  co_return std::nullopt;
}

namespace {

// "P-I" → (P, I).
std::optional<std::pair<uint32_t, uint64_t>> ParsePartitionDirectory(absl::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '-');
  uint32_t partition = 0;
  uint64_t incarnation = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &partition) ||
      !absl::SimpleAtoi(parts[1], &incarnation)) {
    return std::nullopt;
  }
  return std::make_pair(partition, incarnation);
}

io::Task<absl::StatusOr<std::vector<io::DirectoryEntry>>> ListIfPresent(io::Storage& storage,
                                                                        std::string path) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      co_await io::ListDirectory(storage, path);
  if (io::IsEnoent(entries.status())) co_return std::vector<io::DirectoryEntry>{};
  CO_RETURN_IF_ERROR(entries.status(), "listing ", path);
  co_return std::move(entries).value();
}

}  // namespace

io::Task<absl::StatusOr<PartitionLogs>> RecoverPartitions(io::Storage& storage,
                                                          const metadata::MetadataState& state,
                                                          uint64_t created_through_op,
                                                          PartitionDefaults defaults,
                                                          BootLog& log,
                                                          PartitionReports* reports,
                                                          std::function<bool(uint64_t, uint64_t)> never_hosted) {
  PartitionLogs logs;
  for (const auto& [stream_id, stream] : state.streams) {
    for (const auto& [topic_id, topic] : stream.topics) {
      for (uint32_t partition_id = 0; partition_id < topic.partitions.size(); ++partition_id) {
        const uint64_t incarnation = topic.partitions[partition_id].incarnation;
        const partition::PartitionAddress address{stream_id, topic_id, partition_id, incarnation};
        CO_ASSIGN_OR_RETURN(
            const uint64_t namespace_id,
            metadata::PackNamespace(state.config.widths, {stream_id, topic_id, partition_id}));
        const partition::PartitionOptions options =
            OptionsFor(address, namespace_id, topic, defaults);
        const std::string directory = partition::PartitionDirectory(address);

        bool create = false;
        if (incarnation > created_through_op) {
          CO_ASSIGN_OR_RETURN(const bool has_record, co_await HasStateRecord(storage, directory));
          create = !has_record;
        } else if (never_hosted != nullptr && never_hosted(namespace_id, incarnation)) {
          CO_ASSIGN_OR_RETURN(const bool has_record, co_await HasStateRecord(storage, directory));
          if (!has_record) {
            log.decisions.push_back(absl::StrCat("partition ", directory, ": never hosted by this replica (no view "
                                                 "record): created now (its checkpoint came by state sync, B15)"));
          }
          create = !has_record;
        }
        if (create) {
          CO_ASSIGN_OR_RETURN(const std::optional<std::string> written,
                              co_await NonEmptySegment(storage, directory));
          if (written.has_value()) {
            co_return absl::DataLossError(absl::StrCat(
                "partition ", directory, " (created by op ", incarnation,
                ", replayed at boot) has no state record, but ", *written,
                " holds entries: its creation completed and the record was lost. Refusing to "
                "start rather than recreate it empty (rule B5); restore ",
                io::JoinPath(directory, partition::kStateRecordName),
                " from a replica or a backup."));
          }
          // Created by an op this boot replayed; the crash cut its files short.
          CO_RETURN_IF_ERROR(co_await RemoveTree(storage, directory));
          CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> created,
                              co_await partition::PartitionLog::Create(storage, options),
                              "creating partition ", directory, " (created by op ", incarnation,
                              ", replayed at boot)");
          log.decisions.push_back(absl::StrCat("partition ", directory, ": created now (its op ",
                                               incarnation, " was replayed from the WAL)"));
          logs.emplace(namespace_id, std::move(created));
          if (reports != nullptr) (*reports)[namespace_id] = {};
          continue;
        }
        partition::RecoveryReport report;
        absl::StatusOr<std::unique_ptr<partition::PartitionLog>> opening =
            co_await partition::PartitionLog::Open(storage, options, &report);
        bool record_lost = false;
        if (!opening.ok() && absl::IsDataLoss(opening.status()) &&
            absl::StrContains(opening.status().message(), partition::kStateRecordName)) {
          // A failed sync of the record's rewrite is not a lost record (rule B1).
          CO_ASSIGN_OR_RETURN(record_lost, co_await StateRecordLost(storage, directory), "recovering partition ",
                              directory);
        }
        if (record_lost && incarnation > created_through_op) {
          // A crash inside PartitionLog::Create can leave the record with no valid copy
          // yet: the creation never counted (it counts once the record is durable), so
          // the partition is created again — unless a segment holds entries (rule B5).
          CO_ASSIGN_OR_RETURN(const std::optional<std::string> written, co_await NonEmptySegment(storage, directory));
          if (!written.has_value()) {
            CO_RETURN_IF_ERROR(co_await RemoveTree(storage, directory));
            CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> created,
                                co_await partition::PartitionLog::Create(storage, options),
                                "creating partition ", directory, " again (its creation never completed)");
            log.decisions.push_back(absl::StrCat("partition ", directory, ": created again (", opening.status().message(),
                                                 "; no segment holds entries: its creation never completed)"));
            logs.emplace(namespace_id, std::move(created));
            if (reports != nullptr) (*reports)[namespace_id] = {};
            continue;
          }
        }
        if (record_lost && !options.single_node) {
          // A replica repairs a lost record from its peers (lost_state_record.h).
          CO_RETURN_IF_ERROR(co_await ReplaceLostStateRecord(storage, options, opening.status(), log),
                             "recovering partition ", directory);
          report = {};
          opening = co_await partition::PartitionLog::Open(storage, options, &report);
        } else if (!opening.ok() && absl::IsDataLoss(opening.status()) && !options.single_node) {
          // A listed segment missing (rule B5): a sealed one is repaired from peers, a
          // missing active one is a clear error naming `format --recover` (lost_state_record.h).
          CO_ASSIGN_OR_RETURN(const bool replaced,
                              co_await ReplaceLogMissingSegment(storage, options, opening.status(), log),
                              "recovering partition ", directory);
          if (replaced) {
            report = {};
            opening = co_await partition::PartitionLog::Open(storage, options, &report);
          }
        }
        CO_ASSIGN_OR_RETURN(std::unique_ptr<partition::PartitionLog> opened, std::move(opening),
                            "recovering partition ", directory);
        for (std::string& decision : report.decisions) {
          log.decisions.push_back(absl::StrCat("partition ", directory, ": ", decision));
        }
        for (std::string& warning : report.warnings) {
          log.warnings.push_back(absl::StrCat("partition ", directory, ": ", warning));
        }
        logs.emplace(namespace_id, std::move(opened));
        if (reports != nullptr) (*reports)[namespace_id] = std::move(report);
      }
    }
  }
  co_return logs;
}

io::Task<absl::Status> RemoveStaleIncarnations(io::Storage& storage,
                                               const metadata::MetadataState& state,
                                               BootLog& log, bool cluster,
                                               uint64_t checkpoint_op,
                                               std::vector<std::string>* deferred) {
  auto pending = [&](uint32_t s, uint32_t t, uint32_t p, uint64_t incarnation) {
    for (const auto& [id, step] : state.pending_steps) {
      if (step.stream == s && step.topic == t && step.partition == p &&
          step.incarnation == incarnation) {
        return true;
      }
    }
    return false;
  };
  auto current = [&](uint32_t s, uint32_t t, uint32_t p, uint64_t incarnation) {
    const auto stream = state.streams.find(s);
    if (stream == state.streams.end()) return false;
    const auto topic = stream->second.topics.find(t);
    if (topic == stream->second.topics.end()) return false;
    return p < topic->second.partitions.size() &&
           topic->second.partitions[p].incarnation == incarnation;
  };

  CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> streams,
                      co_await ListIfPresent(storage, "streams"));
  for (const io::DirectoryEntry& stream_entry : streams) {
    uint32_t s = 0;
    const std::string topics_path = io::JoinPath(io::JoinPath("streams", stream_entry.name), "topics");
    if (!absl::SimpleAtoi(stream_entry.name, &s)) {
      log.warnings.push_back(absl::StrCat("streams/", stream_entry.name, ": not a stream id; left alone"));
      continue;
    }
    CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> topics,
                        co_await ListIfPresent(storage, topics_path));
    for (const io::DirectoryEntry& topic_entry : topics) {
      uint32_t t = 0;
      const std::string partitions_path =
          io::JoinPath(io::JoinPath(topics_path, topic_entry.name), "partitions");
      if (!absl::SimpleAtoi(topic_entry.name, &t)) {
        log.warnings.push_back(absl::StrCat(topics_path, "/", topic_entry.name, ": not a topic id; left alone"));
        continue;
      }
      CO_ASSIGN_OR_RETURN(const std::vector<io::DirectoryEntry> partitions,
                          co_await ListIfPresent(storage, partitions_path));
      for (const io::DirectoryEntry& partition_entry : partitions) {
        const std::string path = io::JoinPath(partitions_path, partition_entry.name);
        const auto parsed = ParsePartitionDirectory(partition_entry.name);
        if (!parsed.has_value()) {
          log.warnings.push_back(absl::StrCat(path, ": not a partition directory; left alone"));
          continue;
        }
        const auto [p, incarnation] = *parsed;
        if (current(s, t, p, incarnation)) continue;
        if (pending(s, t, p, incarnation)) {
          log.decisions.push_back(absl::StrCat(path, ": kept for its pending deletion step"));
          continue;
        }
        if (incarnation > state.last_applied_op && cluster) {
          log.decisions.push_back(absl::StrCat(path, ": kept (incarnation ", incarnation,
                                               " is above the applied op ", state.last_applied_op,
                                               ": its op is committed again by VSR, rule B16)"));
          continue;
        }
        if (incarnation > state.last_applied_op) {
          // Partitions are created only once their op is committed, so this directory
          // proves op `incarnation` committed although the metadata lost it: it is not
          // stale, and removing it would drop acknowledged data (rule B7).
          co_return absl::DataLossError(absl::StrCat(
              path, ": incarnation ", incarnation, " is above the recovered metadata's last op ",
              state.last_applied_op, ": the op that created it was committed but the metadata "
              "no longer has it. Refusing to start rather than remove the directory (rule B7); "
              "restore the metadata from a replica or a backup, or inspect it with `sluice "
              "inspect`."));
        }
        if (deferred != nullptr && state.last_applied_op > checkpoint_op) {
          deferred->push_back(path);
          log.decisions.push_back(absl::StrCat(
              path, ": stale (incarnation ", incarnation, " is not in the recovered metadata), removed once a ",
              "checkpoint covers op ", state.last_applied_op, " (the deletion was replayed above checkpoint op ",
              checkpoint_op, "; rule B5)"));
          continue;
        }
        CO_RETURN_IF_ERROR(co_await RemoveTree(storage, path));
        log.decisions.push_back(absl::StrCat(
            path, ": removed (incarnation ", incarnation, " is not in the recovered metadata)"));
      }
    }
  }
  co_return absl::OkStatus();
}

}  // namespace sluice::bootstrap
