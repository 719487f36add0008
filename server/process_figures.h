#pragma once
// GetStats' figures about the process and the host CPU, from /proc where Linux has
// them (each left 0 where a file cannot be read, e.g. /proc/self/io in some
// sandboxes):
//   cpu_usage        this process's CPU time over wall time since the previous
//                    sample (the first: since the sampler was made), in percent of
//                    one CPU (so up to 100 × CPUs);
//   total_cpu_usage  the host's busy share of all CPUs over the same span, percent;
//   memory_usage     resident set size (/proc/self/statm);
//   read_bytes / written_bytes  storage I/O of the process (/proc/self/io);
//   threads_count    /proc/self/status (the loop, the login hasher, libargon2's).
// Not thread-safe: one sampler, on the loop.
#include <cstdint>

#include "core/client_protocol/system_payloads.h"

namespace sluice::server {

class ProcessSampler {
 public:
  ProcessSampler();
  // Fills the figures above into `stats`; `now_ns` is a monotonic clock reading.
  void Fill(client_protocol::ServerStats& stats, uint64_t now_ns);

 private:
  struct Sample {
    uint64_t wall_ns = 0;
    uint64_t process_ticks = 0;  // utime + stime, in clock ticks
    uint64_t host_busy = 0;      // /proc/stat "cpu" line, in clock ticks
    uint64_t host_total = 0;
  };
  Sample Take(uint64_t now_ns) const;

  Sample previous_;
};

}  // namespace sluice::server
