#pragma once
// Internal to core/config: the table of keys, the one place that says which keys
// exist, where each lives in Config, its range and its environment variable. Loading,
// validation, rendering and README.md's table all follow it.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/config/config.h"

namespace sluice::config::internal {

enum class ValueKind : uint8_t {
  kUnsigned,      // a TOML integer: [min, max], a multiple of `multiple_of`
  kMilliseconds,  // a TOML integer of ms: [min, max], a multiple of kTickMs; held in ticks
  kBool,          // true / false
  kString,        // UTF-8 without control characters, [min, max] bytes
  kAddress,       // "host:port", port in [min, 65535]
  kAddressList,   // array of "host:port", [min, max] entries, ports >= 1
  kHex128,        // "0x" + 1..32 hex digits
};

using Value =
    std::variant<uint64_t, bool, std::string, HostPort, std::vector<HostPort>, absl::uint128>;

struct KeySpec {
  absl::string_view table;  // "system.namespace"
  absl::string_view name;   // "stream_bits"
  ValueKind kind;
  uint64_t min = 0;
  uint64_t max = 0;
  uint64_t multiple_of = 1;
  absl::string_view description;
  // kMilliseconds: get returns and set takes milliseconds.
  Value (*get)(const Config&) = nullptr;
  void (*set)(Config&, const Value&) = nullptr;
  bool secret = false;  // never echoed in messages, redacted from the effective config

  std::string Path() const;                 // "system.namespace.stream_bits"
  std::string EnvironmentVariable() const;  // "SLUICE_SYSTEM_NAMESPACE_STREAM_BITS"
  std::string Expected() const;             // "an integer in [1, 64]"
};

// Every key, in README order (and rendering order: grouped by table).
absl::Span<const KeySpec> Keys();

const KeySpec* FindKeyByPath(absl::string_view path);
const KeySpec* FindKeyByEnvironmentVariable(absl::string_view name);

// True if `table` is a known table or a prefix of one ("system" of "system.namespace").
bool IsKnownTable(absl::string_view table);

// The nearest known name to a misspelt one, if it is close (for "did you mean").
std::optional<std::string> Suggest(absl::string_view misspelt,
                                   const std::vector<std::string>& known);

// "" when `value` is acceptable for `key`, else what was found ("found 70"), for
// "<key>: expected <Expected()>, <found>". A secret's value is never shown.
std::string CheckValue(const KeySpec& key, const Value& value);

// Parsers for the environment's text form (and the helpers the TOML path shares);
// nullopt when `text` is not of the key's kind.
std::optional<Value> ParseEnvironmentValue(const KeySpec& key, absl::string_view text);
std::optional<HostPort> ParseHostPort(absl::string_view text);
bool IsValidHost(absl::string_view host);
std::optional<absl::uint128> ParseHex128(absl::string_view text);

// Text forms.
std::string RenderTomlValue(const KeySpec& key, const Value& value);
std::string RenderEnvironmentValue(const KeySpec& key, const Value& value);
std::string QuoteTomlString(absl::string_view text);
std::string FormatHex128(absl::uint128 value);

// The message for a segment-size key, which is never local config.
bool LooksLikeSegmentSize(absl::string_view name);
std::string SegmentSizeMessage();

// The rules between values; each problem is one line. `origin(path)` names where the
// key's value came from, for messages ("config.toml:3:15", "SLUICE_X", "default").
std::vector<std::string> CheckRulesBetweenValues(
    const Config& config, absl::FunctionRef<std::string(absl::string_view path)> origin);

}  // namespace sluice::config::internal
