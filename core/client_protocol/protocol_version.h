#pragma once
// The protocol version gate of a login (PROTOCOL.md §5.2). Versions are packed
// major << 20 | minor << 10 | patch (10 bits each). The Node SDK at the spec's commit
// speaks 0.11.0; Sluice serves that protocol.
//
// Iggy's gate: accept a client whose version is at least the server's with the patch
// zeroed and whose major.minor is at most the server's. Anything else is evicted with
// IncompatibleProtocol (reason 14), the window [min, max] at bytes 148 / 144.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sluice::client_protocol {

constexpr uint32_t PackVersion(uint32_t major, uint32_t minor, uint32_t patch) {
  return (major << 20) | (minor << 10) | patch;
}

inline constexpr uint32_t kServerProtocolVersion = PackVersion(0, 11, 0);
// The oldest client version accepted: the server's with the patch zeroed.
inline constexpr uint32_t kServerProtocolVersionMin = kServerProtocolVersion & ~uint32_t{0x3FF};

// What the Register reply names as the server's version (free text for the SDK).
inline constexpr absl::string_view kServerVersion = "sluice-0.1.0";

// OK if a client speaking `client_version` may log in; otherwise an Evict rejection
// with IncompatibleProtocol.
absl::Status CheckClientProtocolVersion(uint32_t client_version);

}  // namespace sluice::client_protocol
