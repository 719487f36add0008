#include "core/vsr/messages.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"

namespace sluice::vsr {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using base::StoreLittleEndian;
using base::StoreU128;
using wire::Command;
using wire::kHeaderSize;
namespace offset = wire::header_offset;

// Chunked messages (see ChunkInfo).
constexpr size_t kChunkIndex = 128;
constexpr size_t kChunkCount = 132;
constexpr size_t kRecordCount = 136;
constexpr size_t kChunkLogView = 140;
constexpr size_t kContentChecksum = 144;
constexpr size_t kChunkFieldsEnd = 160;

// A frame of `body_size` body bytes with the common prefix written (checksums later).
Bytes NewFrame(absl::uint128 cluster, MessageFrom from, Command command, size_t body_size) {
  Bytes frame(kHeaderSize + body_size, 0);
  StoreU128(frame, offset::kCluster, cluster);
  StoreLittleEndian<uint32_t>(frame, offset::kSize, static_cast<uint32_t>(frame.size()));
  StoreLittleEndian<uint32_t>(frame, offset::kView, from.view);
  frame[offset::kCommand] = static_cast<uint8_t>(command);
  frame[offset::kReplica] = from.replica;
  return frame;
}

void Seal(Bytes& frame) {
  wire::SealHeader(MutableByteSpan(frame).first(kHeaderSize), ByteSpan(frame).subspan(kHeaderSize));
}

MessageFrom FromOf(ByteSpan frame) {
  return {.view = LoadLittleEndian<uint32_t>(frame, offset::kView), .replica = frame[offset::kReplica]};
}

absl::Status CheckZeroRange(ByteSpan frame, size_t begin, size_t end, Command command) {
  for (size_t i = begin; i < end; ++i) {
    if (frame[i] != 0) {
      return absl::InvalidArgumentError(absl::StrCat(wire::CommandName(command), " header byte ", i,
                                                     " must be zero (bytes ", begin, "..", end,
                                                     " are reserved)"));
    }
  }
  return absl::OkStatus();
}

// Prefix check plus the zero tail of the command-specific bytes.
absl::Status CheckMessage(ByteSpan frame, absl::uint128 cluster, Command command,
                          size_t fields_end) {
  if (absl::Status status = wire::CheckFramePrefix(frame, cluster, command); !status.ok()) {
    return status;
  }
  return CheckZeroRange(frame, fields_end, kHeaderSize, command);
}

void StoreGroup(MutableByteSpan bytes, size_t at, GroupId group) {
  StoreLittleEndian<uint64_t>(bytes, at, group.namespace_id);
  StoreLittleEndian<uint64_t>(bytes, at + 8, group.incarnation);
}

GroupId LoadGroup(ByteSpan bytes, size_t at) {
  return {.namespace_id = LoadLittleEndian<uint64_t>(bytes, at),
          .incarnation = LoadLittleEndian<uint64_t>(bytes, at + 8)};
}

// --- record codecs ---

void StoreRecord(MutableByteSpan out, const CommitPoint& point) {
  StoreGroup(out, 0, point.group);
  StoreLittleEndian<uint64_t>(out, 16, point.commit);
  StoreU128(out, 24, point.commit_checksum);
}
CommitPoint LoadCommitPoint(ByteSpan in) {
  return {.group = LoadGroup(in, 0),
          .commit = LoadLittleEndian<uint64_t>(in, 16),
          .commit_checksum = LoadU128(in, 24)};
}

void StoreRecord(MutableByteSpan out, const DoViewChangeRecord& record) {
  StoreGroup(out, 0, record.group);
  StoreLittleEndian<uint32_t>(out, 16, record.log_view);
  StoreLittleEndian<uint64_t>(out, 24, record.commit);
  StoreLittleEndian<uint64_t>(out, 32, record.head_op);
  StoreU128(out, 40, record.head_checksum);
  StoreLittleEndian<uint64_t>(out, 56, record.faulty_head_op);
}
absl::StatusOr<DoViewChangeRecord> LoadDoViewChangeRecord(ByteSpan in) {
  if (LoadLittleEndian<uint32_t>(in, 20) != 0) {
    return absl::InvalidArgumentError("do_view_change record padding must be zero");
  }
  DoViewChangeRecord record{.group = LoadGroup(in, 0),
                            .log_view = LoadLittleEndian<uint32_t>(in, 16),
                            .commit = LoadLittleEndian<uint64_t>(in, 24),
                            .head_op = LoadLittleEndian<uint64_t>(in, 32),
                            .head_checksum = LoadU128(in, 40),
                            .faulty_head_op = LoadLittleEndian<uint64_t>(in, 56)};
  return record;
}

void StoreRecord(MutableByteSpan out, const StartViewRecord& record) {
  StoreGroup(out, 0, record.group);
  StoreLittleEndian<uint64_t>(out, 16, record.commit);
  StoreLittleEndian<uint64_t>(out, 24, record.head_op);
  StoreU128(out, 32, record.head_checksum);
}
absl::StatusOr<StartViewRecord> LoadStartViewRecord(ByteSpan in) {
  StartViewRecord record{.group = LoadGroup(in, 0),
                         .commit = LoadLittleEndian<uint64_t>(in, 16),
                         .head_op = LoadLittleEndian<uint64_t>(in, 24),
                         .head_checksum = LoadU128(in, 32)};
  if (record.commit > record.head_op) {
    return absl::InvalidArgumentError(absl::StrCat("start_view record for namespace ",
                                                   record.group.namespace_id, ": commit ",
                                                   record.commit, " above head ", record.head_op));
  }
  return record;
}

template <typename Record>
std::vector<Bytes> EncodeChunks(absl::uint128 cluster, MessageFrom from, Command command,
                                uint32_t log_view, const std::vector<Record>& records,
                                size_t record_size, size_t frame_size_max_bytes) {
  SLUICE_ASSERT(frame_size_max_bytes >= kHeaderSize + record_size, "frame limit ",
                frame_size_max_bytes, " cannot hold one ", wire::CommandName(command), " record");
  const size_t per_chunk = (frame_size_max_bytes - kHeaderSize) / record_size;
  Bytes all(records.size() * record_size);
  for (size_t i = 0; i < records.size(); ++i) {
    StoreRecord(MutableByteSpan(all).subspan(i * record_size, record_size), records[i]);
  }
  const absl::uint128 content = RecordsChecksum(all);
  const size_t chunk_count = std::max<size_t>(1, (records.size() + per_chunk - 1) / per_chunk);
  std::vector<Bytes> frames;
  frames.reserve(chunk_count);
  for (size_t chunk = 0; chunk < chunk_count; ++chunk) {
    const size_t first = chunk * per_chunk;
    const size_t count = std::min(per_chunk, records.size() - std::min(first, records.size()));
    Bytes frame = NewFrame(cluster, from, command, count * record_size);
    StoreLittleEndian<uint32_t>(frame, kChunkIndex, static_cast<uint32_t>(chunk));
    StoreLittleEndian<uint32_t>(frame, kChunkCount, static_cast<uint32_t>(chunk_count));
    StoreLittleEndian<uint32_t>(frame, kRecordCount, static_cast<uint32_t>(count));
    StoreLittleEndian<uint32_t>(frame, kChunkLogView, log_view);
    StoreU128(frame, kContentChecksum, content);
    std::copy_n(all.begin() + first * record_size, count * record_size, frame.begin() + kHeaderSize);
    Seal(frame);
    frames.push_back(std::move(frame));
  }
  return frames;
}

// Checks a chunked frame and returns its ChunkInfo and log_view field.
absl::StatusOr<ChunkInfo> DecodeChunkInfo(ByteSpan frame, absl::uint128 cluster, Command command,
                                          size_t record_size, bool has_log_view) {
  if (absl::Status status = CheckMessage(frame, cluster, command, kChunkFieldsEnd); !status.ok()) {
    return status;
  }
  ChunkInfo info{.chunk_index = LoadLittleEndian<uint32_t>(frame, kChunkIndex),
                 .chunk_count = LoadLittleEndian<uint32_t>(frame, kChunkCount),
                 .content_checksum = LoadU128(frame, kContentChecksum)};
  const uint32_t record_count = LoadLittleEndian<uint32_t>(frame, kRecordCount);
  if (info.chunk_count == 0 || info.chunk_index >= info.chunk_count) {
    return absl::InvalidArgumentError(absl::StrCat(wire::CommandName(command), " chunk ",
                                                   info.chunk_index, " of ", info.chunk_count));
  }
  if (frame.size() - kHeaderSize != size_t{record_count} * record_size) {
    return absl::InvalidArgumentError(absl::StrCat(wire::CommandName(command), " body of ",
                                                   frame.size() - kHeaderSize, " bytes for ",
                                                   record_count, " records of ", record_size));
  }
  if (!has_log_view && LoadLittleEndian<uint32_t>(frame, kChunkLogView) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(wire::CommandName(command), " header bytes 140..144 must be zero"));
  }
  return info;
}

}  // namespace

absl::uint128 RecordsChecksum(ByteSpan encoded_records) {
  return base::Checksum128(encoded_records);
}

wire::Command PeekCommand(ByteSpan frame) {
  SLUICE_ASSERT(frame.size() >= kHeaderSize, "frame of ", frame.size(), " bytes");
  return static_cast<Command>(frame[offset::kCommand]);
}

// --- prepare_ok ---

Bytes EncodePrepareOk(absl::uint128 cluster, const PrepareOk& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kPrepareOk, 0);
  StoreU128(frame, 128, message.parent);
  StoreU128(frame, 144, message.prepare_checksum);
  StoreLittleEndian<uint64_t>(frame, 160, message.op);
  StoreLittleEndian<uint64_t>(frame, 168, message.commit);
  StoreLittleEndian<uint64_t>(frame, 176, message.timestamp);
  StoreLittleEndian<uint64_t>(frame, 184, message.request);
  frame[192] = static_cast<uint8_t>(message.operation);
  StoreGroup(frame, 200, message.group);
  Seal(frame);
  return frame;
}

absl::StatusOr<PrepareOk> DecodePrepareOk(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kPrepareOk, 216); !status.ok()) {
    return status;
  }
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("prepare_ok has a body");
  if (absl::Status status = CheckZeroRange(frame, 193, 200, Command::kPrepareOk); !status.ok()) {
    return status;
  }
  return PrepareOk{.from = FromOf(frame),
                   .group = LoadGroup(frame, 200),
                   .parent = LoadU128(frame, 128),
                   .prepare_checksum = LoadU128(frame, 144),
                   .op = LoadLittleEndian<uint64_t>(frame, 160),
                   .commit = LoadLittleEndian<uint64_t>(frame, 168),
                   .timestamp = LoadLittleEndian<uint64_t>(frame, 176),
                   .request = LoadLittleEndian<uint64_t>(frame, 184),
                   .operation = static_cast<wire::Operation>(frame[192])};
}

// --- commit ---

std::vector<Bytes> EncodeCommit(absl::uint128 cluster, MessageFrom from,
                                const std::vector<CommitPoint>& points,
                                size_t frame_size_max_bytes) {
  return EncodeChunks(cluster, from, Command::kCommit, 0, points, kCommitPointSizeBytes,
                      frame_size_max_bytes);
}

absl::StatusOr<CommitChunk> DecodeCommit(ByteSpan frame, absl::uint128 cluster) {
  absl::StatusOr<ChunkInfo> info =
      DecodeChunkInfo(frame, cluster, Command::kCommit, kCommitPointSizeBytes, false);
  if (!info.ok()) return info.status();
  CommitChunk chunk{.from = FromOf(frame), .chunk = *info, .points = {}};
  const ByteSpan body = frame.subspan(kHeaderSize);
  for (size_t at = 0; at < body.size(); at += kCommitPointSizeBytes) {
    chunk.points.push_back(LoadCommitPoint(body.subspan(at, kCommitPointSizeBytes)));
  }
  return chunk;
}

// --- start_view_change ---

Bytes EncodeStartViewChange(absl::uint128 cluster, MessageFrom from) {
  Bytes frame = NewFrame(cluster, from, Command::kStartViewChange, 0);
  Seal(frame);
  return frame;
}

absl::StatusOr<StartViewChange> DecodeStartViewChange(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kStartViewChange, 128);
      !status.ok()) {
    return status;
  }
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("start_view_change has a body");
  return StartViewChange{.from = FromOf(frame)};
}

// --- do_view_change ---

std::vector<Bytes> EncodeDoViewChange(absl::uint128 cluster, MessageFrom from, uint32_t log_view,
                                      const std::vector<DoViewChangeRecord>& records,
                                      size_t frame_size_max_bytes) {
  return EncodeChunks(cluster, from, Command::kDoViewChange, log_view, records,
                      kDoViewChangeRecordSizeBytes, frame_size_max_bytes);
}

absl::StatusOr<DoViewChangeChunk> DecodeDoViewChange(ByteSpan frame, absl::uint128 cluster) {
  absl::StatusOr<ChunkInfo> info = DecodeChunkInfo(frame, cluster, Command::kDoViewChange,
                                                   kDoViewChangeRecordSizeBytes, true);
  if (!info.ok()) return info.status();
  DoViewChangeChunk chunk{.from = FromOf(frame),
                          .log_view = LoadLittleEndian<uint32_t>(frame, kChunkLogView),
                          .chunk = *info,
                          .records = {}};
  if (chunk.log_view > chunk.from.view) {
    return absl::InvalidArgumentError(absl::StrCat("do_view_change log view ", chunk.log_view,
                                                   " above its view ", chunk.from.view));
  }
  const ByteSpan body = frame.subspan(kHeaderSize);
  for (size_t at = 0; at < body.size(); at += kDoViewChangeRecordSizeBytes) {
    absl::StatusOr<DoViewChangeRecord> record =
        LoadDoViewChangeRecord(body.subspan(at, kDoViewChangeRecordSizeBytes));
    if (!record.ok()) return record.status();
    if (record->log_view > chunk.log_view && record->log_view != kRemovedLogView) {
      return absl::InvalidArgumentError("do_view_change record log view above the replica's");
    }
    chunk.records.push_back(*record);
  }
  return chunk;
}

// --- start_view ---

std::vector<Bytes> EncodeStartView(absl::uint128 cluster, MessageFrom from,
                                   const std::vector<StartViewRecord>& records,
                                   size_t frame_size_max_bytes) {
  return EncodeChunks(cluster, from, Command::kStartView, 0, records, kStartViewRecordSizeBytes,
                      frame_size_max_bytes);
}

absl::StatusOr<StartViewChunk> DecodeStartView(ByteSpan frame, absl::uint128 cluster) {
  absl::StatusOr<ChunkInfo> info =
      DecodeChunkInfo(frame, cluster, Command::kStartView, kStartViewRecordSizeBytes, false);
  if (!info.ok()) return info.status();
  StartViewChunk chunk{.from = FromOf(frame), .chunk = *info, .records = {}};
  const ByteSpan body = frame.subspan(kHeaderSize);
  for (size_t at = 0; at < body.size(); at += kStartViewRecordSizeBytes) {
    absl::StatusOr<StartViewRecord> record =
        LoadStartViewRecord(body.subspan(at, kStartViewRecordSizeBytes));
    if (!record.ok()) return record.status();
    chunk.records.push_back(*record);
  }
  return chunk;
}

// --- request_prepare ---

Bytes EncodeRequestPrepare(absl::uint128 cluster, const RequestPrepare& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kRequestPrepare, 0);
  StoreU128(frame, 128, message.checksum);
  StoreLittleEndian<uint64_t>(frame, 144, message.op);
  StoreGroup(frame, 152, message.group);
  Seal(frame);
  return frame;
}

absl::StatusOr<RequestPrepare> DecodeRequestPrepare(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kRequestPrepare, 168);
      !status.ok()) {
    return status;
  }
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("request_prepare has a body");
  return RequestPrepare{.from = FromOf(frame),
                        .group = LoadGroup(frame, 152),
                        .op = LoadLittleEndian<uint64_t>(frame, 144),
                        .checksum = LoadU128(frame, 128)};
}

// --- request_headers ---

Bytes EncodeRequestHeaders(absl::uint128 cluster, const RequestHeaders& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kRequestHeaders, 0);
  StoreLittleEndian<uint64_t>(frame, 128, message.op_min);
  StoreLittleEndian<uint64_t>(frame, 136, message.op_max);
  StoreGroup(frame, 144, message.group);
  Seal(frame);
  return frame;
}

absl::StatusOr<RequestHeaders> DecodeRequestHeaders(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kRequestHeaders, 160);
      !status.ok()) {
    return status;
  }
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("request_headers has a body");
  RequestHeaders message{.from = FromOf(frame),
                         .group = LoadGroup(frame, 144),
                         .op_min = LoadLittleEndian<uint64_t>(frame, 128),
                         .op_max = LoadLittleEndian<uint64_t>(frame, 136)};
  if (message.op_min > message.op_max) {
    return absl::InvalidArgumentError(absl::StrCat("request_headers range ", message.op_min, "..",
                                                   message.op_max, " is empty"));
  }
  return message;
}

// --- headers ---

Bytes EncodeHeaders(absl::uint128 cluster, MessageFrom from, GroupId group,
                    const std::vector<ByteSpan>& headers, size_t frame_size_max_bytes) {
  SLUICE_ASSERT(frame_size_max_bytes >= kHeaderSize, "frame limit ", frame_size_max_bytes);
  const size_t count = std::min(headers.size(), (frame_size_max_bytes - kHeaderSize) / kHeaderSize);
  Bytes frame = NewFrame(cluster, from, Command::kHeaders, count * kHeaderSize);
  StoreGroup(frame, 128, group);
  StoreLittleEndian<uint32_t>(frame, 144, static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    SLUICE_ASSERT(headers[i].size() == kHeaderSize, "header of ", headers[i].size(), " bytes");
    std::copy(headers[i].begin(), headers[i].end(), frame.begin() + kHeaderSize * (i + 1));
  }
  Seal(frame);
  return frame;
}

absl::StatusOr<wire::PrepareHeader> DecodeLonePrepareHeader(ByteSpan header,
                                                           absl::uint128 cluster,
                                                           absl::uint128* checksum) {
  SLUICE_ASSERT(header.size() == kHeaderSize, "header of ", header.size(), " bytes");
  const absl::uint128 computed = base::Checksum128(header.subspan(offset::kChecksummedBegin));
  if (computed != LoadU128(header, offset::kChecksum)) {
    return absl::DataLossError("prepare header checksum mismatch over bytes 16..256");
  }
  if (header[offset::kCommand] != static_cast<uint8_t>(Command::kPrepare)) {
    return absl::InvalidArgumentError("header is not a prepare's");
  }
  wire::PrepareHeader fields = wire::LoadPrepareFields(header);
  if (fields.cluster != cluster) return absl::InvalidArgumentError("prepare header of another cluster");
  *checksum = computed;
  return fields;
}

absl::StatusOr<HeadersMessage> DecodeHeaders(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kHeaders, 148); !status.ok()) {
    return status;
  }
  HeadersMessage message{.from = FromOf(frame), .group = LoadGroup(frame, 128), .headers = {},
                         .checksums = {}};
  const uint32_t count = LoadLittleEndian<uint32_t>(frame, 144);
  if (frame.size() != kHeaderSize * (size_t{count} + 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("headers body of ", frame.size() - kHeaderSize, " bytes for ", count, " headers"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    absl::uint128 checksum = 0;
    absl::StatusOr<wire::PrepareHeader> header = DecodeLonePrepareHeader(
        frame.subspan(kHeaderSize * (size_t{i} + 1), kHeaderSize), cluster, &checksum);
    if (!header.ok()) return header.status();
    if (header->namespace_id != message.group.namespace_id ||
        header->incarnation != message.group.incarnation) {
      return absl::InvalidArgumentError("headers message holds a header of another group");
    }
    message.headers.push_back(*header);
    message.checksums.push_back(checksum);
  }
  return message;
}

// --- request_sync ---

Bytes EncodeRequestSync(absl::uint128 cluster, const RequestSync& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kRequestSync, 0);
  StoreU128(frame, 128, message.snapshot_checksum);
  StoreLittleEndian<uint64_t>(frame, 144, message.snapshot_op);
  StoreLittleEndian<uint64_t>(frame, 152, message.offset);
  StoreGroup(frame, 160, message.group);
  StoreLittleEndian<uint64_t>(frame, 176, message.op_min);
  Seal(frame);
  return frame;
}

absl::StatusOr<RequestSync> DecodeRequestSync(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kRequestSync, 184); !status.ok()) {
    return status;
  }
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("request_sync has a body");
  return RequestSync{.from = FromOf(frame),
                     .group = LoadGroup(frame, 160),
                     .snapshot_op = LoadLittleEndian<uint64_t>(frame, 144),
                     .snapshot_checksum = LoadU128(frame, 128),
                     .offset = LoadLittleEndian<uint64_t>(frame, 152),
                     .op_min = LoadLittleEndian<uint64_t>(frame, 176)};
}

// --- sync_chunk ---

Bytes EncodeSyncChunk(absl::uint128 cluster, const SyncChunk& message) {
  SLUICE_ASSERT(message.offset + message.bytes.size() <= message.snapshot.size_bytes, "chunk at ",
                message.offset, " of ", message.bytes.size(), " bytes beyond the snapshot's ",
                message.snapshot.size_bytes);
  Bytes frame = NewFrame(cluster, message.from, Command::kSyncChunk, message.bytes.size());
  StoreU128(frame, 128, message.snapshot.checksum);
  StoreU128(frame, 144, message.snapshot.op_checksum);
  StoreLittleEndian<uint64_t>(frame, 160, message.snapshot.op);
  StoreLittleEndian<uint64_t>(frame, 168, message.snapshot.size_bytes);
  StoreLittleEndian<uint64_t>(frame, 176, message.offset);
  StoreGroup(frame, 184, message.group);
  std::copy(message.bytes.begin(), message.bytes.end(), frame.begin() + kHeaderSize);
  Seal(frame);
  return frame;
}

absl::StatusOr<SyncChunk> DecodeSyncChunk(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kSyncChunk, 200); !status.ok()) {
    return status;
  }
  SyncChunk message{.from = FromOf(frame),
                    .group = LoadGroup(frame, 184),
                    .snapshot = {.op = LoadLittleEndian<uint64_t>(frame, 160),
                                 .op_checksum = LoadU128(frame, 144),
                                 .size_bytes = LoadLittleEndian<uint64_t>(frame, 168),
                                 .checksum = LoadU128(frame, 128)},
                    .offset = LoadLittleEndian<uint64_t>(frame, 176),
                    .bytes = frame.subspan(kHeaderSize)};
  const uint64_t size = message.snapshot.size_bytes;
  if (message.offset > size || message.bytes.size() > size - message.offset) {
    return absl::InvalidArgumentError(absl::StrCat("sync_chunk of ", message.bytes.size(), " bytes at offset ",
                                                   message.offset, " beyond the snapshot's ", size));
  }
  if (message.bytes.empty() && size != 0) return absl::InvalidArgumentError("sync_chunk without bytes");
  if (message.snapshot.op == 0) return absl::InvalidArgumentError("sync_chunk of a snapshot at op 0");
  return message;
}

// --- ping / pong ---

Bytes EncodePing(absl::uint128 cluster, const Ping& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kPing, 0);
  StoreLittleEndian<uint64_t>(frame, 128, message.nonce);
  Seal(frame);
  return frame;
}

absl::StatusOr<Ping> DecodePing(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kPing, 136); !status.ok()) return status;
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("ping has a body");
  return Ping{.from = FromOf(frame), .nonce = LoadLittleEndian<uint64_t>(frame, 128)};
}

Bytes EncodePong(absl::uint128 cluster, const Pong& message) {
  Bytes frame = NewFrame(cluster, message.from, Command::kPong, 0);
  StoreLittleEndian<uint64_t>(frame, 128, message.nonce);
  frame[136] = message.normal ? 0 : 1;
  StoreLittleEndian<uint32_t>(frame, 140, message.durable_view);
  Seal(frame);
  return frame;
}

absl::StatusOr<Pong> DecodePong(ByteSpan frame, absl::uint128 cluster) {
  if (absl::Status status = CheckMessage(frame, cluster, Command::kPong, 144); !status.ok()) return status;
  if (absl::Status status = CheckZeroRange(frame, 137, 140, Command::kPong); !status.ok()) return status;
  if (frame.size() != kHeaderSize) return absl::InvalidArgumentError("pong has a body");
  if (frame[136] > 1) return absl::InvalidArgumentError(absl::StrCat("pong status ", int{frame[136]}));
  Pong pong{.from = FromOf(frame),
            .nonce = LoadLittleEndian<uint64_t>(frame, 128),
            .normal = frame[136] == 0,
            .durable_view = LoadLittleEndian<uint32_t>(frame, 140)};
  if (pong.durable_view > pong.from.view) {
    return absl::InvalidArgumentError(absl::StrCat("pong durable view ", pong.durable_view, " above its view ",
                                                   pong.from.view));
  }
  return pong;
}

}  // namespace sluice::vsr
