#pragma once
// The client side of requests: encodes a typed request into the bytes an Iggy SDK
// sends (PROTOCOL.md §1.2, §4–6). For tests (round trips, Appendix B) and for
// Sluice's own client; the server never encodes requests.
//
// Bodies are canonical: DecodeClientFrame(EncodeClientFrame(x)) gives back x, and
// the encoder writes exactly what the Node SDK writes for the same request (options
// in the order of TopicOptions' fields, DeleteTopic without the SDK's extra u32).

#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"

namespace sluice::client_protocol {

// The body of a request, without the header. Preconditions (names of 1..255 bytes,
// ...) are asserted: encode only what a decoder would accept.
Bytes EncodeRequestBody(const Command& command);

// The header fields the SDK chooses (§1.5). The operation and, for NonReplicated,
// the command code at bytes 196..199 follow from the command.
struct RequestIdentity {
  absl::uint128 client = 1;
  uint64_t request = 0;
  uint64_t session = 0;
  // Stamp request_checksum with XXH3-64 of the body (the Node SDK leaves it 0).
  bool stamp_request_checksum = false;
};

// The whole frame: the request header and the body.
Bytes EncodeClientFrame(const RequestIdentity& identity, const Command& command);

}  // namespace sluice::client_protocol
