// From decoded requests to what the replica executes: metadata submissions applied
// by the real state machine, the two-step login around the primary's KDF, and the
// session gate. End to end: frame -> DecodeClientFrame -> submission -> Apply ->
// EncodeCommittedReply -> the reply the SDK decodes.
#include <gtest/gtest.h>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/committed_reply.h"
#include "core/client_protocol/login.h"
#include "core/client_protocol/reads.h"
#include "core/client_protocol/request_class.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/session_gate.h"
#include "core/client_protocol/submissions.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/lookup.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using metadata::ApplyResult;
using metadata::testing::MetadataDriver;
using metadata::testing::TestPrimary;
using wire::Operation;

constexpr absl::uint128 kClient = 77;

class MappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(driver_.Run(Operation::kCreateUser, primary_.CreateUser("iggy", "iggy")).ok());
  }

  // Logs kClient in through the client protocol; returns the reply.
  DecodedReply Login(const RegisterRequest& login) {
    const ClientRequest request = Decode(login, {.client = kClient});
    const auto& registration = std::get<RegisterRequest>(request.command);
    absl::StatusOr<LoginHashInput> input = PlanLogin(driver_.state, registration);
    SLUICE_ASSERT(input.ok(), input.status().ToString());
    const Bytes hash = Kdf(*input);
    absl::StatusOr<MetadataSubmission> submission =
        RegisterSubmission(driver_.state, *input, hash, driver_.timestamp_us);
    SLUICE_ASSERT(submission.ok(), submission.status().ToString());
    return Commit(request, *submission);
  }

  // The stand-in KDF of core/metadata/testing (the production primary runs Argon2id).
  static Bytes Kdf(const LoginHashInput& input) {
    if (const auto* password = std::get_if<PasswordHashInput>(&input)) {
      return TestPrimary::HashPassword(password->salt, password->password);
    }
    return TestPrimary::HashToken(std::get<TokenHashInput>(input).token);
  }

  static ClientRequest Decode(const Command& command, const RequestIdentity& identity) {
    absl::StatusOr<ClientRequest> request = DecodeClientFrame(EncodeClientFrame(identity, command));
    SLUICE_ASSERT(request.ok(), request.status().ToString());
    return *std::move(request);
  }

  // Applies `submission` as the primary would (client and request from the header)
  // and decodes the committed reply.
  DecodedReply Commit(const ClientRequest& request, const MetadataSubmission& submission) {
    const metadata::OpContext context{.op = driver_.state.last_applied_op + 1,
                                      .operation = submission.operation,
                                      .timestamp_us = ++driver_.timestamp_us,
                                      .client = request.header.client,
                                      .request = request.header.request};
    const ApplyResult result = metadata::Apply(driver_.state, context, submission.body);
    return DecodeKept(EncodeCommittedReply(
        request, result, driver_.state, {.op = context.op, .timestamp_us = context.timestamp_us}));
  }

  // Sends `command` as kClient's next request and commits it.
  DecodedReply Run(const Command& command) {
    const ClientRequest request =
        Decode(command, {.client = kClient, .request = ++request_, .session = session_});
    const std::optional<MetadataSubmission> submission = MetadataSubmissionFor(request.command);
    SLUICE_ASSERT(submission.has_value(), CommandCodeName(request.code));
    EXPECT_EQ(submission->operation, request.header.operation);
    return Commit(request, *submission);
  }

  void LoginAsRoot() {
    const DecodedReply reply =
        Login(RegisterRequest{.protocol_version = kServerProtocolVersion,
                              .credentials = PasswordCredentials{"iggy", "iggy"}});
    ASSERT_EQ(reply.Error(), IggyError::kOk);
    session_ = base::LoadLittleEndian<uint64_t>(reply.payload, 4);
    ASSERT_GT(session_, 0u);
  }

  TestPrimary primary_;
  MetadataDriver driver_;
  uint64_t session_ = 0;
  uint64_t request_ = 0;
};

TEST_F(MappingTest, PasswordLoginOpensASessionThroughTheKdfHook) {
  const DecodedReply reply =
      Login(RegisterRequest{.protocol_version = kServerProtocolVersion,
                            .credentials = PasswordCredentials{"iggy", "iggy"}});
  ASSERT_EQ(reply.Error(), IggyError::kOk);
  ASSERT_GE(reply.payload.size(), 17u);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(reply.payload, 0), 0u);  // root user id
  const uint64_t session = base::LoadLittleEndian<uint64_t>(reply.payload, 4);
  EXPECT_EQ(driver_.state.clients.at(kClient).session, session);
}

TEST_F(MappingTest, RegisterBodyCarriesTheHashNeverThePassword) {
  const RegisterRequest login{.protocol_version = kServerProtocolVersion,
                              .credentials = PasswordCredentials{"iggy", "iggy"}};
  const absl::StatusOr<LoginHashInput> input = PlanLogin(driver_.state, login);
  ASSERT_TRUE(input.ok());
  const Bytes hash = Kdf(*input);
  const absl::StatusOr<MetadataSubmission> submission =
      RegisterSubmission(driver_.state, *input, hash, 0);
  ASSERT_TRUE(submission.ok()) << submission.status();
  const absl::StatusOr<metadata::RegisterBody> body = metadata::DecodeRegister(submission->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->user_id, 0u);
  EXPECT_EQ(body->kind, metadata::LoginKind::kPassword);
  EXPECT_EQ(body->proof, hash);
}

TEST_F(MappingTest, WrongPasswordOrUnknownUserIsEvictedAsInvalidCredentials) {
  for (const PasswordCredentials& credentials :
       {PasswordCredentials{"iggy", "wrong"}, PasswordCredentials{"nobody", "iggy"}}) {
    const RegisterRequest login{.protocol_version = kServerProtocolVersion,
                                .credentials = credentials};
    const absl::StatusOr<LoginHashInput> input = PlanLogin(driver_.state, login);
    ASSERT_TRUE(input.ok());
    // The KDF runs for an unknown user too (a dummy salt), so timing tells nothing.
    EXPECT_EQ(std::get<PasswordHashInput>(*input).salt.size(), 16u);
    const absl::Status status = RegisterSubmission(driver_.state, *input, Kdf(*input), 0).status();
    EXPECT_EQ(RejectionOf(status), EvictionOf(EvictionReason::kInvalidCredentials));
  }
}

TEST_F(MappingTest, InactiveUserIsEvictedAsUserInactive) {
  ASSERT_TRUE(driver_
                  .Run(Operation::kCreateUser,
                       primary_.CreateUser("sleepy", "pw", metadata::UserStatus::kInactive))
                  .ok());
  const RegisterRequest login{.protocol_version = kServerProtocolVersion,
                              .credentials = PasswordCredentials{"sleepy", "pw"}};
  const absl::StatusOr<LoginHashInput> input = PlanLogin(driver_.state, login);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(RejectionOf(RegisterSubmission(driver_.state, *input, Kdf(*input), 0).status()),
            EvictionOf(EvictionReason::kUserInactive));
}

TEST_F(MappingTest, TokenLoginVerifiesTheTokenHash) {
  ASSERT_TRUE(driver_
                  .Run(Operation::kCreatePersonalAccessToken,
                       TestPrimary::CreateToken(0, "ci", "tok-123", 0))
                  .ok());
  const DecodedReply reply = Login(RegisterRequest{.protocol_version = kServerProtocolVersion,
                                                   .credentials = TokenCredentials{"tok-123"}});
  EXPECT_EQ(reply.Error(), IggyError::kOk);
  const RegisterRequest bad{.protocol_version = kServerProtocolVersion,
                            .credentials = TokenCredentials{"tok-999"}};
  const absl::StatusOr<LoginHashInput> input = PlanLogin(driver_.state, bad);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(RejectionOf(RegisterSubmission(driver_.state, *input, Kdf(*input), 0).status()),
            EvictionOf(EvictionReason::kInvalidToken));
}

TEST_F(MappingTest, ProtocolVersionOutsideTheWindowIsEvictedIncompatible) {
  for (uint32_t version : {PackVersion(0, 10, 9), PackVersion(0, 12, 0), PackVersion(1, 0, 0)}) {
    const RegisterRequest login{.protocol_version = version,
                                .credentials = PasswordCredentials{"iggy", "iggy"}};
    EXPECT_EQ(RejectionOf(PlanLogin(driver_.state, login).status()),
              EvictionOf(EvictionReason::kIncompatibleProtocol))
        << version;
  }
  // A newer patch of the same minor is accepted.
  EXPECT_TRUE(PlanLogin(driver_.state, {.protocol_version = PackVersion(0, 11, 7),
                                        .credentials = PasswordCredentials{"iggy", "iggy"}})
                  .ok());
}

TEST_F(MappingTest, IncompatibleProtocolEvictionCarriesTheServersWindow) {
  const Bytes frame = EncodeClientFrame(
      {.client = 3}, RegisterRequest{.protocol_version = PackVersion(0, 12, 0),
                                     .credentials = PasswordCredentials{"iggy", "iggy"}});
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  ASSERT_TRUE(request.ok());
  const absl::Status refused =
      PlanLogin(driver_.state, std::get<RegisterRequest>(request->command)).status();
  const std::optional<Bytes> eviction = EncodeRejection(frame, refused);
  ASSERT_TRUE(eviction.has_value());
  const absl::StatusOr<DecodedReply> decoded = DecodeReplyFrame(*eviction);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->reason, 14);
  EXPECT_EQ(decoded->version_max, kServerProtocolVersion);
  EXPECT_EQ(decoded->version_min, kServerProtocolVersionMin);
  EXPECT_EQ(decoded->Error(), IggyError::kIncompatibleProtocolVersion);
}

TEST_F(MappingTest, StreamTopicPartitionAndGroupWritesApplyAndReply) {
  LoginAsRoot();
  DecodedReply reply = Run(CreateStreamRequest{"orders"});
  ASSERT_EQ(reply.Error(), IggyError::kOk);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(reply.payload, 0), 0u);  // stream id 0
  reply = Run(CreateTopicRequest{Identifier::Named("orders"),
                                 2,
                                 "events",
                                 {.message_expiry_us = 10, .segment_size_bytes = 2 << 20}});
  ASSERT_EQ(reply.Error(), IggyError::kOk);
  const metadata::Topic& topic = driver_.state.streams.at(0).topics.at(0);
  EXPECT_EQ(topic.settings.message_expiry_us, 10u);
  EXPECT_EQ(topic.settings.segment_size_bytes, uint64_t{2} << 20);
  EXPECT_EQ(topic.settings.max_topic_size_bytes, metadata::kUnlimited);
  EXPECT_EQ(topic.partitions.size(), 2u);
  EXPECT_EQ(Run(CreatePartitionsRequest{Identifier::Numeric(0), Identifier::Numeric(0), 3}).Error(),
            IggyError::kOk);
  EXPECT_EQ(driver_.state.streams.at(0).topics.at(0).partitions.size(), 5u);
  EXPECT_EQ(Run(DeletePartitionsRequest{Identifier::Numeric(0), Identifier::Numeric(0), 1}).Error(),
            IggyError::kOk);
  EXPECT_EQ(driver_.state.streams.at(0).topics.at(0).partitions.size(), 4u);
  reply = Run(CreateConsumerGroupRequest{Identifier::Numeric(0), Identifier::Named("events"), "g"});
  ASSERT_EQ(reply.Error(), IggyError::kOk);
  EXPECT_EQ(ToHex(reply.payload), ToHex(Concat({U32Le(0), U32Le(4), U32Le(0), {1}, Text("g")})));
  const GroupRequestBody group{Identifier::Numeric(0), Identifier::Numeric(0),
                               Identifier::Named("g")};
  EXPECT_EQ(Run(JoinConsumerGroupRequest{group}).Error(), IggyError::kOk);
  const metadata::ConsumerGroup& joined = driver_.state.streams.at(0).topics.at(0).groups.at(0);
  EXPECT_EQ(joined.members.size(), 1u);
  EXPECT_TRUE(joined.members.contains(session_));
  EXPECT_EQ(Run(LeaveConsumerGroupRequest{group}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(DeleteConsumerGroupRequest{group}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(UpdateTopicRequest{Identifier::Numeric(0),
                                   Identifier::Numeric(0),
                                   "renamed",
                                   {.compression_algorithm = 2}})
                .Error(),
            IggyError::kOk);
  EXPECT_EQ(driver_.state.streams.at(0).topics.at(0).name, "renamed");
  EXPECT_EQ(driver_.state.streams.at(0).topics.at(0).settings.compression_algorithm, 2);
  EXPECT_EQ(driver_.state.streams.at(0).topics.at(0).settings.message_expiry_us, 10u);
  EXPECT_EQ(Run(PurgeTopicRequest{Identifier::Numeric(0), Identifier::Numeric(0)}).Error(),
            IggyError::kOk);
  EXPECT_EQ(Run(DeleteTopicRequest{Identifier::Numeric(0), Identifier::Numeric(0)}).Error(),
            IggyError::kOk);
  EXPECT_EQ(Run(UpdateStreamRequest{Identifier::Numeric(0), "o2"}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(PurgeStreamRequest{Identifier::Named("o2")}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(DeleteStreamRequest{Identifier::Named("o2")}).Error(), IggyError::kOk);
  EXPECT_TRUE(driver_.state.streams.empty());
}

TEST_F(MappingTest, CommittedBusinessRejectionsReachTheClientAsResultCodes) {
  LoginAsRoot();
  ASSERT_EQ(Run(CreateStreamRequest{"s"}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(CreateStreamRequest{"s"}).Error(), IggyError::kStreamNameAlreadyExists);
  EXPECT_EQ(Run(DeleteStreamRequest{Identifier::Numeric(9)}).Error(), IggyError::kStreamIdNotFound);
  EXPECT_EQ(Run(CreateTopicRequest{Identifier::Named("x"), 1, "t", {}}).Error(),
            IggyError::kStreamIdNotFound);
  ASSERT_EQ(Run(CreateTopicRequest{Identifier::Named("s"), 1, "t", {}}).Error(), IggyError::kOk);
  EXPECT_EQ(Run(CreateTopicRequest{Identifier::Named("s"), 1, "t", {}}).Error(),
            IggyError::kTopicNameAlreadyExists);
  EXPECT_EQ(Run(DeletePartitionsRequest{Identifier::Numeric(0), Identifier::Numeric(0), 2}).Error(),
            IggyError::kInvalidPartitionsCount);
  EXPECT_EQ(Run(LeaveConsumerGroupRequest{
                    {Identifier::Numeric(0), Identifier::Numeric(0), Identifier::Numeric(0)}})
                .Error(),
            IggyError::kConsumerGroupIdNotFound);
}

TEST_F(MappingTest, LogoutEndsTheSessionAndRepliesEmpty) {
  LoginAsRoot();
  const DecodedReply reply = Run(LogoutRequest{});
  EXPECT_EQ(reply.Error(), IggyError::kOk);
  EXPECT_TRUE(reply.payload.empty());
  EXPECT_FALSE(driver_.state.clients.contains(kClient));
}

TEST_F(MappingTest, ReadsAndNonMetadataCommandsHaveNoSubmission) {
  for (const Command& command : SampleCommands()) {
    const Operation operation = OperationOf(command);
    const bool metadata_write =
        (static_cast<int>(operation) >= 128 && static_cast<int>(operation) <= 149) ||
        operation == Operation::kLogout;
    EXPECT_EQ(MetadataSubmissionFor(command).has_value(), metadata_write)
        << CommandCodeName(CodeOf(command));
    if (metadata_write) {
      EXPECT_EQ(MetadataSubmissionFor(command)->operation, operation);
    }
  }
}

TEST_F(MappingTest, SubmissionBodiesDecodeWithTheMetadataCodec) {
  const std::optional<MetadataSubmission> create = MetadataSubmissionFor(
      CreateTopicRequest{Identifier::Named("s"), 4, "t", {.max_topic_size_bytes = 1 << 30}});
  ASSERT_TRUE(create.has_value());
  const absl::StatusOr<metadata::CreateTopicBody> body = metadata::DecodeCreateTopic(create->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->stream, Identifier::Named("s"));
  EXPECT_EQ(body->partitions_count, 4u);
  EXPECT_EQ(body->settings.max_topic_size_bytes, uint64_t{1} << 30);
  EXPECT_EQ(body->settings.message_expiry_us, 0u);  // 0 = default, resolved at apply
  const std::optional<MetadataSubmission> update = MetadataSubmissionFor(
      UpdateTopicRequest{Identifier::Numeric(1),
                         Identifier::Numeric(2),
                         "n",
                         {.message_expiry_us = 5, .max_topic_size_bytes = 0}});
  const absl::StatusOr<metadata::UpdateTopicBody> update_body =
      metadata::DecodeUpdateTopic(update->body);
  ASSERT_TRUE(update_body.ok());
  EXPECT_EQ(update_body->present, metadata::kUpdateMessageExpiry | metadata::kUpdateMaxTopicSize);
  EXPECT_EQ(update_body->message_expiry_us, 5u);
}

TEST(RequestClassTest, MetadataWritesAreExactlyTheCommandsWithASubmission) {
  for (const Command& command : SampleCommands()) {
    EXPECT_EQ(ClassOf(command) == RequestClass::kMetadataWrite,
              MetadataSubmissionFor(command).has_value())
        << CommandCodeName(CodeOf(command));
    EXPECT_EQ(ClassOf(command) == RequestClass::kMetadataRead,
              AnswerMetadataRead(metadata::MetadataState{}, command, 0).has_value())
        << CommandCodeName(CodeOf(command));
  }
  EXPECT_EQ(ClassOf(PingRequest{}), RequestClass::kPing);
  EXPECT_EQ(ClassOf(RegisterRequest{}), RequestClass::kLogin);
  EXPECT_EQ(ClassOf(GetClusterMetadataRequest{}), RequestClass::kServerRead);
  EXPECT_EQ(ClassOf(PollMessagesRequest{}), RequestClass::kPartitionRead);
  EXPECT_EQ(ClassOf(DeleteConsumerOffsetRequest{}), RequestClass::kOffsetWrite);
}

// --- session gate ---

ClientRequest GateRequest(const Command& command, uint64_t session) {
  const bool login = OperationOf(command) == Operation::kRegister;
  absl::StatusOr<ClientRequest> request = DecodeClientFrame(EncodeClientFrame(
      {.client = 1, .request = login ? 0u : 1u, .session = login ? 0u : session}, command));
  SLUICE_ASSERT(request.ok(), request.status().ToString());
  return *std::move(request);
}

TEST(SessionGateTest, OnlyPingAndLoginPassBeforeLogin) {
  EXPECT_TRUE(CheckSessionGate(GateRequest(PingRequest{}, 0), 0).ok());
  const RegisterRequest login{.credentials = PasswordCredentials{"iggy", "iggy"}};
  EXPECT_TRUE(CheckSessionGate(GateRequest(login, 0), 0).ok());
  EXPECT_TRUE(CheckSessionGate(GateRequest(login, 0), 5).ok());  // a re-login
  EXPECT_TRUE(CheckSessionGate(GateRequest(LogoutRequest{}, 1), 0).ok());
  EXPECT_EQ(RejectionOf(CheckSessionGate(GateRequest(GetStreamsRequest{}, 0), 0)),
            StatusReplyOf(IggyError::kUnauthenticated));
  EXPECT_EQ(RejectionOf(CheckSessionGate(GateRequest(GetClusterMetadataRequest{}, 0), 0)),
            StatusReplyOf(IggyError::kUnauthenticated));
  EXPECT_EQ(RejectionOf(CheckSessionGate(GateRequest(CreateStreamRequest{"s"}, 1), 0)),
            EvictionOf(EvictionReason::kNoSession));
  EXPECT_EQ(RejectionOf(CheckSessionGate(
                GateRequest(StoreConsumerOffsetRequest{.stream = Identifier::Numeric(0),
                                                       .topic = Identifier::Numeric(0)},
                            1),
                0)),
            EvictionOf(EvictionReason::kNoSession));
}

TEST(SessionGateTest, ReplicatedRequestsMustCarryTheBoundSession) {
  EXPECT_TRUE(CheckSessionGate(GateRequest(CreateStreamRequest{"s"}, 5), 5).ok());
  EXPECT_EQ(RejectionOf(CheckSessionGate(GateRequest(CreateStreamRequest{"s"}, 4), 5)),
            EvictionOf(EvictionReason::kSessionTooLow));
  EXPECT_EQ(RejectionOf(CheckSessionGate(GateRequest(CreateStreamRequest{"s"}, 6), 5)),
            EvictionOf(EvictionReason::kNoSession));
  EXPECT_TRUE(CheckSessionGate(GateRequest(GetStreamsRequest{}, 0), 5).ok());
}

}  // namespace
}  // namespace sluice::client_protocol
