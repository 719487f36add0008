#include "core/replica/retention_plan.h"

#include <optional>
#include <tuple>

namespace sluice::replica {
namespace {

// A sealed segment with no entry holds no message to keep: it expires with the rest.
bool Expired(const partition::SegmentSummary& segment, uint64_t expiry_us, uint64_t now_us) {
  if (expiry_us == metadata::kNever) return false;
  if (segment.last_op < segment.first_op) return true;
  return segment.last_timestamp_us <= now_us && now_us - segment.last_timestamp_us >= expiry_us;
}

}  // namespace

std::map<uint64_t, uint64_t> PlanRetention(const metadata::TopicSettings& settings,
                                           const std::vector<PartitionSegments>& partitions, uint64_t now_us) {
  // Per partition: how many leading segments go (never the last one).
  std::vector<size_t> dropped(partitions.size(), 0);
  uint64_t topic_bytes = 0;
  for (size_t p = 0; p < partitions.size(); ++p) {
    const std::vector<partition::SegmentSummary>& segments = partitions[p].segments;
    while (dropped[p] + 1 < segments.size() && Expired(segments[dropped[p]], settings.message_expiry_us, now_us)) {
      ++dropped[p];
    }
    for (size_t s = dropped[p]; s < segments.size(); ++s) topic_bytes += segments[s].size_bytes;
  }
  if (settings.max_topic_size_bytes != metadata::kUnlimited) {
    while (topic_bytes > settings.max_topic_size_bytes) {
      // The oldest sealed segment left in the topic.
      std::optional<size_t> oldest;
      for (size_t p = 0; p < partitions.size(); ++p) {
        if (dropped[p] + 1 >= partitions[p].segments.size()) continue;
        const auto key = [&](size_t q) {
          return std::make_tuple(partitions[q].segments[dropped[q]].last_timestamp_us, partitions[q].namespace_id);
        };
        if (!oldest.has_value() || key(p) < key(*oldest)) oldest = p;
      }
      if (!oldest.has_value()) break;  // only active segments left
      topic_bytes -= partitions[*oldest].segments[dropped[*oldest]].size_bytes;
      ++dropped[*oldest];
    }
  }
  std::map<uint64_t, uint64_t> cutoffs;
  for (size_t p = 0; p < partitions.size(); ++p) {
    if (dropped[p] > 0) cutoffs[partitions[p].namespace_id] = partitions[p].segments[dropped[p]].first_op;
  }
  return cutoffs;
}

}  // namespace sluice::replica
