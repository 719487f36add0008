#include "core/client_protocol/testing/frames.h"

#include <deque>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/header.h"

namespace sluice::client_protocol::testing {

Bytes FromHex(absl::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  SLUICE_ASSERT(digits.size() % 2 == 0, "odd hex ", hex);
  Bytes bytes;
  for (size_t i = 0; i < digits.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

std::string ToHex(ByteSpan bytes) {
  std::string out;
  for (uint8_t byte : bytes) absl::StrAppend(&out, absl::Hex(byte, absl::kZeroPad2));
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes Text(absl::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes U32Le(uint32_t value) {
  Bytes out(4);
  base::StoreLittleEndian<uint32_t>(out, 0, value);
  return out;
}

Bytes U64Le(uint64_t value) {
  Bytes out(8);
  base::StoreLittleEndian<uint64_t>(out, 0, value);
  return out;
}

Bytes RequestFrame(const FrameFields& fields, const Bytes& body) {
  RequestHeader header;
  header.size = static_cast<uint32_t>(wire::kHeaderSize + body.size());
  header.client = fields.client;
  header.request = fields.request;
  header.session = fields.session;
  header.operation = fields.operation;
  header.command_code = fields.command_code;
  Bytes frame(header.size);
  EncodeRequestHeader(header, MutableByteSpan(frame).first(wire::kHeaderSize));
  std::copy(body.begin(), body.end(), frame.begin() + wire::kHeaderSize);
  return frame;
}

Bytes NonReplicatedFrame(uint32_t code, const Bytes& body) {
  return RequestFrame({.operation = wire::Operation::kNonReplicated, .command_code = code}, body);
}

Bytes ReplicatedFrame(wire::Operation operation, const Bytes& body) {
  return RequestFrame({.operation = operation}, body);
}

Bytes AppendixBPingFrame() {
  Bytes frame(256, 0);
  frame[48] = 0x00;
  frame[49] = 0x01;   // size 256
  frame[60] = 0x05;   // Request
  frame[128] = 0x01;  // client 1
  frame[168] = 0x01;  // request 1
  frame[176] = 0x02;  // NonReplicated
  frame[196] = 0x01;  // code 1
  return frame;
}

Bytes AppendixBLoginBody() {
  return FromHex(
      "002c0000 08 6e6f64652d73646b 0d 302e31302e302d656467652e34 04 69676779 04 69676779 "
      "00000000");
}

Bytes AppendixBSendMessagesBody() {
  Bytes batch_header(256, 0);
  const Bytes origin = FromHex("00401e18240a0600");
  const Bytes length = FromHex("3201000000000000");
  const Bytes checksum = FromHex("0573739fcebbb4f0");
  std::copy(origin.begin(), origin.end(), batch_header.begin() + 24);
  std::copy(length.begin(), length.end(), batch_header.begin() + 32);
  std::copy(checksum.begin(), checksum.end(), batch_header.begin() + 40);
  batch_header[48] = 0x01;
  return Concat({FromHex("13000000 020173 010400000000 020400000000 01000000"), batch_header,
                 FromHex("dc8e00ca420b92a9 01000000000000000000000000000000 "
                         "00000000 00000000 00000000 02000000 0000000000000000 6869")});
}

DecodedReply DecodeKept(Bytes frame) {
  static auto* kept = new std::deque<Bytes>();
  kept->push_back(std::move(frame));
  absl::StatusOr<DecodedReply> reply = DecodeReplyFrame(kept->back());
  SLUICE_ASSERT(reply.ok(), reply.status().ToString());
  return *reply;
}

Rejection StatusReplyOf(IggyError error) {
  return {.kind = RejectionKind::kStatusReply, .error = error};
}

Rejection EvictionOf(EvictionReason reason) {
  return {.kind = RejectionKind::kEviction,
          .error = SdkErrorForEviction(static_cast<uint8_t>(reason), 1, 1),
          .reason = reason};
}

Rejection CloseOf() { return {.kind = RejectionKind::kCloseConnection}; }

}  // namespace sluice::client_protocol::testing
