// PROTOCOL.md Appendix B: the test vectors produced with the HEAD Node SDK (client id
// 1) decode into the expected requests, and Sluice's encoder writes them byte for
// byte.
#include <gtest/gtest.h>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "core/wire/batch_encoder.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using wire::Operation;

TEST(AppendixBTest, PingFrameDecodes) {
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(AppendixBPingFrame());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(std::holds_alternative<PingRequest>(request->command));
  EXPECT_EQ(request->code, CommandCode::kPing);
  EXPECT_EQ(request->header.client, absl::uint128{1});
  EXPECT_EQ(request->header.request, 1u);
  EXPECT_EQ(request->header.session, 0u);
  EXPECT_EQ(request->header.operation, Operation::kNonReplicated);
}

TEST(AppendixBTest, PingFrameEncodesByteForByte) {
  EXPECT_EQ(ToHex(EncodeClientFrame({.client = 1, .request = 1, .session = 0}, PingRequest{})),
            ToHex(AppendixBPingFrame()));
}

RegisterRequest IggyLogin() {
  return RegisterRequest{.protocol_version = 0x00002C00,
                         .sdk_name = "node-sdk",
                         .sdk_version = "0.10.0-edge.4",
                         .credentials = PasswordCredentials{"iggy", "iggy"}};
}

TEST(AppendixBTest, LoginRegisterBodyDecodes) {
  const Bytes frame = RequestFrame({.operation = Operation::kRegister, .session = 0, .request = 0},
                                   AppendixBLoginBody());
  ASSERT_EQ(frame.size(), 297u);
  EXPECT_EQ(frame[48], 0x29);
  EXPECT_EQ(frame[49], 0x01);
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->code, CommandCode::kLoginRegister);
  EXPECT_EQ(std::get<RegisterRequest>(request->command), IggyLogin());
}

TEST(AppendixBTest, LoginRegisterFrameEncodesByteForByte) {
  const Bytes frame = EncodeClientFrame({.client = 1, .request = 0, .session = 0}, IggyLogin());
  EXPECT_EQ(ToHex(frame),
            ToHex(RequestFrame({.operation = Operation::kRegister, .session = 0, .request = 0},
                               AppendixBLoginBody())));
  EXPECT_EQ(frame.size(), 297u);
  EXPECT_EQ(frame[176], 1);                                       // operation Register
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(196, 4)), "00000000");  // no code for Register
}

TEST(AppendixBTest, SessionNumberingOfCreateStreamGetStreamsLogout) {
  const Bytes create =
      EncodeClientFrame({.client = 1, .request = 1, .session = 1}, CreateStreamRequest{"s"});
  EXPECT_EQ(create[168], 1);     // request 1
  EXPECT_EQ(create[176], 0x80);  // CreateStream
  EXPECT_EQ(create[184], 1);     // session 1
  EXPECT_EQ(ToHex(ByteSpan(create).subspan(196, 4)), "00000000");
  const Bytes streams =
      EncodeClientFrame({.client = 1, .request = 2, .session = 1}, GetStreamsRequest{});
  EXPECT_EQ(streams[168], 2);
  EXPECT_EQ(streams[176], 2);
  EXPECT_EQ(ToHex(ByteSpan(streams).subspan(196, 4)), "c9000000");
  const Bytes logout =
      EncodeClientFrame({.client = 1, .request = 2, .session = 1}, LogoutRequest{});
  EXPECT_EQ(logout[168], 2);
  EXPECT_EQ(logout[176], 3);
  for (const Bytes* frame : {&create, &streams, &logout}) {
    const absl::StatusOr<ClientRequest> request = DecodeClientFrame(*frame);
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_EQ(request->header.session, 1u);
  }
}

TEST(AppendixBTest, SendMessagesBodyDecodesWithItsChecksums) {
  const Bytes body = AppendixBSendMessagesBody();
  ASSERT_EQ(body.size(), 329u);
  const Bytes frame = ReplicatedFrame(Operation::kSendMessages, body);
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& send = std::get<SendMessagesRequest>(request->command);
  EXPECT_EQ(send.stream, Identifier::Named("s"));
  EXPECT_EQ(send.topic, Identifier::Numeric(0));
  EXPECT_EQ(send.partitioning.kind, Partitioning::Kind::kPartitionId);
  EXPECT_EQ(send.partitioning.partition_id, 0u);
  ASSERT_EQ(send.batch.message_count(), 1u);
  EXPECT_EQ(send.batch.batch_checksum(), 0xf0b4bbce9f737305u);
  const wire::MessageView message = *send.batch.begin();
  EXPECT_EQ(message.id, absl::uint128{1});
  EXPECT_EQ(message.checksum, 0xa9920b42ca008edcu);
  EXPECT_EQ(message.origin_timestamp, 1'700'000'000'000'000u);
  EXPECT_EQ(std::string(message.payload.begin(), message.payload.end()), "hi");
}

TEST(AppendixBTest, SendMessagesBodyEncodesByteForByte) {
  const Bytes payload = Text("hi");
  const wire::MessageToSend message{
      .id = 1, .origin_timestamp = 1'700'000'000'000'000, .payload = payload};
  const absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
  ASSERT_TRUE(batch.ok()) << batch.status();
  const absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(*batch);
  ASSERT_TRUE(validated.ok()) << validated.status();
  const SendMessagesRequest send{.stream = Identifier::Named("s"),
                                 .topic = Identifier::Numeric(0),
                                 .partitioning = {.kind = Partitioning::Kind::kPartitionId},
                                 .batch = *validated};
  EXPECT_EQ(ToHex(EncodeRequestBody(send)), ToHex(AppendixBSendMessagesBody()));
}

}  // namespace
}  // namespace sluice::client_protocol
