#pragma once
// Test-only helpers: hex literals, raw request frames with chosen header fields, and
// the Appendix B vectors of PROTOCOL.md as bytes.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/client_protocol/rejection.h"
#include "core/client_protocol/reply_frame.h"
#include "core/client_protocol/request_header.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol::testing {

// "00 2c 00 00 ..." (whitespace ignored) -> bytes.
Bytes FromHex(absl::string_view hex);
std::string ToHex(ByteSpan bytes);

Bytes Concat(std::initializer_list<Bytes> parts);
Bytes Text(absl::string_view text);
Bytes U32Le(uint32_t value);
Bytes U64Le(uint64_t value);

// A request frame with `body` and these header fields (size computed), client 1.
struct FrameFields {
  wire::Operation operation = wire::Operation::kNonReplicated;
  uint32_t command_code = 0;
  uint64_t session = 1;
  uint64_t request = 1;
  absl::uint128 client = 1;
};
Bytes RequestFrame(const FrameFields& fields, const Bytes& body);
// NonReplicated frame for `code`.
Bytes NonReplicatedFrame(uint32_t code, const Bytes& body);
// A replicated frame (session 1, request 1) for `operation`.
Bytes ReplicatedFrame(wire::Operation operation, const Bytes& body);

// Appendix B.
Bytes AppendixBPingFrame();
Bytes AppendixBLoginBody();
Bytes AppendixBSendMessagesBody();

// Decodes a server frame that must be valid (asserted), keeping the frame alive for
// the rest of the test binary so the reply's payload view stays valid.
DecodedReply DecodeKept(Bytes frame);

// The rejection a status carries, for EXPECT_EQ.
Rejection StatusReplyOf(IggyError error);
Rejection EvictionOf(EvictionReason reason);
Rejection CloseOf();

}  // namespace sluice::client_protocol::testing
