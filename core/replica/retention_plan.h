#pragma once
// PlanRetention: the primary's retention decision for one topic (DESIGN.md
// "Time-driven decisions"), from its own clock and the prepare timestamps in its
// partitions' segments. The decision is replicated as one PartitionRetention op per
// partition (its body: a cutoff op; applying it drops every sealed segment whose
// entries all have op < cutoff), so every replica drops the same segments — no
// replica decides retention from its own clock.
//
// Iggy's two settings, per topic:
//   - message expiry: a sealed segment goes once its newest message has expired
//     (last timestamp + expiry <= now); segments go oldest first, so a later segment
//     that expired first waits for the ones before it;
//   - maximum topic size: while the topic's segments add up to more than the limit,
//     its oldest sealed segment goes (oldest by newest timestamp across the topic's
//     partitions, ties to the lower namespace).
// The active (last) segment of a partition is never dropped, whatever its age or the
// topic's size: it may be all the topic has.
//
// Pure and deterministic: the same settings, segments and `now_us` give the same
// cutoffs.

#include <cstdint>
#include <map>
#include <vector>

#include "core/metadata/metadata_state.h"
#include "core/partition/partition_log.h"

namespace sluice::replica {

struct PartitionSegments {
  uint64_t namespace_id = 0;
  std::vector<partition::SegmentSummary> segments;  // in op order; the last is active
};

// namespace_id -> cutoff op, only for partitions that drop at least one segment.
std::map<uint64_t, uint64_t> PlanRetention(const metadata::TopicSettings& settings,
                                           const std::vector<PartitionSegments>& partitions, uint64_t now_us);

}  // namespace sluice::replica
