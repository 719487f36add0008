// `./sluice sim`: the deterministic simulation campaign.
//
// Today the campaign runs three randomized workloads per seed: the storage workload
// (sim/storage_workload.h: concurrent file and directory operations with process
// restarts and machine crashes) and the network workload (sim/sim_network_workload.h:
// nodes exchanging frames through the packet simulator under loss, duplication,
// reordering, clogging, partitions and node crashes), each drawing its own fault
// profile (swarm testing); and the one-replica workload (sim/replica_workload.h:
// clients creating and deleting streams and topics and sending messages while the
// replica's process dies at random points, bootstrap included, with checkers after
// every boot). Each is run twice in this process; the two digests of what it observed
// must match. Multi-replica clusters join the campaign with the replicated replica;
// the flags, the output and the exit codes stay.
//
// Exit codes: 0 all seeds passed; 1 safety violation (an invariant, including
// determinism, failed); 2 usage error; 3 liveness failure; 4 the simulator crashed
// (abort: the assertion message names the invariant).
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/fault_profile.h"
#include "sim/network_fault_profile.h"
#include "sim/replica_workload.h"
#include "sim/sim_network_workload.h"
#include "sim/storage_workload.h"

namespace sluice::sim {
namespace {

constexpr int kExitOk = 0, kExitSafety = 1, kExitUsage = 2;

const char kHelp[] = R"(usage: ./sluice sim [flags]

Runs the deterministic simulation campaign. Each seed is one reproducible run; a
failure prints the seed and the command that replays it.

flags:
  --seed N            run one seed with a detailed event log, print its digest
  --seeds COUNT       run COUNT seeds (default 1000), starting at --first-seed
  --first-seed N      first seed of the campaign (default 0)
  --shard I/N         run only the seeds s with s mod N == I (split a campaign
                      across machines; the shards together cover every seed once)
  --profile NAME      storage and network faults: none, light, heavy or swarm
                      (default swarm: each seed draws its own odds)
  --operations N      operations per seed (default 300)
  --json              print the summary as one JSON object
  --help              show this help

exit codes: 0 passed, 1 safety violation, 2 usage error, 3 liveness failure,
4 simulator crash (assertion)
)";

struct Flags {
  std::optional<uint64_t> single_seed;
  uint64_t seeds = 1000;
  uint64_t first_seed = 0;
  uint64_t shard_index = 0;
  uint64_t shard_count = 1;
  std::string profile = "swarm";
  uint64_t operations = 300;
  bool json = false;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice sim: %s\nRun './sluice sim --help' for the flags.\n", message.c_str());
  return kExitUsage;
}

// Returns an exit code if parsing ended the run (error or --help).
std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      (void)name;
      return std::string(argv[++i]);
    };
    auto number = [&](const char* name, uint64_t& out) -> bool {
      const std::optional<std::string> text = value(name);
      return text.has_value() && absl::SimpleAtoi(*text, &out);
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return kExitOk;
    } else if (arg == "--seed") {
      uint64_t seed = 0;
      if (!number("--seed", seed)) return UsageError("--seed takes a number");
      flags.single_seed = seed;
    } else if (arg == "--seeds") {
      if (!number("--seeds", flags.seeds) || flags.seeds == 0) return UsageError("--seeds takes a positive count");
    } else if (arg == "--first-seed") {
      if (!number("--first-seed", flags.first_seed)) return UsageError("--first-seed takes a number");
    } else if (arg == "--shard") {
      const std::optional<std::string> text = value("--shard");
      const std::vector<std::string> parts = absl::StrSplit(text.value_or(""), '/');
      if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &flags.shard_index) ||
          !absl::SimpleAtoi(parts[1], &flags.shard_count) || flags.shard_count == 0 ||
          flags.shard_index >= flags.shard_count) {
        return UsageError("--shard takes I/N with 0 <= I < N");
      }
    } else if (arg == "--profile") {
      flags.profile = value("--profile").value_or("");
      if (flags.profile != "swarm" && (!StorageFaultProfileByName(flags.profile).ok() ||
                                       !NetworkFaultProfileByName(flags.profile).ok())) {
        return UsageError("--profile takes none, light, heavy or swarm");
      }
    } else if (arg == "--operations") {
      if (!number("--operations", flags.operations) || flags.operations == 0) {
        return UsageError("--operations takes a positive number");
      }
    } else if (arg == "--json") {
      flags.json = true;
    } else {
      return UsageError("unknown flag: " + arg);
    }
  }
  return std::nullopt;
}

StorageWorkloadOptions WorkloadOptions(const Flags& flags) {
  StorageWorkloadOptions options;
  options.operations = flags.operations;
  if (flags.profile != "swarm") options.profile = *StorageFaultProfileByName(flags.profile);
  return options;
}

ReplicaWorkloadOptions ReplicaOptions(const Flags& flags) {
  return {.operations = flags.operations};
}

NetworkWorkloadOptions NetworkOptions(const Flags& flags) {
  NetworkWorkloadOptions options;
  if (flags.profile != "swarm") options.profile = *NetworkFaultProfileByName(flags.profile);
  return options;
}

// Both workloads of one seed, each run twice; empty if their digests agree, else what differed.
struct SeedOutcome {
  StorageWorkloadResult storage;
  NetworkWorkloadResult network;
  ReplicaWorkloadResult replica;
  std::string nondeterminism;
  std::string violation;  // the first checker that fired, if any
  bool failed() const { return !nondeterminism.empty() || !violation.empty(); }
};

SeedOutcome RunSeed(uint64_t seed, const Flags& flags, const StorageWorkloadOptions& storage_options,
                    const NetworkWorkloadOptions& network_options,
                    const ReplicaWorkloadOptions& replica_options) {
  SeedOutcome outcome;
  outcome.replica = RunReplicaWorkload(seed, replica_options);
  const ReplicaWorkloadResult replica_again =
      RunReplicaWorkload(seed, {.operations = replica_options.operations});
  if (!outcome.replica.violations.empty()) outcome.violation = "replica: " + outcome.replica.violations[0];
  outcome.storage = RunStorageWorkload(seed, storage_options);
  const StorageWorkloadResult storage_again = RunStorageWorkload(seed, WorkloadOptions(flags));
  outcome.network = RunNetworkWorkload(seed, network_options);
  const NetworkWorkloadResult network_again = RunNetworkWorkload(seed, NetworkOptions(flags));
  if (outcome.storage.digest != storage_again.digest) {
    outcome.nondeterminism = absl::StrFormat("storage digest %s then %s", outcome.storage.digest, storage_again.digest);
  } else if (outcome.network.digest != network_again.digest) {
    outcome.nondeterminism = absl::StrFormat("network digest %s then %s", outcome.network.digest, network_again.digest);
  } else if (outcome.replica.digest != replica_again.digest) {
    outcome.nondeterminism = absl::StrFormat("replica digest %s then %s", outcome.replica.digest, replica_again.digest);
  }
  return outcome;
}

std::string ReplayCommand(uint64_t seed, const Flags& flags) {
  std::string command = absl::StrFormat("./sluice sim --seed %d", seed);
  if (flags.profile != "swarm") absl::StrAppend(&command, " --profile ", flags.profile);
  if (flags.operations != 300) absl::StrAppend(&command, " --operations ", flags.operations);
  return command;
}

int RunOneSeed(uint64_t seed, const Flags& flags) {
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  StorageWorkloadOptions storage_options = WorkloadOptions(flags);
  storage_options.trace = [](const std::string& line) { std::printf("  storage %s\n", line.c_str()); };
  NetworkWorkloadOptions network_options = NetworkOptions(flags);
  network_options.trace = [](const std::string& line) { std::printf("  network %s\n", line.c_str()); };
  ReplicaWorkloadOptions replica_options = ReplicaOptions(flags);
  replica_options.trace = [](const std::string& line) { std::printf("  replica %s\n", line.c_str()); };
  const SeedOutcome outcome = RunSeed(seed, flags, storage_options, network_options, replica_options);
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
  std::printf("replica: boots %llu (%llu interrupted), crashes %llu, acked messages %llu, simulated %.3f s, "
              "digest %s\n",
              static_cast<unsigned long long>(outcome.replica.boots),
              static_cast<unsigned long long>(outcome.replica.interrupted_boots),
              static_cast<unsigned long long>(outcome.replica.crashes),
              static_cast<unsigned long long>(outcome.replica.acked_messages),
              outcome.replica.simulated_ns / 1e9, outcome.replica.digest.c_str());
  if (!outcome.violation.empty()) {
    std::printf("FAILED: seed %llu violated an invariant: %s\n", static_cast<unsigned long long>(seed),
                outcome.violation.c_str());
    return kExitSafety;
  }
  if (!outcome.nondeterminism.empty()) {
    std::printf("FAILED: seed %llu is not deterministic: %s\n", static_cast<unsigned long long>(seed),
                outcome.nondeterminism.c_str());
    return kExitSafety;
  }
  std::printf("digest %s%s%s\n", outcome.storage.digest.c_str(), outcome.network.digest.c_str(),
              outcome.replica.digest.c_str());
  return kExitOk;
}

int RunCampaign(const Flags& flags) {
  using WallClock = std::chrono::steady_clock;  // progress reporting only; never reaches the simulation
  const auto start = WallClock::now();
  auto last_progress = start;
  uint64_t done = 0, failures = 0, simulated_ns = 0, events = 0, crashes = 0, faults = 0;
  std::optional<uint64_t> first_failure;
  const uint64_t last_seed = flags.first_seed + flags.seeds - 1;
  std::fprintf(stderr, "sluice sim: seeds %llu..%llu, shard %llu/%llu, profile %s, storage + network + one-replica workloads\n",
               static_cast<unsigned long long>(flags.first_seed), static_cast<unsigned long long>(last_seed),
               static_cast<unsigned long long>(flags.shard_index), static_cast<unsigned long long>(flags.shard_count),
               flags.profile.c_str());
  const StorageWorkloadOptions options = WorkloadOptions(flags);
  const NetworkWorkloadOptions network_options = NetworkOptions(flags);
  const ReplicaWorkloadOptions replica_options = ReplicaOptions(flags);
  for (uint64_t seed = flags.first_seed; seed <= last_seed; ++seed) {
    if (seed % flags.shard_count != flags.shard_index) continue;
    const SeedOutcome outcome = RunSeed(seed, flags, options, network_options, replica_options);
    ++done;
    simulated_ns += outcome.storage.simulated_ns + outcome.network.simulated_ns + outcome.replica.simulated_ns;
    events += outcome.storage.events + outcome.network.events;
    crashes += outcome.storage.crashes + outcome.network.crashes + outcome.replica.crashes;
    faults += outcome.storage.faults + outcome.network.counts.dropped_loss + outcome.network.counts.duplicated;
    if (outcome.failed()) {
      ++failures;
      if (!first_failure) first_failure = seed;
      std::fprintf(stderr, "\nFAILED seed %llu: %s\n  replay: %s\n",
                   static_cast<unsigned long long>(seed),
                   (outcome.violation.empty() ? "nondeterministic (" + outcome.nondeterminism + ")"
                                              : outcome.violation)
                       .c_str(),
                   ReplayCommand(seed, flags).c_str());
    }
    const auto now = WallClock::now();
    if (now - last_progress > std::chrono::milliseconds(500)) {
      last_progress = now;
      const double wall = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "\r%llu seeds done, %llu failed, simulated/wall %.1fx   ",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(failures),
                   simulated_ns / 1e9 / wall);
    }
  }
  const double wall = std::chrono::duration<double>(WallClock::now() - start).count();
  const double ratio = wall > 0 ? simulated_ns / 1e9 / wall : 0;
  if (flags.json) {
    std::printf(
        "{\"seeds\":%llu,\"failures\":%llu,\"first_failure\":%s,\"events\":%llu,\"crashes\":%llu,"
        "\"faults\":%llu,\"simulated_seconds\":%.6f,\"wall_seconds\":%.6f,\"profile\":\"%s\","
        "\"shard\":\"%llu/%llu\"}\n",
        static_cast<unsigned long long>(done), static_cast<unsigned long long>(failures),
        first_failure ? std::to_string(*first_failure).c_str() : "null",
        static_cast<unsigned long long>(events), static_cast<unsigned long long>(crashes),
        static_cast<unsigned long long>(faults), simulated_ns / 1e9, wall, flags.profile.c_str(),
        static_cast<unsigned long long>(flags.shard_index), static_cast<unsigned long long>(flags.shard_count));
  } else {
    std::fprintf(stderr, "\r");
    std::printf("%llu seeds, %llu failed; %llu events, %llu crashes, %llu faults injected; "
                "simulated %.1f s in %.2f s wall (%.0fx)\n",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(failures),
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(crashes),
                static_cast<unsigned long long>(faults), simulated_ns / 1e9, wall, ratio);
  }
  return failures == 0 ? kExitOk : kExitSafety;
}

}  // namespace
}  // namespace sluice::sim

int main(int argc, char** argv) {
  sluice::sim::Flags flags;
  if (const std::optional<int> exit_code = sluice::sim::ParseFlags(argc, argv, flags)) return *exit_code;
  if (flags.single_seed) return sluice::sim::RunOneSeed(*flags.single_seed, flags);
  return sluice::sim::RunCampaign(flags);
}
