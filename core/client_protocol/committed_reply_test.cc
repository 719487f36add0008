// Replies to committed metadata ops (PROTOCOL.md §1.7, §5): what Apply returned,
// rendered as the frame the SDK expects.
#include "core/client_protocol/committed_reply.h"

#include <gtest/gtest.h>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using base::LoadLittleEndian;
using metadata::ApplyResult;
using metadata::ErrorCode;
using wire::Operation;

ClientRequest Decode(const Command& command) {
  const bool login = OperationOf(command) == Operation::kRegister;
  const Bytes frame = EncodeClientFrame(
      {.client = 5, .request = login ? 0u : 3u, .session = login ? 0u : 2u}, command);
  absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  SLUICE_ASSERT(request.ok(), request.status().ToString());
  return *std::move(request);
}

ApplyResult OkWithId(uint32_t id) {
  ApplyResult result;
  result.payload = U32Le(id);
  return result;
}

DecodedReply Reply(Bytes frame) { return DecodeKept(std::move(frame)); }

TEST(CommittedReplyTest, CreateStreamRepliesStreamDetailsStampedWithTheOpTime) {
  const ClientRequest request = Decode(CreateStreamRequest{"orders"});
  const Bytes frame =
      EncodeCommittedReply(request, OkWithId(4), {}, {.op = 9, .timestamp_us = 1234});
  const DecodedReply reply = Reply(frame);
  EXPECT_EQ(reply.result, 0u);
  EXPECT_EQ(reply.request, 3u);
  EXPECT_EQ(reply.operation, Operation::kCreateStream);
  EXPECT_EQ(
      ToHex(reply.payload),
      ToHex(Concat(
          {U32Le(4), U64Le(1234), U32Le(0), U64Le(0), U64Le(0), {6}, Text("orders"), U32Le(0)})));
}

TEST(CommittedReplyTest, CreateTopicRepliesTopicDetailsWithItsPartitions) {
  const ClientRequest request = Decode(CreateTopicRequest{
      Identifier::Numeric(0), 3, "t", {.compression_algorithm = 2, .message_expiry_us = 60}});
  const DecodedReply reply =
      Reply(EncodeCommittedReply(request, OkWithId(1), {}, {.op = 9, .timestamp_us = 77}));
  ASSERT_EQ(reply.result, 0u);
  const ByteSpan payload = reply.payload;
  EXPECT_EQ(LoadLittleEndian<uint32_t>(payload, 0), 1u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(payload, 4), 77u);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(payload, 12), 3u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(payload, 16), 60u);
  EXPECT_EQ(payload[24], 2);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(payload, 25), metadata::kUnlimited);  // default resolved
  const uint32_t derived = LoadLittleEndian<uint32_t>(payload, 51 + 4);
  const size_t partitions_at = 51 + 8 + derived;
  ASSERT_EQ(payload.size(), partitions_at + 3 * 40);
  EXPECT_EQ(LoadLittleEndian<uint32_t>(payload, partitions_at + 80), 2u);
  EXPECT_EQ(LoadLittleEndian<uint64_t>(payload, partitions_at + 80 + 4), 77u);
}

TEST(CommittedReplyTest, CreateConsumerGroupRepliesGroupDetailsWithTheTopicsPartitions) {
  metadata::MetadataState state;
  state.streams[0].name = "s";
  state.streams[0].topics[0].name = "t";
  state.streams[0].topics[0].partitions.resize(4);
  const ClientRequest request =
      Decode(CreateConsumerGroupRequest{Identifier::Named("s"), Identifier::Numeric(0), "g"});
  const DecodedReply reply = Reply(EncodeCommittedReply(request, OkWithId(2), state, {}));
  EXPECT_EQ(ToHex(reply.payload), ToHex(Concat({U32Le(2), U32Le(4), U32Le(0), {1}, Text("g")})));
}

TEST(CommittedReplyTest, VoidWritesReplyTheFourZeroBytes) {
  const Bytes frame =
      EncodeCommittedReply(Decode(DeleteStreamRequest{Identifier::Numeric(1)}), {}, {}, {});
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(256)), "00000000");
}

TEST(CommittedReplyTest, CommittedRejectionIsAOneEntryResultSection) {
  const ApplyResult rejected{.error = ErrorCode::kStreamNameAlreadyExists};
  const DecodedReply reply =
      Reply(EncodeCommittedReply(Decode(CreateStreamRequest{"s"}), rejected, {}, {}));
  EXPECT_EQ(reply.status, 0u);
  EXPECT_EQ(reply.result, 1012u);
  EXPECT_TRUE(reply.payload.empty());
}

TEST(CommittedReplyTest, RegisterRepliesUserSessionAndServerVersion) {
  const ClientRequest request = Decode(RegisterRequest{
      .protocol_version = 0x2C00, .credentials = PasswordCredentials{"iggy", "iggy"}});
  ApplyResult result;
  result.payload = Concat({U32Le(0), U64Le(17)});
  const DecodedReply reply = Reply(EncodeCommittedReply(request, result, {}, {.op = 17}));
  EXPECT_EQ(reply.operation, Operation::kRegister);
  EXPECT_EQ(reply.result, 0u);
  EXPECT_EQ(ToHex(reply.payload), ToHex(Concat({U32Le(0),
                                                U64Le(17),
                                                U32Le(kServerProtocolVersion),
                                                {static_cast<uint8_t>(kServerVersion.size())},
                                                Text(kServerVersion)})));
  EXPECT_GE(reply.payload.size(), 17u);  // what the Node SDK requires
}

TEST(CommittedReplyTest, RegisterCredentialFailuresAtApplyAreEvictions) {
  const ClientRequest request = Decode(
      RegisterRequest{.protocol_version = 0x2C00, .credentials = PasswordCredentials{"iggy", "x"}});
  const std::pair<ErrorCode, uint8_t> cases[] = {{ErrorCode::kInvalidCredentials, 9},
                                                 {ErrorCode::kInvalidPersonalAccessToken, 10},
                                                 {ErrorCode::kUserInactive, 11}};
  for (const auto& [error, reason] : cases) {
    const Bytes frame = EncodeCommittedReply(request, {.error = error}, {}, {});
    ASSERT_EQ(frame.size(), 256u);
    EXPECT_EQ(frame[60], 13);
    EXPECT_EQ(frame[255], reason);
    EXPECT_EQ(base::LoadU128(frame, 128), absl::uint128{5});
  }
  const DecodedReply other =
      Reply(EncodeCommittedReply(request, {.error = ErrorCode::kError}, {}, {}));
  EXPECT_EQ(other.result, 1u);
}

TEST(CommittedReplyTest, LogoutIsAlwaysAnEmptySuccess) {
  for (ErrorCode error : {ErrorCode::kOk, ErrorCode::kUnauthenticated}) {
    const Bytes frame = EncodeCommittedReply(Decode(LogoutRequest{}), {.error = error}, {}, {});
    EXPECT_EQ(frame.size(), 256u);
    EXPECT_EQ(frame[208], 3);
    EXPECT_EQ(LoadLittleEndian<uint32_t>(frame, 216), 0u);
  }
}

TEST(CommittedReplyTest, EveryMetadataErrorMapsToTheSameIggyCode) {
  for (uint32_t code = 0; code < 6000; ++code) {
    const auto error = static_cast<ErrorCode>(code);
    if (metadata::ErrorCodeName(error) == "unknown") continue;
    EXPECT_EQ(CodeOf(FromMetadataError(error)), code);
    EXPECT_NE(IggyErrorName(FromMetadataError(error)), "unknown");
  }
}

}  // namespace
}  // namespace sluice::client_protocol
