#include "core/client_protocol/protocol_version.h"

#include "absl/strings/str_cat.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol {

absl::Status CheckClientProtocolVersion(uint32_t client_version) {
  const bool new_enough = client_version >= kServerProtocolVersionMin;
  const bool not_newer = (client_version >> 10) <= (kServerProtocolVersion >> 10);
  if (new_enough && not_newer) return absl::OkStatus();
  return Evict(EvictionReason::kIncompatibleProtocol,
               absl::StrCat("client protocol version ", client_version >> 20, ".",
                            (client_version >> 10) & 0x3FF, ".", client_version & 0x3FF,
                            " outside the server's ", kServerProtocolVersion >> 20, ".",
                            (kServerProtocolVersion >> 10) & 0x3FF, ".x"));
}

}  // namespace sluice::client_protocol
