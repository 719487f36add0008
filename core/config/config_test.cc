// Rule B11's one loading path: defaults, the TOML file, SLUICE_ environment overrides,
// validation. Every bad input is an InvalidArgument whose text names the file and
// position (or the variable), the key, what was expected and what was found.
#include "core/config/config.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/io/network.h"
#include "core/journal/journal_layout.h"
#include "core/metadata/metadata_state.h"

namespace sluice::config {
namespace {

absl::StatusOr<Config> LoadFile(const std::string& contents, const Environment& environment = {}) {
  return LoadConfig(ConfigFile{.path = "sluice.toml", .contents = contents}, environment);
}

// Expects an InvalidArgument whose message contains every one of `parts`.
void ExpectError(const absl::StatusOr<Config>& loaded,
                 std::initializer_list<absl::string_view> parts) {
  ASSERT_FALSE(loaded.ok()) << "loaded:\n" << *loaded;
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  for (absl::string_view part : parts) {
    EXPECT_NE(loaded.status().message().find(part), absl::string_view::npos)
        << "missing \"" << part << "\" in: " << loaded.status().message();
  }
}

TEST(ConfigTest, NoFileAndNoEnvironmentGivesTheDocumentedDefaults_B11) {
  const absl::StatusOr<Config> loaded = LoadConfig(std::nullopt, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, Config{});
  EXPECT_EQ(loaded->namespace_widths, (superblock::NamespaceWidths{12, 12, 20}));
  EXPECT_EQ(loaded->tcp.address, (HostPort{"0.0.0.0", 8090}));
  EXPECT_EQ(loaded->root.username, "iggy");
  EXPECT_EQ(loaded->root.password, "iggy");
  EXPECT_EQ(loaded->data.directory, "./local_data");
  EXPECT_FALSE(loaded->recovery.clamp_consumer_offsets);
  EXPECT_EQ(loaded->cluster.replica_count, 1);
  EXPECT_EQ(loaded->cluster.replica_index, 0);
  EXPECT_EQ(loaded->limits.prepare_size_max_bytes, uint64_t{1} << 20);
  EXPECT_EQ(loaded->timeouts.heartbeat_interval_ticks, 5u);  // 50 ms
  EXPECT_TRUE(ValidateConfig(*loaded).ok());
}

TEST(ConfigTest, AnEmptyFileAndACommentOnlyFileGiveTheDefaults) {
  for (const std::string contents : {"", "# nothing here\n\n"}) {
    const absl::StatusOr<Config> loaded = LoadFile(contents);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(*loaded, Config{});
  }
}

TEST(ConfigTest, EverySectionIsParsed_B11) {
  const absl::StatusOr<Config> loaded = LoadFile(R"(
[system.namespace]
stream_bits = 10
topic_bits = 11
partition_bits = 22

[cluster]
id = "0xABCDEF0123456789abcdef0123456789"
replica_count = 3
replica_index = 2
replicas = ["10.0.0.1:9001", "node-b.example:9001", "[fd00::3]:9001"]

[tcp]
address = "127.0.0.1:18090"
replica_address = "[::]:9001"
client_frame_size_max_bytes = 65536

[root]
username = "admin"
password = "s3cr\"et"

[data]
directory = "/var/lib/sluice"

[recovery]
clamp_consumer_offsets = true

[timeouts]
heartbeat_interval_ms = 100
primary_timeout_ms = 1000
view_change_timeout_ms = 2000
view_change_resend_ms = 200
prepare_retry_ms = 70
repair_retry_ms = 30
forward_timeout_ms = 5000
session_idle_ms = 60000
consumer_group_member_dead_ms = 10000

[limits]
wal_slot_count = 64
wal_slot_size_bytes = 8192
prepare_size_max_bytes = 65536
group_commit_bytes_max = 1048576
pipeline_max = 4
memory_budget_bytes = 16777216
clients_max = 100
)");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Config& c = *loaded;
  EXPECT_EQ(c.namespace_widths, (superblock::NamespaceWidths{10, 11, 22}));
  EXPECT_EQ(c.cluster.id, absl::MakeUint128(0xABCDEF0123456789, 0xABCDEF0123456789));
  EXPECT_EQ(c.cluster.replica_count, 3);
  EXPECT_EQ(c.cluster.replica_index, 2);
  EXPECT_EQ(
      c.cluster.replicas,
      (std::vector<HostPort>{{"10.0.0.1", 9001}, {"node-b.example", 9001}, {"fd00::3", 9001}}));
  EXPECT_EQ(c.tcp.address, (HostPort{"127.0.0.1", 18090}));
  EXPECT_EQ(c.tcp.replica_address, (HostPort{"::", 9001}));
  EXPECT_EQ(c.tcp.client_frame_size_max_bytes, 65536u);
  EXPECT_EQ(c.root.username, "admin");
  EXPECT_EQ(c.root.password, "s3cr\"et");
  EXPECT_EQ(c.data.directory, "/var/lib/sluice");
  EXPECT_TRUE(c.recovery.clamp_consumer_offsets);
  EXPECT_EQ(c.timeouts.heartbeat_interval_ticks, 10u);
  EXPECT_EQ(c.timeouts.primary_timeout_ticks, 100u);
  EXPECT_EQ(c.timeouts.view_change_timeout_ticks, 200u);
  EXPECT_EQ(c.timeouts.view_change_resend_ticks, 20u);
  EXPECT_EQ(c.timeouts.prepare_retry_ticks, 7u);
  EXPECT_EQ(c.timeouts.repair_retry_ticks, 3u);
  EXPECT_EQ(c.timeouts.forward_timeout_ticks, 500u);
  EXPECT_EQ(c.timeouts.session_idle_ticks, 6000u);
  EXPECT_EQ(c.timeouts.consumer_group_member_dead_ticks, 1000u);
  EXPECT_EQ(c.limits.wal_slot_count, 64u);
  EXPECT_EQ(c.limits.wal_slot_size_bytes, 8192u);
  EXPECT_EQ(c.limits.prepare_size_max_bytes, 65536u);
  EXPECT_EQ(c.limits.group_commit_bytes_max, 1048576u);
  EXPECT_EQ(c.limits.pipeline_max, 4u);
  EXPECT_EQ(c.limits.memory_budget_bytes, 16777216u);
  EXPECT_EQ(c.limits.clients_max, 100u);
}

TEST(ConfigTest, TimeoutsInMillisecondsBecomeTicksOfTenMilliseconds) {
  EXPECT_EQ(kTickMs, 10u);
  const absl::StatusOr<Config> loaded =
      LoadFile("[timeouts]\nsession_idle_ms = 604800000\n");  // 7 days, the maximum
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->timeouts.session_idle_ticks, 604800000u / 10);
  ExpectError(LoadFile("[timeouts]\nprepare_retry_ms = 25\n"),
              {"sluice.toml:2:20", "timeouts.prepare_retry_ms", "a multiple of the 10 ms tick",
               "found 25 (not a multiple of 10)"});
}

TEST(ConfigTest, TheEnvironmentOverridesTheFile_B11) {
  const std::string file = R"(
[system.namespace]
stream_bits = 10
[tcp]
address = "127.0.0.1:1111"
[recovery]
clamp_consumer_offsets = true
)";
  const absl::StatusOr<Config> loaded =
      LoadFile(file, {{"SLUICE_SYSTEM_NAMESPACE_STREAM_BITS", "14"},
                      {"SLUICE_TCP_ADDRESS", "0.0.0.0:2222"},
                      {"SLUICE_RECOVERY_CLAMP_CONSUMER_OFFSETS", "false"},
                      {"SLUICE_ROOT_PASSWORD", "from-env"},
                      {"PATH", "/usr/bin"},  // not SLUICE_: ignored
                      {"SLUICEX", "ignored"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->namespace_widths.stream_bits, 14);
  EXPECT_EQ(loaded->tcp.address, (HostPort{"0.0.0.0", 2222}));
  EXPECT_FALSE(loaded->recovery.clamp_consumer_offsets);
  EXPECT_EQ(loaded->root.password, "from-env");
  EXPECT_EQ(loaded->namespace_widths.topic_bits, 12) << "keys neither sets keep their default";
}

TEST(ConfigTest, TheEnvironmentAloneSetsListsAndTheClusterId_B11) {
  const absl::StatusOr<Config> loaded = LoadConfig(
      std::nullopt, {{"SLUICE_CLUSTER_ID", "c1"},
                     {"SLUICE_CLUSTER_REPLICA_COUNT", "3"},
                     {"SLUICE_CLUSTER_REPLICA_INDEX", "1"},
                     {"SLUICE_CLUSTER_REPLICAS", "127.0.0.1:9001, 127.0.0.1:9002,[::1]:9003"},
                     {"SLUICE_TIMEOUTS_HEARTBEAT_INTERVAL_MS", "20"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->cluster.id, 0xC1);
  EXPECT_EQ(loaded->cluster.replica_index, 1);
  EXPECT_EQ(loaded->cluster.replicas,
            (std::vector<HostPort>{{"127.0.0.1", 9001}, {"127.0.0.1", 9002}, {"::1", 9003}}));
  EXPECT_EQ(loaded->timeouts.heartbeat_interval_ticks, 2u);
}

TEST(ConfigTest, AnUnknownKeyInTheFileIsAnErrorNamingItsPosition_B11) {
  ExpectError(LoadFile("[tcp]\n\nadress = \"0.0.0.0:8090\"\n"),
              {"sluice.toml:3:1", "unknown key tcp.adress", "did you mean tcp.address?"});
  ExpectError(LoadFile("stream_bits = 12\n"), {"sluice.toml:1:1", "unknown key stream_bits"});
  ExpectError(LoadFile("[system]\nnamespace = 5\n"),
              {"sluice.toml:2:1", "key system.namespace", "unknown"});
}

TEST(ConfigTest, AnUnknownTableIsAnError_B11) {
  ExpectError(LoadFile("[sytem.namespace]\nstream_bits = 12\n"),
              {"sluice.toml:1:2", "unknown table [sytem]", "did you mean system?"});
  ExpectError(LoadFile("[limit]\n"), {"unknown table [limit]", "did you mean limits?"});
  ExpectError(LoadFile("[[cluster.members]]\nid = 1\n"), {"unknown key cluster.members"});
}

TEST(ConfigTest, AnUnknownSluiceVariableIsAnError_B11) {
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_TCP_ADRESS", "0.0.0.0:8090"}}),
              {"environment variable SLUICE_TCP_ADRESS", "names no config key",
               "did you mean SLUICE_TCP_ADDRESS?"});
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_", ""}}), {"SLUICE_: names no config key"});
}

TEST(ConfigTest, AValueOfTheWrongTypeIsAnErrorNamingWhatWasFound) {
  ExpectError(LoadFile("[system.namespace]\nstream_bits = \"12\"\n"),
              {"sluice.toml:2:15", "key system.namespace.stream_bits",
               "expected an integer in [1, 64]", "found string \"12\""});
  ExpectError(LoadFile("[recovery]\nclamp_consumer_offsets = 1\n"),
              {"key recovery.clamp_consumer_offsets", "expected true or false", "found integer 1"});
  ExpectError(LoadFile("[limits]\npipeline_max = 2.5\n"), {"found floating-point 2.5"});
  ExpectError(LoadFile("[cluster]\nid = 5\n"), {"key cluster.id", "hex digits", "found integer 5"});
  ExpectError(LoadFile("[cluster]\nreplicas = \"127.0.0.1:1\"\n"),
              {"key cluster.replicas", "an array of", "found string \"127.0.0.1:1\""});
  ExpectError(LoadFile("[cluster]\nreplicas = [\"127.0.0.1:1\", 7]\n"),
              {"found integer 7 at index 1"});
  ExpectError(LoadFile("[tcp]\naddress = [\"0.0.0.0:8090\"]\n"), {"found an array of 1 elements"});
  ExpectError(LoadFile("[data]\ndirectory = 1979-05-27\n"), {"found a date"});
  ExpectError(LoadFile("[tcp.address]\nhost = \"x\"\n"), {"key tcp.address", "found a table"});
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_LIMITS_PIPELINE_MAX", "eight"}}),
              {"environment variable SLUICE_LIMITS_PIPELINE_MAX", "key limits.pipeline_max",
               "expected an integer in [1, 256]", "found \"eight\""});
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_RECOVERY_CLAMP_CONSUMER_OFFSETS", "yes"}}),
              {"expected true or false", "found \"yes\""});
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_LIMITS_PIPELINE_MAX", "-1"}}), {"found \"-1\""});
}

TEST(ConfigTest, AnOutOfRangeValueIsAnError) {
  ExpectError(LoadFile("[system.namespace]\nstream_bits = 70\n"),
              {"sluice.toml:2:15", "expected an integer in [1, 64]", "found 70"});
  ExpectError(LoadFile("[system.namespace]\npartition_bits = -3\n"), {"found integer -3"});
  ExpectError(LoadFile("[system.namespace]\nstream_bits = 0\n"), {"found 0"});
  ExpectError(LoadFile("[limits]\nwal_slot_size_bytes = 5000\n"),
              {"key limits.wal_slot_size_bytes", "a multiple of 512", "found 5000"});
  ExpectError(LoadFile("[cluster]\nreplica_count = 33\n"), {"expected an integer in [1, 32]"});
  ExpectError(LoadFile("[tcp]\naddress = \"0.0.0.0:70000\"\n"),
              {"key tcp.address", "port in [0, 65535]", "found string \"0.0.0.0:70000\""});
  ExpectError(LoadFile("[tcp]\naddress = \"::1:8090\"\n"), {"IPv6 host in brackets"});
  ExpectError(LoadFile("[cluster]\nreplicas = [\"127.0.0.1:0\"]\n"),
              {"key cluster.replicas", "port in [1, 65535]", "found \"127.0.0.1:0\""});
  ExpectError(LoadFile("[root]\nusername = \"ab\"\n"),
              {"key root.username", "a string of 3 to 50 bytes", "found \"ab\" (2 bytes)"});
  ExpectError(LoadFile("[root]\nusername = \"a\\tb\"\n"), {"control character"});
  ExpectError(LoadFile("[data]\ndirectory = \"\"\n"),
              {"key data.directory", "found \"\" (0 bytes)"});
  ExpectError(LoadFile("[cluster]\nid = \"0x123456789012345678901234567890123\"\n"),
              {"key cluster.id", "1 to 32 hex digits", "found string"});
  ExpectError(LoadFile("[timeouts]\nheartbeat_interval_ms = 0\n"), {"found 0"});
  // Below three of the backups' 1 s activity reports, a lost report would expire a
  // live member.
  ExpectError(LoadFile("[timeouts]\nconsumer_group_member_dead_ms = 2000\n"),
              {"key timeouts.consumer_group_member_dead_ms", "[3000, 86400000]", "found 2000"});
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_LIMITS_PIPELINE_MAX", "99999999999999999999999"}}),
              {"key limits.pipeline_max", "found \"99999999999999999999999\""});
}

TEST(ConfigTest, ThePasswordIsNeverEchoedInAnError) {
  const absl::StatusOr<Config> short_password = LoadFile("[root]\npassword = \"xy\"\n");
  ExpectError(short_password, {"key root.password", "found 2 bytes"});
  EXPECT_EQ(short_password.status().message().find("\"xy\""), absl::string_view::npos);
  const absl::StatusOr<Config> from_environment =
      LoadConfig(std::nullopt, {{"SLUICE_ROOT_PASSWORD", "p\x01word-secret"}});
  ExpectError(from_environment, {"key root.password", "control character"});
  EXPECT_EQ(from_environment.status().message().find("word-secret"), absl::string_view::npos);
}

TEST(ConfigTest, NamespaceWidthsSummingPast63AreRefused_B9) {
  ExpectError(LoadFile("[system.namespace]\nstream_bits = 30\ntopic_bits = 30\n"),
              {"rule B9", "sum to 80 bits", "at most 63",
               "system.namespace.stream_bits = 30 (sluice.toml:2:15)",
               "system.namespace.topic_bits = 30 (sluice.toml:3:14)",
               "system.namespace.partition_bits = 20 (default)"});
  ExpectError(
      LoadConfig(std::nullopt, {{"SLUICE_SYSTEM_NAMESPACE_PARTITION_BITS", "40"}}),
      {"rule B9", "sum to 64 bits",
       "partition_bits = 40 (environment variable SLUICE_SYSTEM_NAMESPACE_PARTITION_BITS)"});
  // Exactly 63 is the limit, and is accepted.
  const absl::StatusOr<Config> full =
      LoadFile("[system.namespace]\nstream_bits = 21\ntopic_bits = 21\npartition_bits = 21\n");
  ASSERT_TRUE(full.ok()) << full.status();
  // The environment can repair a file's widths: only the effective values are checked.
  EXPECT_TRUE(LoadFile("[system.namespace]\nstream_bits = 40\n",
                       {{"SLUICE_SYSTEM_NAMESPACE_STREAM_BITS", "12"}})
                  .ok());
}

TEST(ConfigTest, SegmentSizeIsRefusedAsAReplicatedTopicSetting) {
  for (const std::string file :
       {"[system.segment]\nsize = \"1 GiB\"\n", "[limits]\nsegment_size_bytes = 1073741824\n",
        "segment_size = 1\n"}) {
    ExpectError(LoadFile(file), {"sluice.toml:", "segment", "topic setting", "replicated",
                                 "same op", "Remove this key"});
  }
  ExpectError(LoadConfig(std::nullopt, {{"SLUICE_SYSTEM_SEGMENT_SIZE", "1048576"}}),
              {"environment variable SLUICE_SYSTEM_SEGMENT_SIZE", "topic setting", "replicated"});
}

TEST(ConfigTest, ASyntaxErrorNamesTheFileLineAndColumn) {
  ExpectError(LoadFile("[tcp]\naddress = \"0.0.0.0:8090\n"),
              {"sluice.toml:2:", "TOML syntax error"});
  ExpectError(LoadFile("[limits]\npipeline_max = 4\npipeline_max = 5\n"),
              {"sluice.toml:3:", "TOML syntax error"});
  ExpectError(LoadFile("x = \"\xff\"\n"), {"TOML syntax error"});
}

TEST(ConfigTest, AnOversizedFileIsRefused) {
  ExpectError(LoadFile(std::string(kConfigFileBytesMax + 1, '\n')), {"sluice.toml", "at most"});
}

TEST(ConfigTest, RulesBetweenValuesNameEveryKeyInvolved) {
  ExpectError(
      LoadFile("[cluster]\nreplica_index = 1\n"),
      {"replica index must be below the replica count",
       "cluster.replica_index = 1 (sluice.toml:2:17)", "cluster.replica_count = 1 (default)"});
  ExpectError(LoadFile("[cluster]\nid = \"1\"\nreplica_count = 3\n"),
              {"cluster.replicas must list one address per replica: it has 1 (default)",
               "cluster.replica_count = 3 (sluice.toml:3:17)"});
  ExpectError(LoadFile("[cluster]\nreplica_count = 2\nreplicas = [\"a:1\", \"b:1\"]\n"),
              {"non-zero cluster id", "cluster.id = 0x00000000000000000000000000000000 (default)"});
  ExpectError(LoadFile("[cluster]\nid = \"1\"\nreplica_count = 2\nreplicas = [\"a:1\", \"A:1\"]\n"),
              {"key cluster.replicas", "found \"A:1\" twice"});
  ExpectError(LoadFile("[tcp]\naddress = \"127.0.0.1:9000\"\nreplica_address = \"0.0.0.0:9000\"\n"),
              {"cannot share a port", "tcp.address = 127.0.0.1:9000 (sluice.toml:2:11)"});
  ExpectError(LoadFile("[timeouts]\nheartbeat_interval_ms = 200\n"),
              {"at least twice", "timeouts.primary_timeout_ms = 300 (default)",
               "timeouts.heartbeat_interval_ms = 200 (sluice.toml:2:25)"});
  ExpectError(LoadFile("[timeouts]\nview_change_resend_ms = 400\n"),
              {"view_change_resend_ms must be below", "view_change_timeout_ms = 400 (default)"});
  ExpectError(LoadFile("[limits]\ngroup_commit_bytes_max = 1048576\n"),
              {"group commit must hold the largest prepare", "1048832 bytes",
               "limits.group_commit_bytes_max = 1048576 (sluice.toml:2:26)"});
  ExpectError(LoadFile("[limits]\nmemory_budget_bytes = 1048576\n"),
              {"memory budget must hold a full pipeline", "8 x 1048832",
               "limits.pipeline_max = 8 (default)"});
}

TEST(ConfigTest, EveryProblemIsReportedOneALine) {
  const absl::StatusOr<Config> loaded =
      LoadFile("[tcp]\nadress = \"x:1\"\n[limits]\npipeline_max = 0\n", {{"SLUICE_NOPE", "1"}});
  ExpectError(loaded,
              {"3 problems:\n", "unknown key tcp.adress", "limits.pipeline_max", "SLUICE_NOPE"});
}

TEST(ConfigTest, ValidateConfigAppliesTheSameChecksToAConfigBuiltInCode) {
  EXPECT_TRUE(ValidateConfig(Config{}).ok());
  Config config;
  config.namespace_widths = {40, 20, 20};
  const absl::Status widths = ValidateConfig(config);
  EXPECT_EQ(widths.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(widths.message().find("rule B9"), absl::string_view::npos) << widths;
  config = Config{};
  config.root.username = "x";
  config.tcp.address.host = "bad host";
  const absl::Status values = ValidateConfig(config);
  EXPECT_NE(values.message().find("key root.username"), absl::string_view::npos) << values;
  EXPECT_NE(values.message().find("key tcp.address"), absl::string_view::npos) << values;
}

TEST(ConfigTest, TheEnvironmentIsTakenFromAnEnvironArray) {
  const char* const entries[] = {
      "SLUICE_TCP_ADDRESS=0.0.0.0:1", "HOME=/root", "NO_EQUALS", "EMPTY=", "A=b=c",
      "SLUICE_TCP_ADDRESS=0.0.0.0:2", nullptr};
  const Environment environment = EnvironmentFromEnviron(entries);
  EXPECT_EQ(
      environment,
      (Environment{
          {"SLUICE_TCP_ADDRESS", "0.0.0.0:1"}, {"HOME", "/root"}, {"EMPTY", ""}, {"A", "b=c"}}));
  EXPECT_TRUE(EnvironmentFromEnviron(nullptr).empty());
}

TEST(ConfigTest, TheRenderedDefaultsListEveryKeyAndLoadBack_B11) {
  const std::string text = RenderConfig(Config{});
  for (const KeyDescription& key : DescribeKeys()) {
    const std::string name = key.path.substr(key.path.rfind('.') + 1);
    EXPECT_NE(text.find(absl::StrCat("\n", name, " = ", key.default_value, "\n")),
              std::string::npos)
        << key.path << " missing from:\n"
        << text;
  }
  EXPECT_NE(text.find("[system.namespace]\n"), std::string::npos);
  const absl::StatusOr<Config> loaded = LoadFile(text);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, Config{});
}

TEST(ConfigTest, TheEffectiveConfigRedactsThePassword_B11) {
  Config config;
  config.root.password = "correct-horse-battery";
  const std::string text = RenderEffectiveConfig(config);
  EXPECT_EQ(text.find("correct-horse-battery"), std::string::npos) << text;
  EXPECT_NE(text.find("# password = (redacted"), std::string::npos) << text;
  const absl::StatusOr<Config> loaded = LoadFile(text);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Config expected = config;
  expected.root.password = RootConfig{}.password;
  EXPECT_EQ(*loaded, expected);
  std::ostringstream printed;
  printed << config;
  EXPECT_EQ(printed.str().find("correct-horse-battery"), std::string::npos);
}

TEST(ConfigTest, KeysAndEnvironmentVariablesCorrespondOneToOne) {
  const std::vector<KeyDescription> keys = DescribeKeys();
  std::set<std::string> variables;
  for (const KeyDescription& key : keys) {
    std::string expected = absl::StrCat("SLUICE_", key.path);
    for (char& c : expected) c = c == '.' ? '_' : static_cast<char>(std::toupper(c));
    EXPECT_EQ(key.environment_variable, expected);
    EXPECT_TRUE(variables.insert(key.environment_variable).second) << key.environment_variable;
  }
  EXPECT_EQ(RenderEnvironment(Config{}).size(), keys.size());
}

// The defaults agree with the modules that use them.
TEST(ConfigTest, DefaultsAndBoundsAgreeWithTheModulesThatUseThem) {
  const Config config;
  EXPECT_TRUE(superblock::ValidateNamespaceWidths(config.namespace_widths).ok());
  EXPECT_EQ(config.namespace_widths, superblock::NamespaceWidths{});
  EXPECT_TRUE(
      journal::ValidateJournalOptions({.cluster = 1,
                                       .slot_count = config.limits.wal_slot_count,
                                       .message_size_max = config.limits.wal_slot_size_bytes})
          .ok());
  EXPECT_EQ(config.tcp.client_frame_size_max_bytes, io::kFrameSizeMaxBytesDefault);
  EXPECT_EQ(config.limits.clients_max, metadata::MetadataConfig{}.clients_max);
  // Usernames: Iggy's bounds, as the metadata state machine enforces them.
  EXPECT_TRUE(LoadFile(absl::StrCat("[root]\nusername = \"",
                                    std::string(metadata::kUsernameLengthMax, 'u'), "\"\n"))
                  .ok());
  EXPECT_FALSE(LoadFile(absl::StrCat("[root]\nusername = \"",
                                     std::string(metadata::kUsernameLengthMax + 1, 'u'), "\"\n"))
                   .ok());
  EXPECT_FALSE(LoadFile(absl::StrCat("[root]\nusername = \"",
                                     std::string(metadata::kUsernameLengthMin - 1, 'u'), "\"\n"))
                   .ok());
  // A metadata prepare of the largest permissions blob fits a default WAL slot.
  EXPECT_GT(config.limits.wal_slot_size_bytes, metadata::kPermissionsBytesMax + 1024);
}

}  // namespace
}  // namespace sluice::config
