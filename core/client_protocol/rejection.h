#pragma once
// How the client edge refuses a frame, and what the client then sees (PROTOCOL.md
// §1.1, §1.2, §1.6, §1.8). Every refusal made by this package is an InvalidArgument
// status carrying a Rejection as a payload (it survives base::Annotate), so the
// decoders keep absl::StatusOr signatures and the server reads the answer with
// RejectionOf:
//
//   kCloseConnection  the frame cannot be answered: its size is out of bounds (the
//                     stream cannot be re-synchronised) or its header is invalid
//                     (command, client 0, operation, session/request numbering).
//                     Iggy drops such a header without a reply, which leaves the
//                     one-request-at-a-time SDK waiting out its 30 s timeout before
//                     it aborts the socket anyway; Sluice closes at once instead, the
//                     same end state sooner.
//   kStatusReply      a reply with header status = the error and an empty body.
//   kEviction         an Eviction frame (§1.6): session-terminal, the SDK keeps the
//                     socket and registers again on its next call.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/client_protocol/iggy_error.h"

namespace sluice::client_protocol {

// The eviction reason at byte 255 of an Eviction frame (§1.6). Values are wire-fixed.
enum class EvictionReason : uint8_t {
  kReserved = 0,
  kNoSession = 1,
  kClientReleaseTooLow = 2,
  kClientReleaseTooHigh = 3,
  kInvalidRequestOperation = 4,
  kInvalidRequestBody = 5,
  kInvalidRequestBodySize = 6,
  kSessionTooLow = 7,
  kSessionReleaseMismatch = 8,
  kInvalidCredentials = 9,
  kInvalidToken = 10,
  kUserInactive = 11,
  kSessionError = 12,
  kStaleClient = 13,
  kIncompatibleProtocol = 14,
  kMalformedLogin = 15,
};

absl::string_view EvictionReasonName(EvictionReason reason);

// The error the Node SDK raises for an eviction (§1.6). `version_max` / `version_min`
// are the window an IncompatibleProtocol eviction carries (bytes 144 / 148).
IggyError SdkErrorForEviction(uint8_t reason, uint32_t version_max, uint32_t version_min);

enum class RejectionKind : uint8_t { kNone, kCloseConnection, kStatusReply, kEviction };

struct Rejection {
  RejectionKind kind = RejectionKind::kNone;
  // kStatusReply: the header status. kEviction: the error the SDK will raise.
  IggyError error = IggyError::kOk;
  EvictionReason reason = EvictionReason::kReserved;  // kEviction only
  friend bool operator==(const Rejection&, const Rejection&) = default;
};

// InvalidArgument statuses carrying each kind. `message` says what was wrong, for logs.
absl::Status CloseConnection(absl::string_view message);
absl::Status StatusReply(IggyError error, absl::string_view message);  // error != kOk
absl::Status Evict(EvictionReason reason, absl::string_view message);

// The rejection a status carries: kNone for OK; a non-OK status that did not come
// from this package answers with status kError (1), the generic Iggy error, so a
// caller's unexpected failure still unblocks the client.
Rejection RejectionOf(const absl::Status& status);

}  // namespace sluice::client_protocol
