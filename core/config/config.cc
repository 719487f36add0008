#include "core/config/config.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/config/config_keys.h"

namespace sluice::config {
namespace {

using internal::KeySpec;

enum class Secrets : uint8_t { kInclude, kRedact };

std::string Render(const Config& config, absl::string_view header, Secrets secrets) {
  std::string text(header);
  absl::string_view table;
  for (const KeySpec& key : internal::Keys()) {
    if (key.table != table) {
      table = key.table;
      absl::StrAppend(&text, "\n[", table, "]\n");
    }
    absl::StrAppend(&text, "# ", key.description, "\n");
    if (key.secret && secrets == Secrets::kRedact) {
      absl::StrAppend(&text, "# ", key.name,
                      " = (redacted: secrets never reach the data directory)\n");
      continue;
    }
    absl::StrAppend(&text, key.name, " = ", internal::RenderTomlValue(key, key.get(config)), "\n");
  }
  return text;
}

}  // namespace

std::string ToString(const HostPort& address) {
  if (absl::StrContains(address.host, ':'))
    return absl::StrCat("[", address.host, "]:", address.port);
  return absl::StrCat(address.host, ":", address.port);
}

absl::Status ValidateConfig(const Config& config) {
  std::vector<std::string> problems;
  for (const KeySpec& key : internal::Keys()) {
    const std::string problem = internal::CheckValue(key, key.get(config));
    if (!problem.empty()) {
      problems.push_back(
          absl::StrCat("key ", key.Path(), ": expected ", key.Expected(), ", ", problem));
    }
  }
  if (problems.empty()) {
    problems =
        internal::CheckRulesBetweenValues(config, [](absl::string_view) { return std::string(); });
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration: ", absl::StrJoin(problems, "\n")));
}

std::string RenderConfig(const Config& config) {
  return Render(config,
                "# Sluice configuration: every key, defaults included (core/config/README.md).\n"
                "# Loaded as: defaults, then this file, then SLUICE_<TABLE>_<KEY> environment "
                "variables.\n",
                Secrets::kInclude);
}

std::string RenderEffectiveConfig(const Config& config) {
  return Render(config,
                "# The effective configuration this replica runs with (rule B11), written at "
                "boot:\n"
                "# defaults, then the config file, then SLUICE_<TABLE>_<KEY> environment "
                "variables.\n"
                "# Every key is listed (core/config/README.md); the root password is redacted.\n",
                Secrets::kRedact);
}

Environment RenderEnvironment(const Config& config) {
  Environment environment;
  for (const KeySpec& key : internal::Keys()) {
    environment[key.EnvironmentVariable()] = internal::RenderEnvironmentValue(key, key.get(config));
  }
  return environment;
}

Environment EnvironmentFromEnviron(const char* const* entries) {
  Environment environment;
  if (entries == nullptr) return environment;
  for (const char* const* entry = entries; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    // The first definition wins, as getenv() would find it.
    environment.emplace(std::string(*entry, equals), std::string(equals + 1));
  }
  return environment;
}

std::vector<KeyDescription> DescribeKeys() {
  const Config defaults;
  std::vector<KeyDescription> keys;
  for (const KeySpec& key : internal::Keys()) {
    keys.push_back({.path = key.Path(),
                    .environment_variable = key.EnvironmentVariable(),
                    .default_value = internal::RenderTomlValue(key, key.get(defaults)),
                    .expected = key.Expected(),
                    .description = std::string(key.description)});
  }
  return keys;
}

std::ostream& operator<<(std::ostream& out, const Config& config) {
  return out << RenderEffectiveConfig(config);  // logs must not carry the password
}

}  // namespace sluice::config
