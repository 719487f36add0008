#pragma once
// Which path a decoded request takes through the server, so its dispatch is one
// switch (README.md has the whole flow per class).

#include <cstdint>

#include "core/client_protocol/requests.h"

namespace sluice::client_protocol {

enum class RequestClass : uint8_t {
  kPing,           // answered at once: EncodeReply(header, {})
  kLogin,          // Register: PlanLogin -> the primary's KDF -> RegisterSubmission
  kMetadataWrite,  // MetadataSubmissionFor (Logout included) -> EncodeCommittedReply
  kMetadataRead,   // AnswerMetadataRead -> EncodeReadReply
  kServerRead,     // GetStats, GetClusterMetadata: the server's own figures and roster
  kSendMessages,   // PlanSendMessages -> partition write -> EncodeSendConfirmation
  kOffsetWrite,    // PlanStore/DeleteConsumerOffset -> partition write -> RS only
  kPartitionRead,  // PlanPoll, PlanGetConsumerOffset -> the partition log
};

RequestClass ClassOf(const Command& command);

}  // namespace sluice::client_protocol
