// LoadConfig: the one loading path of rule B11 (defaults -> TOML file -> SLUICE_
// environment overrides -> validation). toml++ is used in its no-exceptions mode
// (parse_result), so bad input of any kind becomes a status, never a throw.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/config/config.h"
#include "core/config/config_keys.h"

namespace sluice::config {
namespace {

using internal::KeySpec;
using internal::Value;
using internal::ValueKind;

std::vector<std::string> KnownPaths() {
  std::vector<std::string> paths;
  for (const KeySpec& key : internal::Keys()) paths.push_back(key.Path());
  return paths;
}

std::vector<std::string> KnownTables() {
  std::vector<std::string> tables;
  for (const KeySpec& key : internal::Keys()) {
    const std::string table(key.table);
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) tables.push_back(table);
  }
  return tables;
}

// The tables and their parents ("system" of "system.namespace"), for suggestions.
std::vector<std::string> KnownTablesAndParents() {
  std::vector<std::string> tables = KnownTables();
  for (const std::string& table : KnownTables()) {
    for (size_t dot = table.find('.'); dot != std::string::npos; dot = table.find('.', dot + 1)) {
      const std::string parent = table.substr(0, dot);
      if (std::find(tables.begin(), tables.end(), parent) == tables.end()) tables.push_back(parent);
    }
  }
  return tables;
}

std::vector<std::string> KnownVariables() {
  std::vector<std::string> names;
  for (const KeySpec& key : internal::Keys()) names.push_back(key.EnvironmentVariable());
  return names;
}

std::string DidYouMean(absl::string_view misspelt, const std::vector<std::string>& known) {
  const std::optional<std::string> suggestion = internal::Suggest(misspelt, known);
  return suggestion ? absl::StrCat(" (did you mean ", *suggestion, "?)") : "";
}

// "integer 70", "string \"12\"", ... — the type and, unless secret, the value.
std::string DescribeNode(const toml::node& node, bool secret) {
  switch (node.type()) {
    case toml::node_type::integer:
      return secret ? "an integer" : absl::StrCat("integer ", node.as_integer()->get());
    case toml::node_type::string:
      return secret ? "a string"
                    : absl::StrCat("string ", internal::QuoteTomlString(node.as_string()->get()));
    case toml::node_type::boolean:
      return secret ? "a boolean"
                    : absl::StrCat("boolean ", node.as_boolean()->get() ? "true" : "false");
    case toml::node_type::floating_point:
      return secret ? "a floating-point number"
                    : absl::StrCat("floating-point ", node.as_floating_point()->get());
    case toml::node_type::array:
      return absl::StrCat("an array of ", node.as_array()->size(), " elements");
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

class Loader {
 public:
  void ApplyFile(const ConfigFile& file);
  void ApplyEnvironment(const Environment& environment);
  absl::StatusOr<Config> Finish();

 private:
  std::string Where(const toml::source_region& source) const {
    return absl::StrCat(path_, ":", source.begin.line, ":", source.begin.column);
  }
  void VisitTable(const toml::table& table, const std::string& prefix);
  void ApplyTomlValue(const KeySpec& key, const toml::node& node);
  std::optional<Value> FromToml(const KeySpec& key, const toml::node& node, std::string& found);
  // Range-checks `value` and sets it, or records the problem.
  void Apply(const KeySpec& key, const Value& value, const std::string& where);

  Config config_;
  std::map<std::string, std::string> origins_;  // key path -> where its value came from
  std::vector<std::string> problems_;
  std::string path_;  // the config file's name, for messages
};

void Loader::ApplyFile(const ConfigFile& file) {
  path_ = file.path.empty() ? "<config>" : file.path;
  if (file.contents.size() > kConfigFileBytesMax) {
    problems_.push_back(absl::StrCat(path_, ": the config file is ", file.contents.size(),
                                     " bytes; at most ", kConfigFileBytesMax, " are read"));
    return;
  }
  const toml::parse_result parsed = toml::parse(file.contents, path_);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    problems_.push_back(absl::StrCat(Where(error.source()),
                                     ": TOML syntax error: ", std::string(error.description())));
    return;
  }
  VisitTable(parsed.table(), "");
}

void Loader::VisitTable(const toml::table& table, const std::string& prefix) {
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    const std::string path = prefix.empty() ? name : absl::StrCat(prefix, ".", name);
    const std::string where = Where(key.source());
    if (internal::LooksLikeSegmentSize(name)) {
      problems_.push_back(absl::StrCat(where, ": ", path, ": ", internal::SegmentSizeMessage()));
      continue;
    }
    const KeySpec* spec = internal::FindKeyByPath(path);
    if (spec != nullptr) {
      ApplyTomlValue(*spec, node);
    } else if (node.is_table() && internal::IsKnownTable(path)) {
      VisitTable(*node.as_table(), path);
    } else if (node.is_table()) {
      problems_.push_back(absl::StrCat(
          where, ": unknown table [", path, "]", DidYouMean(path, KnownTablesAndParents()),
          "; the tables are [", absl::StrJoin(KnownTables(), "], ["), "]"));
    } else {
      problems_.push_back(absl::StrCat(where, ": unknown key ", path,
                                       DidYouMean(path, KnownPaths()),
                                       "; every key is listed in core/config/README.md"));
    }
  }
}

void Loader::ApplyTomlValue(const KeySpec& key, const toml::node& node) {
  const std::string where = Where(node.source());
  std::string found;
  const std::optional<Value> value = FromToml(key, node, found);
  if (!value) {
    problems_.push_back(absl::StrCat(where, ": key ", key.Path(), ": expected ", key.Expected(),
                                     ", found ",
                                     found.empty() ? DescribeNode(node, key.secret) : found));
    return;
  }
  Apply(key, *value, where);
}

std::optional<Value> Loader::FromToml(const KeySpec& key, const toml::node& node,
                                      std::string& found) {
  switch (key.kind) {
    case ValueKind::kUnsigned:
    case ValueKind::kMilliseconds:
      if (!node.is_integer() || node.as_integer()->get() < 0) return std::nullopt;
      return Value(static_cast<uint64_t>(node.as_integer()->get()));
    case ValueKind::kBool:
      if (!node.is_boolean()) return std::nullopt;
      return Value(node.as_boolean()->get());
    case ValueKind::kString:
      if (!node.is_string()) return std::nullopt;
      return Value(node.as_string()->get());
    case ValueKind::kAddress: {
      if (!node.is_string()) return std::nullopt;
      std::optional<HostPort> address = internal::ParseHostPort(node.as_string()->get());
      if (!address) return std::nullopt;
      return Value(*std::move(address));
    }
    case ValueKind::kAddressList: {
      if (!node.is_array()) return std::nullopt;
      std::vector<HostPort> addresses;
      size_t index = 0;
      for (const toml::node& element : *node.as_array()) {
        std::optional<HostPort> address;
        if (element.is_string()) address = internal::ParseHostPort(element.as_string()->get());
        if (!address) {
          found = absl::StrCat(DescribeNode(element, false), " at index ", index);
          return std::nullopt;
        }
        addresses.push_back(*std::move(address));
        ++index;
      }
      return Value(std::move(addresses));
    }
    case ValueKind::kHex128: {
      if (!node.is_string()) return std::nullopt;
      const std::optional<absl::uint128> id = internal::ParseHex128(node.as_string()->get());
      if (!id) return std::nullopt;
      return Value(*id);
    }
  }
  return std::nullopt;
}

void Loader::Apply(const KeySpec& key, const Value& value, const std::string& where) {
  const std::string problem = internal::CheckValue(key, value);
  if (!problem.empty()) {
    problems_.push_back(
        absl::StrCat(where, ": key ", key.Path(), ": expected ", key.Expected(), ", ", problem));
    return;
  }
  key.set(config_, value);
  // Every range fits its field, so the value reads back unchanged (no narrowing).
  SLUICE_ASSERT(key.get(config_) == value, "key ", key.Path(), " did not keep its value");
  origins_[key.Path()] = where;
}

void Loader::ApplyEnvironment(const Environment& environment) {
  constexpr absl::string_view kPrefix = "SLUICE_";
  for (const auto& [name, text] : environment) {  // a std::map: a fixed order
    if (!absl::StartsWith(name, kPrefix)) continue;
    const std::string where = absl::StrCat("environment variable ", name);
    if (internal::LooksLikeSegmentSize(name)) {
      problems_.push_back(absl::StrCat(where, ": ", internal::SegmentSizeMessage()));
      continue;
    }
    const KeySpec* key = internal::FindKeyByEnvironmentVariable(name);
    if (key == nullptr) {
      problems_.push_back(
          absl::StrCat(where, ": names no config key", DidYouMean(name, KnownVariables()),
                       "; every SLUICE_ variable must be SLUICE_<TABLE>_<KEY> of a key listed in "
                       "core/config/README.md"));
      continue;
    }
    const std::optional<Value> value = internal::ParseEnvironmentValue(*key, text);
    if (!value) {
      problems_.push_back(absl::StrCat(
          where, ": key ", key->Path(), ": expected ", key->Expected(), ", found ",
          key->secret ? absl::StrCat(text.size(), " bytes") : internal::QuoteTomlString(text)));
      continue;
    }
    Apply(*key, *value, where);
  }
}

absl::StatusOr<Config> Loader::Finish() {
  // The rules between values are meaningful only once every value is in range.
  if (problems_.empty()) {
    problems_ = internal::CheckRulesBetweenValues(config_, [this](absl::string_view path) {
      const auto origin = origins_.find(std::string(path));
      return origin == origins_.end() ? std::string("default") : origin->second;
    });
  }
  if (problems_.empty()) return config_;
  if (problems_.size() == 1) {
    return absl::InvalidArgumentError(absl::StrCat("invalid configuration: ", problems_[0]));
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid configuration, ", problems_.size(),
                                                 " problems:\n", absl::StrJoin(problems_, "\n")));
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::optional<ConfigFile>& file,
                                  const Environment& environment) {
  Loader loader;
  if (file.has_value()) loader.ApplyFile(*file);
  loader.ApplyEnvironment(environment);
  return loader.Finish();
}

}  // namespace sluice::config
