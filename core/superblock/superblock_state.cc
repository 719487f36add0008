#include "core/superblock/superblock_state.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sluice::superblock {
namespace {

std::string WidthsToString(const NamespaceWidths& widths) {
  return absl::StrCat("stream ", widths.stream_bits, " + topic ", widths.topic_bits,
                      " + partition ", widths.partition_bits, " bits");
}

}  // namespace

std::string Hex128(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

absl::Status ValidateNamespaceWidths(const NamespaceWidths& widths) {
  constexpr uint32_t kWidthMax = 64;
  for (const uint8_t width : {widths.stream_bits, widths.topic_bits, widths.partition_bits}) {
    if (width > kWidthMax) {
      return absl::InvalidArgumentError(absl::StrCat("rule B9: namespace widths ",
                                                     WidthsToString(widths),
                                                     ": each width must be at most ", kWidthMax));
    }
  }
  // A plain sum: three values of at most 64 cannot overflow 32 bits (rule B9).
  const uint32_t sum = uint32_t{widths.stream_bits} + widths.topic_bits + widths.partition_bits;
  if (sum > kNamespaceIdBitsMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rule B9: namespace widths ", WidthsToString(widths), " sum to ", sum, " bits; at most ",
        kNamespaceIdBitsMax, " fit below bit 63, which marks partition groups"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSuperblockState(const SuperblockState& state) {
  if (absl::Status widths = ValidateNamespaceWidths(state.namespace_widths); !widths.ok()) {
    return widths;
  }
  if (state.replica_count == 0 || state.replica_index >= state.replica_count) {
    return absl::InvalidArgumentError(absl::StrCat("replica index ", state.replica_index,
                                                   " is not below replica count ",
                                                   state.replica_count));
  }
  if (state.metadata_log_view > state.view) {
    return absl::InvalidArgumentError(absl::StrCat("metadata log view ", state.metadata_log_view,
                                                   " is above view ", state.view,
                                                   " (VSR: log view <= view)"));
  }
  if (state.metadata_checkpoint.op > state.metadata_commit_watermark) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata checkpoint op ", state.metadata_checkpoint.op,
                     " is above the metadata commit watermark ", state.metadata_commit_watermark,
                     " (a checkpoint covers only committed ops)"));
  }
  const LogViewTableReference& table = state.partition_log_views;
  if ((table.op == 0) != (table.checksum == 0)) {
    return absl::InvalidArgumentError(absl::StrCat("partition log-view table reference op ",
                                                   table.op, " checksum ", Hex128(table.checksum),
                                                   ": both must be zero (no table) or both set"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSuccessor(const SuperblockState& current, const SuperblockState& next) {
  std::vector<std::string> problems;
  auto fixed = [&problems](absl::string_view field, const std::string& from,
                           const std::string& to) {
    if (from != to) {
      problems.push_back(absl::StrCat(field, " is fixed at format: ", from, " -> ", to));
    }
  };
  fixed("cluster id", Hex128(current.cluster_id), Hex128(next.cluster_id));
  fixed("replica index", absl::StrCat(current.replica_index), absl::StrCat(next.replica_index));
  fixed("replica count", absl::StrCat(current.replica_count), absl::StrCat(next.replica_count));
  fixed("namespace widths", WidthsToString(current.namespace_widths),
        WidthsToString(next.namespace_widths));
  auto forward = [&problems](absl::string_view field, uint64_t from, uint64_t to) {
    if (to < from) {
      problems.push_back(absl::StrCat(field, " would move backwards: ", from, " -> ", to));
    }
  };
  forward("view", current.view, next.view);
  forward("metadata log view", current.metadata_log_view, next.metadata_log_view);
  forward("partition log-view table op", current.partition_log_views.op,
          next.partition_log_views.op);
  forward("metadata checkpoint op", current.metadata_checkpoint.op, next.metadata_checkpoint.op);
  forward("metadata commit watermark", current.metadata_commit_watermark,
          next.metadata_commit_watermark);
  if (!current.recovering && next.recovering) {
    problems.push_back("recovering is set only by `format --recover` (rule B17)");
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("superblock update refused: ", absl::StrJoin(problems, "; ")));
}

absl::Status ValidateAgainstConfig(const SuperblockState& state, absl::uint128 cluster_id,
                                   uint8_t replica_index, uint8_t replica_count,
                                   const NamespaceWidths& widths) {
  if (absl::Status config_widths = ValidateNamespaceWidths(widths); !config_widths.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", config_widths.message()));
  }
  std::vector<std::string> mismatches;
  if (state.cluster_id != cluster_id) {
    mismatches.push_back(absl::StrCat("superblock cluster id ", Hex128(state.cluster_id),
                                      " differs from config ", Hex128(cluster_id)));
  }
  if (state.replica_index != replica_index) {
    mismatches.push_back(absl::StrCat("superblock replica index ", state.replica_index,
                                      " differs from config ", replica_index));
  }
  if (state.replica_count != replica_count) {
    mismatches.push_back(absl::StrCat("superblock replica count ", state.replica_count,
                                      " differs from config ", replica_count));
  }
  if (state.namespace_widths != widths) {
    mismatches.push_back(absl::StrCat(
        "superblock namespace widths (", WidthsToString(state.namespace_widths),
        ") differ from config (", WidthsToString(widths), "); widths are fixed at format time"));
  }
  if (mismatches.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "data directory belongs to another replica or cluster: ", absl::StrJoin(mismatches, "; ")));
}

std::string ToString(const SuperblockState& state) {
  return absl::StrCat("cluster ", Hex128(state.cluster_id), " replica ", state.replica_index, "/",
                      state.replica_count, " widths ", WidthsToString(state.namespace_widths),
                      " checkpoint op ", state.metadata_checkpoint.op, " snapshot ",
                      Hex128(state.metadata_checkpoint.snapshot_checksum), " prepare ",
                      Hex128(state.metadata_checkpoint.prepare_checksum), " view ", state.view,
                      " metadata log view ", state.metadata_log_view, " log-view table op ",
                      state.partition_log_views.op, " checksum ",
                      Hex128(state.partition_log_views.checksum), " commit watermark ",
                      state.metadata_commit_watermark, state.recovering ? " recovering" : "");
}

std::ostream& operator<<(std::ostream& out, const SuperblockState& state) {
  return out << ToString(state);
}

}  // namespace sluice::superblock
