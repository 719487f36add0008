#pragma once
// Config: a replica's local configuration, and the ONE path that loads it (rule B11).
//
//   defaults  ->  the TOML file (if any)  ->  SLUICE_<SECTION>_<KEY> environment overrides
//             ->  validation of every value and of the rules between values
//
// Every key, its default, range and environment variable is listed in
// core/config/README.md (a test keeps that table and the code's key table equal).
//
// What is NOT here: settings every replica must agree on op by op are replicated, not
// configured. Segment size in particular is a topic setting (CreateTopic), so every
// replica rolls its segments at the same op; a config file or environment variable
// that sets one is refused with an error saying so. Namespace widths, the WAL's slot
// count and size and the client table size are configured but fixed at format time:
// bootstrap checks them against what the data directory was formatted with.
//
// core/ reads no files and no environment: the caller (the server, a test, the
// simulator) passes the file's contents and the environment in. Nothing here throws:
// bad input of any kind is an InvalidArgument status whose message names where the
// value came from (file:line:column, or the environment variable), the key, what was
// expected and what was found; every problem found is reported, one per line.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/io/clock.h"
#include "core/superblock/superblock_state.h"

namespace sluice::config {

// Timeouts are configured in milliseconds and counted in consensus ticks.
inline constexpr uint64_t kTickMs = io::kTickNs / 1'000'000;
static_assert(kTickMs * 1'000'000 == io::kTickNs, "the tick must be a whole number of ms");

// The prepare header that travels in front of every prepare body (FORMATS.md §1).
inline constexpr uint64_t kPrepareHeaderBytes = 256;

// core/vsr/replica.cc accepts at most this many replicas.
inline constexpr uint64_t kReplicaCountMax = 32;

// Where the effective config is written, relative to the data directory (rule B11).
inline constexpr absl::string_view kRuntimeDirectory = "runtime";
inline constexpr absl::string_view kEffectiveConfigPath = "runtime/current_config.toml";

// "host:port": a name or IPv4 address, or an IPv6 address in brackets ("[::1]:8090").
struct HostPort {
  std::string host;
  uint16_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
std::string ToString(const HostPort& address);

// [cluster]: who this replica is and how to reach its peers.
struct ClusterConfig {
  absl::uint128 id = 0;  // must be set (non-zero) when replica_count > 1
  uint8_t replica_count = 1;
  uint8_t replica_index = 0;
  std::vector<HostPort> replicas = {{"127.0.0.1", 8091}};  // replica i's address, in index order
  // Replica i's client address (the roster clients are sent to, and where a backup
  // relays writes to), in index order; replica_count entries when replica_count > 1.
  std::vector<HostPort> clients;
  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// [tcp]: listeners.
struct TcpConfig {
  HostPort address = {"0.0.0.0", 8090};          // the client listener (Iggy's default port)
  HostPort replica_address = {"0.0.0.0", 8091};  // the replica-to-replica listener
  // The largest frame a client may send, header included (1 MiB of body + 256).
  uint64_t client_frame_size_max_bytes = (uint64_t{1} << 20) + kPrepareHeaderBytes;
  friend bool operator==(const TcpConfig&, const TcpConfig&) = default;
};

// [root]: the root user, created by the first primary's first metadata operation from
// these credentials (DESIGN.md "Deterministic apply"); ignored once it exists. The
// password never reaches the data directory: the effective config file redacts it.
struct RootConfig {
  std::string username = "iggy";
  std::string password = "iggy";
  friend bool operator==(const RootConfig&, const RootConfig&) = default;
};

// [data]
struct DataConfig {
  std::string directory = "./local_data";
  friend bool operator==(const DataConfig&, const DataConfig&) = default;
};

// [recovery]
struct RecoveryConfig {
  // Rule B3's operator opt-in: on a single node, clamp consumer offsets that point past
  // the recovered end of the log (each clamp logged) instead of refusing to boot.
  bool clamp_consumer_offsets = false;
  friend bool operator==(const RecoveryConfig&, const RecoveryConfig&) = default;
};

// [timeouts]: configured as `<name>_ms`, held in ticks of io::kTickNs.
struct TimeoutsConfig {
  uint64_t heartbeat_interval_ticks = 5;              // primary: commit heartbeat period
  uint64_t primary_timeout_ticks = 30;                // backup: silence before a view change
  uint64_t view_change_timeout_ticks = 40;            // a view change not done by then moves on
  uint64_t view_change_resend_ticks = 5;              // start_view_change / do_view_change resend
  uint64_t prepare_retry_ticks = 5;                   // primary: resend unacknowledged prepares
  uint64_t repair_retry_ticks = 2;                    // repair requests per lagging group
  uint64_t forward_timeout_ticks = 200;               // backup: give up on a request forwarded
  uint64_t session_idle_ticks = 30'000;               // primary: expire a session idle this long
  uint64_t consumer_group_member_dead_ticks = 3'000;  // primary: remove a silent member
  friend bool operator==(const TimeoutsConfig&, const TimeoutsConfig&) = default;
};

// [limits]: local sizes and bounds (DESIGN.md "Bounds").
struct LimitsConfig {
  uint64_t wal_slot_count = 1024;             // metadata WAL ring (fixed at format)
  uint64_t wal_slot_size_bytes = 128 * 1024;  // one metadata prepare, header included
  uint64_t prepare_size_max_bytes = 1 << 20;  // a partition prepare's body (a batch)
  uint64_t group_commit_bytes_max = 4 << 20;  // one group commit's write, at most
  uint64_t pipeline_max = 8;                  // uncommitted ops per group
  uint64_t memory_budget_bytes = 256 << 20;   // pipeline + slow readers, per replica
  uint64_t clients_max = 1024;                // client table entries (fixed at format)
  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

struct Config {
  superblock::NamespaceWidths namespace_widths;  // [system.namespace] (rule B9)
  ClusterConfig cluster;
  TcpConfig tcp;
  RootConfig root;
  DataConfig data;
  RecoveryConfig recovery;
  TimeoutsConfig timeouts;
  LimitsConfig limits;
  friend bool operator==(const Config&, const Config&) = default;
};

// A config file's contents; `path` only names it in messages (core/ reads no files).
struct ConfigFile {
  std::string path;
  std::string contents;
};

// The process environment, name -> value. Only SLUICE_ variables are looked at.
using Environment = std::map<std::string, std::string>;

// A config file larger than this is refused (a config file is a few KiB).
inline constexpr size_t kConfigFileBytesMax = 1 << 20;

// The one loading path of rule B11: defaults, then `file`, then the SLUICE_ variables
// of `environment`, then validation (ValidateConfig's rules). InvalidArgument listing
// every problem otherwise: a syntax error, an unknown key or table in the file, an
// unknown SLUICE_ variable (typos are never ignored), a value of the wrong type or out
// of range, a segment-size key, or a broken rule between values (B9 among them).
absl::StatusOr<Config> LoadConfig(const std::optional<ConfigFile>& file,
                                  const Environment& environment);

// Checks every value's range and the rules between values (the checks LoadConfig
// applies), for a Config built in code. InvalidArgument listing every problem.
absl::Status ValidateConfig(const Config& config);

// Canonical TOML for `config`: every key, defaults included, one comment line each,
// in the README's order. LoadConfig(ConfigFile{..., RenderConfig(c)}, {}) == c for
// every valid c. Contains the root password.
std::string RenderConfig(const Config& config);

// RenderConfig with the root password replaced by a comment: what is written to the
// data directory (secrets never reach it). Loading it gives the default password.
std::string RenderEffectiveConfig(const Config& config);

// The SLUICE_ variables that set every key to `config`'s value:
// LoadConfig(std::nullopt, RenderEnvironment(c)) == c for every valid c. For
// launching replicas with a config (e.g. a local cluster), and for tests.
Environment RenderEnvironment(const Config& config);

// The environment from a null-terminated "NAME=value" array such as `environ`, which
// the server passes in (core/ never calls getenv). Entries without '=' are skipped.
Environment EnvironmentFromEnviron(const char* const* entries);

// One key of the table README.md documents.
struct KeyDescription {
  std::string path;                  // "system.namespace.stream_bits"
  std::string environment_variable;  // "SLUICE_SYSTEM_NAMESPACE_STREAM_BITS"
  std::string default_value;         // as TOML renders it: 12, "iggy", ["127.0.0.1:8091"]
  std::string expected;              // "an integer in [1, 64]"
  std::string description;
};
std::vector<KeyDescription> DescribeKeys();

// RenderEffectiveConfig's text (the password redacted), for logs and test failures.
std::ostream& operator<<(std::ostream& out, const Config& config);

}  // namespace sluice::config
