#pragma once
// ServerCounters: GetStats' figures about the data (rule B14) — relaxed atomics, so
// any thread may read them (GetStats today on the loop; a metrics exporter later)
// while the loop updates them. Relaxed on purpose: a figure orders nothing else and
// nothing is derived from two of them together, so a reader may see one figure a
// send newer than another (never a torn value).
//
// StatsKeeper keeps them true on the loop thread:
//   - RecountAll: every figure from the metadata state and the partition logs —
//     at start, after each committed metadata write (streams, topics, partitions,
//     groups, deletes and purges change only there) and every retention interval
//     (retention removes segments through the replica, not through the listener);
//   - RecountPartition: one partition's messages, segments and bytes, after each
//     acknowledged send (the totals move by that partition's change);
//   - SetClients: the connections open now (Iggy's clients_count).
// Between a retention removal and the next interval the message figures may be high
// by what retention removed.
#include <atomic>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "core/client_protocol/system_payloads.h"
#include "server/served_replica.h"

namespace sluice::server {

struct ServerCounters {
  std::atomic<uint64_t> streams{0};
  std::atomic<uint64_t> topics{0};
  std::atomic<uint64_t> partitions{0};
  std::atomic<uint64_t> consumer_groups{0};
  std::atomic<uint64_t> clients{0};
  std::atomic<uint64_t> segments{0};
  std::atomic<uint64_t> messages{0};             // appended to the logs (since a purge)
  std::atomic<uint64_t> messages_size_bytes{0};  // the partition logs' entries, headers included

  // Copies every figure into `stats` (each read relaxed).
  void FillStats(client_protocol::ServerStats& stats) const;
};

class StatsKeeper {
 public:
  explicit StatsKeeper(ServedReplica& replica) : replica_(replica) {}
  const ServerCounters& counters() const { return counters_; }

  void RecountAll();
  void RecountPartition(uint64_t namespace_id, uint64_t incarnation);
  void SetClients(uint64_t clients) { counters_.clients.store(clients, std::memory_order_relaxed); }

 private:
  struct Figures {
    uint64_t incarnation = 0;
    uint64_t messages = 0;
    uint64_t segments = 0;
    uint64_t bytes = 0;
  };
  // The log's figures now (zeros if it is not open: just created, or gone).
  Figures FiguresOf(uint64_t namespace_id, uint64_t incarnation) const;

  ServedReplica& replica_;
  ServerCounters counters_;
  // What each partition contributes to the totals (rebuilt by RecountAll).
  absl::flat_hash_map<uint64_t, Figures> partitions_;
};

}  // namespace sluice::server
