#pragma once
// The replica-local options inspect boots a directory with: the effective config the
// server's last start wrote there (DATA_DIR/runtime/current_config.toml, rule B11),
// else the server's defaults; --wal-slots / --wal-message-size override either.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::inspect {

struct InspectOptions {
  uint64_t wal_slots = 0;
  uint64_t wal_message_size = 0;
  bool clamp_consumer_offsets = false;
};

// `flags` are the arguments after DATA_DIR, as pairs "--wal-slots N" /
// "--wal-message-size BYTES". Prints "options: from PATH" to stdout when the
// effective config is used, and to stderr why an unreadable one is refused.
// nullopt: a usage error (the caller prints its usage and exits 64).
std::optional<InspectOptions> ResolveInspectOptions(const std::string& directory,
                                                    const std::vector<std::string>& flags);

}  // namespace sluice::inspect
