// Properties of the edge decoder (rule B13: every client frame is validated once, in
// DecodeClientFrame): on any bytes it returns a request or a rejection — never a
// crash, never an out-of-bounds read (ASan runs these), never an allocation count
// that grows with the input; every rejection can be answered with a frame the SDK
// parses; every accepted frame is canonical (re-encoding its request decodes to the
// same request).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/base/testing/allocation_counter.h"
#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/testing/frames.h"
#include "core/client_protocol/testing/sample_requests.h"
#include "core/wire/header.h"

namespace sluice::client_protocol {
namespace {

using testing::SampleCommands;
using wire::Operation;

// Uniform in [low, high) whatever RapidCheck's current size.
template <typename T>
T Uniform(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high));
}

// Allocations one decode may make: a few names, a login's context, the status of a
// rejection, the options key set's growth (<= 1024 keys). Not a function of the size.
constexpr uint64_t kDecodeAllocationsMax = 64;

RequestIdentity IdentityOf(const RequestHeader& header) {
  return {.client = header.client, .request = header.request, .session = header.session};
}

// Decodes `frame` and checks the properties above; returns whether it was accepted.
bool CheckFrame(const Bytes& frame) {
  base::testing::AllocationCounter counter;
  absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
  const uint64_t allocations = counter.allocations();
  RC_ASSERT(allocations <= kDecodeAllocationsMax);
  if (!request.ok()) {
    const Rejection rejection = RejectionOf(request.status());
    RC_ASSERT(rejection.kind != RejectionKind::kNone);
    RC_ASSERT(request.status().code() == absl::StatusCode::kInvalidArgument);
    const std::optional<Bytes> answer = EncodeRejection(frame, request.status());
    RC_ASSERT(answer.has_value() == (rejection.kind != RejectionKind::kCloseConnection));
    if (answer.has_value()) {
      const absl::StatusOr<DecodedReply> reply = DecodeReplyFrame(*answer);
      RC_ASSERT(reply.ok());
      RC_ASSERT(reply->Error() != IggyError::kOk);
    }
    return false;
  }
  // Canonical: the decoded request re-encodes to a frame that decodes to it again.
  const Bytes again = EncodeClientFrame(IdentityOf(request->header), request->command);
  const absl::StatusOr<ClientRequest> redecoded = DecodeClientFrame(again);
  RC_ASSERT(redecoded.ok());
  RC_ASSERT(redecoded->command == request->command);
  RC_ASSERT(redecoded->code == request->code);
  // And a success reply to it is one the SDK parses.
  RC_ASSERT(DecodeReplyFrame(EncodeReply(request->header, {})).ok());
  return true;
}

// A header worth decoding: usually command 5 and a client id, an operation a client
// may send (or any byte), a known command code (or any), a random body.
Bytes PlausibleFrame() {
  static const std::vector<uint8_t> kOperations = {1,   2,   2,   2,   3,   128, 129, 130, 131,
                                                   132, 133, 134, 135, 136, 137, 139, 140, 148,
                                                   149, 160, 161, 162, 141, 138, 0,   64,  200};
  static const std::vector<uint32_t> kCodes = {1,   10,  12,  100, 120, 200, 201, 300,
                                               301, 600, 601, 606, 38,  20,  7,   0};
  const uint8_t operation = *rc::gen::elementOf(kOperations);
  const bool login = operation == 1;
  const Bytes body =
      *rc::gen::container<Bytes>(Uniform<size_t>(0, 96), rc::gen::arbitrary<uint8_t>());
  Bytes frame = testing::RequestFrame({.operation = static_cast<Operation>(operation),
                                       .command_code = *rc::gen::elementOf(kCodes),
                                       .session = login ? 0u : Uniform<uint64_t>(0, 3),
                                       .request = login ? 0u : Uniform<uint64_t>(0, 3),
                                       .client = Uniform<uint64_t>(0, 4)},
                                      body);
  if (Uniform(0, 10) == 0) frame[60] = *rc::gen::arbitrary<uint8_t>();
  return frame;
}

// A valid frame of a sample command, mutated 1..4 times: a byte changed, a run of
// bytes inserted or removed (the size field then set to match, or not), a truncation.
Bytes MutatedFrame() {
  static const std::vector<Command> kSamples = SampleCommands();
  const Command& command = kSamples[Uniform<size_t>(0, kSamples.size())];
  const bool login = OperationOf(command) == Operation::kRegister;
  Bytes frame = EncodeClientFrame(
      {.client = 3, .request = login ? 0u : 2u, .session = login ? 0u : 1u}, command);
  const int mutations = Uniform(1, 5);
  for (int i = 0; i < mutations && !frame.empty(); ++i) {
    const size_t at = Uniform<size_t>(0, frame.size());
    switch (Uniform(0, 5)) {
      case 0:  // a body byte (headers are checked elsewhere more often)
        frame[std::max(at, wire::kHeaderSize) % frame.size()] = *rc::gen::arbitrary<uint8_t>();
        break;
      case 1:
        frame[at] = *rc::gen::arbitrary<uint8_t>();
        break;
      case 2:
        frame.insert(frame.begin() + std::min(std::max(at, wire::kHeaderSize), frame.size()),
                     Uniform<size_t>(1, 8), *rc::gen::arbitrary<uint8_t>());
        break;
      case 3:
        if (frame.size() > wire::kHeaderSize) {
          const size_t from = Uniform<size_t>(wire::kHeaderSize, frame.size());
          frame.erase(frame.begin() + from,
                      frame.begin() + std::min(frame.size(), from + Uniform<size_t>(1, 8)));
        }
        break;
      default:
        frame.resize(at);
        break;
    }
  }
  if (frame.size() >= wire::kHeaderSize && Uniform(0, 4) != 0) {
    base::StoreLittleEndian<uint32_t>(frame, wire::header_offset::kSize,
                                      static_cast<uint32_t>(frame.size()));
  }
  return frame;
}

RC_GTEST_PROP(ClientFrameProperty, ArbitraryBytesAreDecodedOrRefusedNeverCrash, ()) {
  const Bytes frame =
      *rc::gen::container<Bytes>(Uniform<size_t>(0, 600), rc::gen::arbitrary<uint8_t>());
  CheckFrame(frame);
}

RC_GTEST_PROP(ClientFrameProperty, PlausibleHeadersWithRandomBodiesNeverCrash, ()) {
  for (int i = 0; i < 20; ++i) CheckFrame(PlausibleFrame());
}

RC_GTEST_PROP(ClientFrameProperty, MutatedValidFramesAreDecodedOrRefusedNeverCrash, ()) {
  for (int i = 0; i < 20; ++i) CheckFrame(MutatedFrame());
}

RC_GTEST_PROP(ClientFrameProperty, MutationsKeepSomeFramesValid, ()) {
  // Guards the generator: some mutated frames still decode (mutations of the body's
  // free bytes: names, offsets, payloads), so the accepted path is exercised too.
  int accepted = 0;
  for (int i = 0; i < 200; ++i) accepted += CheckFrame(MutatedFrame()) ? 1 : 0;
  RC_TAG(accepted > 0);
}

TEST(ClientFrameProperty, LargestOptionsBlockDecodesWithBoundedAllocations) {
  // 1024 distinct keys: the most the duplicate check ever holds.
  Bytes body = testing::Concat({{1, 4, 0, 0, 0, 0}, testing::U32Le(1), {1, 't'}});
  for (int i = 0; i < 1024; ++i) {
    const std::string key = absl::StrCat("k", i);
    body = testing::Concat({body,
                            {2},
                            testing::U32Le(static_cast<uint32_t>(key.size())),
                            testing::Text(key),
                            {9},
                            testing::U32Le(1),
                            {1}});
  }
  const Bytes frame = testing::ReplicatedFrame(Operation::kCreateTopic, body);
  base::testing::AllocationCounter counter;
  const absl::Status status = DecodeClientFrame(frame).status();
  EXPECT_LE(counter.allocations(), kDecodeAllocationsMax);
  EXPECT_EQ(RejectionOf(status), testing::StatusReplyOf(IggyError::kUnsupportedOptionKey));
}

TEST(ClientFrameProperty, EverySampleFrameIsAccepted) {
  // The seeds of the mutation property are themselves valid.
  for (const Command& command : SampleCommands()) {
    const bool login = OperationOf(command) == Operation::kRegister;
    const Bytes frame = EncodeClientFrame(
        {.client = 3, .request = login ? 0u : 2u, .session = login ? 0u : 1u}, command);
    const absl::StatusOr<ClientRequest> request = DecodeClientFrame(frame);
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_EQ(request->command, command);
  }
}

}  // namespace
}  // namespace sluice::client_protocol
