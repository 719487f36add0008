// The request header checks of PROTOCOL.md §1.1–1.2 and how each fault is answered.
//
// Rule B13: a client frame is validated once, where it enters. DecodeClientFrame is
// that place; these tests show every header fault is refused there, before any body
// byte is believed, with the answer rejection.h prescribes.
#include "core/client_protocol/request_header.h"

#include <gtest/gtest.h>

#include "core/base/checksum.h"
#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/rejection.h"
#include "core/client_protocol/testing/frames.h"

namespace sluice::client_protocol {
namespace {

using namespace testing;  // NOLINT: test helpers
using wire::Operation;

Rejection RejectionOfFrame(const Bytes& frame, const ClientLimits& limits = {}) {
  return RejectionOf(DecodeClientFrame(frame, limits).status());
}

Bytes Ping() { return NonReplicatedFrame(1, {}); }

TEST(RequestHeaderTest, FrameShorterThanTheHeaderClosesTheConnection) {
  Bytes frame = Ping();
  frame.resize(255);
  EXPECT_EQ(RejectionOfFrame(frame), CloseOf());
  EXPECT_EQ(RejectionOfFrame({}), CloseOf());
}

TEST(RequestHeaderTest, SizeBelowTheHeaderClosesTheConnection) {
  Bytes frame = Ping();
  base::StoreLittleEndian<uint32_t>(frame, 48, 255);
  EXPECT_EQ(RejectionOfFrame(frame), CloseOf());
}

TEST(RequestHeaderTest, SizeAboveTheLimitClosesTheConnection) {
  const Bytes frame = NonReplicatedFrame(1, Bytes(100, 0));
  EXPECT_EQ(RejectionOfFrame(frame, {.frame_size_bytes_max = 355}), CloseOf());
  EXPECT_TRUE(DecodeClientFrame(frame, {.frame_size_bytes_max = 356}).ok());
}

TEST(RequestHeaderTest, SizeFieldDisagreeingWithTheFrameClosesTheConnection) {
  Bytes frame = NonReplicatedFrame(1, Bytes(4, 0));
  base::StoreLittleEndian<uint32_t>(frame, 48, 256);
  EXPECT_EQ(RejectionOfFrame(frame), CloseOf());
}

TEST(RequestHeaderTest, PeekFrameSizeBoundsTheSizeBeforeTheBodyIsRead) {
  const Bytes frame = NonReplicatedFrame(1, Bytes(10, 0));
  EXPECT_EQ(*PeekFrameSize(frame, {}), 266u);
  EXPECT_EQ(RejectionOf(PeekFrameSize(frame, {.frame_size_bytes_max = 265}).status()), CloseOf());
  EXPECT_EQ(RejectionOf(PeekFrameSize(ByteSpan(frame).first(100), {}).status()), CloseOf());
}

TEST(RequestHeaderTest, CommandOtherThanRequestClosesTheConnection) {
  for (uint8_t command : {0, 6, 8, 13, 255}) {
    Bytes frame = Ping();
    frame[60] = command;
    EXPECT_EQ(RejectionOfFrame(frame), CloseOf()) << int{command};
  }
}

TEST(RequestHeaderTest, ClientZeroClosesTheConnection) {
  EXPECT_EQ(RejectionOfFrame(RequestFrame({.command_code = 1, .client = 0}, {})), CloseOf());
}

TEST(RequestHeaderTest, OperationsNoClientSendsCloseTheConnection) {
  // Reserved, Iggy's internal operations, DeleteSegments' neighbours outside the
  // ranges, Sluice's own partition steps, undefined values.
  for (int operation : {0, 4, 64, 68, 127, 150, 159, 163, 166, 200, 255}) {
    const Bytes frame = RequestFrame({.operation = static_cast<Operation>(operation)}, {});
    EXPECT_EQ(RejectionOfFrame(frame), CloseOf()) << operation;
  }
}

TEST(RequestHeaderTest, RegisterWithASessionOrRequestNumberClosesTheConnection) {
  const Bytes body = AppendixBLoginBody();
  EXPECT_EQ(RejectionOfFrame(RequestFrame(
                {.operation = Operation::kRegister, .session = 1, .request = 0}, body)),
            CloseOf());
  EXPECT_EQ(RejectionOfFrame(RequestFrame(
                {.operation = Operation::kRegister, .session = 0, .request = 1}, body)),
            CloseOf());
  EXPECT_TRUE(
      DecodeClientFrame(
          RequestFrame({.operation = Operation::kRegister, .session = 0, .request = 0}, body))
          .ok());
}

TEST(RequestHeaderTest, ReplicatedOperationWithoutSessionOrRequestClosesTheConnection) {
  const Bytes body = Concat({{1}, Text("s")});
  for (Operation operation : {Operation::kCreateStream, Operation::kLogout}) {
    EXPECT_EQ(
        RejectionOfFrame(RequestFrame({.operation = operation, .session = 0, .request = 1}, body)),
        CloseOf());
    EXPECT_EQ(
        RejectionOfFrame(RequestFrame({.operation = operation, .session = 1, .request = 0}, body)),
        CloseOf());
  }
}

TEST(RequestHeaderTest, NonReplicatedAcceptsAnySessionAndRequest) {
  // Before login the SDK pings with session 0 and request 1 (§1.5).
  EXPECT_TRUE(
      DecodeClientFrame(RequestFrame({.command_code = 1, .session = 0, .request = 0}, {})).ok());
  EXPECT_TRUE(
      DecodeClientFrame(RequestFrame({.command_code = 1, .session = 0, .request = 1}, {})).ok());
}

TEST(RequestHeaderTest, PartitionOperationWithRequestZeroIsNormalisedToOne) {
  const Bytes body = Concat({{2, 1, 's', 1, 4, 0, 0, 0, 0}, {1, 0, 0, 0, 0}, U64Le(5), {1}});
  const Bytes frame = RequestFrame({.operation = Operation::kStoreConsumerOffset, .request = 0},
                                   Concat({{1, 1, 4}, U32Le(0), body}));
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->header.request, 1u);
}

TEST(RequestHeaderTest, MismatchedRequestChecksumIsStatusInvalidFormat) {
  Bytes frame = NonReplicatedFrame(200, Concat({{1, 4}, U32Le(7)}));
  base::StoreU128(frame, 144, RequestChecksumOf(ByteSpan(frame).subspan(256)) + 1);
  EXPECT_EQ(RejectionOfFrame(frame), StatusReplyOf(IggyError::kInvalidFormat));
}

TEST(RequestHeaderTest, MatchingRequestChecksumIsXxh3Of64BitsZeroExtended) {
  Bytes frame = NonReplicatedFrame(200, Concat({{1, 4}, U32Le(7)}));
  const uint64_t checksum = base::Checksum64(ByteSpan(frame).subspan(256));
  base::StoreLittleEndian<uint64_t>(frame, 144, checksum);  // bytes 152..159 stay 0
  const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->header.request_checksum, absl::uint128{checksum});
}

TEST(RequestHeaderTest, HeaderFieldsAreReadAsSent) {
  Bytes frame = RequestFrame({.operation = Operation::kCreateStream,
                              .session = 0x1122334455667788,
                              .request = 42,
                              .client = absl::MakeUint128(7, 9)},
                             Concat({{1}, Text("s")}));
  base::StoreLittleEndian<uint32_t>(frame, 52, 3);      // view
  base::StoreLittleEndian<uint32_t>(frame, 56, 4);      // release
  frame[61] = 2;                                        // replica
  base::StoreU128(frame, 32, absl::MakeUint128(5, 6));  // cluster
  const absl::StatusOr<RequestHeader> header = DecodeRequestHeader(frame, {});
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->client, absl::MakeUint128(7, 9));
  EXPECT_EQ(header->session, 0x1122334455667788u);
  EXPECT_EQ(header->request, 42u);
  EXPECT_EQ(header->operation, Operation::kCreateStream);
  EXPECT_EQ(header->view, 3u);
  EXPECT_EQ(header->release, 4u);
  EXPECT_EQ(header->replica, 2);
  EXPECT_EQ(header->cluster, absl::MakeUint128(5, 6));
  EXPECT_EQ(header->size, 258u);
}

TEST(RequestHeaderTest, EdgeValidationB13HeaderFaultsWinOverBodyFaults) {
  // A frame with both a bad header and a garbage body reports the header: the body
  // is never read before the header is proven (rule B13).
  Bytes frame = NonReplicatedFrame(200, Bytes{9, 9, 9});
  frame[60] = 6;
  EXPECT_EQ(RejectionOfFrame(frame), CloseOf());
  Bytes checksummed = NonReplicatedFrame(200, Bytes{9, 9, 9});
  base::StoreU128(checksummed, 144, 1);
  EXPECT_EQ(RejectionOfFrame(checksummed), StatusReplyOf(IggyError::kInvalidFormat));
}

TEST(RequestHeaderTest, EncodeRequestHeaderRoundTripsThroughLoad) {
  RequestHeader header{.cluster = 3,
                       .size = 300,
                       .view = 1,
                       .release = 2,
                       .replica = 4,
                       .client = 5,
                       .request_checksum = 6,
                       .timestamp = 7,
                       .request = 8,
                       .operation = Operation::kSendMessages,
                       .session = 9,
                       .user_id = 10,
                       .command_code = 11};
  Bytes bytes(256);
  EncodeRequestHeader(header, bytes);
  EXPECT_EQ(bytes[60], 5);
  EXPECT_EQ(LoadRequestHeader(bytes), header);
}

}  // namespace
}  // namespace sluice::client_protocol
