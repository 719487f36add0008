#include "core/client_protocol/request_header.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/client_protocol/rejection.h"
#include "core/wire/command.h"

namespace sluice::client_protocol {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using base::StoreLittleEndian;
using base::StoreU128;
using wire::Operation;
namespace prefix = wire::header_offset;

// The operations a client may put in a request: the ones with a classic command code,
// plus Register, NonReplicated and Logout. Iggy's internal ones (64..68) and Sluice's
// own partition steps (163..) never come from a client.
bool ClientMaySend(uint8_t value) {
  if (value == 1 || value == 2 || value == 3) return true;
  if (value >= 128 && value <= 149) return true;
  return value >= 160 && value <= 162;
}

bool IsPartitionOperation(Operation operation) {
  return operation == Operation::kSendMessages || operation == Operation::kStoreConsumerOffset ||
         operation == Operation::kDeleteConsumerOffset;
}

absl::Status CheckNumbering(RequestHeader& header) {
  if (header.operation == Operation::kRegister) {
    if (header.session != 0 || header.request != 0) {
      return CloseConnection(absl::StrCat("register request with session ", header.session,
                                          " and request ", header.request, " (both must be 0)"));
    }
    return absl::OkStatus();
  }
  if (header.operation == Operation::kNonReplicated) return absl::OkStatus();
  if (header.request == 0 && IsPartitionOperation(header.operation)) header.request = 1;
  if (header.session == 0 || header.request == 0) {
    return CloseConnection(absl::StrCat(wire::OperationName(header.operation),
                                        " request with session ", header.session, " and request ",
                                        header.request, " (both must be > 0)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint32_t> PeekFrameSize(ByteSpan header, const ClientLimits& limits) {
  if (header.size() < wire::kHeaderSize) {
    return CloseConnection(
        absl::StrCat("request frame of ", header.size(), " bytes is shorter than its header"));
  }
  const uint32_t size = LoadLittleEndian<uint32_t>(header, prefix::kSize);
  const uint32_t size_max = std::max<uint32_t>(limits.frame_size_bytes_max, wire::kHeaderSize);
  if (size < wire::kHeaderSize || size > size_max) {
    return CloseConnection(absl::StrCat("request size ", size, " outside 256..", size_max));
  }
  return size;
}

RequestHeader LoadRequestHeader(ByteSpan frame) {
  SLUICE_ASSERT(frame.size() >= wire::kHeaderSize, "request header of ", frame.size(), " bytes");
  RequestHeader header;
  header.cluster = LoadU128(frame, prefix::kCluster);
  header.size = LoadLittleEndian<uint32_t>(frame, prefix::kSize);
  header.view = LoadLittleEndian<uint32_t>(frame, prefix::kView);
  header.release = LoadLittleEndian<uint32_t>(frame, prefix::kRelease);
  header.replica = frame[prefix::kReplica];
  header.client = LoadU128(frame, request_offset::kClient);
  header.request_checksum = LoadU128(frame, request_offset::kRequestChecksum);
  header.timestamp = LoadLittleEndian<uint64_t>(frame, request_offset::kTimestamp);
  header.request = LoadLittleEndian<uint64_t>(frame, request_offset::kRequest);
  header.operation = static_cast<Operation>(frame[request_offset::kOperation]);
  header.session = LoadLittleEndian<uint64_t>(frame, request_offset::kSession);
  header.user_id = LoadLittleEndian<uint32_t>(frame, request_offset::kUserId);
  header.command_code = LoadLittleEndian<uint32_t>(frame, request_offset::kCommandCode);
  return header;
}

absl::StatusOr<RequestHeader> DecodeRequestHeader(ByteSpan frame, const ClientLimits& limits) {
  absl::StatusOr<uint32_t> size = PeekFrameSize(frame, limits);
  if (!size.ok()) return size.status();
  if (*size != frame.size()) {
    return CloseConnection(
        absl::StrCat("request size field ", *size, " but the frame has ", frame.size(), " bytes"));
  }
  const uint8_t command = frame[prefix::kCommand];
  if (command != static_cast<uint8_t>(wire::Command::kRequest)) {
    return CloseConnection(absl::StrCat("command ", command, " on the client port (must be 5)"));
  }
  RequestHeader header = LoadRequestHeader(frame);
  if (header.client == 0) return CloseConnection("request with client id 0");
  const uint8_t operation = frame[request_offset::kOperation];
  if (!ClientMaySend(operation)) {
    return CloseConnection(
        absl::StrCat("request operation ", operation, " is not one a client may send"));
  }
  if (absl::Status status = CheckNumbering(header); !status.ok()) return status;
  if (header.request_checksum != 0) {
    const absl::uint128 expected = RequestChecksumOf(frame.subspan(wire::kHeaderSize));
    if (header.request_checksum != expected) {
      return StatusReply(IggyError::kInvalidFormat,
                         "request_checksum does not match XXH3-64 of the body");
    }
  }
  return header;
}

void EncodeRequestHeader(const RequestHeader& header, MutableByteSpan out) {
  SLUICE_ASSERT(out.size() == wire::kHeaderSize, "request header buffer of ", out.size());
  std::fill(out.begin(), out.end(), uint8_t{0});
  StoreU128(out, prefix::kCluster, header.cluster);
  StoreLittleEndian<uint32_t>(out, prefix::kSize, header.size);
  StoreLittleEndian<uint32_t>(out, prefix::kView, header.view);
  StoreLittleEndian<uint32_t>(out, prefix::kRelease, header.release);
  out[prefix::kCommand] = static_cast<uint8_t>(wire::Command::kRequest);
  out[prefix::kReplica] = header.replica;
  StoreU128(out, request_offset::kClient, header.client);
  StoreU128(out, request_offset::kRequestChecksum, header.request_checksum);
  StoreLittleEndian<uint64_t>(out, request_offset::kTimestamp, header.timestamp);
  StoreLittleEndian<uint64_t>(out, request_offset::kRequest, header.request);
  out[request_offset::kOperation] = static_cast<uint8_t>(header.operation);
  StoreLittleEndian<uint64_t>(out, request_offset::kSession, header.session);
  StoreLittleEndian<uint32_t>(out, request_offset::kUserId, header.user_id);
  StoreLittleEndian<uint32_t>(out, request_offset::kCommandCode, header.command_code);
}

absl::uint128 RequestChecksumOf(ByteSpan body) { return base::Checksum64(body); }

}  // namespace sluice::client_protocol
