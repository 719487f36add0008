#pragma once
// `sluice-cli bench`: a send/poll load generator over BlockingClient, one connection
// per producer and per consumer, as Iggy's SDKs would connect.
//
//   1. setup: a fresh stream "bench-<pid>" with one topic of `partitions` partitions
//      (default: one per producer; producer i sends to partition i mod partitions);
//   2. send phase: the producers, in parallel, send batches of `batch` messages of
//      `message_size` bytes (unique ids) until `count` messages are sent or
//      `seconds` have passed; each batch's latency is send to acknowledgement (the
//      server acknowledges once durable: fdatasync'd);
//   3. poll phase: one consumer per partition polls everything sent to it back from
//      offset 0 (`poll_count` per poll), checking offsets are contiguous and ids
//      are the ones sent, in order; each poll's latency is request to reply;
//   4. the stream is deleted (unless `keep`).
// Throughput counts payload bytes (MB = 10^6 bytes). Setup (connections, logins:
// Argon2id each) is outside the measured time.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::server {

struct BenchOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8090;
  std::string username = "iggy";
  std::string password = "iggy";
  uint32_t producers = 1;
  uint32_t partitions = 0;  // 0: one per producer
  uint32_t batch = 100;     // messages per SendMessages
  uint32_t message_size = 1024;
  uint64_t count = 100'000;  // messages in all, unless `seconds` is set
  double seconds = 0;        // > 0: send for this long instead of `count`
  uint32_t poll_count = 1000;
  bool keep = false;
};

struct PhaseReport {
  uint64_t messages = 0;
  uint64_t payload_bytes = 0;
  double seconds = 0;
  std::vector<double> latencies_us;  // one per request, sorted
  // Nearest-rank percentile of the latencies, in µs (0 when there are none).
  double Percentile(double fraction) const;
};

struct BenchReport {
  std::string stream;
  uint32_t partitions = 0;
  PhaseReport send;
  PhaseReport poll;
};

// Runs the bench; an error names what failed (connection, login, a refused
// request, a poll that lost or reordered a message).
absl::StatusOr<BenchReport> RunBench(const BenchOptions& options);

// The report as sluice-cli prints it: a line per phase with messages, MB,
// seconds, msgs/s, MB/s and p50/p99/p999 latency.
std::string FormatBenchReport(const BenchOptions& options, const BenchReport& report);

}  // namespace sluice::server
