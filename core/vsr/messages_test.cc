#include "core/vsr/messages.h"

#include "gtest/gtest.h"
#include "core/wire/header.h"

namespace sluice::vsr {
namespace {

constexpr absl::uint128 kCluster = 0xC1;
constexpr GroupId kPartition{.namespace_id = (uint64_t{1} << 63) | 5, .incarnation = 42};

TEST(MessagesTest, PrepareOkRoundTrips) {
  const PrepareOk sent{.from = {.view = 3, .replica = 1},
                       .group = kPartition,
                       .parent = 0x11,
                       .prepare_checksum = 0x22,
                       .op = 9,
                       .commit = 7,
                       .timestamp = 1234,
                       .request = 5,
                       .operation = wire::Operation::kSendMessages};
  const Bytes frame = EncodePrepareOk(kCluster, sent);
  ASSERT_EQ(frame.size(), wire::kHeaderSize);
  absl::StatusOr<PrepareOk> got = DecodePrepareOk(frame, kCluster);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->group, kPartition);
  EXPECT_EQ(got->prepare_checksum, sent.prepare_checksum);
  EXPECT_EQ(got->op, 9u);
  EXPECT_EQ(got->from.view, 3u);
  EXPECT_EQ(got->from.replica, 1);
  EXPECT_EQ(got->operation, wire::Operation::kSendMessages);
}

TEST(MessagesTest, EveryFlippedHeaderByteIsRejected) {
  const Bytes frame = EncodeStartViewChange(kCluster, {.view = 4, .replica = 2});
  for (size_t i = 0; i < frame.size(); ++i) {
    Bytes flipped = frame;
    flipped[i] ^= 0x80;
    EXPECT_FALSE(DecodeStartViewChange(flipped, kCluster).ok()) << "byte " << i;
  }
  EXPECT_TRUE(DecodeStartViewChange(frame, kCluster).ok());
  EXPECT_FALSE(DecodeStartViewChange(frame, kCluster + 1).ok());
}

TEST(MessagesTest, DoViewChangeChunksStayWithinTheFrameLimitAndReassemble) {
  std::vector<DoViewChangeRecord> records;
  for (uint64_t i = 0; i < 1000; ++i) {
    records.push_back({.group = {.namespace_id = (uint64_t{1} << 63) | i, .incarnation = i + 1},
                       .log_view = 2,
                       .commit = i,
                       .head_op = i + 3,
                       .head_checksum = absl::MakeUint128(i, i * 7),
                       .faulty_head_op = i + 4});
  }
  const size_t limit = 16 * 1024;
  const std::vector<Bytes> frames = EncodeDoViewChange(kCluster, {.view = 5, .replica = 0}, 2, records, limit);
  EXPECT_EQ(frames.size(), (1000 * kDoViewChangeRecordSizeBytes + (limit - 256) - 1) / ((limit - 256) / 64 * 64));
  std::vector<DoViewChangeRecord> got;
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_LE(frames[i].size(), limit);
    absl::StatusOr<DoViewChangeChunk> chunk = DecodeDoViewChange(frames[i], kCluster);
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    EXPECT_EQ(chunk->chunk.chunk_index, i);
    EXPECT_EQ(chunk->chunk.chunk_count, frames.size());
    EXPECT_EQ(chunk->log_view, 2u);
    got.insert(got.end(), chunk->records.begin(), chunk->records.end());
  }
  EXPECT_EQ(got, records);
}

TEST(MessagesTest, EmptyStartViewIsOneChunk) {
  const std::vector<Bytes> frames = EncodeStartView(kCluster, {.view = 1, .replica = 1}, {}, 4096);
  ASSERT_EQ(frames.size(), 1u);
  absl::StatusOr<StartViewChunk> chunk = DecodeStartView(frames[0], kCluster);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_TRUE(chunk->records.empty());
}

TEST(MessagesTest, StartViewRejectsCommitAboveHead) {
  const std::vector<Bytes> frames = EncodeStartView(
      kCluster, {.view = 1, .replica = 1},
      {{.group = kPartition, .commit = 5, .head_op = 4, .head_checksum = 1}}, 4096);
  EXPECT_FALSE(DecodeStartView(frames[0], kCluster).ok());
}

TEST(MessagesTest, CommitCarriesEveryGroup) {
  std::vector<CommitPoint> points;
  for (uint64_t i = 0; i < 300; ++i) {
    points.push_back({.group = {.namespace_id = i, .incarnation = 0}, .commit = i * 2, .commit_checksum = i});
  }
  const std::vector<Bytes> frames = EncodeCommit(kCluster, {.view = 1, .replica = 1}, points, 4096);
  size_t total = 0;
  for (const Bytes& frame : frames) {
    absl::StatusOr<CommitChunk> chunk = DecodeCommit(frame, kCluster);
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    for (const CommitPoint& point : chunk->points) {
      EXPECT_EQ(point.commit, points[total].commit);
      ++total;
    }
  }
  EXPECT_EQ(total, points.size());
}

TEST(MessagesTest, HeadersRejectAHeaderOfAnotherGroup) {
  const Bytes prepare = wire::EncodePrepare({.cluster = kCluster,
                                             .op = 1,
                                             .operation = wire::Operation::kSendMessages,
                                             .namespace_id = kPartition.namespace_id,
                                             .incarnation = kPartition.incarnation},
                                            base::AsBytes("x"));
  const std::vector<ByteSpan> headers = {ByteSpan(prepare).first(wire::kHeaderSize)};
  const Bytes good = EncodeHeaders(kCluster, {.view = 1, .replica = 0}, kPartition, headers, 4096);
  absl::StatusOr<HeadersMessage> decoded = DecodeHeaders(good, kCluster);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->headers.size(), 1u);
  EXPECT_EQ(decoded->checksums[0], wire::PrepareChecksum(prepare));
  const GroupId other_incarnation{.namespace_id = kPartition.namespace_id, .incarnation = 41};
  EXPECT_FALSE(
      DecodeHeaders(EncodeHeaders(kCluster, {.view = 1, .replica = 0}, other_incarnation, headers, 4096),
                    kCluster)
          .ok());
}

TEST(MessagesTest, RequestSyncRoundTrips_B15) {
  const RequestSync sent{.from = {.view = 7, .replica = 2},
                         .group = kPartition,
                         .snapshot_op = 640,
                         .snapshot_checksum = absl::MakeUint128(3, 4),
                         .offset = 8192,
                         .op_min = 12};
  const Bytes frame = EncodeRequestSync(kCluster, sent);
  ASSERT_EQ(frame.size(), wire::kHeaderSize);
  absl::StatusOr<RequestSync> got = DecodeRequestSync(frame, kCluster);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->group, kPartition);
  EXPECT_EQ(got->snapshot_op, 640u);
  EXPECT_EQ(got->snapshot_checksum, sent.snapshot_checksum);
  EXPECT_EQ(got->offset, 8192u);
  EXPECT_EQ(got->op_min, 12u);
  EXPECT_EQ(got->from.replica, 2);
  for (size_t i = 0; i < frame.size(); ++i) {
    Bytes flipped = frame;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(DecodeRequestSync(flipped, kCluster).ok()) << "byte " << i;
  }
}

TEST(MessagesTest, SyncChunkRoundTripsAndStaysInsideItsSnapshot_B15) {
  const Bytes data = {1, 2, 3, 4, 5};
  const SnapshotId snapshot{.op = 99, .op_checksum = 0xAB, .size_bytes = 20, .checksum = absl::MakeUint128(9, 9)};
  const Bytes frame = EncodeSyncChunk(kCluster, {.from = {.view = 2, .replica = 0},
                                                 .group = kPartition,
                                                 .snapshot = snapshot,
                                                 .offset = 15,
                                                 .bytes = data});
  absl::StatusOr<SyncChunk> got = DecodeSyncChunk(frame, kCluster);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->snapshot, snapshot);
  EXPECT_EQ(got->offset, 15u);
  EXPECT_EQ(Bytes(got->bytes.begin(), got->bytes.end()), data);
  EXPECT_EQ(got->group, kPartition);
  // A body flip fails the body checksum.
  Bytes flipped = frame;
  flipped[wire::kHeaderSize + 2] ^= 0x10;
  EXPECT_FALSE(DecodeSyncChunk(flipped, kCluster).ok());
  // A chunk reaching past its snapshot's size, or empty, is refused.
  Bytes past = frame;
  base::StoreLittleEndian<uint64_t>(past, 176, 16);
  wire::SealHeader(MutableByteSpan(past).first(wire::kHeaderSize), ByteSpan(past).subspan(wire::kHeaderSize));
  EXPECT_FALSE(DecodeSyncChunk(past, kCluster).ok());
  const Bytes empty = EncodeSyncChunk(kCluster, {.from = {.view = 2, .replica = 0},
                                                 .group = kPartition,
                                                 .snapshot = snapshot,
                                                 .offset = 0,
                                                 .bytes = {}});
  EXPECT_FALSE(DecodeSyncChunk(empty, kCluster).ok());
}

TEST(MessagesTest, PingAndPongRoundTrip_B17) {
  absl::StatusOr<Ping> ping = DecodePing(EncodePing(kCluster, {.from = {.view = 0, .replica = 4}, .nonce = 77}), kCluster);
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ(ping->nonce, 77u);
  EXPECT_EQ(ping->from.replica, 4);
  absl::StatusOr<Pong> pong = DecodePong(
      EncodePong(kCluster, {.from = {.view = 9, .replica = 1}, .nonce = 77, .normal = true, .durable_view = 8}),
      kCluster);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->nonce, 77u);
  EXPECT_EQ(pong->from.view, 9u);
  EXPECT_EQ(pong->durable_view, 8u);
  EXPECT_TRUE(pong->normal);
  EXPECT_FALSE(DecodePong(EncodePong(kCluster, {.from = {.view = 3, .replica = 1}, .durable_view = 4}), kCluster).ok());
  EXPECT_FALSE(DecodePing(EncodePong(kCluster, {.nonce = 1}), kCluster).ok());
}

}  // namespace
}  // namespace sluice::vsr
