#pragma once
// The TCP transport's handshake: how a replica names itself on a connection.
//
// Replica connections are made by the lower id of each pair (UringNetwork), so
// the accepting side does not know who called. The caller's first frame is a
// hello, before any queued frame; the acceptor reads it, checks it, and from then
// on attributes the connection's frames to the named replica. The acceptor's
// first frame is a hello too, answering: the caller checks that it reached the
// replica it dialled (a stale or wrong address is refused, not trusted). Both may
// be followed at once by frames: TCP keeps them behind the hello. Clients send no
// hello: the client port numbers them itself.
//
// The hello is a frame like any other as far as framing goes (the 256-byte header
// alone, size field 256), so one reader delimits it; it is the transport's own and
// never reaches a NetworkHandler. Layout (little-endian):
//   48  u32  size = 256
//   60  u8   command = 0 ("reserved" in FORMATS.md §1: never a consensus message)
//   61  u8   replica = sender id (low byte, for packet captures)
//   128 16   magic "sluice-tcp-hello"
//   144 u64  version = 1
//   152 u64  sender replica id
//   160 u64  receiver replica id (a hello reaching the wrong node is refused)
//   168 u64  replica count (both ends must be configured alike)
//   everything else zero; no checksum (it authenticates nothing, and a corrupt
//   hello is refused by the checks above or, at worst, misroutes frames that the
//   edge validator then rejects by their checksums).

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/network.h"

namespace sluice::uring {

inline constexpr size_t kHelloSizeBytes = io::kFrameHeaderSizeBytes;

struct Hello {
  io::PeerId sender = 0;
  io::PeerId receiver = 0;
  uint64_t replica_count = 0;
  friend bool operator==(const Hello&, const Hello&) = default;
};

std::array<uint8_t, kHelloSizeBytes> EncodeHello(const Hello& hello);

// InvalidArgument, saying why, unless `frame` is a hello of this version.
absl::StatusOr<Hello> DecodeHello(ByteSpan frame);

}  // namespace sluice::uring
