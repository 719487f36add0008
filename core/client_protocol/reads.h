#pragma once
// Reads the metadata state answers on its own (PROTOCOL.md §1.8, §5): GetStream(s),
// GetTopic(s), GetConsumerGroup(s), SyncConsumerGroup. Not-found conventions follow
// Iggy's HEAD server:
//   GetStream           missing stream -> empty payload (the SDK returns null)
//   GetStreams          no streams -> empty payload
//   GetTopic            missing stream or topic -> empty payload
//   GetTopics           missing stream -> [count = 0]
//   GetConsumerGroup    missing stream / topic -> status 1009 / 2010; missing group ->
//                       empty payload
//   GetConsumerGroups   missing stream / topic -> status 1009 / 2010
//   SyncConsumerGroup   missing stream / topic / group -> status 1009 / 2010 / 5000;
//                       the caller not a member -> empty payload (the SDK then joins)

#include <cstdint>
#include <optional>

#include "core/base/bytes.h"
#include "core/client_protocol/iggy_error.h"
#include "core/client_protocol/metadata_payloads.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/requests.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol {

// What to answer a read: a status (not kOk: empty body) or a payload.
struct ReadAnswer {
  IggyError status = IggyError::kOk;
  Bytes payload;
  friend bool operator==(const ReadAnswer&, const ReadAnswer&) = default;
};

// The answer to a metadata read, or nullopt if `command` is not one of those above.
// `member_session` is the session bound to the caller's connection (0 = none), the
// member id SyncConsumerGroup looks up.
std::optional<ReadAnswer> AnswerMetadataRead(const metadata::MetadataState& state,
                                             const Command& command, uint64_t member_session,
                                             PartitionStatsLookup stats = NoPartitionStats);

// The reply frame of a read answer.
Bytes EncodeReadReply(const RequestHeader& request, const ReadAnswer& answer,
                      const ReplyStamp& stamp = {});

}  // namespace sluice::client_protocol
