#pragma once
// Network fault profiles: how often the packet simulator injects each network fault
// of DESIGN.md's fault model on its own.
//
// Every fault can also be injected by name from a test (PacketSimulator::Partition,
// Heal, Clog, SetLoss, ...). A profile only sets the odds for a seed's run; "swarm"
// campaigns draw a profile's numbers per seed (see DrawSwarmNetworkProfile), so that
// each seed stresses a different mix, some faults off entirely.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/prng.h"

namespace sluice::sim {

struct NetworkFaultProfile {
  std::string name = "none";
  // One-way delivery latency: floor + exponential(mean), drawn per frame. The mean is
  // jitter: with a mean of 0 every path is FIFO; with jitter, frames on one path
  // overtake each other (reordering by latency). Latency is not a fault: it applies
  // even while random faults are disabled.
  uint64_t latency_floor_ns = 100'000;
  uint64_t latency_mean_ns = 0;
  // Per frame, when it falls due: the frame is lost.
  base::Ratio loss = base::Ratio::Never();
  // Per frame sent: a second copy travels too, with a latency of its own.
  base::Ratio duplication = base::Ratio::Never();
  // Per frame, when it falls due: its path clogs for exponential(clog_duration_mean_ns),
  // holding that frame and everything behind it (up to the path's queue bound) until
  // the clog releases.
  base::Ratio clog = base::Ratio::Never();
  uint64_t clog_duration_mean_ns = 0;
  // Random partitions: while healed, the next one starts after exponential(interval);
  // it lasts exponential(duration). 0 turns random partitions off. A share of them
  // (`partition_asymmetric`) blocks one direction only.
  uint64_t partition_interval_mean_ns = 0;
  uint64_t partition_duration_mean_ns = 0;
  base::Ratio partition_asymmetric = base::Ratio::Never();

  static NetworkFaultProfile None();
  static NetworkFaultProfile Light();
  static NetworkFaultProfile Heavy();
};

// "none", "light" or "heavy"; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<NetworkFaultProfile> NetworkFaultProfileByName(absl::string_view name);

// A profile whose odds are drawn from `prng` (swarm testing). Loss, duplication and
// clogging are each off for about a third of seeds, otherwise at most
// `max_parts_per_million` per frame; random partitions are off for a third of seeds.
NetworkFaultProfile DrawSwarmNetworkProfile(base::Prng& prng,
                                            uint64_t max_parts_per_million = 50'000);

// Describes a profile's odds in one line, for logs.
std::string DescribeNetworkProfile(const NetworkFaultProfile& profile);

}  // namespace sluice::sim
