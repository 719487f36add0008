#include "core/wire/command.h"

namespace sluice::wire {

absl::string_view CommandName(Command command) {
  switch (command) {
    case Command::kReserved:
      return "reserved";
    case Command::kPing:
      return "ping";
    case Command::kPong:
      return "pong";
    case Command::kPingClient:
      return "ping_client";
    case Command::kPongClient:
      return "pong_client";
    case Command::kRequest:
      return "request";
    case Command::kPrepare:
      return "prepare";
    case Command::kPrepareOk:
      return "prepare_ok";
    case Command::kReply:
      return "reply";
    case Command::kCommit:
      return "commit";
    case Command::kStartViewChange:
      return "start_view_change";
    case Command::kDoViewChange:
      return "do_view_change";
    case Command::kStartView:
      return "start_view";
    case Command::kEviction:
      return "eviction";
    case Command::kRequestPrepare:
      return "request_prepare";
    case Command::kRequestHeaders:
      return "request_headers";
    case Command::kHeaders:
      return "headers";
    case Command::kRequestSync:
      return "request_sync";
    case Command::kSyncChunk:
      return "sync_chunk";
    case Command::kSessionActivity:
      return "session_activity";
  }
  // A value cast from an unchecked byte lands here; the switch stays exhaustive
  // (-Wswitch) so a new enumerator without a name fails to compile.
  return "unknown";
}

bool IsKnownCommand(uint8_t value) { return CommandName(static_cast<Command>(value)) != "unknown"; }

}  // namespace sluice::wire
