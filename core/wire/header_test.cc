#include "core/wire/header.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/base/checksum.h"

namespace sluice::wire {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr absl::uint128 kCluster = absl::MakeUint128(0x0123456789ABCDEF, 0xFEDCBA9876543210);

PrepareHeader SampleHeader() {
  PrepareHeader header;
  header.cluster = kCluster;
  header.view = 7;
  header.release = 3;
  header.replica = 2;
  header.client = absl::MakeUint128(0xC1, 0xC2);
  header.parent = absl::MakeUint128(0xAA, 0xBB);
  header.request_checksum = absl::MakeUint128(0x11, 0x22);
  header.op = 42;
  header.commit = 41;
  header.timestamp = 1'700'000'000'000'000;
  header.request = 9;
  header.operation = Operation::kSendMessages;
  header.namespace_id = (uint64_t{1} << 63) | 5;
  header.incarnation = 17;
  return header;
}

Bytes SampleBody() { return Bytes{'b', 'o', 'd', 'y', 0, 1, 2, 3}; }

Bytes SampleFrame() { return EncodePrepare(SampleHeader(), SampleBody()); }

// Recomputes both checksums after a test changed a field, so the decoder's semantic
// check (not the checksum) is what rejects the frame.
void Reseal(Bytes& frame) {
  SealHeader(MutableByteSpan(frame).first(kHeaderSize), ByteSpan(frame).subspan(kHeaderSize));
}

absl::Status DecodeStatus(const Bytes& frame) { return DecodePrepare(frame, kCluster).status(); }

TEST(PrepareHeaderTest, RoundTrip) {
  const Bytes frame = SampleFrame();
  ASSERT_EQ(frame.size(), kHeaderSize + SampleBody().size());
  absl::StatusOr<ValidatedPrepare> prepare = DecodePrepare(frame, kCluster);
  ASSERT_TRUE(prepare.ok()) << prepare.status();
  EXPECT_EQ(prepare->header(), SampleHeader());
  EXPECT_EQ(Bytes(prepare->body().begin(), prepare->body().end()), SampleBody());
  EXPECT_EQ(prepare->frame().data(), frame.data());  // A view, not a copy.
  EXPECT_EQ(prepare->checksum(), PrepareChecksum(frame));
}

TEST(PrepareHeaderTest, FieldsSitAtTheirDocumentedOffsets) {
  const Bytes frame = SampleFrame();
  const PrepareHeader header = SampleHeader();
  EXPECT_EQ(base::LoadU128(frame, 32), header.cluster);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(frame, 48), frame.size());
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(frame, 52), header.view);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(frame, 56), header.release);
  EXPECT_EQ(frame[60], 6);  // prepare
  EXPECT_EQ(frame[61], header.replica);
  EXPECT_EQ(base::LoadU128(frame, 128), header.client);
  EXPECT_EQ(base::LoadU128(frame, 144), header.parent);
  EXPECT_EQ(base::LoadU128(frame, 160), header.request_checksum);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 176), header.op);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 184), header.commit);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 192), header.timestamp);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 200), header.request);
  EXPECT_EQ(frame[208], 160);  // SendMessages
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 216), header.namespace_id);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(frame, 224), header.incarnation);
}

TEST(PrepareHeaderTest, ChecksumsCoverTheDocumentedBytes) {
  const Bytes frame = SampleFrame();
  EXPECT_EQ(base::LoadU128(frame, 16), base::Checksum128(ByteSpan(frame).subspan(256)));
  EXPECT_EQ(base::LoadU128(frame, 0), base::Checksum128(ByteSpan(frame).subspan(16, 240)));
}

TEST(PrepareHeaderTest, HashChainLinksToThePreviousPrepare) {
  const Bytes first = SampleFrame();
  PrepareHeader next = SampleHeader();
  next.op = 43;
  next.parent = PrepareChecksum(first);
  const Bytes second = EncodePrepare(next, {});
  absl::StatusOr<ValidatedPrepare> decoded = DecodePrepare(second, kCluster);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->header().parent, DecodePrepare(first, kCluster)->checksum());
}

TEST(PrepareHeaderTest, EmptyBodyRoundTrips) {
  const Bytes frame = EncodePrepare(SampleHeader(), {});
  ASSERT_EQ(frame.size(), kHeaderSize);
  absl::StatusOr<ValidatedPrepare> prepare = DecodePrepare(frame, kCluster);
  ASSERT_TRUE(prepare.ok()) << prepare.status();
  EXPECT_TRUE(prepare->body().empty());
}

TEST(PrepareHeaderTest, EncodeHeaderIntoCallerBufferOverwritesStaleBytes) {
  Bytes header(kHeaderSize, 0xEE);
  const Bytes body = SampleBody();
  EncodePrepareHeader(SampleHeader(), body, header);
  header.insert(header.end(), body.begin(), body.end());
  EXPECT_EQ(header, SampleFrame());
}

TEST(DecodePrepareTest, RejectsShortFrame) {
  Bytes frame = SampleFrame();
  frame.resize(kHeaderSize - 1);
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("too short"), HasSubstr("256"), HasSubstr("found 255")));
  EXPECT_FALSE(DecodePrepare({}, kCluster).ok());
}

TEST(DecodePrepareTest, RejectsSizeMismatchWhenBodyIsTruncated) {
  Bytes frame = SampleFrame();
  frame.pop_back();
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("size field mismatch"), HasSubstr("expected 263"),
                                      HasSubstr("found 264")));
}

TEST(DecodePrepareTest, RejectsSizeMismatchWhenBytesFollow) {
  Bytes frame = SampleFrame();
  frame.push_back(0);
  EXPECT_THAT(DecodeStatus(frame).message(),
              AllOf(HasSubstr("size field mismatch"), HasSubstr("expected 265")));
}

TEST(DecodePrepareTest, RejectsHeaderChecksumMismatch) {
  Bytes frame = SampleFrame();
  frame[200] ^= 0x01;  // request
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("prepare header checksum mismatch over bytes 16..256: expected 0x"),
                    HasSubstr(", found 0x")));
}

TEST(DecodePrepareTest, RejectsBodyChecksumMismatch) {
  Bytes frame = SampleFrame();
  frame[kHeaderSize + 2] ^= 0x80;
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("prepare body checksum mismatch over bytes 256..264"));
}

TEST(DecodePrepareTest, RejectsWrongCluster) {
  const absl::Status status = DecodePrepare(SampleFrame(), kCluster + 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("cluster mismatch"),
                                      HasSubstr("expected 0x0123456789abcdeffedcba9876543211"),
                                      HasSubstr("found 0x0123456789abcdeffedcba9876543210")));
}

TEST(DecodePrepareTest, RejectsWrongCommand) {
  Bytes frame = SampleFrame();
  frame[60] = static_cast<uint8_t>(Command::kCommit);
  Reseal(frame);
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("command mismatch: expected 6 (prepare), found 9 (commit)"));
}

TEST(DecodePrepareTest, RejectsNonzeroReservedFrameBytes) {
  Bytes frame = SampleFrame();
  frame[100] = 0x5A;
  Reseal(frame);
  EXPECT_THAT(DecodeStatus(frame).message(),
              HasSubstr("reserved (bytes 62..128) must be zero: byte 100 is 0x5a"));
}

TEST(DecodePrepareTest, RejectsNonzeroOperationPadding) {
  Bytes frame = SampleFrame();
  frame[215] = 1;
  Reseal(frame);
  EXPECT_THAT(DecodeStatus(frame).message(),
              HasSubstr("operation padding (bytes 209..216) must be zero: byte 215 is 0x01"));
}

TEST(DecodePrepareTest, RejectsNonzeroPrepareReservedBytes) {
  Bytes frame = SampleFrame();
  frame[255] = 0x80;
  Reseal(frame);
  EXPECT_THAT(DecodeStatus(frame).message(),
              HasSubstr("reserved (bytes 232..256) must be zero: byte 255 is 0x80"));
}

TEST(DecodePrepareTest, RejectsUnknownOperation) {
  Bytes frame = SampleFrame();
  frame[208] = 200;
  Reseal(frame);
  const absl::Status status = DecodeStatus(frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("operation unknown: found 200"));
}

TEST(DecodePrepareTest, RejectsNonReplicatedOperation) {
  Bytes frame = SampleFrame();
  frame[208] = static_cast<uint8_t>(Operation::kNonReplicated);
  Reseal(frame);
  EXPECT_THAT(DecodeStatus(frame).message(),
              HasSubstr("operation 2 (non_replicated) is never prepared"));
}

TEST(DecodePrepareTest, RejectsEveryBitFlipOfAFrame) {
  const Bytes frame = SampleFrame();
  for (size_t bit = 0; bit < frame.size() * 8; ++bit) {
    Bytes flipped = frame;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(DecodePrepare(flipped, kCluster).ok()) << "bit " << bit;
  }
}

TEST(EncodePrepareDeathTest, RefusesOperationThatIsNeverPrepared) {
  PrepareHeader header = SampleHeader();
  header.operation = Operation::kNonReplicated;
  EXPECT_DEATH(EncodePrepare(header, {}), "cannot prepare operation 2");
}

TEST(CommandTest, NamesAndKnownValues) {
  EXPECT_EQ(CommandName(Command::kStartView), "start_view");
  EXPECT_EQ(CommandName(Command::kSyncChunk), "sync_chunk");
  EXPECT_TRUE(IsKnownCommand(13));
  EXPECT_FALSE(IsKnownCommand(14));
  EXPECT_TRUE(IsKnownCommand(32));
  EXPECT_FALSE(IsKnownCommand(255));
}

TEST(OperationTest, NamesAndClasses) {
  EXPECT_EQ(OperationName(Operation::kSendMessages), "send_messages");
  EXPECT_TRUE(IsKnownOperation(149));
  EXPECT_FALSE(IsKnownOperation(150));
  EXPECT_TRUE(IsKnownOperation(166));  // CompletePartitionStep
  EXPECT_FALSE(IsKnownOperation(167));
  EXPECT_TRUE(IsReplicatedOperation(Operation::kRegister));
  EXPECT_FALSE(IsReplicatedOperation(Operation::kReserved));
  EXPECT_FALSE(IsReplicatedOperation(Operation::kNonReplicated));
  EXPECT_FALSE(IsReplicatedOperation(static_cast<Operation>(99)));
}

// --- Properties -------------------------------------------------------------------

absl::uint128 ArbitraryU128() {
  const uint64_t high = *rc::gen::arbitrary<uint64_t>();
  const uint64_t low = *rc::gen::arbitrary<uint64_t>();
  return absl::MakeUint128(high, low);
}

std::vector<Operation> ReplicatedOperations() {
  std::vector<Operation> operations;
  for (int value = 0; value < 256; ++value) {
    const auto operation = static_cast<Operation>(value);
    if (IsReplicatedOperation(operation)) operations.push_back(operation);
  }
  return operations;
}

PrepareHeader ArbitraryHeader() {
  PrepareHeader header;
  header.cluster = ArbitraryU128();
  header.view = *rc::gen::arbitrary<uint32_t>();
  header.release = *rc::gen::arbitrary<uint32_t>();
  header.replica = *rc::gen::arbitrary<uint8_t>();
  header.client = ArbitraryU128();
  header.parent = ArbitraryU128();
  header.request_checksum = ArbitraryU128();
  header.op = *rc::gen::arbitrary<uint64_t>();
  header.commit = *rc::gen::arbitrary<uint64_t>();
  header.timestamp = *rc::gen::arbitrary<uint64_t>();
  header.request = *rc::gen::arbitrary<uint64_t>();
  header.operation = *rc::gen::elementOf(ReplicatedOperations());
  header.namespace_id = *rc::gen::arbitrary<uint64_t>();
  header.incarnation = *rc::gen::arbitrary<uint64_t>();
  return header;
}

RC_GTEST_PROP(PrepareHeaderProperty, EncodeDecodeRoundTripsArbitraryFields, ()) {
  const PrepareHeader header = ArbitraryHeader();
  const auto body = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  const Bytes frame = EncodePrepare(header, body);
  absl::StatusOr<ValidatedPrepare> decoded = DecodePrepare(frame, header.cluster);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->header() == header);
  RC_ASSERT(Bytes(decoded->body().begin(), decoded->body().end()) == body);
  RC_ASSERT(decoded->checksum() == PrepareChecksum(frame));
}

RC_GTEST_PROP(PrepareHeaderProperty, AnySingleBitFlipIsRejected, ()) {
  const PrepareHeader header = ArbitraryHeader();
  const auto body = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  Bytes frame = EncodePrepare(header, body);
  const size_t bit = *rc::gen::inRange<size_t>(0, frame.size() * 8);
  frame[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  RC_ASSERT(!DecodePrepare(frame, header.cluster).ok());
}

RC_GTEST_PROP(PrepareHeaderProperty, ArbitraryBytesNeverCrashTheDecoder, ()) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  const absl::uint128 cluster = ArbitraryU128();
  (void)DecodePrepare(bytes, cluster);
}

}  // namespace
}  // namespace sluice::wire
