#include "core/client_protocol/rejection.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"

namespace sluice::client_protocol {
namespace {

constexpr absl::string_view kRejectionPayloadUrl = "type.sluice.dev/client_protocol.Rejection";

absl::Status WithRejection(absl::string_view message, const Rejection& rejection) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(
      kRejectionPayloadUrl,
      absl::Cord(absl::StrCat(static_cast<int>(rejection.kind), ",", CodeOf(rejection.error), ",",
                              static_cast<int>(rejection.reason))));
  return status;
}

std::optional<Rejection> ParseRejection(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  uint32_t kind = 0;
  uint32_t error = 0;
  uint32_t reason = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &kind) ||
      !absl::SimpleAtoi(parts[1], &error) || !absl::SimpleAtoi(parts[2], &reason) ||
      kind > static_cast<uint32_t>(RejectionKind::kEviction) || reason > 255) {
    return std::nullopt;
  }
  return Rejection{static_cast<RejectionKind>(kind), static_cast<IggyError>(error),
                   static_cast<EvictionReason>(reason)};
}

}  // namespace

absl::string_view EvictionReasonName(EvictionReason reason) {
  switch (reason) {
    case EvictionReason::kReserved:
      return "reserved";
    case EvictionReason::kNoSession:
      return "no_session";
    case EvictionReason::kClientReleaseTooLow:
      return "client_release_too_low";
    case EvictionReason::kClientReleaseTooHigh:
      return "client_release_too_high";
    case EvictionReason::kInvalidRequestOperation:
      return "invalid_request_operation";
    case EvictionReason::kInvalidRequestBody:
      return "invalid_request_body";
    case EvictionReason::kInvalidRequestBodySize:
      return "invalid_request_body_size";
    case EvictionReason::kSessionTooLow:
      return "session_too_low";
    case EvictionReason::kSessionReleaseMismatch:
      return "session_release_mismatch";
    case EvictionReason::kInvalidCredentials:
      return "invalid_credentials";
    case EvictionReason::kInvalidToken:
      return "invalid_token";
    case EvictionReason::kUserInactive:
      return "user_inactive";
    case EvictionReason::kSessionError:
      return "session_error";
    case EvictionReason::kStaleClient:
      return "stale_client";
    case EvictionReason::kIncompatibleProtocol:
      return "incompatible_protocol";
    case EvictionReason::kMalformedLogin:
      return "malformed_login";
  }
  return "unknown";
}

IggyError SdkErrorForEviction(uint8_t reason, uint32_t version_max, uint32_t version_min) {
  switch (static_cast<EvictionReason>(reason)) {
    case EvictionReason::kReserved:
    case EvictionReason::kClientReleaseTooLow:
    case EvictionReason::kClientReleaseTooHigh:
    case EvictionReason::kInvalidRequestOperation:
    case EvictionReason::kInvalidRequestBody:
    case EvictionReason::kInvalidRequestBodySize:
      return IggyError::kInvalidCommand;
    case EvictionReason::kInvalidCredentials:
      return IggyError::kInvalidCredentials;
    case EvictionReason::kInvalidToken:
      return IggyError::kInvalidPersonalAccessToken;
    case EvictionReason::kStaleClient:
      return IggyError::kStaleClient;
    case EvictionReason::kMalformedLogin:
      return IggyError::kInvalidFormat;
    case EvictionReason::kIncompatibleProtocol:
      // An unusable window degrades to an authentication error (§1.6).
      if (version_min == 0 || version_max < version_min) return IggyError::kUnauthenticated;
      return IggyError::kIncompatibleProtocolVersion;
    case EvictionReason::kNoSession:
    case EvictionReason::kSessionTooLow:
    case EvictionReason::kSessionReleaseMismatch:
    case EvictionReason::kUserInactive:
    case EvictionReason::kSessionError:
      return IggyError::kUnauthenticated;
  }
  return IggyError::kUnauthenticated;  // any other value (§1.6)
}

absl::Status CloseConnection(absl::string_view message) {
  return WithRejection(message, {.kind = RejectionKind::kCloseConnection});
}

absl::Status StatusReply(IggyError error, absl::string_view message) {
  SLUICE_ASSERT(error != IggyError::kOk, "a status reply needs an error: ", message);
  return WithRejection(message, {.kind = RejectionKind::kStatusReply, .error = error});
}

absl::Status Evict(EvictionReason reason, absl::string_view message) {
  // The window is only known where the frame is encoded; a valid one is assumed here.
  return WithRejection(message, {.kind = RejectionKind::kEviction,
                                 .error = SdkErrorForEviction(static_cast<uint8_t>(reason), 1, 1),
                                 .reason = reason});
}

Rejection RejectionOf(const absl::Status& status) {
  if (status.ok()) return {};
  const auto payload = status.GetPayload(kRejectionPayloadUrl);
  if (payload.has_value()) {
    const std::optional<Rejection> rejection = ParseRejection(std::string(*payload));
    if (rejection.has_value()) return *rejection;
  }
  return {.kind = RejectionKind::kStatusReply, .error = IggyError::kError};
}

}  // namespace sluice::client_protocol
