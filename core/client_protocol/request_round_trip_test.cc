// Every supported command survives encode -> DecodeClientFrame unchanged, with the
// operation and command code of PROTOCOL.md §4 in its header.
#include <gtest/gtest.h>

#include <set>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using wire::Operation;

RequestIdentity IdentityFor(const Command& command) {
  if (OperationOf(command) == Operation::kRegister) return {.client = 9};
  return {.client = 9, .request = 4, .session = 2};
}

TEST(RequestRoundTripTest, EverySampleCommandDecodesToItself) {
  for (const Command& command : SampleCommands()) {
    const Bytes frame = EncodeClientFrame(IdentityFor(command), command);
    const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
    ASSERT_TRUE(request.ok()) << CommandCodeName(CodeOf(command)) << ": " << request.status();
    EXPECT_EQ(request->command, command) << CommandCodeName(CodeOf(command));
    EXPECT_EQ(request->code, CodeOf(command));
    EXPECT_EQ(request->header.operation, OperationOf(command));
    EXPECT_EQ(request->header.client, absl::uint128{9});
  }
}

TEST(RequestRoundTripTest, ReEncodingADecodedRequestGivesTheSameFrame) {
  for (const Command& command : SampleCommands()) {
    const Bytes frame = EncodeClientFrame(IdentityFor(command), command);
    const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_EQ(EncodeClientFrame(IdentityFor(command), request->command), frame)
        << CommandCodeName(CodeOf(command));
  }
}

TEST(RequestRoundTripTest, SamplesCoverEverySupportedCommand) {
  std::set<CommandCode> covered;
  for (const Command& command : SampleCommands()) covered.insert(CodeOf(command));
  for (uint32_t code = 0; code < 1000; ++code) {
    if (!IsKnownCommandCode(code)) continue;
    const auto command_code = static_cast<CommandCode>(code);
    if (IsSupportedCommandCode(command_code)) {
      EXPECT_TRUE(covered.contains(command_code)) << CommandCodeName(command_code);
    }
  }
}

TEST(RequestRoundTripTest, OperationAndCodeFollowTheCommandTable) {
  EXPECT_EQ(OperationOf(CreateStreamRequest{"s"}), Operation::kCreateStream);
  EXPECT_EQ(OperationOf(SyncConsumerGroupRequest{}), Operation::kNonReplicated);
  EXPECT_EQ(OperationOf(PollMessagesRequest{}), Operation::kNonReplicated);
  EXPECT_EQ(OperationOf(StoreConsumerOffsetRequest{}), Operation::kStoreConsumerOffset);
  EXPECT_EQ(OperationOf(JoinConsumerGroupRequest{}), Operation::kJoinConsumerGroup);
  EXPECT_EQ(OperationOf(LogoutRequest{}), Operation::kLogout);
  EXPECT_EQ(CodeOf(RegisterRequest{.credentials = TokenCredentials{"t"}}),
            CommandCode::kLoginRegisterWithAccessToken);
  EXPECT_EQ(CodeOf(RegisterRequest{}), CommandCode::kLoginRegister);
  EXPECT_EQ(CodeForOperation(Operation::kDeleteSegments), CommandCode::kDeleteSegments);
  EXPECT_EQ(CodeForOperation(Operation::kNonReplicated), std::nullopt);
  EXPECT_EQ(CodeForOperation(Operation::kTruncatePartition), std::nullopt);
  EXPECT_EQ(CodeForOperation(Operation::kPartitionPurge), std::nullopt);
  // The SDK rewrites the classic login codes into Register frames.
  EXPECT_EQ(OperationForCode(CommandCode::kLoginUser), Operation::kRegister);
  EXPECT_EQ(OperationForCode(CommandCode::kLoginWithAccessToken), Operation::kRegister);
}

TEST(RequestRoundTripTest, TokenLoginDecodesAsTheTokenShape) {
  const Bytes body =
      Concat({U32Le(0x2C00), {3}, Text("cli"), {1}, Text("1"), {5}, Text("abcde"), U32Le(0)});
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(
      RequestFrame({.operation = Operation::kRegister, .session = 0, .request = 0}, body));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->code, CommandCode::kLoginRegisterWithAccessToken);
  EXPECT_EQ(
      std::get<TokenCredentials>(std::get<RegisterRequest>(request->command).credentials).token,
      "abcde");
}

TEST(RequestRoundTripTest, DeleteTopicAcceptsTheNodeSdksTrailingPartitionsCount) {
  // PROTOCOL.md §9: Node appends [partitions_count:u32], which the server ignores.
  const Bytes body = Concat({{1, 4}, U32Le(0), {1, 4}, U32Le(2), U32Le(3)});
  const absl::StatusOr<ClientRequest> request =
      DecodeClientFrame(ReplicatedFrame(Operation::kDeleteTopic, body));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(std::get<DeleteTopicRequest>(request->command),
            (DeleteTopicRequest{Identifier::Numeric(0), Identifier::Numeric(2)}));
}

TEST(RequestRoundTripTest, CreateTopicOptionsInAnyOrderDecodeToTheSameOptions) {
  const TopicOptions options{.message_expiry_us = 7, .segment_size_bytes = 1 << 20};
  const Bytes canonical =
      EncodeRequestBody(CreateTopicRequest{Identifier::Numeric(0), 1, "t", options});
  // The same two options, swapped.
  const Bytes prefix = Concat({{1, 4}, U32Le(0), U32Le(1), {1}, Text("t")});
  auto option = [](absl::string_view key, uint64_t value) {
    return Concat(
        {{2}, U32Le(static_cast<uint32_t>(key.size())), Text(key), {12}, U32Le(8), U64Le(value)});
  };
  const Bytes swapped =
      Concat({prefix, option("segment_size", 1 << 20), option("message_expiry", 7)});
  ASSERT_NE(swapped, canonical);
  const absl::StatusOr<ClientRequest> request =
      DecodeClientFrame(ReplicatedFrame(Operation::kCreateTopic, swapped));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(std::get<CreateTopicRequest>(request->command).options, options);
}

}  // namespace
}  // namespace sluice::client_protocol
