#include "core/client_protocol/reply_frame.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/client_protocol/protocol_version.h"
#include "core/wire/command.h"
#include "core/wire/header.h"

namespace sluice::client_protocol {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using base::StoreLittleEndian;
using base::StoreU128;
using wire::Operation;
namespace prefix = wire::header_offset;

bool IsRegisterWithBody(Operation operation, size_t body_size) {
  return operation == Operation::kRegister && body_size > 0;
}

// Whether a reply body of `body_size` bytes to `operation` starts with a result
// section (Register's only when not empty).
bool BodyHasResultSection(Operation operation, size_t body_size) {
  if (operation == Operation::kRegister) return IsRegisterWithBody(operation, body_size);
  return HasResultSection(operation);
}

Bytes Frame(const RequestHeader& request, const ReplyStamp& stamp, uint32_t status,
            size_t body_size) {
  SLUICE_ASSERT(body_size <= wire::kBodySizeMax, "reply body of ", body_size, " bytes");
  Bytes frame(wire::kHeaderSize + body_size, 0);
  StoreU128(frame, prefix::kCluster, request.cluster);
  StoreLittleEndian<uint32_t>(frame, prefix::kSize, static_cast<uint32_t>(frame.size()));
  StoreLittleEndian<uint32_t>(frame, prefix::kView, request.view);
  StoreLittleEndian<uint32_t>(frame, prefix::kRelease, request.release);
  frame[prefix::kCommand] = static_cast<uint8_t>(wire::Command::kReply);
  frame[prefix::kReplica] = request.replica;
  StoreU128(frame, reply_offset::kRequestChecksum, request.request_checksum);
  StoreU128(frame, reply_offset::kClient, request.client);
  StoreLittleEndian<uint64_t>(frame, reply_offset::kOp, stamp.op);
  StoreLittleEndian<uint64_t>(frame, reply_offset::kCommit, stamp.commit);
  StoreLittleEndian<uint64_t>(frame, reply_offset::kTimestamp, stamp.timestamp);
  StoreLittleEndian<uint64_t>(frame, reply_offset::kRequest, request.request);
  frame[reply_offset::kOperation] = static_cast<uint8_t>(request.operation);
  StoreLittleEndian<uint32_t>(frame, reply_offset::kStatus, status);
  return frame;
}

absl::Status ReplyError(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("reply frame: ", message));
}

absl::StatusOr<DecodedReply> DecodeEviction(ByteSpan frame) {
  if (frame.size() != wire::kHeaderSize) {
    return ReplyError(absl::StrCat("eviction of ", frame.size(), " bytes"));
  }
  DecodedReply reply;
  reply.eviction = true;
  reply.client = LoadU128(frame, eviction_offset::kClient);
  reply.version_max = LoadLittleEndian<uint32_t>(frame, eviction_offset::kVersionMax);
  reply.version_min = LoadLittleEndian<uint32_t>(frame, eviction_offset::kVersionMin);
  reply.reason = frame[eviction_offset::kReason];
  return reply;
}

// Strips the result section off `body` into `reply` (Node: 4 bytes at least, and
// every announced entry present).
absl::Status ReadResultSection(ByteSpan body, DecodedReply& reply) {
  if (body.size() < kResultSectionSuccessBytes) {
    return ReplyError(absl::StrCat("result section of ", body.size(), " bytes"));
  }
  const uint32_t count = LoadLittleEndian<uint32_t>(body, 0);
  if (count == 0) {
    reply.result = 0;
    reply.payload = body.subspan(kResultSectionSuccessBytes);
    return absl::OkStatus();
  }
  if ((body.size() - 4) / 8 < count) {
    return ReplyError(
        absl::StrCat("result section announces ", count, " entries in ", body.size(), " bytes"));
  }
  reply.result = LoadLittleEndian<uint32_t>(body, 8);
  reply.payload = body.subspan(4 + size_t{8} * count);
  return absl::OkStatus();
}

}  // namespace

bool HasResultSection(Operation operation) {
  const auto value = static_cast<uint8_t>(operation);
  if (operation == Operation::kRegister) return true;
  if (value >= 64 && value <= 68) return true;
  if (value >= 128 && value <= 149) return operation != Operation::kDeleteSegments;
  return operation == Operation::kStoreConsumerOffset ||
         operation == Operation::kDeleteConsumerOffset;
}

Bytes EncodeReply(const RequestHeader& request, ByteSpan payload, const ReplyStamp& stamp) {
  const bool result_section = BodyHasResultSection(request.operation, payload.size());
  const size_t prefix_size = result_section ? kResultSectionSuccessBytes : 0;
  Bytes frame = Frame(request, stamp, 0, prefix_size + payload.size());
  std::copy(payload.begin(), payload.end(), frame.begin() + wire::kHeaderSize + prefix_size);
  return frame;  // a success result section is count 0: already zero
}

Bytes EncodeStatusReply(const RequestHeader& request, IggyError error, const ReplyStamp& stamp) {
  SLUICE_ASSERT(error != IggyError::kOk, "a status reply needs an error");
  return Frame(request, stamp, CodeOf(error), 0);
}

Bytes EncodeResultRejection(const RequestHeader& request, IggyError error,
                            const ReplyStamp& stamp) {
  SLUICE_ASSERT(error != IggyError::kOk, "a result rejection needs an error");
  SLUICE_ASSERT(HasResultSection(request.operation), "operation ",
                wire::OperationName(request.operation), " has no result section");
  Bytes frame = Frame(request, stamp, 0, kResultSectionRejectionBytes);
  StoreLittleEndian<uint32_t>(frame, wire::kHeaderSize, 1);      // count
  StoreLittleEndian<uint32_t>(frame, wire::kHeaderSize + 4, 0);  // index
  StoreLittleEndian<uint32_t>(frame, wire::kHeaderSize + 8, CodeOf(error));
  return frame;
}

Bytes EncodeEviction(absl::uint128 client, EvictionReason reason, uint32_t version_max,
                     uint32_t version_min) {
  SLUICE_ASSERT(client != 0, "eviction of client 0");
  Bytes frame(wire::kHeaderSize, 0);
  StoreLittleEndian<uint32_t>(frame, prefix::kSize, static_cast<uint32_t>(wire::kHeaderSize));
  frame[prefix::kCommand] = static_cast<uint8_t>(wire::Command::kEviction);
  StoreU128(frame, eviction_offset::kClient, client);
  if (reason == EvictionReason::kIncompatibleProtocol) {
    StoreLittleEndian<uint32_t>(frame, eviction_offset::kVersionMax, version_max);
    StoreLittleEndian<uint32_t>(frame, eviction_offset::kVersionMin, version_min);
  }
  frame[eviction_offset::kReason] = static_cast<uint8_t>(reason);
  return frame;
}

std::optional<Bytes> EncodeRejection(ByteSpan frame, const absl::Status& status) {
  SLUICE_ASSERT(!status.ok(), "EncodeRejection of an OK status");
  const Rejection rejection = RejectionOf(status);
  if (rejection.kind == RejectionKind::kCloseConnection) return std::nullopt;
  // Any other rejection comes after the header was accepted, so the frame has one.
  if (frame.size() < wire::kHeaderSize) return std::nullopt;
  const RequestHeader request = LoadRequestHeader(frame);
  if (rejection.kind == RejectionKind::kEviction) {
    if (request.client == 0) return std::nullopt;
    return EncodeEviction(request.client, rejection.reason, kServerProtocolVersion,
                          kServerProtocolVersionMin);
  }
  return EncodeStatusReply(request, rejection.error);
}

IggyError DecodedReply::Error() const {
  if (eviction) return SdkErrorForEviction(reason, version_max, version_min);
  if (status != 0) return static_cast<IggyError>(status);
  if (result.has_value()) return static_cast<IggyError>(*result);
  return IggyError::kOk;
}

absl::StatusOr<DecodedReply> DecodeReplyFrame(ByteSpan frame) {
  if (frame.size() < wire::kHeaderSize) {
    return ReplyError(absl::StrCat(frame.size(), " bytes, shorter than the header"));
  }
  const uint32_t size = LoadLittleEndian<uint32_t>(frame, prefix::kSize);
  if (size < wire::kHeaderSize || size != frame.size()) {
    return ReplyError(absl::StrCat("size ", size, " for a frame of ", frame.size(), " bytes"));
  }
  const uint8_t command = frame[prefix::kCommand];
  if (command == static_cast<uint8_t>(wire::Command::kEviction)) return DecodeEviction(frame);
  if (command != static_cast<uint8_t>(wire::Command::kReply)) {
    return ReplyError(absl::StrCat("command ", command));
  }
  DecodedReply reply;
  reply.client = LoadU128(frame, reply_offset::kClient);
  reply.request = LoadLittleEndian<uint64_t>(frame, reply_offset::kRequest);
  const uint8_t operation = frame[reply_offset::kOperation];
  if (!wire::IsKnownOperation(operation) || operation > 162 || operation == 0) {
    return ReplyError(absl::StrCat("operation ", operation));
  }
  reply.operation = static_cast<Operation>(operation);
  reply.status = LoadLittleEndian<uint32_t>(frame, reply_offset::kStatus);
  const ByteSpan body = frame.subspan(wire::kHeaderSize);
  if (reply.status != 0) {
    if (!body.empty()) return ReplyError("non-zero status with a body");
    return reply;
  }
  if (!BodyHasResultSection(reply.operation, body.size())) {
    reply.payload = body;
    return reply;
  }
  if (absl::Status status = ReadResultSection(body, reply); !status.ok()) return status;
  return reply;
}

}  // namespace sluice::client_protocol
