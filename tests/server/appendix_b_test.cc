// PROTOCOL.md Appendix B against a running sluice-server: the bytes Iggy's Node SDK
// sends (its ping frame, its iggy/iggy login body, its SendMessages body with
// checksums, client id 1) are served, and the replies are what the SDK accepts.
#include <gtest/gtest.h>

#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

namespace cp = client_protocol;

class AppendixBTest : public ServerFixture {
 protected:
  server::ServerFrame Exchange(server::BlockingClient& client, const Bytes& frame) {
    SLUICE_ASSERT(client.SendBytes(frame).ok(), "send");
    absl::StatusOr<server::ServerFrame> reply = client.ReadFrame();
    SLUICE_ASSERT(reply.ok(), reply.status().ToString(), "\n", server_->output());
    return *std::move(reply);
  }
};

TEST_F(AppendixBTest, TheNodeSdksFramesAreServed) {
  StartServer();
  auto client = Connect();
  // Ping: a 256-byte reply, operation 2, status 0, request echoed.
  const server::ServerFrame ping = Exchange(*client, cp::testing::AppendixBPingFrame());
  EXPECT_EQ(ping.frame->size(), 256u);
  EXPECT_EQ((*ping.frame)[60], 8) << "command Reply";
  EXPECT_EQ(ping.decoded.operation, wire::Operation::kNonReplicated);
  EXPECT_EQ(ping.decoded.status, 0u);
  EXPECT_EQ(ping.decoded.request, 1u);
  EXPECT_EQ(ping.decoded.client, absl::uint128(1));

  // Login iggy/iggy with the SDK's body (protocol 0.11.0, "node-sdk" 0.10.0-edge.4).
  const Bytes login = cp::testing::RequestFrame(
      {.operation = wire::Operation::kRegister, .session = 0, .request = 0, .client = 1},
      cp::testing::AppendixBLoginBody());
  ASSERT_EQ(login.size(), 297u);
  const server::ServerFrame registered = Exchange(*client, login);
  ASSERT_FALSE(registered.decoded.eviction);
  ASSERT_EQ(registered.decoded.result, std::optional<uint32_t>(0)) << "result section, success";
  ASSERT_GE(registered.decoded.payload.size(), 17u) << "the SDK needs >= 17 bytes";
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(registered.decoded.payload, 0), 0u) << "root is user 0";
  const uint64_t session = base::LoadLittleEndian<uint64_t>(registered.decoded.payload, 4);
  ASSERT_GT(session, 0u);

  // Stream "s" and topic 0 for the SDK's SendMessages body, then the body itself.
  ASSERT_EQ(Exchange(*client, cp::EncodeClientFrame({.client = 1, .request = 1, .session = session},
                                                    cp::CreateStreamRequest{"s"}))
                .decoded.Error(),
            IggyError::kOk);
  ASSERT_EQ(Exchange(*client, cp::EncodeClientFrame(
                                  {.client = 1, .request = 2, .session = session},
                                  cp::CreateTopicRequest{.stream = Identifier::Named("s"),
                                                         .partitions_count = 1,
                                                         .name = "t"}))
                .decoded.Error(),
            IggyError::kOk);
  const Bytes send_body = cp::testing::AppendixBSendMessagesBody();
  ASSERT_EQ(send_body.size(), 329u);
  const server::ServerFrame sent = Exchange(
      *client, cp::testing::RequestFrame({.operation = wire::Operation::kSendMessages,
                                          .session = session,
                                          .request = 3,
                                          .client = 1},
                                         send_body));
  ASSERT_EQ(sent.decoded.status, 0u);
  ASSERT_EQ(sent.decoded.payload.size(), 24u) << "[count=1][stream][topic][partition][base_offset]";
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(sent.decoded.payload, 0), 1u);
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(sent.decoded.payload, 16), 0u);

  // The message comes back as sent: its 50-byte frame (checksum 0xa9920b42ca008edc).
  const server::ServerFrame polled = Exchange(
      *client, cp::EncodeClientFrame({.client = 1, .request = 3, .session = session},
                                     PollOf(Identifier::Named("s"), Identifier::Numeric(0), 0, 0, 10)));
  const PolledMessages messages = ParsePoll(polled.decoded.payload);
  ASSERT_EQ(messages.messages.size(), 1u);
  EXPECT_EQ(messages.messages[0].payload, "hi");
  EXPECT_EQ(messages.messages[0].id, absl::uint128(1));
  EXPECT_EQ(Bytes(messages.messages[0].frame.begin(), messages.messages[0].frame.end()),
            Bytes(send_body.end() - 50, send_body.end()));
  EXPECT_EQ(base::LoadLittleEndian<uint64_t>(messages.messages[0].frame, 0), 0xa9920b42ca008edcull);

  // Logout: operation 3, empty body both ways.
  const server::ServerFrame logout = Exchange(
      *client, cp::EncodeClientFrame({.client = 1, .request = 3, .session = session}, cp::LogoutRequest{}));
  EXPECT_EQ(logout.decoded.operation, wire::Operation::kLogout);
  EXPECT_EQ(logout.decoded.status, 0u);
  EXPECT_TRUE(logout.decoded.payload.empty());
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

}  // namespace
}  // namespace sluice::testing
