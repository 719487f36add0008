// Properties of the one loading path (rule B11), over random valid configs:
//  - LoadConfig(RenderConfig(c)) == c: the canonical text says everything, exactly;
//  - LoadConfig(environment only, RenderEnvironment(c)) == c: every key can be set from
//    the environment, and the environment's text forms parse back exactly;
//  - the file then the environment: each key takes the environment's value when set;
//  - arbitrary bytes as a config file, or as SLUICE_ values, give a status, never a
//    crash or an exception.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "core/config/config.h"

namespace sluice::config {
namespace {

// Uniform in [low, high] whatever RapidCheck's current size.
template <typename T>
rc::Gen<T> Uniform(T low, T high) {
  return rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high + 1));
}

uint64_t Pick(uint64_t low, uint64_t high) {
  RC_PRE(high < UINT64_MAX);  // inRange's bound is exclusive
  return *Uniform<uint64_t>(low, high);
}

uint64_t PickAny64() {
  const uint64_t high = Pick(0, 0xFFFF'FFFF);
  return (high << 32) | Pick(0, 0xFFFF'FFFF);
}

// Text with the characters TOML must escape, and non-ASCII UTF-8.
std::string PickText(size_t length_min, size_t length_max) {
  static const std::vector<std::string> kPieces = {"a",
                                                   "Z",
                                                   "0",
                                                   "_",
                                                   "-",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "'",
                                                   "#",
                                                   "=",
                                                   "[",
                                                   "]",
                                                   ",",
                                                   "\xc3\xa9",
                                                   "\xe2\x82\xac",
                                                   "\xf0\x9f\x93\xa6"};
  std::string text;
  const size_t pieces = Pick(length_min, length_max);
  while (text.size() < pieces) {
    const std::string& piece = kPieces[Pick(0, kPieces.size() - 1)];
    if (text.size() + piece.size() > length_max) break;
    text += piece;
  }
  while (text.size() < length_min) text += "x";
  return text;
}

std::string PickHost() {
  switch (Pick(0, 3)) {
    case 0:
      return absl::StrCat(Pick(0, 255), ".", Pick(0, 255), ".", Pick(0, 255), ".", Pick(0, 255));
    case 1:
      return absl::StrCat("node-", Pick(0, 999), ".example");
    case 2:
      return absl::StrCat("fd00::", absl::Hex(Pick(0, 0xffff)));
    default:
      return "localhost";
  }
}

// Timeouts (in ticks) within the keys' ranges and the rules between them.
TimeoutsConfig PickTimeouts() {
  TimeoutsConfig t;
  t.heartbeat_interval_ticks = Pick(1, 6'000);
  t.primary_timeout_ticks = Pick(2 * t.heartbeat_interval_ticks, 60'000);
  t.view_change_timeout_ticks = Pick(2, 60'000);
  t.view_change_resend_ticks = Pick(1, std::min<uint64_t>(6'000, t.view_change_timeout_ticks - 1));
  t.prepare_retry_ticks = Pick(1, 6'000);
  t.repair_retry_ticks = Pick(1, 6'000);
  t.forward_timeout_ticks = Pick(1, 60'000);
  t.session_idle_ticks = Pick(100, 7 * 8'640'000);
  t.consumer_group_member_dead_ticks = Pick(100, 8'640'000);
  return t;
}

LimitsConfig PickLimits() {
  LimitsConfig l;
  l.wal_slot_count = Pick(2, uint64_t{1} << 20);
  l.wal_slot_size_bytes = 512 * Pick(8, (uint64_t{1} << 30) / 512);
  l.prepare_size_max_bytes = Pick(4096, 64 << 20);
  l.group_commit_bytes_max = Pick(l.prepare_size_max_bytes + 256, uint64_t{1} << 30);
  l.pipeline_max = Pick(1, 256);
  l.memory_budget_bytes =
      Pick(std::max<uint64_t>(1 << 20, l.pipeline_max * (l.prepare_size_max_bytes + 256)),
           uint64_t{1} << 40);
  l.clients_max = Pick(1, 65'536);
  return l;
}

ClusterConfig PickCluster() {
  ClusterConfig cluster;
  cluster.replica_count = static_cast<uint8_t>(Pick(1, 32));
  cluster.replica_index = static_cast<uint8_t>(Pick(0, cluster.replica_count - 1));
  const uint64_t high = PickAny64();
  cluster.id = absl::MakeUint128(high, PickAny64());
  if (cluster.replica_count > 1 && cluster.id == 0) cluster.id = 1;
  cluster.replicas.clear();
  for (uint16_t i = 0; i < cluster.replica_count; ++i) {
    cluster.replicas.push_back({PickHost(), static_cast<uint16_t>(10'000 + i)});  // distinct ports
  }
  return cluster;
}

rc::Gen<Config> ValidConfigs() {
  return rc::gen::exec([] {
    Config c;
    c.namespace_widths.stream_bits = static_cast<uint8_t>(Pick(1, 61));
    c.namespace_widths.topic_bits =
        static_cast<uint8_t>(Pick(1, 62 - c.namespace_widths.stream_bits));
    c.namespace_widths.partition_bits = static_cast<uint8_t>(
        Pick(1, 63 - c.namespace_widths.stream_bits - c.namespace_widths.topic_bits));
    c.cluster = PickCluster();
    c.tcp.address = {PickHost(), static_cast<uint16_t>(Pick(0, 29'999))};
    c.tcp.replica_address = {PickHost(), static_cast<uint16_t>(Pick(30'000, 65'535))};
    c.tcp.client_frame_size_max_bytes = Pick(4096, 64 << 20);
    c.root.username = PickText(3, 50);
    c.root.password = PickText(3, 100);
    c.data.directory = PickText(1, 200);
    c.recovery.clamp_consumer_offsets = Pick(0, 1) == 1;
    c.timeouts = PickTimeouts();
    c.limits = PickLimits();
    return c;
  });
}

RC_GTEST_PROP(ConfigPropertyTest, RenderThenLoadGivesTheSameConfig_B11, ()) {
  const Config config = *ValidConfigs();
  RC_ASSERT(ValidateConfig(config).ok());
  const absl::StatusOr<Config> loaded =
      LoadConfig(ConfigFile{.path = "rendered.toml", .contents = RenderConfig(config)}, {});
  RC_ASSERT(loaded.ok());
  RC_ASSERT(*loaded == config);
}

RC_GTEST_PROP(ConfigPropertyTest, TheEnvironmentAloneSetsEveryKey_B11, ()) {
  const Config config = *ValidConfigs();
  const absl::StatusOr<Config> loaded = LoadConfig(std::nullopt, RenderEnvironment(config));
  RC_ASSERT(loaded.ok());
  RC_ASSERT(*loaded == config);
}

// File A, then the environment of B for a random subset of keys, loads exactly as the
// environment alone would with A's values under B's chosen ones: each key ends up
// with B's value if its variable is set, else A's (or both fail, when the mix breaks
// a rule between values).
RC_GTEST_PROP(ConfigPropertyTest, EachVariableOverridesItsKeyFromTheFile_B11, ()) {
  const Config file_config = *ValidConfigs();
  const Config environment_config = *ValidConfigs();
  // Per table: none, all or a random subset of its keys, so that most mixes are valid.
  std::map<std::string, int> table_choice;
  Environment some;
  for (const KeyDescription& key : DescribeKeys()) {
    const std::string table = key.path.substr(0, key.path.rfind('.'));
    if (!table_choice.contains(table)) table_choice[table] = static_cast<int>(Pick(0, 2));
    const int choice = table_choice[table];
    if (choice == 1 || (choice == 2 && *rc::gen::arbitrary<bool>())) {
      some[key.environment_variable] =
          RenderEnvironment(environment_config).at(key.environment_variable);
    }
  }
  Environment merged = RenderEnvironment(file_config);
  for (const auto& [name, value] : some) merged[name] = value;

  const absl::StatusOr<Config> loaded =
      LoadConfig(ConfigFile{.path = "a.toml", .contents = RenderConfig(file_config)}, some);
  const absl::StatusOr<Config> expected = LoadConfig(std::nullopt, merged);
  RC_CLASSIFY(loaded.ok(), "valid mix");
  RC_ASSERT(loaded.ok() == expected.ok());
  if (loaded.ok()) RC_ASSERT(*loaded == *expected);
}

RC_GTEST_PROP(ConfigPropertyTest, ArbitraryBytesGiveAStatusNeverACrash,
              (const std::string& bytes)) {
  const absl::StatusOr<Config> from_file =
      LoadConfig(ConfigFile{.path = "x", .contents = bytes}, {});
  if (!from_file.ok()) RC_ASSERT(from_file.status().code() == absl::StatusCode::kInvalidArgument);
  const std::vector<KeyDescription> keys = DescribeKeys();
  const KeyDescription& key = keys[*Uniform<size_t>(0, keys.size() - 1)];
  const absl::StatusOr<Config> from_environment =
      LoadConfig(std::nullopt, {{key.environment_variable, bytes}});
  if (!from_environment.ok()) {
    RC_ASSERT(from_environment.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

// Random lines of plausible TOML (known and misspelt keys, values of every type).
RC_GTEST_PROP(ConfigPropertyTest, PlausibleFilesGiveAStatusNeverACrash, ()) {
  const std::vector<KeyDescription> keys = DescribeKeys();
  static const std::vector<std::string> kValues = {"0",
                                                   "-1",
                                                   "70",
                                                   "1.5",
                                                   "true",
                                                   "\"x\"",
                                                   "\"0.0.0.0:1\"",
                                                   "[]",
                                                   "[\"a:1\", 2]",
                                                   "{ a = 1 }",
                                                   "1979-05-27",
                                                   "\"0xff\"",
                                                   "9223372036854775807"};
  std::string text;
  const size_t lines = *Uniform<size_t>(0, 12);
  for (size_t i = 0; i < lines; ++i) {
    const KeyDescription& key = keys[*Uniform<size_t>(0, keys.size() - 1)];
    const size_t dot = key.path.rfind('.');
    std::string name = key.path.substr(dot + 1);
    if (*rc::gen::arbitrary<bool>()) name += "x";
    // Dotted keys at the root, so lines can name any table in any order.
    absl::StrAppend(&text, key.path.substr(0, dot), ".", name, " = ",
                    kValues[*Uniform<size_t>(0, kValues.size() - 1)], "\n");
  }
  const absl::StatusOr<Config> loaded = LoadConfig(ConfigFile{.path = "p", .contents = text}, {});
  if (!loaded.ok()) RC_ASSERT(loaded.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::config
