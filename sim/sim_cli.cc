// `./sluice sim`: the deterministic simulation campaign.
//
// Today the campaign runs three randomized workloads per seed: the storage workload
// (sim/storage_workload.h: concurrent file and directory operations with process
// restarts and machine crashes) and the network workload (sim/sim_network_workload.h:
// nodes exchanging frames through the packet simulator under loss, duplication,
// reordering, clogging, partitions and node crashes), each drawing its own fault
// profile (swarm testing); and the one-replica workload (sim/replica_workload.h:
// clients creating and deleting streams and topics and sending messages while the
// replica's process dies at random points, bootstrap included, and files are damaged
// behind its back, with checkers after every boot). Each is run twice in this
// process; the two digests of what it observed must match. Multi-replica clusters
// join the campaign with the replicated replica; the flags, the output and the exit
// codes stay.
#include "sim/sim_cli.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/fault_profile.h"
#include "sim/network_fault_profile.h"
#include "sim/replica_cluster/cluster_workload.h"
#include "sim/sim_network_workload.h"
#include "sim/storage_workload.h"

namespace sluice::sim {
namespace {

constexpr char kDefaultRegressionsFile[] = "sim/regression_seeds.txt";

const char kHelp[] = R"(usage: ./sluice sim [flags]

Runs the deterministic simulation campaign. Each seed is one reproducible run of
three workloads: storage (files and directories under crashes), network (frames
through the packet simulator) and one replica (clients, process deaths at random
points including mid-bootstrap, machine crashes, files removed, truncated or
corrupted behind the replica's back; checkers after every boot). Each workload runs
twice per seed and must print the same digest. A failure prints the seed, the
violated invariant and the command that replays it. With --replicas 3 or 5, each
seed also runs a replicated cluster of that size (sim/replica_cluster: clients creating
and deleting topics and sending messages through the primary while replicas crash and
restart under the seed's network faults, then a liveness phase that must converge,
then every replica must serve every acknowledged message, once; every restarted
replica must still hold, whole or as a faulty entry to repair, every op it had made
durable before it went down: rules B4, B7).

flags:
  --seed N            run one seed with a detailed event log, print its digest
  --seeds COUNT       run COUNT seeds (default 1000), starting at --first-seed
  --first-seed N      first seed of the campaign (default 0)
  --shard I/N         run only the seeds s with s mod N == I (split a campaign
                      across machines; the shards together cover every seed once)
  --regressions       run the checked-in regression seeds (sim/regression_seeds.txt,
                      relative to the working directory) instead of a range
  --regressions-file PATH
                      the same with another list (one seed per line, '#' comments;
                      sim/cluster_regression_seeds.txt is the --replicas 3 list)
  --profile NAME      faults of the storage and network workloads and the cluster's
                      network: none, light, heavy or swarm (default swarm: each
                      seed draws its own odds); the one-replica workload and the
                      cluster's storage and process faults always draw their own
  --operations N      operations per seed and workload (default 300)
  --replicas N        1 (default: the workloads above), or 3 or 5: add the
                      replicated cluster workload with that many replicas
  --json              print the result as one JSON object on stdout (a campaign:
                      totals and one {seed, verdict, digest} per seed; --seed: that
                      seed's verdict and digests, without the event log)
  --help              show this help

exit codes: 0 passed, 1 safety violation (an invariant or determinism failed),
2 usage error, 3 liveness failure (a workload stopped making progress), 4 simulator
crash (an assertion or a fatal signal; the message names the seed)
)";

struct Flags {
  std::optional<uint64_t> single_seed;
  uint64_t seeds = 1000;
  uint64_t first_seed = 0;
  uint64_t shard_index = 0;
  uint64_t shard_count = 1;
  std::optional<std::string> regressions_file;
  std::string profile = "swarm";
  uint64_t operations = 300;
  uint64_t replicas = 1;
  bool json = false;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice sim: %s\nRun './sluice sim --help' for the flags.\n", message.c_str());
  return kExitUsage;
}

// --- crash reporting: an abort or fatal signal exits with kExitCrash, naming the seed ---

char crash_note[512] = "sluice sim: crashed before the first seed\n";

void OnFatalSignal(int signal_number) {
  const char prefix[] = "\nsluice sim: CRASHED (fatal signal) ";
  (void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  (void)!write(STDERR_FILENO, crash_note, strnlen(crash_note, sizeof(crash_note)));
  (void)signal_number;
  _exit(kExitCrash);
}

void InstallCrashHandlers() {
  for (const int signal_number : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    struct sigaction action {};
    action.sa_handler = OnFatalSignal;
    sigemptyset(&action.sa_mask);
    sigaction(signal_number, &action, nullptr);
  }
}

std::string ReplayCommand(uint64_t seed, const Flags& flags) {
  std::string command = absl::StrFormat("./sluice sim --seed %d", seed);
  if (flags.profile != "swarm") absl::StrAppend(&command, " --profile ", flags.profile);
  if (flags.operations != 300) absl::StrAppend(&command, " --operations ", flags.operations);
  if (flags.replicas != 1) absl::StrAppend(&command, " --replicas ", flags.replicas);
  return command;
}

void NoteSeed(uint64_t seed, const Flags& flags) {
  std::snprintf(crash_note, sizeof(crash_note), "while running seed %llu; replay: %s\n",
                static_cast<unsigned long long>(seed), ReplayCommand(seed, flags).c_str());
}

// --- flags ---

std::optional<int> ParseShard(const std::string& text, Flags& flags) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &flags.shard_index) ||
      !absl::SimpleAtoi(parts[1], &flags.shard_count) || flags.shard_count == 0 ||
      flags.shard_index >= flags.shard_count) {
    return UsageError("--shard takes I/N with 0 <= I < N");
  }
  return std::nullopt;
}

// Returns an exit code if parsing ended the run (error or --help).
std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  bool range_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto number = [&](uint64_t& out) -> bool {
      const std::optional<std::string> text = value();
      return text.has_value() && absl::SimpleAtoi(*text, &out);
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return kExitPassed;
    } else if (arg == "--seed") {
      uint64_t seed = 0;
      if (!number(seed)) return UsageError("--seed takes a number");
      flags.single_seed = seed;
    } else if (arg == "--seeds") {
      if (!number(flags.seeds) || flags.seeds == 0) return UsageError("--seeds takes a positive count");
      range_given = true;
    } else if (arg == "--first-seed") {
      if (!number(flags.first_seed)) return UsageError("--first-seed takes a number");
      range_given = true;
    } else if (arg == "--shard") {
      if (std::optional<int> error = ParseShard(value().value_or(""), flags)) return error;
    } else if (arg == "--regressions") {
      flags.regressions_file = kDefaultRegressionsFile;
    } else if (arg == "--regressions-file") {
      const std::optional<std::string> path = value();
      if (!path.has_value() || path->empty()) return UsageError("--regressions-file takes a path");
      flags.regressions_file = *path;
    } else if (arg == "--profile") {
      flags.profile = value().value_or("");
      if (flags.profile != "swarm" && (!StorageFaultProfileByName(flags.profile).ok() ||
                                       !NetworkFaultProfileByName(flags.profile).ok())) {
        return UsageError("--profile takes none, light, heavy or swarm");
      }
    } else if (arg == "--operations") {
      if (!number(flags.operations) || flags.operations == 0) {
        return UsageError("--operations takes a positive number");
      }
    } else if (arg == "--replicas") {
      if (!number(flags.replicas) || (flags.replicas != 1 && flags.replicas != 3 && flags.replicas != 5)) {
        return UsageError("--replicas takes 1, 3 or 5");
      }
    } else if (arg == "--json") {
      flags.json = true;
    } else {
      return UsageError("unknown flag: " + arg);
    }
  }
  if (flags.single_seed.has_value() && (range_given || flags.regressions_file.has_value())) {
    return UsageError("--seed runs one seed: it does not combine with --seeds, --first-seed or --regressions");
  }
  if (flags.regressions_file.has_value() && range_given) {
    return UsageError("--regressions runs the listed seeds: it does not combine with --seeds or --first-seed");
  }
  if (!flags.single_seed.has_value() && flags.seeds - 1 > UINT64_MAX - flags.first_seed) {
    return UsageError("--first-seed + --seeds overflows 64 bits");
  }
  return std::nullopt;
}

// One seed per line; '#' starts a comment; blank lines are skipped.
std::optional<int> ReadRegressionSeeds(const std::string& path, std::vector<uint64_t>& seeds) {
  std::ifstream file(path);
  if (!file) return UsageError("cannot read the regression seeds file " + path);
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    const std::string text(absl::StripAsciiWhitespace(line.substr(0, line.find('#'))));
    if (text.empty()) continue;
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(text, &seed)) {
      return UsageError(absl::StrCat(path, ":", number, ": expected a seed, found '", text, "'"));
    }
    seeds.push_back(seed);
  }
  if (seeds.empty()) return UsageError(path + " lists no seeds");
  return std::nullopt;
}

StorageWorkloadOptions StorageOptions(const Flags& flags) {
  StorageWorkloadOptions options;
  options.operations = flags.operations;
  if (flags.profile != "swarm") options.profile = *StorageFaultProfileByName(flags.profile);
  return options;
}

ReplicaWorkloadOptions ReplicaOptions(const Flags& flags) { return {.operations = flags.operations}; }

ClusterWorkloadOptions ClusterOptions(const Flags& flags) {
  ClusterWorkloadOptions options{.replicas = static_cast<uint8_t>(flags.replicas), .operations = flags.operations};
  if (flags.profile != "swarm") options.network = *NetworkFaultProfileByName(flags.profile);
  return options;
}

NetworkWorkloadOptions NetworkOptions(const Flags& flags) {
  NetworkWorkloadOptions options;
  if (flags.profile != "swarm") options.profile = *NetworkFaultProfileByName(flags.profile);
  return options;
}

// --- one seed ---

enum class Verdict { kPassed, kSafety, kLiveness };

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed: return "passed";
    case Verdict::kSafety: return "safety";
    case Verdict::kLiveness: return "liveness";
  }
  return "?";
}

// Every workload of one seed, each run twice in this process.
struct SeedOutcome {
  StorageWorkloadResult storage;
  NetworkWorkloadResult network;
  ReplicaWorkloadResult replica;
  std::optional<ClusterWorkloadResult> cluster;  // with --replicas 3 or 5
  std::string nondeterminism;  // which digests differed between the two runs, if any
  std::string failure;         // the first violated invariant or liveness failure
  Verdict verdict = Verdict::kPassed;
  std::string digest() const {
    return storage.digest + network.digest + replica.digest + (cluster.has_value() ? cluster->digest : "");
  }
};

SeedOutcome RunSeed(uint64_t seed, const Flags& flags, const SimCliHooks& hooks,
                    const std::function<void(const std::string&)>& trace_prefixed) {
  NoteSeed(seed, flags);
  SeedOutcome outcome;
  ReplicaWorkloadOptions replica_options = ReplicaOptions(flags);
  StorageWorkloadOptions storage_options = StorageOptions(flags);
  NetworkWorkloadOptions network_options = NetworkOptions(flags);
  if (trace_prefixed) {
    replica_options.trace = [&](const std::string& line) { trace_prefixed("replica " + line); };
    storage_options.trace = [&](const std::string& line) { trace_prefixed("storage " + line); };
    network_options.trace = [&](const std::string& line) { trace_prefixed("network " + line); };
  }
  outcome.replica = RunReplicaWorkload(seed, replica_options);
  if (hooks.after_replica_run) hooks.after_replica_run(seed, outcome.replica);
  const ReplicaWorkloadResult replica_again = RunReplicaWorkload(seed, ReplicaOptions(flags));
  outcome.storage = RunStorageWorkload(seed, storage_options);
  const StorageWorkloadResult storage_again = RunStorageWorkload(seed, StorageOptions(flags));
  outcome.network = RunNetworkWorkload(seed, network_options);
  const NetworkWorkloadResult network_again = RunNetworkWorkload(seed, NetworkOptions(flags));
  std::optional<ClusterWorkloadResult> cluster_again;
  if (flags.replicas > 1) {
    ClusterWorkloadOptions cluster_options = ClusterOptions(flags);
    if (trace_prefixed) cluster_options.trace = [&](const std::string& line) { trace_prefixed("cluster " + line); };
    outcome.cluster = RunClusterWorkload(seed, cluster_options);
    cluster_again = RunClusterWorkload(seed, ClusterOptions(flags));
  }
  if (outcome.cluster.has_value() && outcome.cluster->digest != cluster_again->digest) {
    outcome.nondeterminism = absl::StrFormat("cluster digest %s then %s", outcome.cluster->digest, cluster_again->digest);
  } else if (outcome.storage.digest != storage_again.digest) {
    outcome.nondeterminism = absl::StrFormat("storage digest %s then %s", outcome.storage.digest, storage_again.digest);
  } else if (outcome.network.digest != network_again.digest) {
    outcome.nondeterminism = absl::StrFormat("network digest %s then %s", outcome.network.digest, network_again.digest);
  } else if (outcome.replica.digest != replica_again.digest) {
    outcome.nondeterminism = absl::StrFormat("replica digest %s then %s", outcome.replica.digest, replica_again.digest);
  }
  if (!outcome.replica.violations.empty()) {
    outcome.verdict = Verdict::kSafety;
    outcome.failure = "replica: " + outcome.replica.violations[0];
  } else if (outcome.cluster.has_value() && !outcome.cluster->violations.empty()) {
    outcome.verdict = Verdict::kSafety;
    outcome.failure = "cluster: " + outcome.cluster->violations[0];
  } else if (!outcome.nondeterminism.empty()) {
    outcome.verdict = Verdict::kSafety;
    outcome.failure = "nondeterministic (" + outcome.nondeterminism + ")";
  } else if (!outcome.replica.liveness_failures.empty()) {
    outcome.verdict = Verdict::kLiveness;
    outcome.failure = "replica: " + outcome.replica.liveness_failures[0];
  } else if (outcome.cluster.has_value() && !outcome.cluster->liveness_failures.empty()) {
    outcome.verdict = Verdict::kLiveness;
    outcome.failure = "cluster: " + outcome.cluster->liveness_failures[0];
  }
  return outcome;
}

int ExitCodeOf(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed: return kExitPassed;
    case Verdict::kSafety: return kExitSafety;
    case Verdict::kLiveness: return kExitLiveness;
  }
  return kExitSafety;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int RunOneSeed(uint64_t seed, const Flags& flags, const SimCliHooks& hooks) {
  if (!flags.json) std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::function<void(const std::string&)> trace;
  if (!flags.json) trace = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
  const SeedOutcome outcome = RunSeed(seed, flags, hooks, trace);
  if (flags.json) {
    std::printf("{\"seed\":%llu,\"verdict\":\"%s\",\"failure\":%s,\"replay\":%s,\"digest\":\"%s\","
                "\"storage_digest\":\"%s\",\"network_digest\":\"%s\",\"replica_digest\":\"%s\","
                "\"replica\":{\"boots\":%llu,\"interrupted_boots\":%llu,\"refused_boots\":%llu,\"crashes\":%llu,"
                "\"damaged_files\":%llu,\"acked_messages\":%llu,"
                "\"simulated_seconds\":%.6f}}\n",
                static_cast<unsigned long long>(seed), VerdictName(outcome.verdict),
                outcome.failure.empty() ? "null" : JsonString(outcome.failure).c_str(),
                JsonString(ReplayCommand(seed, flags)).c_str(), outcome.digest().c_str(),
                outcome.storage.digest.c_str(), outcome.network.digest.c_str(), outcome.replica.digest.c_str(),
                static_cast<unsigned long long>(outcome.replica.boots),
                static_cast<unsigned long long>(outcome.replica.interrupted_boots),
                static_cast<unsigned long long>(outcome.replica.refusals),
                static_cast<unsigned long long>(outcome.replica.crashes),
                static_cast<unsigned long long>(outcome.replica.damaged_files),
                static_cast<unsigned long long>(outcome.replica.acked_messages), outcome.replica.simulated_ns / 1e9);
    return ExitCodeOf(outcome.verdict);
  }
  std::printf("storage profile %s\n", DescribeProfile(outcome.storage.profile).c_str());
  std::printf("storage: events %llu, crashes %llu, faults %llu, simulated %.3f s, digest %s\n",
              static_cast<unsigned long long>(outcome.storage.events),
              static_cast<unsigned long long>(outcome.storage.crashes),
              static_cast<unsigned long long>(outcome.storage.faults), outcome.storage.simulated_ns / 1e9,
              outcome.storage.digest.c_str());
  std::printf("network profile %s\n", DescribeNetworkProfile(outcome.network.profile).c_str());
  std::printf("network: events %llu, node crashes %llu, simulated %.3f s, digest %s\n",
              static_cast<unsigned long long>(outcome.network.events),
              static_cast<unsigned long long>(outcome.network.crashes), outcome.network.simulated_ns / 1e9,
              outcome.network.digest.c_str());
  std::printf("replica: boots %llu (%llu interrupted, %llu refused over damaged files), crashes %llu, files "
              "damaged %llu, acked messages %llu, simulated %.3f s, digest %s\n",
              static_cast<unsigned long long>(outcome.replica.boots),
              static_cast<unsigned long long>(outcome.replica.interrupted_boots),
              static_cast<unsigned long long>(outcome.replica.refusals),
              static_cast<unsigned long long>(outcome.replica.crashes),
              static_cast<unsigned long long>(outcome.replica.damaged_files),
              static_cast<unsigned long long>(outcome.replica.acked_messages),
              outcome.replica.simulated_ns / 1e9, outcome.replica.digest.c_str());
  if (outcome.cluster.has_value()) {
    const ClusterWorkloadResult& cluster = *outcome.cluster;
    std::printf("cluster: %llu replicas, crashes %llu, restarts %llu, topics created %llu and deleted %llu, acked "
                "messages %llu, final view %llu, simulated %.3f s, digest %s\n",
                static_cast<unsigned long long>(flags.replicas), static_cast<unsigned long long>(cluster.crashes),
                static_cast<unsigned long long>(cluster.restarts),
                static_cast<unsigned long long>(cluster.topics_created),
                static_cast<unsigned long long>(cluster.topics_deleted),
                static_cast<unsigned long long>(cluster.acked_messages), static_cast<unsigned long long>(cluster.view),
                cluster.simulated_ns / 1e9, cluster.digest.c_str());
    const ClusterFaultCounts& faults = cluster.faults;
    std::printf("cluster faults (%s): sync failures %llu (fail-stop restarts %llu), torn crashes %llu, corruptions "
                "%llu WAL / %llu segment / %llu state record (faulty entries found %llu), wipes %llu (voters again "
                "%llu), boot crashes %llu, state syncs %llu (crashes during one %llu)\n",
                cluster.fault_mix.c_str(), static_cast<unsigned long long>(faults.sync_failures),
                static_cast<unsigned long long>(faults.fail_stop_restarts),
                static_cast<unsigned long long>(faults.torn_crashes),
                static_cast<unsigned long long>(faults.wal_corruptions),
                static_cast<unsigned long long>(faults.segment_corruptions),
                static_cast<unsigned long long>(faults.state_record_corruptions),
                static_cast<unsigned long long>(faults.faulty_ops), static_cast<unsigned long long>(faults.wipes),
                static_cast<unsigned long long>(faults.voters_restored),
                static_cast<unsigned long long>(faults.boot_crashes),
                static_cast<unsigned long long>(faults.state_syncs),
                static_cast<unsigned long long>(faults.sync_crashes));
  }
  if (outcome.verdict != Verdict::kPassed) {
    std::printf("FAILED (%s): seed %llu: %s\n  replay: %s\n", VerdictName(outcome.verdict),
                static_cast<unsigned long long>(seed), outcome.failure.c_str(), ReplayCommand(seed, flags).c_str());
    return ExitCodeOf(outcome.verdict);
  }
  std::printf("digest %s\n", outcome.digest().c_str());
  return kExitPassed;
}

// --- a campaign ---

struct CampaignTotals {
  uint64_t done = 0, safety = 0, liveness = 0, simulated_ns = 0, events = 0, crashes = 0, faults = 0;
  std::optional<uint64_t> first_failure;
  std::string results_json;  // the per-seed array's elements
};

void Account(uint64_t seed, const SeedOutcome& outcome, const Flags& flags, CampaignTotals& totals) {
  ++totals.done;
  totals.simulated_ns += outcome.storage.simulated_ns + outcome.network.simulated_ns + outcome.replica.simulated_ns;
  totals.events += outcome.storage.events + outcome.network.events;
  totals.crashes += outcome.storage.crashes + outcome.network.crashes + outcome.replica.crashes;
  if (outcome.cluster.has_value()) {
    totals.simulated_ns += outcome.cluster->simulated_ns;
    totals.crashes += outcome.cluster->crashes;
  }
  totals.faults += outcome.storage.faults + outcome.network.counts.dropped_loss + outcome.network.counts.duplicated;
  if (outcome.verdict == Verdict::kSafety) ++totals.safety;
  if (outcome.verdict == Verdict::kLiveness) ++totals.liveness;
  if (outcome.verdict != Verdict::kPassed) {
    if (!totals.first_failure) totals.first_failure = seed;
    std::fprintf(stderr, "\nFAILED (%s) seed %llu: %s\n  replay: %s\n", VerdictName(outcome.verdict),
                 static_cast<unsigned long long>(seed), outcome.failure.c_str(), ReplayCommand(seed, flags).c_str());
  }
  if (flags.json) {
    if (!totals.results_json.empty()) totals.results_json += ",";
    absl::StrAppend(&totals.results_json, "{\"seed\":", seed, ",\"verdict\":\"", VerdictName(outcome.verdict),
                    "\",\"digest\":\"", outcome.digest(), "\"");
    if (!outcome.failure.empty()) {
      absl::StrAppend(&totals.results_json, ",\"failure\":", JsonString(outcome.failure),
                      ",\"replay\":", JsonString(ReplayCommand(seed, flags)));
    }
    totals.results_json += "}";
  }
}

// The seeds of a campaign: a listed set (regressions) or a range, never materialized.
struct CampaignSeeds {
  std::vector<uint64_t> listed;
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t size() const { return listed.empty() ? count : listed.size(); }
  uint64_t at(uint64_t i) const { return listed.empty() ? first + i : listed[i]; }
};

int RunCampaign(const CampaignSeeds& seeds, const std::string& what, const Flags& flags,
                const SimCliHooks& hooks) {
  using WallClock = std::chrono::steady_clock;  // progress reporting only; never reaches the simulation
  const auto start = WallClock::now();
  auto last_progress = start;
  std::fprintf(stderr, "sluice sim: %s, shard %llu/%llu, profile %s, storage + network + one-replica workloads%s\n",
               what.c_str(), static_cast<unsigned long long>(flags.shard_index),
               static_cast<unsigned long long>(flags.shard_count), flags.profile.c_str(),
               flags.replicas > 1 ? absl::StrCat(" + ", flags.replicas, "-replica cluster").c_str() : "");
  CampaignTotals totals;
  for (uint64_t i = 0; i < seeds.size(); ++i) {
    const uint64_t seed = seeds.at(i);
    if (seed % flags.shard_count != flags.shard_index) continue;
    Account(seed, RunSeed(seed, flags, hooks, nullptr), flags, totals);
    const auto now = WallClock::now();
    if (now - last_progress > std::chrono::milliseconds(500)) {
      last_progress = now;
      const double wall = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "\r%llu seeds done, %llu failed, simulated/wall %.1fx   ",
                   static_cast<unsigned long long>(totals.done),
                   static_cast<unsigned long long>(totals.safety + totals.liveness), totals.simulated_ns / 1e9 / wall);
    }
  }
  const double wall = std::chrono::duration<double>(WallClock::now() - start).count();
  const double ratio = wall > 0 ? totals.simulated_ns / 1e9 / wall : 0;
  const uint64_t failures = totals.safety + totals.liveness;
  if (flags.json) {
    std::printf(
        "{\"seeds\":%llu,\"failures\":%llu,\"safety_failures\":%llu,\"liveness_failures\":%llu,"
        "\"first_failure\":%s,\"events\":%llu,\"crashes\":%llu,\"faults\":%llu,\"simulated_seconds\":%.6f,"
        "\"wall_seconds\":%.6f,\"profile\":%s,\"shard\":\"%llu/%llu\",\"results\":[%s]}\n",
        static_cast<unsigned long long>(totals.done), static_cast<unsigned long long>(failures),
        static_cast<unsigned long long>(totals.safety), static_cast<unsigned long long>(totals.liveness),
        totals.first_failure ? std::to_string(*totals.first_failure).c_str() : "null",
        static_cast<unsigned long long>(totals.events), static_cast<unsigned long long>(totals.crashes),
        static_cast<unsigned long long>(totals.faults), totals.simulated_ns / 1e9, wall,
        JsonString(flags.profile).c_str(), static_cast<unsigned long long>(flags.shard_index),
        static_cast<unsigned long long>(flags.shard_count), totals.results_json.c_str());
  } else {
    std::fprintf(stderr, "\r");
    std::printf("%llu seeds, %llu failed (%llu safety, %llu liveness); %llu events, %llu crashes, %llu faults "
                "injected; simulated %.1f s in %.2f s wall (%.0fx)\n",
                static_cast<unsigned long long>(totals.done), static_cast<unsigned long long>(failures),
                static_cast<unsigned long long>(totals.safety), static_cast<unsigned long long>(totals.liveness),
                static_cast<unsigned long long>(totals.events), static_cast<unsigned long long>(totals.crashes),
                static_cast<unsigned long long>(totals.faults), totals.simulated_ns / 1e9, wall, ratio);
  }
  if (totals.safety > 0) return kExitSafety;
  return totals.liveness > 0 ? kExitLiveness : kExitPassed;
}

}  // namespace

int SimCliMain(int argc, char** argv, const SimCliHooks& hooks) {
  Flags flags;
  if (const std::optional<int> exit_code = ParseFlags(argc, argv, flags)) return *exit_code;
  InstallCrashHandlers();
  if (flags.single_seed) return RunOneSeed(*flags.single_seed, flags, hooks);
  CampaignSeeds seeds;
  std::string what;
  if (flags.regressions_file.has_value()) {
    if (const std::optional<int> error = ReadRegressionSeeds(*flags.regressions_file, seeds.listed)) return *error;
    what = absl::StrCat(seeds.listed.size(), " regression seeds from ", *flags.regressions_file);
  } else {
    seeds.first = flags.first_seed;
    seeds.count = flags.seeds;
    what = absl::StrCat("seeds ", flags.first_seed, "..", flags.first_seed + flags.seeds - 1);
  }
  return RunCampaign(seeds, what, flags, hooks);
}

}  // namespace sluice::sim
