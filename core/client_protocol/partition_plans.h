#pragma once
// What the replica does for the partition-plane commands (PROTOCOL.md §5.6, §6): the
// partition group to route to and, for writes, the entry body it prepares
// (core/partition/entry_body.h). Resolved against the committed metadata state; the
// partition log answers the rest (offsets, messages).
//
// Routing (rule B10): a PartitionTarget names the group by namespace (packed ids,
// rule B9) and incarnation; the replica routes on exactly those, with no fallback.
//
// Consumers (§5.6): a single consumer named by number is keyed by that number, one
// named by string by XXH32 (seed 0) of the name; a consumer group by its group id.
//
// Answers the plans give themselves (ReadAnswer, reads.h):
//   PollMessages   single consumer: missing stream / topic / partition -> status
//                  1009 / 2010 / 3007; no partition given -> partition 0.
//                  group: missing stream / topic / group -> status 1009 / 2010 / 5000;
//                  no partition given or no such partition -> the empty head with
//                  partition 0; a partition the calling member does not own (or the
//                  caller is not a member) -> the head with partition 0xFFFFFFFF, the
//                  SDK's cue to re-sync. count 0 -> the empty head, current offset 0.
//   GetConsumerOffset  missing stream / topic / group / partition -> status 1009 /
//                  2010 / 5000 / 3007; no partition given -> partition 0.
// Writes refuse with status 20 (ResourceNotFound) on any routing failure, as Iggy:
// a missing stream, topic or partition, a topic without partitions, a missing group,
// a group offset for a partition the calling member does not own.

#include <cstdint>
#include <variant>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/client_protocol/reads.h"
#include "core/client_protocol/requests.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/entry_body.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

struct PartitionTarget {
  metadata::PartitionKey key;
  uint64_t namespace_id = 0;
  uint64_t incarnation = 0;
  friend bool operator==(const PartitionTarget&, const PartitionTarget&) = default;
};

// XXH32 with seed 0 (Iggy's consumer-name and message-key hash).
uint32_t Xxh32(ByteSpan bytes);

// SendMessages: PartitionId -> that partition; Balanced -> the topic's partition
// `balanced_counter mod count` (the caller keeps one counter per topic, starting at
// 0, and advances it after each send); MessagesKey -> partition XXH32(key) mod count.
absl::StatusOr<PartitionTarget> PlanSendMessages(const metadata::MetadataState& state,
                                                 const SendMessagesRequest& request,
                                                 uint64_t balanced_counter);

// A consumer-offset write: StoreConsumerOffset (161) or DeleteConsumerOffset (162).
struct PartitionWrite {
  PartitionTarget target;
  wire::Operation operation = wire::Operation::kStoreConsumerOffset;
  partition::ConsumerKey consumer;
  uint64_t offset = 0;  // StoreConsumerOffset only
  Bytes body;           // entry_body.h: EncodeStoreOffset / EncodeDeleteOffset
};

// The caller then checks against the partition log: a stored offset above the
// partition's committed last offset, or any offset on an empty partition, is status
// 4100 (InvalidOffset); deleting an offset that is not there is status 3021.
// `member_session` is the connection's bound session (group offsets).
absl::StatusOr<PartitionWrite> PlanStoreConsumerOffset(const metadata::MetadataState& state,
                                                       const StoreConsumerOffsetRequest& request,
                                                       uint64_t member_session);
absl::StatusOr<PartitionWrite> PlanDeleteConsumerOffset(const metadata::MetadataState& state,
                                                        const DeleteConsumerOffsetRequest& request,
                                                        uint64_t member_session);

struct PollPlan {
  PartitionTarget target;
  partition::ConsumerKey consumer;
  PollingStrategy strategy;
  uint32_t count = 0;  // > 0
  bool auto_commit = false;
};

// A poll to run on the partition log, or the answer already known.
std::variant<PollPlan, ReadAnswer> PlanPoll(const metadata::MetadataState& state,
                                            const PollMessagesRequest& request,
                                            uint64_t member_session);

// The StoreConsumerOffset write an auto-commit poll makes after returning messages
// up to `last_offset` (the consumer's stored offset becomes it, §6.5).
PartitionWrite AutoCommitWrite(const PollPlan& plan, uint64_t last_offset);

struct OffsetReadPlan {
  PartitionTarget target;
  partition::ConsumerKey consumer;
};

// GetConsumerOffset: the partition and consumer to look up, or the answer. The reply
// is EncodeConsumerOffset(partition, current, stored), or empty when nothing is stored.
std::variant<OffsetReadPlan, ReadAnswer> PlanGetConsumerOffset(
    const metadata::MetadataState& state, const GetConsumerOffsetRequest& request);

}  // namespace sluice::client_protocol
