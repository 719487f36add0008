#include "core/replica/retention_driver.h"

#include <vector>

#include "core/metadata/namespace_packing.h"
#include "core/partition/entry_body.h"
#include "core/replica/retention_plan.h"

namespace sluice::replica {

RetentionDriver::RetentionDriver(SingleNodeReplica& replica, io::Loop& loop, RetentionDriverOptions options)
    : replica_(replica), loop_(loop), options_(options) {
  ScheduleNext();
}

RetentionDriver::~RetentionDriver() {
  if (timer_pending_) loop_.CancelTimer(timer_);
}

void RetentionDriver::ScheduleNext() {
  timer_pending_ = true;
  timer_ = loop_.ScheduleAfterTicks(options_.interval_ticks, [this] {
    timer_pending_ = false;
    if (const absl::StatusOr<size_t> submitted = RunOnce(); !submitted.ok()) return;  // failure_ keeps why
    ScheduleNext();
  });
}

absl::StatusOr<size_t> RetentionDriver::RunOnce() {
  if (!failure_.ok()) return failure_;
  const metadata::MetadataState& state = replica_.metadata();
  const uint64_t now_us = loop_.clock().RealtimeNs() / 1000;
  size_t submitted = 0;
  for (const auto& [stream_id, stream] : state.streams) {
    for (const auto& [topic_id, topic] : stream.topics) {
      if (topic.settings.message_expiry_us == metadata::kNever &&
          topic.settings.max_topic_size_bytes == metadata::kUnlimited) {
        continue;
      }
      std::vector<PartitionSegments> partitions;
      std::vector<uint64_t> incarnations;
      for (uint32_t partition_id = 0; partition_id < topic.partitions.size(); ++partition_id) {
        const absl::StatusOr<uint64_t> namespace_id =
            metadata::PackNamespace(state.config.widths, {stream_id, topic_id, partition_id});
        if (!namespace_id.ok()) return namespace_id.status();  // the metadata checked the widths (B9)
        const uint64_t incarnation = topic.partitions[partition_id].incarnation;
        absl::StatusOr<partition::PartitionLog*> log = replica_.Partition(*namespace_id, incarnation);
        if (!log.ok()) continue;  // its group is being created or deleted
        partitions.push_back({.namespace_id = *namespace_id, .segments = (*log)->SegmentSummaries()});
        incarnations.push_back(incarnation);
      }
      const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(topic.settings, partitions, now_us);
      for (size_t p = 0; p < partitions.size(); ++p) {
        const uint64_t namespace_id = partitions[p].namespace_id;
        const auto cutoff = cutoffs.find(namespace_id);
        if (cutoff == cutoffs.end() || in_flight_.contains(namespace_id)) continue;
        const Bytes body = partition::EncodeRetention(cutoff->second);
        const absl::Status status = replica_.SubmitPartition(
            namespace_id, incarnations[p], wire::Operation::kPartitionRetention, body, now_us,
            [this, alive = std::weak_ptr<int>(alive_), namespace_id](absl::StatusOr<uint64_t> committed) {
              if (alive.lock() == nullptr) return;
              in_flight_.erase(namespace_id);
              if (committed.ok()) {
                ++ops_committed_;
              } else if (failure_.ok()) {
                failure_ = committed.status();
              }
            });
        if (!status.ok()) {
          failure_ = status;
          return status;
        }
        in_flight_.insert(namespace_id);
        ++submitted;
      }
    }
  }
  return submitted;
}

}  // namespace sluice::replica
