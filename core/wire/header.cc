#include "core/wire/header.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/wire/hex.h"

namespace sluice::wire {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using base::StoreLittleEndian;
using base::StoreU128;
using internal::Hex128;
namespace offset = header_offset;

// The first non-zero byte of bytes[begin, end), or `end` if all are zero.
size_t FirstNonZero(ByteSpan bytes, size_t begin, size_t end) {
  const auto it = std::find_if(bytes.begin() + begin, bytes.begin() + end,
                               [](uint8_t byte) { return byte != 0; });
  return static_cast<size_t>(it - bytes.begin());
}

absl::Status CheckZero(ByteSpan header, size_t begin, size_t end, absl::string_view frame_name,
                       absl::string_view field) {
  const size_t nonzero = FirstNonZero(header, begin, end);
  if (nonzero == end) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      frame_name, " header ", field, " (bytes ", begin, "..", end, ") must be zero: byte ", nonzero,
      " is 0x", absl::Hex(header[nonzero], absl::kZeroPad2)));
}

}  // namespace

PrepareHeader LoadPrepareFields(ByteSpan header) {
  PrepareHeader fields;
  fields.cluster = LoadU128(header, offset::kCluster);
  fields.view = LoadLittleEndian<uint32_t>(header, offset::kView);
  fields.release = LoadLittleEndian<uint32_t>(header, offset::kRelease);
  fields.replica = header[offset::kReplica];
  fields.client = LoadU128(header, offset::kClient);
  fields.parent = LoadU128(header, offset::kParent);
  fields.request_checksum = LoadU128(header, offset::kRequestChecksum);
  fields.op = LoadLittleEndian<uint64_t>(header, offset::kOp);
  fields.commit = LoadLittleEndian<uint64_t>(header, offset::kCommit);
  fields.timestamp = LoadLittleEndian<uint64_t>(header, offset::kTimestamp);
  fields.request = LoadLittleEndian<uint64_t>(header, offset::kRequest);
  fields.operation = static_cast<Operation>(header[offset::kOperation]);
  fields.namespace_id = LoadLittleEndian<uint64_t>(header, offset::kNamespace);
  fields.incarnation = LoadLittleEndian<uint64_t>(header, offset::kIncarnation);
  return fields;
}

void SealHeader(MutableByteSpan header, ByteSpan body) {
  SLUICE_ASSERT(header.size() == kHeaderSize, "header is ", header.size(), " bytes");
  SLUICE_ASSERT(LoadLittleEndian<uint32_t>(header, offset::kSize) == kHeaderSize + body.size(),
                "size field ", LoadLittleEndian<uint32_t>(header, offset::kSize),
                " disagrees with body of ", body.size(), " bytes");
  // Body first: the header checksum covers checksum_body.
  StoreU128(header, offset::kChecksumBody, base::Checksum128(body));
  StoreU128(header, offset::kChecksum,
            base::Checksum128(ByteSpan(header).subspan(offset::kChecksummedBegin)));
}

void EncodePrepareHeader(const PrepareHeader& header, ByteSpan body, MutableByteSpan out) {
  SLUICE_ASSERT(out.size() == kHeaderSize, "prepare header buffer is ", out.size(), " bytes");
  SLUICE_ASSERT(body.size() <= kBodySizeMax, "prepare body of ", body.size(), " bytes");
  SLUICE_ASSERT(IsReplicatedOperation(header.operation), "cannot prepare operation ",
                static_cast<int>(header.operation));
  std::fill(out.begin(), out.end(), uint8_t{0});  // Reserved bytes and padding.
  StoreU128(out, offset::kCluster, header.cluster);
  StoreLittleEndian<uint32_t>(out, offset::kSize, static_cast<uint32_t>(kHeaderSize + body.size()));
  StoreLittleEndian<uint32_t>(out, offset::kView, header.view);
  StoreLittleEndian<uint32_t>(out, offset::kRelease, header.release);
  out[offset::kCommand] = static_cast<uint8_t>(Command::kPrepare);
  out[offset::kReplica] = header.replica;
  StoreU128(out, offset::kClient, header.client);
  StoreU128(out, offset::kParent, header.parent);
  StoreU128(out, offset::kRequestChecksum, header.request_checksum);
  StoreLittleEndian<uint64_t>(out, offset::kOp, header.op);
  StoreLittleEndian<uint64_t>(out, offset::kCommit, header.commit);
  StoreLittleEndian<uint64_t>(out, offset::kTimestamp, header.timestamp);
  StoreLittleEndian<uint64_t>(out, offset::kRequest, header.request);
  out[offset::kOperation] = static_cast<uint8_t>(header.operation);
  StoreLittleEndian<uint64_t>(out, offset::kNamespace, header.namespace_id);
  StoreLittleEndian<uint64_t>(out, offset::kIncarnation, header.incarnation);
  SealHeader(out, body);
}

Bytes EncodePrepare(const PrepareHeader& header, ByteSpan body) {
  Bytes frame(kHeaderSize + body.size());
  EncodePrepareHeader(header, body, MutableByteSpan(frame).first(kHeaderSize));
  std::copy(body.begin(), body.end(), frame.begin() + kHeaderSize);
  return frame;
}

absl::uint128 PrepareChecksum(ByteSpan frame) {
  SLUICE_ASSERT(frame.size() >= kHeaderSize, "frame of ", frame.size(), " bytes");
  return LoadU128(frame, offset::kChecksum);
}

absl::Status CheckFramePrefix(ByteSpan frame, absl::uint128 expected_cluster,
                              Command expected_command) {
  const absl::string_view name = CommandName(expected_command);
  if (frame.size() < kHeaderSize) {
    return absl::DataLossError(absl::StrCat(name, " frame too short: expected at least ",
                                            kHeaderSize, " bytes, found ", frame.size()));
  }
  const ByteSpan header = frame.first(kHeaderSize);
  const absl::uint128 checksum_computed =
      base::Checksum128(header.subspan(offset::kChecksummedBegin));
  const absl::uint128 checksum_stored = LoadU128(header, offset::kChecksum);
  if (checksum_computed != checksum_stored) {
    return absl::DataLossError(
        absl::StrCat(name, " header checksum mismatch over bytes 16..256: expected ",
                     Hex128(checksum_computed), ", found ", Hex128(checksum_stored)));
  }
  const uint32_t size = LoadLittleEndian<uint32_t>(header, offset::kSize);
  if (size != frame.size()) {
    return absl::DataLossError(absl::StrCat(name, " header size field mismatch: expected ",
                                            frame.size(), " (the frame's length), found ", size));
  }
  const absl::uint128 body_computed = base::Checksum128(frame.subspan(kHeaderSize));
  const absl::uint128 body_stored = LoadU128(header, offset::kChecksumBody);
  if (body_computed != body_stored) {
    return absl::DataLossError(absl::StrCat(name, " body checksum mismatch over bytes 256..", size,
                                            ": expected ", Hex128(body_computed), ", found ",
                                            Hex128(body_stored)));
  }
  const absl::uint128 cluster = LoadU128(header, offset::kCluster);
  if (cluster != expected_cluster) {
    return absl::InvalidArgumentError(absl::StrCat(name, " header cluster mismatch: expected ",
                                                   Hex128(expected_cluster), ", found ",
                                                   Hex128(cluster)));
  }
  const uint8_t command = header[offset::kCommand];
  if (command != static_cast<uint8_t>(expected_command)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " header command mismatch: expected ", static_cast<int>(expected_command), " (", name,
        "), found ", static_cast<int>(command), " (", CommandName(static_cast<Command>(command)),
        ")"));
  }
  return CheckZero(header, offset::kReserved, offset::kCommandSpecific, name, "reserved");
}

absl::StatusOr<ValidatedPrepare> DecodePrepare(ByteSpan frame, absl::uint128 expected_cluster) {
  if (absl::Status status = CheckFramePrefix(frame, expected_cluster, Command::kPrepare);
      !status.ok()) {
    return status;
  }
  const ByteSpan header = frame.first(kHeaderSize);
  if (absl::Status status = CheckZero(header, offset::kOperationPadding, offset::kNamespace,
                                      "prepare", "operation padding");
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          CheckZero(header, offset::kPrepareReserved, kHeaderSize, "prepare", "reserved");
      !status.ok()) {
    return status;
  }
  const uint8_t operation = header[offset::kOperation];
  if (!IsKnownOperation(operation)) {
    return absl::InvalidArgumentError(
        absl::StrCat("prepare header operation unknown: found ", static_cast<int>(operation)));
  }
  if (!IsReplicatedOperation(static_cast<Operation>(operation))) {
    return absl::InvalidArgumentError(
        absl::StrCat("prepare header operation ", static_cast<int>(operation), " (",
                     OperationName(static_cast<Operation>(operation)),
                     ") is never prepared: expected a replicated operation"));
  }
  return ValidatedPrepare(LoadPrepareFields(header), LoadU128(header, offset::kChecksum),
                          LoadU128(header, offset::kChecksumBody), frame);
}

}  // namespace sluice::wire
