#pragma once
// The reply to a client request the metadata group committed (PROTOCOL.md §1.7, §5):
// Apply's result (core/metadata/apply.h) rendered as Iggy's reply frame.
//
//   Register     success: RS + [user_id:u32][session:u64][server_protocol_version:u32]
//                [server_version Name]; a credential failure caught at apply (the
//                password or token changed since the primary checked it) is the
//                eviction the primary would have sent (42 -> InvalidCredentials,
//                53 -> InvalidToken, 47 -> UserInactive); anything else is
//                `[1][0][code]`.
//   Logout       empty body, status 0, whatever Apply said: Iggy answers OK even if
//                nothing was bound (§2.6).
//   CreateStream RS + StreamDetails (topics 0, sizes 0, created_at = the op's time)
//   CreateTopic  RS + TopicDetails (partitions 0..n-1, statistics 0, the resolved
//                settings)
//   CreateConsumerGroup RS + GroupDetails (no members; partitions_count from `state`)
//   other writes RS only.
//   Rejections   `[1][0][code]` (committed business rejections).
// The create replies are built from the request and the committed op rather than from
// the state, which may already reflect later ops of the same group commit.

#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/client_protocol/protocol_version.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/requests.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol {

// The committed op a reply answers.
struct CommittedOp {
  uint64_t op = 0;
  uint64_t timestamp_us = 0;  // the primary's stamp: created_at of what the op created
  uint64_t commit = 0;
};

// Register's success payload (after the result section).
Bytes EncodeRegisterPayload(uint32_t user_id, uint64_t session,
                            uint32_t server_protocol_version = kServerProtocolVersion,
                            absl::string_view server_version = kServerVersion);

// The reply frame for `request` (a metadata write, Register or Logout: asserted) whose
// op committed with `result`; `state` is the state after it applied.
Bytes EncodeCommittedReply(const ClientRequest& request, const metadata::ApplyResult& result,
                           const metadata::MetadataState& state, const CommittedOp& op);

}  // namespace sluice::client_protocol
