#pragma once
// What the replica executes for a decoded metadata write: the operation and the
// metadata::body_codec body the primary prepares (core/metadata/body_codec.h). The
// caller adds the request's client and request number and the primary's timestamp
// (metadata_store::MetadataRequest) and submits.
//
// Register is not here: its body carries the KDF's hash of the presented secret,
// which only the primary computes (login.h).
//
//   CreateStream       -> CreateStreamBody            UpdateStream -> UpdateStreamBody
//   Delete/PurgeStream -> StreamBody                  CreateTopic  -> CreateTopicBody
//                                                     (options resolved, 0 = default)
//   UpdateTopic        -> UpdateTopicBody (present bits for the keys sent)
//   Delete/PurgeTopic  -> TopicBody                   Create/DeletePartitions -> PartitionsBody
//   CreateConsumerGroup -> CreateGroupBody
//   Delete/Join/LeaveConsumerGroup -> GroupBody (the member is the header's client)
//   Logout             -> LogoutBody (empty: the header's client)

#include <optional>

#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

struct MetadataSubmission {
  wire::Operation operation = wire::Operation::kReserved;
  Bytes body;
  friend bool operator==(const MetadataSubmission&, const MetadataSubmission&) = default;
};

// The submission for a metadata write or Logout; nullopt for any other command
// (reads, partition writes, Register).
std::optional<MetadataSubmission> MetadataSubmissionFor(const Command& command);

}  // namespace sluice::client_protocol
