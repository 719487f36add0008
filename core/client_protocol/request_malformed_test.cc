// Malformed request bodies and unknown or unsupported commands: each is refused with
// the answer PROTOCOL.md §1.8/§1.9 documents, never a crash.
#include <gtest/gtest.h>

#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using wire::Operation;

Rejection Decoded(const Bytes& frame) { return RejectionOf(DecodeClientFrame(frame).status()); }

Bytes NumericId(uint32_t id) { return Concat({{1, 4}, U32Le(id)}); }
Bytes Name(absl::string_view name) {
  return Concat({{static_cast<uint8_t>(name.size())}, Text(name)});
}
Bytes Option(absl::string_view key, uint8_t kind, const Bytes& value) {
  return Concat({{2},
                 U32Le(static_cast<uint32_t>(key.size())),
                 Text(key),
                 {kind},
                 U32Le(static_cast<uint32_t>(value.size())),
                 value});
}
Bytes CreateTopicBody(const Bytes& options, uint32_t partitions = 1) {
  return Concat({NumericId(0), U32Le(partitions), Name("t"), options});
}
Bytes CreateTopicFrame(const Bytes& options, uint32_t partitions = 1) {
  return ReplicatedFrame(Operation::kCreateTopic, CreateTopicBody(options, partitions));
}

// --- command codes ---

TEST(RequestMalformedTest, UnknownNonReplicatedCodeIsInvalidCommand) {
  for (uint32_t code : {0u, 2u, 99u, 607u, 0xFFFFFFFFu}) {
    EXPECT_EQ(Decoded(NonReplicatedFrame(code, {})), StatusReplyOf(IggyError::kInvalidCommand))
        << code;
  }
}

TEST(RequestMalformedTest, ClassicLoginCodesSentAsNonReplicatedAreEvictedAsMalformedLogin) {
  for (uint32_t code : {38u, 40u, 44u, 45u}) {
    EXPECT_EQ(Decoded(NonReplicatedFrame(code, AppendixBLoginBody())),
              EvictionOf(EvictionReason::kMalformedLogin))
        << code;
  }
}

TEST(RequestMalformedTest, ReplicatedCodeSentAsNonReplicatedIsInvalidCommand) {
  EXPECT_EQ(Decoded(NonReplicatedFrame(202, Name("s"))), StatusReplyOf(IggyError::kInvalidCommand));
  EXPECT_EQ(Decoded(NonReplicatedFrame(39, {})), StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, KnownCodesSluiceDoesNotServeAreFeatureUnavailable) {
  for (uint32_t code : {11u, 13u, 20u, 21u, 22u, 31u, 32u, 41u, 102u}) {
    EXPECT_EQ(Decoded(NonReplicatedFrame(code, {})), StatusReplyOf(IggyError::kFeatureUnavailable))
        << code;
  }
  for (Operation operation : {Operation::kCreateUser, Operation::kChangePassword,
                              Operation::kCreatePersonalAccessToken, Operation::kDeleteSegments}) {
    EXPECT_EQ(Decoded(ReplicatedFrame(operation, {})),
              StatusReplyOf(IggyError::kFeatureUnavailable))
        << static_cast<int>(operation);
  }
}

// --- identifiers and names ---

TEST(RequestMalformedTest, TruncatedIdentifierIsInvalidCommand) {
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {})), StatusReplyOf(IggyError::kInvalidCommand));
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {1})), StatusReplyOf(IggyError::kInvalidCommand));
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {1, 4, 0, 0})),
            StatusReplyOf(IggyError::kInvalidCommand));
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {2, 5, 'a', 'b'})),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, IdentifierOfUnknownKindIsInvalidIdentifier) {
  for (uint8_t kind : {0, 3, 255}) {
    EXPECT_EQ(Decoded(NonReplicatedFrame(200, {kind, 4, 0, 0, 0, 0})),
              StatusReplyOf(IggyError::kInvalidIdentifier))
        << int{kind};
  }
}

TEST(RequestMalformedTest, NumericIdentifierOfWrongLengthIsInvalidIdentifier) {
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {1, 3, 0, 0, 0})),
            StatusReplyOf(IggyError::kInvalidIdentifier));
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {1, 8, 0, 0, 0, 0, 0, 0, 0, 0})),
            StatusReplyOf(IggyError::kInvalidIdentifier));
}

TEST(RequestMalformedTest, EmptyNameIdentifierIsInvalidIdentifier) {
  EXPECT_EQ(Decoded(NonReplicatedFrame(200, {2, 0})), StatusReplyOf(IggyError::kInvalidIdentifier));
}

TEST(RequestMalformedTest, EmptyNameIsInvalidCommand) {
  EXPECT_EQ(Decoded(ReplicatedFrame(Operation::kCreateStream, {0})),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, NameLongerThanTheBodyIsInvalidCommand) {
  // A 255-byte name announced, 10 bytes present: never read past the body.
  EXPECT_EQ(Decoded(ReplicatedFrame(Operation::kCreateStream, Concat({{255}, Bytes(10, 'a')}))),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, LongestNameIsAccepted) {
  const std::string name(255, 'n');
  const absl::StatusOr<ClientRequest> request =
      DecodeClientFrame(ReplicatedFrame(Operation::kCreateStream, Name(name)));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(std::get<CreateStreamRequest>(request->command).name, name);
}

TEST(RequestMalformedTest, NameThatIsNotUtf8IsInvalidCommand) {
  for (const Bytes& name :
       {Bytes{0xff}, Bytes{0xc0, 0x80}, Bytes{0xed, 0xa0, 0x80}, Bytes{'a', 0xe2, 0x82}}) {
    EXPECT_EQ(Decoded(ReplicatedFrame(Operation::kCreateStream,
                                      Concat({{static_cast<uint8_t>(name.size())}, name}))),
              StatusReplyOf(IggyError::kInvalidCommand));
  }
  EXPECT_TRUE(DecodeClientFrame(ReplicatedFrame(Operation::kCreateStream,
                                                Concat({{4}, Text("\xc3\xa9\xe2\x82")})))
                  .ok() == false);
  EXPECT_TRUE(
      DecodeClientFrame(ReplicatedFrame(Operation::kCreateStream, Name("\xc3\xa9t\xe2\x82\xac")))
          .ok());
}

// --- streams, topics, partitions ---

TEST(RequestMalformedTest, StreamOptionsAreUnsupportedKeys) {
  const Bytes body = Concat({Name("s"), Option("anything", 2, Text("x"))});
  EXPECT_EQ(Decoded(ReplicatedFrame(Operation::kCreateStream, body)),
            StatusReplyOf(IggyError::kUnsupportedOptionKey));
}

TEST(RequestMalformedTest, CreateTopicWithMoreThan1000PartitionsIsTooManyPartitions) {
  EXPECT_EQ(Decoded(CreateTopicFrame({}, 1001)), StatusReplyOf(IggyError::kTooManyPartitions));
  EXPECT_TRUE(DecodeClientFrame(CreateTopicFrame({}, 1000)).ok());
  EXPECT_TRUE(DecodeClientFrame(CreateTopicFrame({}, 0)).ok());
}

TEST(RequestMalformedTest, PartitionsChangeOfZeroOrAbove1000IsTooManyPartitions) {
  for (Operation operation : {Operation::kCreatePartitions, Operation::kDeletePartitions}) {
    for (uint32_t count : {0u, 1001u}) {
      EXPECT_EQ(
          Decoded(ReplicatedFrame(operation, Concat({NumericId(0), NumericId(0), U32Le(count)}))),
          StatusReplyOf(IggyError::kTooManyPartitions));
    }
  }
}

TEST(RequestMalformedTest, UnknownTopicOptionKeyIsUnsupportedOptionKey) {
  EXPECT_EQ(Decoded(CreateTopicFrame(Option("replication_factor", 9, {3}))),
            StatusReplyOf(IggyError::kUnsupportedOptionKey));
}

TEST(RequestMalformedTest, UpdateTopicAcceptsOnlyTheUpdatableKeys) {
  const Bytes prefix = Concat({NumericId(0), NumericId(0), Name("t")});
  EXPECT_EQ(Decoded(ReplicatedFrame(Operation::kUpdateTopic,
                                    Concat({prefix, Option("segment_size", 12, U64Le(1 << 20))}))),
            StatusReplyOf(IggyError::kUnsupportedOptionKey));
  EXPECT_TRUE(
      DecodeClientFrame(ReplicatedFrame(Operation::kUpdateTopic,
                                        Concat({prefix, Option("max_topic_size", 12, U64Le(0))})))
          .ok());
}

TEST(RequestMalformedTest, OptionValueOfTheWrongKindIsInvalidOptionValue) {
  EXPECT_EQ(Decoded(CreateTopicFrame(Option("message_expiry", 11, U32Le(5)))),
            StatusReplyOf(IggyError::kInvalidOptionValue));
  EXPECT_EQ(Decoded(CreateTopicFrame(Option("compression_algorithm", 2, Text("zstd")))),
            StatusReplyOf(IggyError::kInvalidOptionValue));
  EXPECT_EQ(Decoded(CreateTopicFrame(Option("enforce_fsync", 3, {2}))),
            StatusReplyOf(IggyError::kInvalidOptionValue));
}

TEST(RequestMalformedTest, SegmentSizeOutOfBoundsIsInvalidOptionValue) {
  for (uint64_t size : {uint64_t{1000}, (uint64_t{1} << 20) + 1, (uint64_t{1} << 30) + 512}) {
    EXPECT_EQ(Decoded(CreateTopicFrame(Option("segment_size", 12, U64Le(size)))),
              StatusReplyOf(IggyError::kInvalidOptionValue))
        << size;
  }
}

TEST(RequestMalformedTest, MaxTopicSizeBelowTheSegmentSizeIsInvalidTopicSize) {
  EXPECT_EQ(Decoded(CreateTopicFrame(Concat({Option("segment_size", 12, U64Le(4 << 20)),
                                             Option("max_topic_size", 12, U64Le(2 << 20))}))),
            StatusReplyOf(IggyError::kInvalidTopicSize));
}

TEST(RequestMalformedTest, MalformedOptionsBlockIsInvalidCommand) {
  const Bytes good = Option("message_expiry", 12, U64Le(5));
  // A key of kind Int8, a zero-length key, a value overrunning the block, a lone key,
  // a fixed-width kind of the wrong width, a key twice.
  const Bytes cases[] = {
      Concat({{4}, U32Le(1), {7}, {12}, U32Le(8), U64Le(5)}),
      Concat({{2}, U32Le(0), {12}, U32Le(8), U64Le(5)}),
      Concat({{2}, U32Le(3), Text("abc"), {1}, U32Le(200), Text("x")}),
      Concat({{2}, U32Le(3), Text("abc")}),
      Option("message_expiry", 12, U32Le(5)),
      Concat({good, good}),
      Concat({good, {2}}),
  };
  for (const Bytes& options : cases) {
    EXPECT_EQ(Decoded(CreateTopicFrame(options)), StatusReplyOf(IggyError::kInvalidCommand))
        << ToHex(options);
  }
}

TEST(RequestMalformedTest, OptionsBlockOver100000BytesIsOptionsBlockTooLarge) {
  Bytes options;
  for (int i = 0; options.size() <= 100'000; ++i) {
    options = Concat({options, Option(absl::StrCat("key", i), 1, Bytes(200, 'x'))});
  }
  EXPECT_EQ(Decoded(CreateTopicFrame(options)), StatusReplyOf(IggyError::kOptionsBlockTooLarge));
}

TEST(RequestMalformedTest, OptionsBlockOver1024EntriesIsOptionsBlockTooLarge) {
  Bytes options;
  for (int i = 0; i <= 1024; ++i) {
    options = Concat({options, Option(absl::StrCat("k", i), 9, {1})});
  }
  ASSERT_LE(options.size(), 100'000u);
  EXPECT_EQ(Decoded(CreateTopicFrame(options)), StatusReplyOf(IggyError::kOptionsBlockTooLarge));
}

// --- messages ---

Bytes SendBody(const Bytes& metadata, ByteSpan batch) {
  return Concat(
      {U32Le(static_cast<uint32_t>(metadata.size())), metadata, Bytes(batch.begin(), batch.end())});
}
Bytes SendMetadata(uint32_t messages_count, const Bytes& partitioning = {2, 4, 0, 0, 0, 0}) {
  return Concat({NumericId(0), NumericId(0), partitioning, U32Le(messages_count)});
}
Rejection SendRejection(const Bytes& body, const ClientLimits& limits = {}) {
  return RejectionOf(
      DecodeClientFrame(ReplicatedFrame(Operation::kSendMessages, body), limits).status());
}

TEST(RequestMalformedTest, SendMetadataLengthDisagreeingWithItsFieldsIsInvalidCommand) {
  const ByteSpan batch = SampleBatch(1).bytes();
  const Bytes metadata = SendMetadata(1);
  Bytes longer = SendBody(metadata, batch);
  base::StoreLittleEndian<uint32_t>(longer, 0, static_cast<uint32_t>(metadata.size() + 1));
  EXPECT_EQ(SendRejection(longer), StatusReplyOf(IggyError::kInvalidCommand));
  Bytes shorter = SendBody(metadata, batch);
  base::StoreLittleEndian<uint32_t>(shorter, 0, static_cast<uint32_t>(metadata.size() - 1));
  EXPECT_EQ(SendRejection(shorter), StatusReplyOf(IggyError::kInvalidCommand));
  Bytes huge = SendBody(metadata, batch);
  base::StoreLittleEndian<uint32_t>(huge, 0, 0xFFFFFFFF);
  EXPECT_EQ(SendRejection(huge), StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, SendMessagesCountDisagreeingWithTheBatchIsInvalidCommand) {
  EXPECT_EQ(SendRejection(SendBody(SendMetadata(2), SampleBatch(1).bytes())),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, SendBatchChecksumMismatchIsInvalidBatchChecksum) {
  Bytes batch(SampleBatch(2).bytes().begin(), SampleBatch(2).bytes().end());
  batch[40] ^= 1;
  EXPECT_EQ(SendRejection(SendBody(SendMetadata(2), batch)),
            StatusReplyOf(IggyError::kInvalidBatchChecksum));
}

TEST(RequestMalformedTest, SendMessageChecksumMismatchIsInvalidMessageChecksum) {
  Bytes batch(SampleBatch(2).bytes().begin(), SampleBatch(2).bytes().end());
  batch.back() ^= 1;  // the last payload byte
  EXPECT_EQ(SendRejection(SendBody(SendMetadata(2), batch)),
            StatusReplyOf(IggyError::kInvalidMessageChecksum));
}

TEST(RequestMalformedTest, SendBytesAfterTheBatchAreInvalidCommand) {
  Bytes batch(SampleBatch(1).bytes().begin(), SampleBatch(1).bytes().end());
  batch.push_back(0);
  EXPECT_EQ(SendRejection(SendBody(SendMetadata(1), batch)),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, SendWithoutABatchIsInvalidCommand) {
  EXPECT_EQ(SendRejection(SendBody(SendMetadata(0), {})),
            StatusReplyOf(IggyError::kInvalidCommand));
}

TEST(RequestMalformedTest, SendBatchAboveTheLimitIsInvalidCommand) {
  const ByteSpan batch = SampleBatch(3).bytes();
  const Bytes body = SendBody(SendMetadata(3), batch);
  EXPECT_EQ(SendRejection(body, {.batch_size_bytes_max = batch.size() - 1}),
            StatusReplyOf(IggyError::kInvalidCommand));
  EXPECT_EQ(SendRejection(body, {.batch_size_bytes_max = batch.size()}), Rejection{});
}

TEST(RequestMalformedTest, BadPartitioningIsInvalidCommand) {
  const ByteSpan batch = SampleBatch(1).bytes();
  for (const Bytes& partitioning :
       {Bytes{1, 4, 0, 0, 0, 0}, Bytes{2, 0}, Bytes{2, 8}, Bytes{3, 0}, Bytes{4, 0}, Bytes{0, 0}}) {
    EXPECT_EQ(SendRejection(SendBody(SendMetadata(1, partitioning), batch)),
              StatusReplyOf(IggyError::kInvalidCommand))
        << ToHex(partitioning);
  }
}

Bytes PollBody(uint8_t consumer_kind, uint8_t flag, uint8_t strategy, uint8_t auto_commit) {
  return Concat({{consumer_kind},
                 NumericId(0),
                 NumericId(0),
                 NumericId(0),
                 {flag},
                 U32Le(0),
                 {strategy},
                 U64Le(0),
                 U32Le(10),
                 {auto_commit}});
}

TEST(RequestMalformedTest, PollWithBadConsumerStrategyFlagOrAutoCommitIsInvalidCommand) {
  EXPECT_TRUE(DecodeClientFrame(NonReplicatedFrame(100, PollBody(1, 1, 1, 1))).ok());
  for (const Bytes& body : {PollBody(0, 1, 1, 1), PollBody(3, 1, 1, 1), PollBody(1, 2, 1, 1),
                            PollBody(1, 1, 0, 1), PollBody(1, 1, 6, 1), PollBody(1, 1, 1, 2)}) {
    EXPECT_EQ(Decoded(NonReplicatedFrame(100, body)), StatusReplyOf(IggyError::kInvalidCommand))
        << ToHex(body);
  }
}

TEST(RequestMalformedTest, EveryTruncationOfEveryValidBodyIsRefusedOrStillMeaningful) {
  // Cutting a valid body anywhere either fails with a status reply or an eviction, or
  // (for bodies whose tail is optional, e.g. options) still decodes; never a crash.
  for (const Command& command : SampleCommands()) {
    const Bytes body = EncodeRequestBody(command);
    for (size_t length = 0; length < body.size(); ++length) {
      const Bytes cut(body.begin(), body.begin() + length);
      const Operation operation = OperationOf(command);
      const Bytes frame =
          operation == Operation::kNonReplicated
              ? NonReplicatedFrame(static_cast<uint32_t>(CodeOf(command)), cut)
              : RequestFrame({.operation = operation,
                              .session = operation == Operation::kRegister ? 0u : 1u,
                              .request = operation == Operation::kRegister ? 0u : 1u},
                             cut);
      const Rejection rejection = Decoded(frame);
      EXPECT_NE(rejection.kind, RejectionKind::kCloseConnection);
    }
  }
}

TEST(RequestMalformedTest, MalformedLoginBodiesAreEvictedAsMalformedLogin) {
  const Bytes login = AppendixBLoginBody();
  const Bytes cases[] = {
      Bytes{},                                   // no version prefix
      Bytes(login.begin(), login.begin() + 3),   // truncated protocol version
      Bytes(login.begin(), login.begin() + 10),  // truncated sdk name
      Bytes(login.begin(), login.end() - 1),     // truncated context length
      Concat({login, {0}}),                      // trailing byte
      Concat({Bytes(login.begin(), login.begin() + 27), {0}, Text("iggy"), U32Le(0)}),
  };
  for (const Bytes& body : cases) {
    EXPECT_EQ(Decoded(RequestFrame({.operation = Operation::kRegister, .session = 0, .request = 0},
                                   body)),
              EvictionOf(EvictionReason::kMalformedLogin))
        << ToHex(body);
  }
}

}  // namespace
}  // namespace sluice::client_protocol
