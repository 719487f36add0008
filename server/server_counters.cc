#include "server/server_counters.h"

#include <algorithm>

#include "core/metadata/namespace_packing.h"

namespace sluice::server {
namespace {

constexpr std::memory_order kRelaxed = std::memory_order_relaxed;

uint32_t Narrow(uint64_t value) { return static_cast<uint32_t>(std::min<uint64_t>(value, UINT32_MAX)); }

// Moves `counter` from `before` to `after` (its share of a total).
void Adjust(std::atomic<uint64_t>& counter, uint64_t before, uint64_t after) {
  if (after >= before) {
    counter.fetch_add(after - before, kRelaxed);
  } else {
    counter.fetch_sub(before - after, kRelaxed);
  }
}

}  // namespace

void ServerCounters::FillStats(client_protocol::ServerStats& stats) const {
  stats.streams_count = Narrow(streams.load(kRelaxed));
  stats.topics_count = Narrow(topics.load(kRelaxed));
  stats.partitions_count = Narrow(partitions.load(kRelaxed));
  stats.consumer_groups_count = Narrow(consumer_groups.load(kRelaxed));
  stats.clients_count = Narrow(clients.load(kRelaxed));
  stats.segments_count = Narrow(segments.load(kRelaxed));
  stats.messages_count = messages.load(kRelaxed);
  stats.messages_size_bytes = messages_size_bytes.load(kRelaxed);
}

StatsKeeper::Figures StatsKeeper::FiguresOf(uint64_t namespace_id, uint64_t incarnation) const {
  Figures figures{.incarnation = incarnation};
  const absl::StatusOr<partition::PartitionLog*> log = replica_.Partition(namespace_id, incarnation);
  if (!log.ok()) return figures;
  // Appended, not committed: a send is acknowledged once durable (= committed on a
  // single node), before the log applies the commit; counting what is appended
  // makes an acknowledged send counted at once, and agrees with SegmentSummaries
  // (which include entries in flight). An append that then fails stops the
  // partition (rule B1), so the figure never counts a message that is lost later.
  const uint64_t next = (*log)->appended_next_offset();
  const std::vector<partition::SegmentSummary> segments = (*log)->SegmentSummaries();
  const uint64_t first = segments.empty() ? 0 : segments.front().start_offset;
  figures.messages = next - std::min(first, next);
  figures.segments = std::max<uint64_t>(1, segments.size());
  for (const partition::SegmentSummary& segment : segments) figures.bytes += segment.size_bytes;
  return figures;
}

void StatsKeeper::RecountAll() {
  const metadata::MetadataState& state = replica_.metadata();
  client_protocol::ServerStats counts;
  client_protocol::FillMetadataCounts(state, counts);
  counters_.streams.store(counts.streams_count, kRelaxed);
  counters_.topics.store(counts.topics_count, kRelaxed);
  counters_.partitions.store(counts.partitions_count, kRelaxed);
  counters_.consumer_groups.store(counts.consumer_groups_count, kRelaxed);
  partitions_.clear();
  Figures total;
  for (const auto& [s, stream] : state.streams) {
    for (const auto& [t, topic] : stream.topics) {
      for (uint32_t p = 0; p < topic.partitions.size(); ++p) {
        const absl::StatusOr<uint64_t> ns = metadata::PackNamespace(state.config.widths, {s, t, p});
        if (!ns.ok()) continue;
        const Figures figures = FiguresOf(*ns, topic.partitions[p].incarnation);
        partitions_[*ns] = figures;
        total.messages += figures.messages;
        total.segments += figures.segments;
        total.bytes += figures.bytes;
      }
    }
  }
  counters_.messages.store(total.messages, kRelaxed);
  counters_.segments.store(total.segments, kRelaxed);
  counters_.messages_size_bytes.store(total.bytes, kRelaxed);
}

void StatsKeeper::RecountPartition(uint64_t namespace_id, uint64_t incarnation) {
  const auto found = partitions_.find(namespace_id);
  // A partition the last RecountAll did not see (or another incarnation of it) is
  // counted at the next one, after the metadata write that made it.
  if (found == partitions_.end() || found->second.incarnation != incarnation) return;
  const Figures now = FiguresOf(namespace_id, incarnation);
  Adjust(counters_.messages, found->second.messages, now.messages);
  Adjust(counters_.segments, found->second.segments, now.segments);
  Adjust(counters_.messages_size_bytes, found->second.bytes, now.bytes);
  found->second = now;
}

}  // namespace sluice::server
