#pragma once
// A randomized network workload: replicas and clients send numbered frames to each
// other over SimNetwork, under a fault profile drawn from the seed, with replies,
// process crashes and restarts, and named partitions, heals and clogs.
//
// It reports a digest of what it *observed* — every Send() status, every delivery
// (time, receiver, sender, contents), every connection event, in the order they
// happened — not of its inputs, so two runs with the same seed agree only if the
// simulation really replayed identically. It also checks the delivery contract as
// it goes (each frame arrives only where it was sent, byte-identical; connection
// events alternate) and frame conservation at the end, and aborts if either fails.
// It is the network's determinism check (tests/network_determinism_test.cc).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/network_fault_profile.h"
#include "sim/packet_simulator.h"

namespace sluice::sim {

struct NetworkWorkloadOptions {
  // Driver actions (mostly sends; replies to delivered frames come on top).
  uint64_t actions = 400;
  // The network fault profile; unset draws a swarm profile from the seed.
  std::optional<NetworkFaultProfile> profile;
  // Called with one line per observed event.
  std::function<void(const std::string&)> trace;
  // Canary only: lets hash-set iteration order over heap addresses pick senders, a
  // classic source of nondeterminism. The determinism check must catch it.
  bool plant_nondeterminism = false;
};

struct NetworkWorkloadResult {
  std::string digest;   // 32 hex digits
  uint64_t events = 0;  // observations in the digest
  uint64_t replica_count = 0;
  uint64_t client_count = 0;
  uint64_t crashes = 0;
  PacketCounts counts;
  uint64_t simulated_ns = 0;
  NetworkFaultProfile profile;
};

NetworkWorkloadResult RunNetworkWorkload(uint64_t seed, const NetworkWorkloadOptions& options);

}  // namespace sluice::sim
