#include "core/config/config_keys.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"

namespace sluice::config::internal {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// Accessors: each key reads and writes one Config field through a Value.
#define SLUICE_CONFIG_UNSIGNED(field)                                                         \
  [](const Config& c) -> Value { return uint64_t{c.field}; }, [](Config& c, const Value& v) { \
    c.field = static_cast<decltype(c.field)>(std::get<uint64_t>(v));                          \
  }
#define SLUICE_CONFIG_TICKS(field)                            \
  [](const Config& c) -> Value { return c.field * kTickMs; }, \
      [](Config& c, const Value& v) { c.field = std::get<uint64_t>(v) / kTickMs; }
#define SLUICE_CONFIG_FIELD(type, field)            \
  [](const Config& c) -> Value { return c.field; }, \
      [](Config& c, const Value& v) { c.field = std::get<type>(v); }

// The order here is the README's and the rendered file's; keys of one table together.
const KeySpec kKeys[] = {
    {"system.namespace", "stream_bits", ValueKind::kUnsigned, 1, 64, 1,
     "bits of a stream id in a partition group's namespace; the three widths sum to at "
     "most 63 (rule B9); fixed at format",
     SLUICE_CONFIG_UNSIGNED(namespace_widths.stream_bits)},
    {"system.namespace", "topic_bits", ValueKind::kUnsigned, 1, 64, 1,
     "bits of a topic id (rule B9); fixed at format",
     SLUICE_CONFIG_UNSIGNED(namespace_widths.topic_bits)},
    {"system.namespace", "partition_bits", ValueKind::kUnsigned, 1, 64, 1,
     "bits of a partition id (rule B9); fixed at format",
     SLUICE_CONFIG_UNSIGNED(namespace_widths.partition_bits)},

    {"cluster", "id", ValueKind::kHex128, 0, 0, 1,
     "the cluster id (128 bits, hex); fixed at format; must be non-zero when replica_count > 1",
     SLUICE_CONFIG_FIELD(absl::uint128, cluster.id)},
    {"cluster", "replica_count", ValueKind::kUnsigned, 1, kReplicaCountMax, 1,
     "replicas in the cluster; fixed at format", SLUICE_CONFIG_UNSIGNED(cluster.replica_count)},
    {"cluster", "replica_index", ValueKind::kUnsigned, 0, kReplicaCountMax - 1, 1,
     "this replica's index, below replica_count; fixed at format",
     SLUICE_CONFIG_UNSIGNED(cluster.replica_index)},
    {"cluster", "replicas", ValueKind::kAddressList, 1, kReplicaCountMax, 1,
     "every replica's address (how peers reach it), in index order: replica_count entries",
     SLUICE_CONFIG_FIELD(std::vector<HostPort>, cluster.replicas)},
    {"cluster", "clients", ValueKind::kAddressList, 0, kReplicaCountMax, 1,
     "every replica's client address (the roster clients are sent to; where a backup relays "
     "writes), in index order: replica_count entries when replica_count > 1",
     SLUICE_CONFIG_FIELD(std::vector<HostPort>, cluster.clients)},

    {"tcp", "address", ValueKind::kAddress, 0, 0, 1,
     "the client listener (Iggy's client protocol; port 0 picks a free port)",
     SLUICE_CONFIG_FIELD(HostPort, tcp.address)},
    {"tcp", "replica_address", ValueKind::kAddress, 0, 0, 1,
     "the replica-to-replica listener (port 0 picks a free port)",
     SLUICE_CONFIG_FIELD(HostPort, tcp.replica_address)},
    {"tcp", "client_frame_size_max_bytes", ValueKind::kUnsigned, 4096, 64 * kMiB, 1,
     "the largest frame a client may send, its 256-byte header included",
     SLUICE_CONFIG_UNSIGNED(tcp.client_frame_size_max_bytes)},

    {"root", "username", ValueKind::kString, 3, 50, 1,
     "the root user's name; the first primary creates the root user from [root] once",
     SLUICE_CONFIG_FIELD(std::string, root.username)},
    {"root", "password", ValueKind::kString, 3, 100, 1,
     "the root user's password; read only by the first primary, which hashes it before "
     "it enters the log; never written to the data directory",
     SLUICE_CONFIG_FIELD(std::string, root.password), true},

    {"data", "directory", ValueKind::kString, 1, 4096, 1,
     "the data directory (superblock, metadata, partitions, runtime/)",
     SLUICE_CONFIG_FIELD(std::string, data.directory)},

    {"recovery", "clamp_consumer_offsets", ValueKind::kBool, 0, 0, 1,
     "rule B3's opt-in: on a single node, clamp consumer offsets past the end of the log "
     "(each clamp logged) instead of refusing to boot",
     SLUICE_CONFIG_FIELD(bool, recovery.clamp_consumer_offsets)},

    {"timeouts", "heartbeat_interval_ms", ValueKind::kMilliseconds, 10, 60'000, kTickMs,
     "primary: commit heartbeat period", SLUICE_CONFIG_TICKS(timeouts.heartbeat_interval_ticks)},
    {"timeouts", "primary_timeout_ms", ValueKind::kMilliseconds, 20, 600'000, kTickMs,
     "backup: heartbeat silence before it starts a view change (at least two heartbeats)",
     SLUICE_CONFIG_TICKS(timeouts.primary_timeout_ticks)},
    {"timeouts", "view_change_timeout_ms", ValueKind::kMilliseconds, 20, 600'000, kTickMs,
     "a view change not done by then moves on to the next view",
     SLUICE_CONFIG_TICKS(timeouts.view_change_timeout_ticks)},
    {"timeouts", "view_change_resend_ms", ValueKind::kMilliseconds, 10, 60'000, kTickMs,
     "resend period of start_view_change / do_view_change, below view_change_timeout_ms",
     SLUICE_CONFIG_TICKS(timeouts.view_change_resend_ticks)},
    {"timeouts", "prepare_retry_ms", ValueKind::kMilliseconds, 10, 60'000, kTickMs,
     "primary: resend prepares not yet acknowledged",
     SLUICE_CONFIG_TICKS(timeouts.prepare_retry_ticks)},
    {"timeouts", "repair_retry_ms", ValueKind::kMilliseconds, 10, 60'000, kTickMs,
     "resend period of repair requests for a lagging group",
     SLUICE_CONFIG_TICKS(timeouts.repair_retry_ticks)},
    {"timeouts", "forward_timeout_ms", ValueKind::kMilliseconds, 10, 600'000, kTickMs,
     "backup: give up on a client request forwarded to the primary (the client retries)",
     SLUICE_CONFIG_TICKS(timeouts.forward_timeout_ticks)},
    // At least three of the backups' 1 s activity reports (ClusterReplicaOptions::
    // activity_report_interval_ticks), so one lost report never expires a live client.
    {"timeouts", "session_idle_ms", ValueKind::kMilliseconds, 3'000, 7 * 86'400'000ULL, kTickMs,
     "primary: expire a client session idle this long (a replicated operation)",
     SLUICE_CONFIG_TICKS(timeouts.session_idle_ticks)},
    {"timeouts", "consumer_group_member_dead_ms", ValueKind::kMilliseconds, 3'000, 86'400'000,
     kTickMs, "primary: remove a consumer-group member silent this long (a replicated operation)",
     SLUICE_CONFIG_TICKS(timeouts.consumer_group_member_dead_ticks)},

    {"limits", "wal_slot_count", ValueKind::kUnsigned, 2, uint64_t{1} << 20, 1,
     "slots in the metadata WAL ring; fixed at format",
     SLUICE_CONFIG_UNSIGNED(limits.wal_slot_count)},
    {"limits", "wal_slot_size_bytes", ValueKind::kUnsigned, 4096, kGiB, 512,
     "one metadata WAL slot: the largest metadata prepare, header included; fixed at format",
     SLUICE_CONFIG_UNSIGNED(limits.wal_slot_size_bytes)},
    {"limits", "prepare_size_max_bytes", ValueKind::kUnsigned, 4096, 64 * kMiB, 1,
     "the largest partition prepare body (one message batch); the 256-byte header is extra",
     SLUICE_CONFIG_UNSIGNED(limits.prepare_size_max_bytes)},
    {"limits", "group_commit_bytes_max", ValueKind::kUnsigned, 4096, kGiB, 1,
     "one group commit's write at most; holds at least one largest prepare with its header",
     SLUICE_CONFIG_UNSIGNED(limits.group_commit_bytes_max)},
    {"limits", "pipeline_max", ValueKind::kUnsigned, 1, 256, 1,
     "uncommitted ops in flight per consensus group", SLUICE_CONFIG_UNSIGNED(limits.pipeline_max)},
    {"limits", "memory_budget_bytes", ValueKind::kUnsigned, kMiB, uint64_t{1} << 40, 1,
     "memory for the pipeline and slow readers, per replica (backpressure beyond it); holds "
     "at least a full pipeline of largest prepares",
     SLUICE_CONFIG_UNSIGNED(limits.memory_budget_bytes)},
    {"limits", "clients_max", ValueKind::kUnsigned, 1, 65'536, 1,
     "client table entries (sessions), replicated in the metadata snapshot; fixed at format",
     SLUICE_CONFIG_UNSIGNED(limits.clients_max)},
};

#undef SLUICE_CONFIG_UNSIGNED
#undef SLUICE_CONFIG_TICKS
#undef SLUICE_CONFIG_FIELD

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF), as TOML requires.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<uint8_t>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (byte < 0x80) {
      length = 1;
      code_point = byte;
    } else if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<uint8_t>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    i += length;
  }
  return true;
}

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<uint8_t>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

std::string CheckString(const KeySpec& key, const std::string& text) {
  if (!IsValidUtf8(text)) return absl::StrCat("found ", text.size(), " bytes that are not UTF-8");
  if (HasControlCharacter(text)) {
    return key.secret ? "found a control character"
                      : absl::StrCat("found ", QuoteTomlString(text), " (a control character)");
  }
  if (text.size() < key.min || text.size() > key.max) {
    return key.secret ? absl::StrCat("found ", text.size(), " bytes")
                      : absl::StrCat("found ", QuoteTomlString(text), " (", text.size(), " bytes)");
  }
  return "";
}

std::string CheckAddress(const HostPort& address, uint64_t port_min) {
  if (!IsValidHost(address.host) || address.port < port_min) {
    return absl::StrCat("found ", QuoteTomlString(ToString(address)));
  }
  return "";
}

std::string CheckAddressList(const KeySpec& key, const std::vector<HostPort>& addresses) {
  if (addresses.size() < key.min || addresses.size() > key.max) {
    return absl::StrCat("found ", addresses.size(), " addresses");
  }
  std::set<std::pair<std::string, uint16_t>> seen;
  for (const HostPort& address : addresses) {
    if (std::string problem = CheckAddress(address, 1); !problem.empty()) return problem;
    if (!seen.emplace(absl::AsciiStrToLower(address.host), address.port).second) {
      return absl::StrCat("found ", QuoteTomlString(ToString(address)), " twice");
    }
  }
  return "";
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string KeySpec::Path() const { return absl::StrCat(table, ".", name); }

std::string KeySpec::EnvironmentVariable() const {
  std::string name = absl::StrCat("SLUICE_", Path());
  std::replace(name.begin(), name.end(), '.', '_');
  return absl::AsciiStrToUpper(name);
}

std::string KeySpec::Expected() const {
  switch (kind) {
    case ValueKind::kUnsigned:
      return absl::StrCat("an integer in [", min, ", ", max, "]",
                          multiple_of > 1 ? absl::StrCat(", a multiple of ", multiple_of) : "");
    case ValueKind::kMilliseconds:
      return absl::StrCat("a number of milliseconds in [", min, ", ", max, "], a multiple of the ",
                          kTickMs, " ms tick");
    case ValueKind::kBool:
      return "true or false";
    case ValueKind::kString:
      return absl::StrCat("a string of ", min, " to ", max,
                          " bytes (UTF-8, no control characters)");
    case ValueKind::kAddress:
      return absl::StrCat("an address \"host:port\" (an IPv6 host in brackets) with port in [", min,
                          ", 65535]");
    case ValueKind::kAddressList:
      return absl::StrCat("an array of ", min, " to ", max,
                          " distinct addresses \"host:port\" with port in [1, 65535]");
    case ValueKind::kHex128:
      return "a string of 1 to 32 hex digits, optionally prefixed 0x";
  }
  SLUICE_UNREACHABLE("value kind ", static_cast<int>(kind));
}

absl::Span<const KeySpec> Keys() { return kKeys; }

const KeySpec* FindKeyByPath(absl::string_view path) {
  for (const KeySpec& key : kKeys) {
    if (key.Path() == path) return &key;
  }
  return nullptr;
}

const KeySpec* FindKeyByEnvironmentVariable(absl::string_view name) {
  for (const KeySpec& key : kKeys) {
    if (key.EnvironmentVariable() == name) return &key;
  }
  return nullptr;
}

bool IsKnownTable(absl::string_view table) {
  for (const KeySpec& key : kKeys) {
    if (key.table == table || absl::StartsWith(key.table, absl::StrCat(table, "."))) return true;
  }
  return false;
}

std::optional<std::string> Suggest(absl::string_view misspelt,
                                   const std::vector<std::string>& known) {
  const size_t threshold = std::max<size_t>(2, misspelt.size() / 4);
  std::optional<std::string> best;
  size_t best_distance = threshold + 1;
  for (const std::string& candidate : known) {
    const size_t distance =
        EditDistance(absl::AsciiStrToLower(misspelt), absl::AsciiStrToLower(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

bool IsValidHost(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (absl::StrContains(host, ':')) {  // IPv6 (rendered in brackets)
    return std::all_of(host.begin(), host.end(),
                       [](char c) { return absl::ascii_isxdigit(c) || c == ':' || c == '.'; });
  }
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '.' || c == '-'; });
}

std::optional<HostPort> ParseHostPort(absl::string_view text) {
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!absl::StrContains(host, ':')) return std::nullopt;  // brackets only for IPv6
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (absl::StrContains(host, ':')) return std::nullopt;  // IPv6 needs brackets
  }
  if (!IsValidHost(host) || port.empty() || port.size() > 5) return std::nullopt;
  if (!std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) return std::nullopt;
  uint32_t number = 0;
  if (!absl::SimpleAtoi(port, &number) || number > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<uint16_t>(number)};
}

std::optional<absl::uint128> ParseHex128(absl::string_view text) {
  if (absl::StartsWith(text, "0x") || absl::StartsWith(text, "0X")) text.remove_prefix(2);
  if (text.empty() || text.size() > 32) return std::nullopt;
  absl::uint128 value = 0;
  for (const char c : text) {
    if (!absl::ascii_isxdigit(c)) return std::nullopt;
    const int digit = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

std::string FormatHex128(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

std::string CheckValue(const KeySpec& key, const Value& value) {
  switch (key.kind) {
    case ValueKind::kUnsigned:
    case ValueKind::kMilliseconds: {
      SLUICE_ASSERT(key.kind != ValueKind::kMilliseconds || key.multiple_of == kTickMs,
                    "timeout key ", key.Path(), " must be counted in whole ticks");
      SLUICE_ASSERT(key.multiple_of > 0, "key ", key.Path());
      const uint64_t number = std::get<uint64_t>(value);
      if (number < key.min || number > key.max) return absl::StrCat("found ", number);
      if (number % key.multiple_of != 0) {
        return absl::StrCat("found ", number, " (not a multiple of ", key.multiple_of, ")");
      }
      return "";
    }
    case ValueKind::kBool:
    case ValueKind::kHex128:
      return "";
    case ValueKind::kString:
      return CheckString(key, std::get<std::string>(value));
    case ValueKind::kAddress:
      return CheckAddress(std::get<HostPort>(value), key.min);
    case ValueKind::kAddressList:
      return CheckAddressList(key, std::get<std::vector<HostPort>>(value));
  }
  SLUICE_UNREACHABLE("value kind ", static_cast<int>(key.kind));
}

std::optional<Value> ParseEnvironmentValue(const KeySpec& key, absl::string_view text) {
  switch (key.kind) {
    case ValueKind::kUnsigned:
    case ValueKind::kMilliseconds: {
      uint64_t number = 0;
      if (text.empty() || !std::all_of(text.begin(), text.end(), absl::ascii_isdigit) ||
          !absl::SimpleAtoi(text, &number)) {
        return std::nullopt;
      }
      return Value(number);
    }
    case ValueKind::kBool:
      if (text == "true") return Value(true);
      if (text == "false") return Value(false);
      return std::nullopt;
    case ValueKind::kString:
      return Value(std::string(text));
    case ValueKind::kAddress: {
      std::optional<HostPort> address = ParseHostPort(text);
      if (!address) return std::nullopt;
      return Value(*std::move(address));
    }
    case ValueKind::kAddressList: {
      std::vector<HostPort> addresses;
      if (absl::StripAsciiWhitespace(text).empty()) return Value(addresses);
      for (absl::string_view part : absl::StrSplit(text, ',')) {
        std::optional<HostPort> address = ParseHostPort(absl::StripAsciiWhitespace(part));
        if (!address) return std::nullopt;
        addresses.push_back(*std::move(address));
      }
      return Value(std::move(addresses));
    }
    case ValueKind::kHex128: {
      std::optional<absl::uint128> id = ParseHex128(text);
      if (!id) return std::nullopt;
      return Value(*id);
    }
  }
  SLUICE_UNREACHABLE("value kind ", static_cast<int>(key.kind));
}

std::string QuoteTomlString(absl::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&quoted, "\\", absl::string_view(&c, 1));
    } else if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&quoted, "\\u", absl::Hex(byte, absl::kZeroPad4));
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('"');
  return quoted;
}

std::string RenderTomlValue(const KeySpec& key, const Value& value) {
  switch (key.kind) {
    case ValueKind::kUnsigned:
    case ValueKind::kMilliseconds:
      return absl::StrCat(std::get<uint64_t>(value));
    case ValueKind::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case ValueKind::kString:
      return QuoteTomlString(std::get<std::string>(value));
    case ValueKind::kAddress:
      return QuoteTomlString(ToString(std::get<HostPort>(value)));
    case ValueKind::kAddressList: {
      std::vector<std::string> items;
      for (const HostPort& address : std::get<std::vector<HostPort>>(value)) {
        items.push_back(QuoteTomlString(ToString(address)));
      }
      return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    }
    case ValueKind::kHex128:
      return QuoteTomlString(FormatHex128(std::get<absl::uint128>(value)));
  }
  SLUICE_UNREACHABLE("value kind ", static_cast<int>(key.kind));
}

std::string RenderEnvironmentValue(const KeySpec& key, const Value& value) {
  switch (key.kind) {
    case ValueKind::kString:
      return std::get<std::string>(value);
    case ValueKind::kAddress:
      return ToString(std::get<HostPort>(value));
    case ValueKind::kAddressList: {
      std::vector<std::string> items;
      for (const HostPort& address : std::get<std::vector<HostPort>>(value)) {
        items.push_back(ToString(address));
      }
      return absl::StrJoin(items, ",");
    }
    case ValueKind::kHex128:
      return FormatHex128(std::get<absl::uint128>(value));
    case ValueKind::kUnsigned:
    case ValueKind::kMilliseconds:
    case ValueKind::kBool:
      return RenderTomlValue(key, value);
  }
  SLUICE_UNREACHABLE("value kind ", static_cast<int>(key.kind));
}

bool LooksLikeSegmentSize(absl::string_view name) {
  return absl::StrContains(absl::AsciiStrToLower(name), "segment");
}

std::string SegmentSizeMessage() {
  return "segment size is not a local setting: it is a topic setting, replicated with the "
         "topic (CreateTopic), so that every replica rolls its segments at the same op; a "
         "local value would let replicas' segment files disagree. Remove this key";
}

}  // namespace sluice::config::internal
