// Fuzz target: client request frames (PROTOCOL.md §1–6) through DecodeClientFrame,
// the one place the server validates them (rule B13), and PeekFrameSize, which frames
// the byte stream.
//
// Input: byte 0 = mode (bits 0-1) and limits (bits 2-3), then
//   mode 0  the rest is a frame, decoded as given;
//   mode 1  byte 1 picks a valid request (SampleCommands(), encoded by the SDK-side
//           request encoder: every supported command), byte 2 its identity flags, then
//           edits (position:u16 value:u8)* applied to the encoded frame; the size field
//           is then set to the frame's length and a stamped request checksum recomputed
//           (so edits reach the body decoders);
//   mode 2  byte 1 picks a valid request, byte 2 its identity flags; its header with
//           the rest of the input as body (size and checksum fixed as in mode 1);
//   mode 3  the rest is a frame whose size field, command and client are fixed so the
//           header gate passes.
// Limits: 0 the defaults; 1 frames of at most 4096 bytes; 2 batches of at most 512
// bytes; 3 both.
//
// Oracles, beyond "no crash, no sanitizer report":
//  - a refusal is InvalidArgument carrying a Rejection (rejection.h) with a message;
//  - PeekFrameSize agrees with the frame's size field, and accepts every frame
//    DecodeClientFrame accepts (with its length);
//  - a decoded request is consistent: size = the frame's length, client != 0, a
//    supported code, CodeOf / OperationOf of the command = the code / the header's
//    operation;
//  - whatever decodes re-encodes (EncodeClientFrame with the header's identity) into a
//    frame that decodes to the same request and header identity, and re-encoding that
//    gives the same bytes (the encoder's output is canonical);
//  - in sanitizer builds: the bytes DecodeClientFrame allocates are bounded by the
//    frame's length plus a constant (no length field drives an allocation).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/client_protocol/client_frame.h"
#include "core/client_protocol/command_code.h"
#include "core/client_protocol/rejection.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/request_header.h"
#include "core/client_protocol/requests.h"
#include "core/client_protocol/testing/sample_requests.h"
#include "core/wire/header.h"
#include "fuzz/fuzz_support.h"

#if defined(SLUICE_SANITIZED)
#include <sanitizer/allocator_interface.h>
#endif

namespace sluice::fuzz {
namespace {

using client_protocol::ClientLimits;
using client_protocol::ClientRequest;
using client_protocol::Command;
using client_protocol::RequestIdentity;
namespace request_offset = client_protocol::request_offset;

// The rejection payload rejection.cc attaches to every refusal it makes.
constexpr absl::string_view kRejectionPayloadUrl = "type.sluice.dev/client_protocol.Rejection";

// Allocation accounting (sanitizer builds): bytes allocated while counting.
bool counting = false;
size_t allocated = 0;
#if defined(SLUICE_SANITIZED)
// What DecodeClientFrame may allocate beyond the frame's own length: statuses and
// their messages, a few names, the variant.
constexpr size_t kAllocationSlackBytes = 64 * 1024;
void OnMalloc(const volatile void*, size_t size) {
  if (counting) allocated += size;
}
void OnFree(const volatile void*) {}
const bool hooks_installed = __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree) > 0;
#endif

absl::StatusOr<ClientRequest> Decode(ByteSpan frame, const ClientLimits& limits) {
  allocated = 0;
  counting = true;
  absl::StatusOr<ClientRequest> request = client_protocol::DecodeClientFrame(frame, limits);
  counting = false;
#if defined(SLUICE_SANITIZED)
  SLUICE_ASSERT(!hooks_installed || allocated <= frame.size() + kAllocationSlackBytes,
                "decoding a ", frame.size(), "-byte frame allocated ", allocated, " bytes");
#endif
  static const bool verbose = std::getenv("SLUICE_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%zu-byte frame: %s (%zu bytes allocated%s)\n", frame.size(),
                 request.ok() ? std::string(client_protocol::CommandCodeName(request->code)).c_str()
                              : request.status().ToString().c_str(),
                 allocated,
#if defined(SLUICE_SANITIZED)
                 ""
#else
                 ", not counted without a sanitizer"
#endif
    );
  }
  return request;
}

const std::vector<Command>& Samples() {
  static const std::vector<Command>* const samples =
      new std::vector<Command>(client_protocol::testing::SampleCommands());
  return *samples;
}

RequestIdentity IdentityFor(const Command& command, uint8_t flags) {
  RequestIdentity identity{.client = absl::MakeUint128(flags & 0x80 ? 1 : 0, 9u + (flags & 7)),
                           .request = 4,
                           .session = 2,
                           .stamp_request_checksum = (flags & 8) != 0};
  if (client_protocol::OperationOf(command) == wire::Operation::kRegister) {
    identity.request = 0;
    identity.session = 0;
  }
  return identity;
}

// The size field := the frame's length; a stamped request checksum recomputed.
void FixHeader(Bytes& frame) {
  if (frame.size() < wire::kHeaderSize) return;
  base::StoreLittleEndian<uint32_t>(frame, wire::header_offset::kSize,
                                    static_cast<uint32_t>(frame.size()));
  if (base::LoadU128(frame, request_offset::kRequestChecksum) != 0) {
    base::StoreU128(frame, request_offset::kRequestChecksum,
                    client_protocol::RequestChecksumOf(ByteSpan(frame).subspan(wire::kHeaderSize)));
  }
}

Bytes BuildFrame(ByteSpan input) {
  const uint8_t mode = input.empty() ? 0 : input[0] & 3;
  const ByteSpan rest = input.empty() ? input : input.subspan(1);
  if (mode == 0) return Bytes(rest.begin(), rest.end());
  if (mode == 3) {
    Bytes frame(rest.begin(), rest.end());
    if (frame.size() >= wire::kHeaderSize) {
      frame[wire::header_offset::kCommand] = static_cast<uint8_t>(wire::Command::kRequest);
      if (base::LoadU128(frame, request_offset::kClient) == 0) frame[request_offset::kClient] = 1;
      FixHeader(frame);
    }
    return frame;
  }
  const uint8_t pick = rest.size() > 0 ? rest[0] : 0;
  const uint8_t flags = rest.size() > 1 ? rest[1] : 0;
  const ByteSpan tail = rest.size() > 2 ? rest.subspan(2) : ByteSpan();
  const Command& command = Samples()[pick % Samples().size()];
  Bytes frame = client_protocol::EncodeClientFrame(IdentityFor(command, flags), command);
  if (mode == 1) {
    for (size_t at = 0; at + 3 <= tail.size(); at += 3) {
      const uint16_t position = static_cast<uint16_t>(tail[at] | (tail[at + 1] << 8));
      frame[position % frame.size()] = tail[at + 2];
    }
  } else {
    frame.resize(wire::kHeaderSize);
    frame.insert(frame.end(), tail.begin(), tail.end());
  }
  FixHeader(frame);
  return frame;
}

ClientLimits LimitsFor(ByteSpan input) {
  const uint8_t bits = input.empty() ? 0 : (input[0] >> 2) & 3;
  ClientLimits limits;
  if (bits & 1) limits.frame_size_bytes_max = 4096;
  if (bits & 2) limits.batch_size_bytes_max = 512;
  return limits;
}

RequestIdentity IdentityOf(const ClientRequest& request) {
  return {.client = request.header.client,
          .request = request.header.request,
          .session = request.header.session,
          .stamp_request_checksum = request.header.request_checksum != 0};
}

void CheckRefusal(const absl::Status& status) {
  SLUICE_ASSERT(status.code() == absl::StatusCode::kInvalidArgument,
                "a refusal that is not InvalidArgument: ", status.ToString());
  SLUICE_ASSERT(status.GetPayload(kRejectionPayloadUrl).has_value(),
                "a refusal without a Rejection: ", status.ToString());
  SLUICE_ASSERT(client_protocol::RejectionOf(status).kind != client_protocol::RejectionKind::kNone);
  SLUICE_ASSERT(!status.message().empty(), "a refusal without a message");
}

void CheckAccepted(const ClientRequest& request, ByteSpan frame, const ClientLimits& limits) {
  const client_protocol::RequestHeader& header = request.header;
  SLUICE_ASSERT(header.size == frame.size(), "size field ", header.size, " for a ",
                frame.size(), "-byte frame");
  SLUICE_ASSERT(header.client != 0, "accepted a frame from client 0");
  SLUICE_ASSERT(client_protocol::IsSupportedCommandCode(request.code), "accepted code ",
                static_cast<uint32_t>(request.code), ", which is not served");
  SLUICE_ASSERT(client_protocol::CodeOf(request.command) == request.code, "code ",
                static_cast<uint32_t>(request.code), " but a command of code ",
                static_cast<uint32_t>(client_protocol::CodeOf(request.command)));
  SLUICE_ASSERT(client_protocol::OperationOf(request.command) == header.operation,
                "operation ", static_cast<int>(header.operation), " but a command of operation ",
                static_cast<int>(client_protocol::OperationOf(request.command)));

  // Re-encoding: the same request, and a canonical frame.
  const Bytes again = client_protocol::EncodeClientFrame(IdentityOf(request), request.command);
  ClientLimits relaxed = limits;
  relaxed.frame_size_bytes_max =
      std::max<uint64_t>(limits.frame_size_bytes_max, again.size());
  const absl::StatusOr<ClientRequest> redecoded = Decode(again, relaxed);
  SLUICE_ASSERT(redecoded.ok(), client_protocol::CommandCodeName(request.code),
                ": the re-encoded request does not decode: ", redecoded.status().ToString());
  SLUICE_ASSERT(redecoded->command == request.command && redecoded->code == request.code,
                client_protocol::CommandCodeName(request.code),
                ": the re-encoded request decodes to another request");
  SLUICE_ASSERT(redecoded->header.client == header.client &&
                    redecoded->header.request == header.request &&
                    redecoded->header.session == header.session &&
                    redecoded->header.operation == header.operation,
                client_protocol::CommandCodeName(request.code),
                ": the re-encoded request has another identity");
  SLUICE_ASSERT(client_protocol::EncodeClientFrame(IdentityOf(*redecoded), redecoded->command) ==
                    again,
                client_protocol::CommandCodeName(request.code),
                ": encoding is not canonical (a decoded canonical frame re-encodes differently)");
}

void CheckFrame(ByteSpan frame, const ClientLimits& limits) {
  const absl::StatusOr<ClientRequest> request = Decode(frame, limits);
  if (frame.size() >= wire::kHeaderSize) {
    const absl::StatusOr<uint32_t> peeked =
        client_protocol::PeekFrameSize(frame.first(wire::kHeaderSize), limits);
    if (peeked.ok()) {
      SLUICE_ASSERT(*peeked == base::LoadLittleEndian<uint32_t>(frame, wire::header_offset::kSize),
                    "PeekFrameSize says ", *peeked, ", the size field another size");
      SLUICE_ASSERT(*peeked >= wire::kHeaderSize && *peeked <= limits.frame_size_bytes_max);
    } else {
      CheckRefusal(peeked.status());
    }
    if (request.ok()) {
      SLUICE_ASSERT(peeked.ok() && *peeked == frame.size(),
                    "a frame DecodeClientFrame accepts, PeekFrameSize refuses");
    }
  }
  if (!request.ok()) {
    CheckRefusal(request.status());
    return;
  }
  CheckAccepted(*request, frame, limits);
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sluice::ByteSpan input = sluice::fuzz::InputBytes(data, size);
  const sluice::Bytes frame = sluice::fuzz::BuildFrame(input);
  sluice::fuzz::CheckFrame(frame, sluice::fuzz::LimitsFor(input));
  return 0;
}
