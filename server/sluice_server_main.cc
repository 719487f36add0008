// sluice-server: the production binary.
//
//   sluice-server format --cluster-id HEX --replica-count N --replica-id I
//                        [--config FILE] [--recover]
//   sluice-server start  [--config FILE] [--replica-id I]
//   sluice-server inspect [DATA_DIR] [--wal-slots N] [--wal-message-size BYTES]
//   sluice-server --help
//
// Configuration comes from one path (rule B11): the TOML file, then SLUICE_…
// environment variables (core/config); flags given here override those two for
// the keys they name. `start` boots from whatever the data directory holds (it
// refuses a directory with no valid superblock: rule B17), logs every bootstrap
// decision, writes the effective config to runtime/current_config.toml, and runs
// until SIGTERM or SIGINT, then shuts down cleanly.
//
// Exit codes: 0 clean shutdown / formatted; 1 boot or format refused (the message
// names the file, op or rule); 2 usage or config error. `inspect` has its own, those
// of `./sluice inspect` (server/inspect_command.h).
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/memory_budget.h"
#include "core/config/config.h"
#include "core/config/effective_config.h"
#include "core/io/task.h"
#include "core/metadata/password_kdf.h"
#include "core/metadata_store/format_metadata.h"
#include "core/replica/retention_driver.h"
#include "core/replica/session_expiry_driver.h"
#include "core/replica/cluster_replica.h"
#include "core/replica/single_node_replica.h"
#include "io_backends/uring/tcp_listener.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_network.h"
#include "io_backends/uring/uring_storage.h"
#include "server/client_listener.h"
#include "server/inspect_command.h"
#include "server/replica_options.h"
#include "server/threaded_secret_hasher.h"

extern char** environ;

namespace sluice::server {
namespace {

constexpr int kExitOk = 0, kExitRefused = 1, kExitUsage = 2;

volatile sig_atomic_t stop_requested = 0;
void OnStopSignal(int) { stop_requested = 1; }

const char kHelp[] = R"(usage: sluice-server <command> [flags]

commands:
  format   create a replica's data directory (superblock, metadata snapshot, WAL)
             --cluster-id HEX      the cluster's id (1-32 hex digits)
             --replica-count N     replicas in the cluster (1 = a single node)
             --replica-id I        this replica's index, 0..N-1
             --recover             the replica lost its data: it rejoins as a
                                   non-voter until it has state-synced (rule B17)
  start    boot from the data directory and serve until SIGTERM / SIGINT; with
           cluster.replica_count > 1, one replica of a cluster (cluster.replicas,
           cluster.clients, tcp.replica_address; a backup relays writes to the
           primary's client port)
             --replica-id I        this replica's index (overrides the config)
  inspect [DATA_DIR]  print what boot would find, decide and repair in DATA_DIR
                     (default ./local_data), changing nothing: it boots a copy
             --wal-slots N / --wal-message-size BYTES  the metadata WAL's options
                                   (default: DATA_DIR/runtime/current_config.toml)
             exit codes: 0 healthy, 1 repairable, 2 refused (boot would stop),
                         3 unsupported (multi-replica directory), 64 usage
  common (format, start; inspect takes --data-dir only):
             --config FILE         TOML config (then SLUICE_... environment overrides)
             --data-dir DIR        data directory (default ./local_data)

exit codes (format, start): 0 ok, 1 refused (boot or format), 2 usage or config error
)";

struct Flags {
  std::string command;
  std::optional<std::string> config_path;
  std::optional<std::string> data_dir;
  std::optional<std::string> cluster_id;
  std::optional<uint64_t> replica_count;
  std::optional<uint64_t> replica_id;
  bool recover = false;
};

int Usage(const std::string& message) {
  std::fprintf(stderr, "sluice-server: %s\nRun 'sluice-server --help' for usage.\n",
               message.c_str());
  return kExitUsage;
}

std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  if (argc < 2) return Usage("missing command");
  flags.command = argv[1];
  if (flags.command == "--help" || flags.command == "help") {
    std::printf("%s", kHelp);
    return kExitOk;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    uint64_t number = 0;
    if (flag == "--recover") {
      flags.recover = true;
    } else if (flag == "--help") {
      std::printf("%s", kHelp);
      return kExitOk;
    } else if (!has_value) {
      return Usage(absl::StrCat("unknown or incomplete flag: ", flag));
    } else if (flag == "--config") {
      flags.config_path = argv[++i];
    } else if (flag == "--data-dir") {
      flags.data_dir = argv[++i];
    } else if (flag == "--cluster-id") {
      flags.cluster_id = argv[++i];
    } else if ((flag == "--replica-count" || flag == "--replica-id") &&
               absl::SimpleAtoi(argv[i + 1], &number)) {
      (flag == "--replica-count" ? flags.replica_count : flags.replica_id) = number;
      ++i;
    } else {
      return Usage(absl::StrCat("unknown flag or bad value: ", flag, " ", argv[i + 1]));
    }
  }
  if (flags.command != "format" && flags.command != "start") {
    return Usage(absl::StrCat("unknown command: ", flags.command));
  }
  return std::nullopt;
}

// The one config path: file, then environment; the flags are environment overrides
// so they pass the same validation.
absl::StatusOr<config::Config> LoadServerConfig(const Flags& flags) {
  std::optional<config::ConfigFile> file;
  if (flags.config_path.has_value()) {
    std::ifstream in(*flags.config_path, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read config file ", *flags.config_path,
                                                     ": ", std::strerror(errno)));
    }
    file = config::ConfigFile{*flags.config_path,
                              std::string(std::istreambuf_iterator<char>(in), {})};
  }
  config::Environment environment = config::EnvironmentFromEnviron(environ);
  if (flags.data_dir) environment["SLUICE_DATA_DIRECTORY"] = *flags.data_dir;
  if (flags.cluster_id) environment["SLUICE_CLUSTER_ID"] = *flags.cluster_id;
  if (flags.replica_count) {
    environment["SLUICE_CLUSTER_REPLICA_COUNT"] = absl::StrCat(*flags.replica_count);
  }
  if (flags.replica_id) environment["SLUICE_CLUSTER_REPLICA_INDEX"] = absl::StrCat(*flags.replica_id);
  return config::LoadConfig(file, environment);
}

template <typename T>
T RunTask(uring::UringLoop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
}

int Format(const config::Config& config, bool recover) {
  const std::string& directory = config.data.directory;
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    std::fprintf(stderr, "format: cannot create %s: %s\n", directory.c_str(), error.message().c_str());
    return kExitRefused;
  }
  absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "format: %s\n", loop.status().ToString().c_str());
    return kExitRefused;
  }
  uring::UringStorage storage(**loop, directory);
  const absl::Status formatted =
      RunTask(**loop, metadata_store::FormatMetadata(storage, FormatFromConfig(config, recover)));
  if (!formatted.ok()) {
    std::fprintf(stderr, "format refused: %s\n", formatted.ToString().c_str());
    return kExitRefused;
  }
  std::printf("formatted %s: cluster %s, replica %u of %u%s\n", directory.c_str(),
              absl::StrCat(absl::Hex(absl::Uint128Low64(config.cluster.id))).c_str(),
              config.cluster.replica_index, config.cluster.replica_count,
              recover ? ", recovering (not a voter until state-synced, rule B17)" : "");
  return kExitOk;
}

// The replica's memory budget split into its pools (core/base/memory_budget.h):
// frames toward the other replicas (of up to `replica_frame_bytes_max`) and replies
// toward clients. A budget too small to hold two largest frames per peer is a
// configuration error.
absl::StatusOr<base::MemoryBudget> MemoryBudgetFromConfig(const config::Config& config,
                                                         uint64_t replica_frame_bytes_max) {
  const uint64_t frame_bytes_max =
      std::max<uint64_t>(replica_frame_bytes_max, config.tcp.client_frame_size_max_bytes);
  absl::StatusOr<base::MemoryBudget> budget = base::MemoryBudget::Split(
      config.limits.memory_budget_bytes, frame_bytes_max, config.cluster.replica_count - 1);
  if (!budget.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("limits.memory_budget_bytes: ", budget.status().message()));
  }
  return budget;
}

ClientListenerOptions ClientListenerOptionsFromConfig(const config::Config& config,
                                                      const base::MemoryBudget& budget) {
  ClientListenerOptions options;
  options.output_bytes_max = budget.client_output_bytes;
  options.address = {.host = config.tcp.address.host, .port = config.tcp.address.port};
  options.frame_size_max_bytes = config.tcp.client_frame_size_max_bytes;
  options.batch_size_bytes_max = config.limits.prepare_size_max_bytes;
  options.clients_max = config.limits.clients_max;
  options.identity.data_directory = config.data.directory;
  return options;
}

// Salts for password hashes: the OS's randomness (production only; the simulator
// seeds its own).
Bytes OsSalt() {
  std::random_device device;
  Bytes salt(metadata::kPasswordSaltBytes);
  for (uint8_t& byte : salt) byte = static_cast<uint8_t>(device());
  return salt;
}

// Serves until SIGTERM / SIGINT (the loop looks at the flag every tick).
void WatchStopFlag(uring::UringLoop& loop) {
  if (!stop_requested) loop.ScheduleAfterTicks(1, [&loop] { WatchStopFlag(loop); });
}

void ServeUntilStopped(uring::UringLoop& loop) {
  WatchStopFlag(loop);
  while (!stop_requested) loop.RunOnce();
}

// One replica of a cluster (replica_count > 1): a ClusterReplica over UringStorage and
// UringNetwork (replica-to-replica TCP), its clients served by the listener (a backup
// relays writes to the primary, client_listener.h).
int StartCluster(const config::Config& config) {
  const uint8_t self = config.cluster.replica_index;
  if (config.cluster.clients.size() != config.cluster.replica_count) {
    std::fprintf(stderr,
                 "config error:\na cluster of %u replicas needs cluster.clients (SLUICE_CLUSTER_CLIENTS): "
                 "every replica's client address, in index order; it has %zu\n",
                 config.cluster.replica_count, config.cluster.clients.size());
    return kExitUsage;
  }
  if (config.tcp.replica_address.port != 0 && config.tcp.replica_address.port != config.cluster.replicas[self].port) {
    std::printf("note: listening for replicas on port %u while cluster.replicas names port %u for replica %u\n",
                config.tcp.replica_address.port, config.cluster.replicas[self].port, self);
  }
  absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "start: %s\n", loop.status().ToString().c_str());
    return kExitRefused;
  }
  signal(SIGTERM, OnStopSignal);
  signal(SIGINT, OnStopSignal);
  // The root user's CreateUser, hashed now (Argon2id is slow), submitted by the
  // first primary if the state has no user (served_replica.h).
  const Bytes salt = OsSalt();
  absl::StatusOr<Bytes> root_body = RootUserBody(config.root.username, config.root.password, salt, {});
  if (!root_body.ok()) {
    std::fprintf(stderr, "start: hashing the root password: %s\n", root_body.status().ToString().c_str());
    return kExitRefused;
  }
  uring::UringNetworkOptions network_options;
  network_options.self = self;
  for (const config::HostPort& address : config.cluster.replicas) {
    network_options.replicas.push_back({.host = address.host, .port = address.port});
  }
  if (self > 0) {
    absl::StatusOr<uring::TcpListener> socket = uring::TcpListener::Listen(
        {.host = config.tcp.replica_address.host, .port = config.tcp.replica_address.port});
    if (!socket.ok()) {
      std::fprintf(stderr, "start refused: the replica listener on %s: %s\n",
                   config::ToString(config.tcp.replica_address).c_str(), socket.status().ToString().c_str());
      return kExitRefused;
    }
    network_options.replica_listener = *std::move(socket);
  }
  // A prepare of the largest batch, with room for VSR's own headers around it.
  network_options.frame_size_max_bytes =
      std::max<size_t>(io::kFrameSizeMaxBytesDefault, config.limits.prepare_size_max_bytes + 64 * 1024);
  network_options.send_queue_bytes_max = 8 * network_options.frame_size_max_bytes;
  const absl::StatusOr<base::MemoryBudget> budget =
      MemoryBudgetFromConfig(config, network_options.frame_size_max_bytes);
  if (!budget.ok()) {
    std::fprintf(stderr, "start refused: %s\n", budget.status().ToString().c_str());
    return kExitRefused;
  }
  // Every frame queued toward the other replicas (prepares, repair answers, state
  // sync chunks) is charged here; declared before the network, which outlives it not.
  base::MemoryPool replica_send_pool(budget->replica_send_bytes);
  network_options.replica_send_pool = &replica_send_pool;
  network_options.log = [](absl::string_view line) {
    std::fprintf(stderr, "replica port: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  absl::StatusOr<std::unique_ptr<uring::UringNetwork>> network =
      uring::UringNetwork::Create(**loop, std::move(network_options));
  if (!network.ok()) {
    std::fprintf(stderr, "start refused: %s\n", network.status().ToString().c_str());
    return kExitRefused;
  }
  uring::UringStorage storage(**loop, config.data.directory);
  std::printf("booting replica %u of %u from %s\n", self, config.cluster.replica_count,
              config.data.directory.c_str());
  std::fflush(stdout);
  replica::ClusterReplicaOptions replica_options = ClusterReplicaOptionsFromConfig(config);
  replica_options.pipeline_bytes_max = budget->pipeline_bytes;
  absl::StatusOr<std::unique_ptr<replica::ClusterReplica>> replica =
      RunTask(**loop, replica::ClusterReplica::Open(storage, **loop, **network, std::move(replica_options), nullptr));
  if (!replica.ok()) {
    std::fprintf(stderr, "boot refused: %s\n", replica.status().ToString().c_str());
    return kExitRefused;
  }
  for (const std::string& decision : (*replica)->boot_log().decisions) std::printf("boot: %s\n", decision.c_str());
  for (const std::string& warning : (*replica)->boot_log().warnings) {
    std::printf("boot warning: %s\n", warning.c_str());
  }
  if (const absl::Status written = RunTask(**loop, config::WriteEffectiveConfig(storage, config)); !written.ok()) {
    std::fprintf(stderr, "writing %s: %s\n", std::string(config::kEffectiveConfigPath).c_str(),
                 written.ToString().c_str());
    return kExitRefused;
  }
  ClusterServed served(**replica, config.cluster.replica_count, *std::move(root_body));
  ClientListenerOptions listener_options = ClientListenerOptionsFromConfig(config, *budget);
  listener_options.identity.start_time_us = (*loop)->RealtimeNs() / 1000;
  listener_options.identity.node_name = absl::StrCat("sluice-node-", self);
  for (const config::HostPort& address : config.cluster.clients) {
    listener_options.cluster_clients.push_back({.host = address.host, .port = address.port});
  }
  ThreadedSecretHasher hasher(**loop);
  absl::StatusOr<std::unique_ptr<ClientListener>> listener =
      ClientListener::Start(**loop, served, hasher, std::move(listener_options));
  if (!listener.ok()) {
    std::fprintf(stderr, "start refused: %s\n", listener.status().ToString().c_str());
    return kExitRefused;
  }
  // Retention: the primary's decision, replicated as ops; a backup's driver plans
  // nothing (core/replica/retention_driver.h); every 5 s.
  replica::RetentionDriver retention(**replica, **loop, replica::RetentionDriverOptions{.interval_ticks = 500});
  // Idle sessions and silent consumer-group members: ended by the primary, from its
  // clock and the activity the replicas note (core/replica/session_expiry_driver.h).
  replica::SessionExpiryDriver expiry(**replica, **loop,
                                      {.session_idle_ticks = config.timeouts.session_idle_ticks,
                                       .member_dead_ticks = config.timeouts.consumer_group_member_dead_ticks});
  std::printf("listening for replicas on %s: replica %u of %u, view %u\n",
              config::ToString(config.tcp.replica_address).c_str(), self, config.cluster.replica_count,
              (*replica)->consensus().view());
  std::printf("listening for clients on %s:%u\n", config.tcp.address.host.c_str(),
              static_cast<unsigned>((*listener)->port()));
  std::printf("serving: metadata at op %llu; stop with SIGTERM\n",
              static_cast<unsigned long long>((*replica)->metadata().last_applied_op));
  std::fflush(stdout);
  ServeUntilStopped(**loop);
  (*listener)->Stop();
  if (!retention.failure().ok()) {
    std::fprintf(stderr, "retention stopped earlier: %s\n", retention.failure().ToString().c_str());
  }
  if (!expiry.failure().ok()) {
    std::fprintf(stderr, "session expiry stopped earlier: %s\n", expiry.failure().ToString().c_str());
  }
  while (!(*listener)->Idle()) {
    SLUICE_ASSERT((*loop)->RunOnce(), "the loop ran dry with a poll or a login running");
  }
  // A cluster replica has no drain or close yet (core/replica): what it has not made
  // durable is what a crash loses, which VSR recovers from its peers. The process
  // ends here, without tearing the replica down under its own I/O.
  std::printf("stopped (replica %u, view %u, commit %llu)\n", self, (*replica)->consensus().view(),
              static_cast<unsigned long long>((*replica)->metadata().last_applied_op));
  std::fflush(nullptr);
  std::_Exit(kExitOk);
}

int Start(const config::Config& config) {
  if (config.cluster.replica_count != 1) return StartCluster(config);
  absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "start: %s\n", loop.status().ToString().c_str());
    return kExitRefused;
  }
  uring::UringStorage storage(**loop, config.data.directory);
  // Installed before anything else: a stop requested during boot takes effect once
  // boot has finished (never in the middle of it).
  signal(SIGTERM, OnStopSignal);
  signal(SIGINT, OnStopSignal);
  std::printf("booting from %s\n", config.data.directory.c_str());
  absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>> replica =
      RunTask(**loop, replica::SingleNodeReplica::Open(storage, ReplicaOptionsFromConfig(config),
                                                       OsSalt));
  if (!replica.ok()) {
    std::fprintf(stderr, "boot refused: %s\n", replica.status().ToString().c_str());
    return kExitRefused;
  }
  for (const std::string& decision : (*replica)->boot_log().decisions) {
    std::printf("boot: %s\n", decision.c_str());
  }
  for (const std::string& warning : (*replica)->boot_log().warnings) {
    std::printf("boot warning: %s\n", warning.c_str());
  }
  if (const absl::Status written = RunTask(**loop, config::WriteEffectiveConfig(storage, config));
      !written.ok()) {
    std::fprintf(stderr, "writing %s: %s\n", std::string(config::kEffectiveConfigPath).c_str(),
                 written.ToString().c_str());
    return kExitRefused;
  }
  const absl::StatusOr<base::MemoryBudget> budget = MemoryBudgetFromConfig(config, 0);
  if (!budget.ok()) {
    std::fprintf(stderr, "start refused: %s\n", budget.status().ToString().c_str());
    return kExitRefused;
  }
  ClientListenerOptions listener_options = ClientListenerOptionsFromConfig(config, *budget);
  listener_options.identity.start_time_us = (*loop)->RealtimeNs() / 1000;
  // Logins' Argon2id runs on this hasher's worker thread, not on the loop.
  ThreadedSecretHasher hasher(**loop);
  absl::StatusOr<std::unique_ptr<ClientListener>> listener =
      ClientListener::Start(**loop, **replica, hasher, std::move(listener_options));
  if (!listener.ok()) {
    std::fprintf(stderr, "start refused: %s\n", listener.status().ToString().c_str());
    return kExitRefused;
  }
  // Retention (topics' message expiry and size limits) is the primary's decision,
  // replicated as ops (core/replica/retention_driver.h); every 5 s.
  auto retention = std::make_unique<replica::RetentionDriver>(**replica, **loop,
                                                              replica::RetentionDriverOptions{.interval_ticks = 500});
  std::printf("listening for clients on %s:%u\n", config.tcp.address.host.c_str(),
              static_cast<unsigned>((*listener)->port()));
  std::printf("serving: metadata at op %llu, %zu partition(s); stop with SIGTERM\n",
              static_cast<unsigned long long>((*replica)->metadata().last_applied_op),
              (*replica)->partition_count());
  std::fflush(stdout);

  // The loop wakes every tick to look at the signal flag (a handler may only set it).
  ServeUntilStopped(**loop);
  // No new requests from here; polls already reading finish (their replies are
  // dropped) before the replica closes under them.
  (*listener)->Stop();
  if (!retention->failure().ok()) {
    std::fprintf(stderr, "retention stopped earlier: %s\n", retention->failure().ToString().c_str());
  }
  retention.reset();
  while (!(*listener)->Idle()) {
    SLUICE_ASSERT((*loop)->RunOnce(), "the loop ran dry with a poll or a login running");
  }
  const absl::Status closed = RunTask(**loop, (*replica)->Close());
  if (!closed.ok()) {
    std::fprintf(stderr, "shutdown: %s\n", closed.ToString().c_str());
    return kExitRefused;
  }
  std::printf("stopped cleanly\n");
  return kExitOk;
}

}  // namespace
}  // namespace sluice::server

int main(int argc, char** argv) {
  using namespace sluice::server;
  if (argc >= 2 && std::string(argv[1]) == "inspect") {
    return RunInspect(std::vector<std::string>(argv + 2, argv + argc));
  }
  Flags flags;
  if (const std::optional<int> exit_code = ParseFlags(argc, argv, flags)) return *exit_code;
  const absl::StatusOr<sluice::config::Config> config = LoadServerConfig(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "config error:\n%s\n", std::string(config.status().message()).c_str());
    return kExitUsage;
  }
  if (flags.command == "format") return Format(*config, flags.recover);
  return Start(*config);
}
