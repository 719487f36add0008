// The rules between values, checked once every value is in range (LoadConfig and
// ValidateConfig). Each message names every key involved and where its value came from.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/config/config_keys.h"

namespace sluice::config::internal {
namespace {

using Origin = absl::FunctionRef<std::string(absl::string_view path)>;

// "path = value (origin)"; no parentheses when the origin is unknown ("").
std::string From(absl::string_view path, const Origin& origin) {
  const std::string where = origin(path);
  return where.empty() ? "" : absl::StrCat(" (", where, ")");
}

std::string Named(absl::string_view path, const Origin& origin, absl::string_view value) {
  return absl::StrCat(path, " = ", value, From(path, origin));
}

bool IsWildcard(absl::string_view host) { return host == "0.0.0.0" || host == "::"; }

void CheckNamespace(const Config& config, const Origin& origin, std::vector<std::string>& out) {
  const absl::Status widths = superblock::ValidateNamespaceWidths(config.namespace_widths);
  if (widths.ok()) return;
  const superblock::NamespaceWidths& w = config.namespace_widths;
  out.push_back(absl::StrCat(
      widths.message(), ": ",
      Named("system.namespace.stream_bits", origin, absl::StrCat(w.stream_bits)), ", ",
      Named("system.namespace.topic_bits", origin, absl::StrCat(w.topic_bits)), ", ",
      Named("system.namespace.partition_bits", origin, absl::StrCat(w.partition_bits))));
}

void CheckCluster(const Config& config, const Origin& origin, std::vector<std::string>& out) {
  const ClusterConfig& cluster = config.cluster;
  const std::string count =
      Named("cluster.replica_count", origin, absl::StrCat(cluster.replica_count));
  if (cluster.replica_index >= cluster.replica_count) {
    out.push_back(absl::StrCat(
        "the replica index must be below the replica count: ",
        Named("cluster.replica_index", origin, absl::StrCat(cluster.replica_index)), ", ", count));
  }
  if (cluster.replicas.size() != cluster.replica_count) {
    out.push_back(absl::StrCat("cluster.replicas must list one address per replica: it has ",
                               cluster.replicas.size(), From("cluster.replicas", origin), ", ",
                               count));
  }
  // An empty list is allowed here (format needs none); `sluice-server start` of a
  // cluster requires replica_count entries.
  if (!cluster.clients.empty() && cluster.clients.size() != cluster.replica_count) {
    out.push_back(absl::StrCat("cluster.clients must list one client address per replica: it has ",
                               cluster.clients.size(), From("cluster.clients", origin), ", ", count));
  }
  if (cluster.replica_count > 1 && cluster.id == 0) {
    out.push_back(absl::StrCat(
        "a cluster of more than one replica needs a non-zero cluster id, so replicas of "
        "different clusters never talk to each other: ",
        Named("cluster.id", origin, FormatHex128(cluster.id)), ", ", count));
  }
}

void CheckListeners(const Config& config, const Origin& origin, std::vector<std::string>& out) {
  const HostPort& clients = config.tcp.address;
  const HostPort& replicas = config.tcp.replica_address;
  const bool same_host =
      absl::AsciiStrToLower(clients.host) == absl::AsciiStrToLower(replicas.host) ||
      IsWildcard(clients.host) || IsWildcard(replicas.host);
  if (clients.port != 0 && clients.port == replicas.port && same_host) {
    out.push_back(absl::StrCat("the client and replica listeners cannot share a port: ",
                               Named("tcp.address", origin, ToString(clients)), ", ",
                               Named("tcp.replica_address", origin, ToString(replicas))));
  }
}

void CheckTimeouts(const Config& config, const Origin& origin, std::vector<std::string>& out) {
  const TimeoutsConfig& t = config.timeouts;
  auto ms = [](uint64_t ticks) { return absl::StrCat(ticks * kTickMs); };
  if (t.primary_timeout_ticks < 2 * t.heartbeat_interval_ticks) {
    out.push_back(absl::StrCat(
        "a backup must be able to miss a heartbeat before it starts a view change: "
        "timeouts.primary_timeout_ms must be at least twice timeouts.heartbeat_interval_ms: ",
        Named("timeouts.primary_timeout_ms", origin, ms(t.primary_timeout_ticks)), ", ",
        Named("timeouts.heartbeat_interval_ms", origin, ms(t.heartbeat_interval_ticks))));
  }
  if (t.view_change_resend_ticks >= t.view_change_timeout_ticks) {
    out.push_back(absl::StrCat(
        "view-change messages must be resent before the view change times out: "
        "timeouts.view_change_resend_ms must be below timeouts.view_change_timeout_ms: ",
        Named("timeouts.view_change_resend_ms", origin, ms(t.view_change_resend_ticks)), ", ",
        Named("timeouts.view_change_timeout_ms", origin, ms(t.view_change_timeout_ticks))));
  }
}

void CheckLimits(const Config& config, const Origin& origin, std::vector<std::string>& out) {
  const LimitsConfig& l = config.limits;
  const uint64_t prepare_bytes = l.prepare_size_max_bytes + kPrepareHeaderBytes;
  const std::string prepare =
      Named("limits.prepare_size_max_bytes", origin, absl::StrCat(l.prepare_size_max_bytes));
  if (l.group_commit_bytes_max < prepare_bytes) {
    out.push_back(absl::StrCat(
        "a group commit must hold the largest prepare with its ", kPrepareHeaderBytes,
        "-byte header (", prepare_bytes, " bytes): ",
        Named("limits.group_commit_bytes_max", origin, absl::StrCat(l.group_commit_bytes_max)),
        ", ", prepare));
  }
  // Both factors are bounded (pipeline_max <= 256, a prepare <= 64 MiB): no overflow.
  const uint64_t pipeline_bytes = l.pipeline_max * prepare_bytes;
  if (l.memory_budget_bytes < pipeline_bytes) {
    out.push_back(absl::StrCat(
        "the memory budget must hold a full pipeline of largest prepares (", l.pipeline_max, " x ",
        prepare_bytes, " = ", pipeline_bytes, " bytes): ",
        Named("limits.memory_budget_bytes", origin, absl::StrCat(l.memory_budget_bytes)), ", ",
        Named("limits.pipeline_max", origin, absl::StrCat(l.pipeline_max)), ", ", prepare));
  }
}

}  // namespace

std::vector<std::string> CheckRulesBetweenValues(const Config& config, Origin origin) {
  std::vector<std::string> problems;
  CheckNamespace(config, origin, problems);
  CheckCluster(config, origin, problems);
  CheckListeners(config, origin, problems);
  CheckTimeouts(config, origin, problems);
  CheckLimits(config, origin, problems);
  return problems;
}

}  // namespace sluice::config::internal
