// Reply and eviction frames (PROTOCOL.md §1.3, §1.6, §1.7): byte layout, the result
// section per operation class, the answer to each kind of rejection, and the client
// side's checks.
#include "core/client_protocol/reply_frame.h"

#include <gtest/gtest.h>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/protocol_version.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using base::LoadLittleEndian;
using base::LoadU128;
using wire::Operation;

RequestHeader Header(Operation operation) {
  return RequestHeader{.cluster = absl::MakeUint128(1, 2),
                       .size = 256,
                       .view = 3,
                       .release = 4,
                       .replica = 5,
                       .client = absl::MakeUint128(6, 7),
                       .request_checksum = 8,
                       .timestamp = 9,
                       .request = 10,
                       .operation = operation,
                       .session = 11};
}

TEST(ReplyFrameTest, ReplyHeaderEchoesTheRequestAtIggysOffsets) {
  const Bytes frame = EncodeReply(Header(Operation::kNonReplicated), Bytes{0xAA, 0xBB},
                                  {.op = 12, .commit = 13, .timestamp = 14});
  ASSERT_EQ(frame.size(), 258u);
  EXPECT_EQ(LoadU128(frame, 0), absl::uint128{0});   // checksum
  EXPECT_EQ(LoadU128(frame, 16), absl::uint128{0});  // checksum_body
  EXPECT_EQ(LoadU128(frame, 32), absl::MakeUint128(1, 2));
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 48), 258u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 52), 3u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 56), 4u);
  EXPECT_EQ(frame[60], 8);  // Reply
  EXPECT_EQ(frame[61], 5);
  EXPECT_EQ(LoadU128(frame, 128), absl::uint128{8});  // request_checksum echoed
  EXPECT_EQ(LoadU128(frame, 144), absl::uint128{0});  // context
  EXPECT_EQ(LoadU128(frame, 160), absl::MakeUint128(6, 7));
  EXPECT_EQ(LoadLittleEndian<uint64_t>(frame, 176), 12u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(frame, 184), 13u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(frame, 192), 14u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(frame, 200), 10u);
  EXPECT_EQ(frame[208], 2);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 216), 0u);
  for (size_t i = 62; i < 128; ++i) EXPECT_EQ(frame[i], 0) << i;
  for (size_t i = 209; i < 216; ++i) EXPECT_EQ(frame[i], 0) << i;
  for (size_t i = 220; i < 256; ++i) EXPECT_EQ(frame[i], 0) << i;
  EXPECT_EQ(frame[256], 0xAA);
  EXPECT_EQ(frame[257], 0xBB);
}

TEST(ReplyFrameTest, ResultSectionOperationsAreMetadataAndOffsetWrites) {
  for (int value = 0; value < 256; ++value) {
    const auto operation = static_cast<Operation>(value);
    const bool expected = value == 1 || (value >= 64 && value <= 68) ||
                          (value >= 128 && value <= 149 && value != 138) || value == 161 ||
                          value == 162;
    EXPECT_EQ(HasResultSection(operation), expected) << value;
  }
}

TEST(ReplyFrameTest, VoidSuccessOfAMetadataWriteSendsFourZeroBytes) {
  const Bytes frame = EncodeReply(Header(Operation::kDeleteStream), {});
  ASSERT_EQ(frame.size(), 260u);
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(256)), "00000000");
}

TEST(ReplyFrameTest, PayloadOfAMetadataWriteFollowsTheResultSection) {
  const Bytes frame = EncodeReply(Header(Operation::kCreateStream), Bytes{1, 2});
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(256)), "000000000102");
}

TEST(ReplyFrameTest, OffsetWritesHaveAResultSectionAndSendMessagesDoesNot) {
  EXPECT_EQ(EncodeReply(Header(Operation::kStoreConsumerOffset), {}).size(), 260u);
  EXPECT_EQ(EncodeReply(Header(Operation::kDeleteConsumerOffset), {}).size(), 260u);
  EXPECT_EQ(EncodeReply(Header(Operation::kSendMessages), Bytes{1}).size(), 257u);
  EXPECT_EQ(EncodeReply(Header(Operation::kLogout), {}).size(), 256u);
  EXPECT_EQ(EncodeReply(Header(Operation::kDeleteSegments), {}).size(), 256u);
}

TEST(ReplyFrameTest, RegisterHasAResultSectionOnlyWithABody) {
  EXPECT_EQ(EncodeReply(Header(Operation::kRegister), {}).size(), 256u);
  EXPECT_EQ(ToHex(ByteSpan(EncodeReply(Header(Operation::kRegister), Bytes{7})).subspan(256)),
            "0000000007");
}

TEST(ReplyFrameTest, StatusReplyHasTheCodeAndAnEmptyBody) {
  const Bytes frame =
      EncodeStatusReply(Header(Operation::kCreateStream), IggyError::kTopicIdNotFound);
  ASSERT_EQ(frame.size(), 256u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 216), 2010u);
  EXPECT_EQ(frame[208], 128);
}

TEST(ReplyFrameTest, ResultRejectionIsOneEntryWithIndexZero) {
  const Bytes frame =
      EncodeResultRejection(Header(Operation::kCreateStream), IggyError::kStreamNameAlreadyExists);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 216), 0u);
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(256)), "0100000000000000f4030000");
}

TEST(ReplyFrameTest, EvictionIsAHeaderWithClientAndReason) {
  const Bytes frame = EncodeEviction(absl::MakeUint128(1, 2), EvictionReason::kNoSession, 5, 4);
  ASSERT_EQ(frame.size(), 256u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 48), 256u);
  EXPECT_EQ(frame[60], 13);
  EXPECT_EQ(LoadU128(frame, 128), absl::MakeUint128(1, 2));
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 144), 0u);  // window only for reason 14
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 148), 0u);
  EXPECT_EQ(frame[255], 1);
}

TEST(ReplyFrameTest, IncompatibleProtocolEvictionCarriesTheWindow) {
  const Bytes frame = EncodeEviction(1, EvictionReason::kIncompatibleProtocol,
                                     kServerProtocolVersion, kServerProtocolVersionMin);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 144), kServerProtocolVersion);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 148), kServerProtocolVersionMin);
  EXPECT_EQ(frame[255], 14);
  const absl::StatusOr<DecodedReply> decoded = DecodeReplyFrame(frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->Error(), IggyError::kIncompatibleProtocolVersion);
}

TEST(ReplyFrameTest, SdkErrorsForEvictionReasonsFollowTheTable) {
  EXPECT_EQ(SdkErrorForEviction(1, 0, 0), IggyError::kUnauthenticated);
  EXPECT_EQ(SdkErrorForEviction(2, 0, 0), IggyError::kInvalidCommand);
  EXPECT_EQ(SdkErrorForEviction(6, 0, 0), IggyError::kInvalidCommand);
  EXPECT_EQ(SdkErrorForEviction(7, 0, 0), IggyError::kUnauthenticated);
  EXPECT_EQ(SdkErrorForEviction(9, 0, 0), IggyError::kInvalidCredentials);
  EXPECT_EQ(SdkErrorForEviction(10, 0, 0), IggyError::kInvalidPersonalAccessToken);
  EXPECT_EQ(SdkErrorForEviction(11, 0, 0), IggyError::kUnauthenticated);
  EXPECT_EQ(SdkErrorForEviction(13, 0, 0), IggyError::kStaleClient);
  EXPECT_EQ(SdkErrorForEviction(14, 0, 0), IggyError::kUnauthenticated);  // invalid window
  EXPECT_EQ(SdkErrorForEviction(14, 3, 4), IggyError::kUnauthenticated);
  EXPECT_EQ(SdkErrorForEviction(14, 4, 3), IggyError::kIncompatibleProtocolVersion);
  EXPECT_EQ(SdkErrorForEviction(15, 0, 0), IggyError::kInvalidFormat);
  EXPECT_EQ(SdkErrorForEviction(0, 0, 0), IggyError::kInvalidCommand);
  EXPECT_EQ(SdkErrorForEviction(99, 0, 0), IggyError::kUnauthenticated);
}

TEST(ReplyFrameTest, RejectedFramesAreAnsweredAsTheirRejectionSays) {
  // Status reply: unknown code, echoing the request.
  const Bytes unknown = NonReplicatedFrame(999, {});
  const absl::Status unknown_status = DecodeClientFrame(unknown).status();
  const std::optional<Bytes> status_reply = EncodeRejection(unknown, unknown_status);
  ASSERT_TRUE(status_reply.has_value());
  const absl::StatusOr<DecodedReply> decoded = DecodeReplyFrame(*status_reply);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->status, 3u);
  EXPECT_EQ(decoded->operation, Operation::kNonReplicated);
  EXPECT_EQ(decoded->request, 1u);
  // Eviction: a classic login code.
  const Bytes login = NonReplicatedFrame(38, {});
  const std::optional<Bytes> eviction = EncodeRejection(login, DecodeClientFrame(login).status());
  ASSERT_TRUE(eviction.has_value());
  EXPECT_EQ((*eviction)[60], 13);
  EXPECT_EQ((*eviction)[255], 15);
  // Close: a bad command byte.
  Bytes bad = NonReplicatedFrame(1, {});
  bad[60] = 9;
  EXPECT_EQ(EncodeRejection(bad, DecodeClientFrame(bad).status()), std::nullopt);
  // A status from elsewhere: the generic error.
  const std::optional<Bytes> generic = EncodeRejection(unknown, absl::InternalError("disk"));
  ASSERT_TRUE(generic.has_value());
  EXPECT_EQ(LoadLittleEndian<uint32_t>(*generic, 216), 1u);
}

TEST(ReplyFrameTest, RejectionPayloadSurvivesAnnotation) {
  const absl::Status status = StatusReply(IggyError::kTopicIdNotFound, "x");
  absl::Status annotated(status.code(), "context: x");
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    annotated.SetPayload(url, payload);
  });
  EXPECT_EQ(RejectionOf(annotated), StatusReplyOf(IggyError::kTopicIdNotFound));
  EXPECT_EQ(RejectionOf(absl::OkStatus()).kind, RejectionKind::kNone);
}

TEST(ReplyFrameTest, DecodeReplyStripsTheResultSection) {
  // DecodedReply views the frame: keep each alive while using it.
  const Bytes success_frame = EncodeReply(Header(Operation::kCreateStream), Bytes{9, 8});
  const absl::StatusOr<DecodedReply> success = DecodeReplyFrame(success_frame);
  ASSERT_TRUE(success.ok()) << success.status();
  EXPECT_EQ(success->result, 0u);
  EXPECT_EQ(Bytes(success->payload.begin(), success->payload.end()), (Bytes{9, 8}));
  EXPECT_EQ(success->Error(), IggyError::kOk);
  const Bytes rejected_frame =
      EncodeResultRejection(Header(Operation::kCreateStream), IggyError::kStreamIdNotFound);
  const absl::StatusOr<DecodedReply> rejected = DecodeReplyFrame(rejected_frame);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->Error(), IggyError::kStreamIdNotFound);
  EXPECT_TRUE(rejected->payload.empty());
  const Bytes raw_frame = EncodeReply(Header(Operation::kNonReplicated), Bytes{1, 2, 3});
  const absl::StatusOr<DecodedReply> raw = DecodeReplyFrame(raw_frame);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->result, std::nullopt);
  EXPECT_EQ(raw->payload.size(), 3u);
}

TEST(ReplyFrameTest, ClientRefusesWhatTheNodeSdkRefuses) {
  // A metadata reply shorter than its result section.
  Bytes short_section = EncodeReply(Header(Operation::kNonReplicated), Bytes{0, 0});
  short_section[208] = 128;
  EXPECT_FALSE(DecodeReplyFrame(short_section).ok());
  // A non-zero status with a body.
  Bytes status_with_body = EncodeReply(Header(Operation::kNonReplicated), Bytes{1});
  base::StoreLittleEndian<uint32_t>(status_with_body, 216, 3);
  EXPECT_FALSE(DecodeReplyFrame(status_with_body).ok());
  // An undefined operation, a wrong command, a bad size.
  Bytes undefined = EncodeReply(Header(Operation::kNonReplicated), {});
  undefined[208] = 99;
  EXPECT_FALSE(DecodeReplyFrame(undefined).ok());
  Bytes command = EncodeReply(Header(Operation::kNonReplicated), {});
  command[60] = 5;
  EXPECT_FALSE(DecodeReplyFrame(command).ok());
  Bytes size = EncodeReply(Header(Operation::kNonReplicated), Bytes{1});
  base::StoreLittleEndian<uint32_t>(size, 48, 256);
  EXPECT_FALSE(DecodeReplyFrame(size).ok());
  EXPECT_FALSE(DecodeReplyFrame(Bytes(10, 0)).ok());
  // A result section announcing more entries than it holds.
  Bytes entries = EncodeResultRejection(Header(Operation::kCreateStream), IggyError::kError);
  base::StoreLittleEndian<uint32_t>(entries, 256, 2);
  EXPECT_FALSE(DecodeReplyFrame(entries).ok());
}

}  // namespace
}  // namespace sluice::client_protocol
