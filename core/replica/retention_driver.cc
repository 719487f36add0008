#include "core/replica/retention_driver.h"

#include <vector>

#include "core/metadata/namespace_packing.h"
#include "core/partition/entry_body.h"
#include "core/replica/retention_plan.h"

namespace sluice::replica {

RetentionDriver::RetentionDriver(SingleNodeReplica& replica, io::Loop& loop, RetentionDriverOptions options)
    : RetentionDriver(RetentionHostOf(replica), loop, options) {}

RetentionDriver::RetentionDriver(ClusterReplica& replica, io::Loop& loop, RetentionDriverOptions options)
    : RetentionDriver(RetentionHostOf(replica), loop, options) {}

RetentionDriver::RetentionDriver(std::unique_ptr<RetentionHost> host, io::Loop& loop, RetentionDriverOptions options)
    : host_(std::move(host)), loop_(loop), options_(options) {
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

void RetentionDriver::Fail(const absl::Status& failure) {
  if (failure_.ok()) failure_ = failure;
}

absl::StatusOr<size_t> RetentionDriver::RunOnce() {
  if (!failure_.ok()) return failure_;
  if (!host_->Decides()) return 0;
  const uint64_t epoch = host_->Epoch();
  // A reply to an op submitted in an earlier view may never come (the op was
  // discarded, or committed while this replica was not listening): plan again.
  std::erase_if(in_flight_, [epoch](const auto& entry) { return entry.second.epoch != epoch; });
  const metadata::MetadataState& state = host_->metadata();
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
        absl::StatusOr<partition::PartitionLog*> log = host_->Partition(*namespace_id, incarnation);
        if (!log.ok()) continue;  // its group is being created or deleted
        partitions.push_back({.namespace_id = *namespace_id, .segments = (*log)->SegmentSummaries()});
        incarnations.push_back(incarnation);
      }
      const std::map<uint64_t, uint64_t> cutoffs = PlanRetention(topic.settings, partitions, now_us);
      for (size_t p = 0; p < partitions.size(); ++p) {
        const GroupKey group{partitions[p].namespace_id, incarnations[p]};
        const auto cutoff = cutoffs.find(group.first);
        if (cutoff == cutoffs.end() || in_flight_.contains(group)) continue;
        if (const absl::Status status = Submit(group, cutoff->second, now_us); !status.ok()) {
          if (!host_->Stops(status)) return submitted;  // e.g. a view change began: plan again later
          Fail(status);
          return status;
        }
        ++submitted;
      }
    }
  }
  return submitted;
}

absl::Status RetentionDriver::Submit(GroupKey group, uint64_t cutoff, uint64_t now_us) {
  const uint64_t token = ++next_token_;
  const Bytes body = partition::EncodeRetention(cutoff);
  RETURN_IF_ERROR(host_->SubmitRetention(
      group.first, group.second, body, now_us,
      [this, alive = std::weak_ptr<int>(alive_), group, token](absl::StatusOr<uint64_t> committed) {
        if (alive.lock() == nullptr) return;
        const auto entry = in_flight_.find(group);
        if (entry != in_flight_.end() && entry->second.token == token) in_flight_.erase(entry);
        if (committed.ok()) {
          ++ops_committed_;
        } else if (host_->Stops(committed.status())) {
          Fail(committed.status());
        }
      }));
  in_flight_[group] = {.epoch = host_->Epoch(), .token = token};
  ++ops_submitted_;
  return absl::OkStatus();
}

}  // namespace sluice::replica
