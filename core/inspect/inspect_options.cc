#include "core/inspect/inspect_options.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "core/config/config.h"

namespace sluice::inspect {

std::optional<InspectOptions> ResolveInspectOptions(const std::string& directory,
                                                    const std::vector<std::string>& flags) {
  config::Config config;
  const std::filesystem::path effective =
      std::filesystem::path(directory) / std::string(config::kEffectiveConfigPath);
  if (std::filesystem::is_regular_file(effective)) {
    std::ifstream in(effective, std::ios::binary);
    const std::string contents((std::istreambuf_iterator<char>(in)), {});
    absl::StatusOr<config::Config> loaded =
        config::LoadConfig(config::ConfigFile{effective.string(), contents}, {});
    if (!loaded.ok()) {
      std::fprintf(stderr, "inspect: %s: %s (give --wal-slots and --wal-message-size instead)\n",
                   effective.c_str(), loaded.status().ToString().c_str());
      return std::nullopt;
    }
    config = *std::move(loaded);
    std::printf("options: from %s\n", effective.c_str());
  }
  InspectOptions options{.wal_slots = config.limits.wal_slot_count,
                         .wal_message_size = config.limits.wal_slot_size_bytes,
                         .clamp_consumer_offsets = config.recovery.clamp_consumer_offsets};
  for (size_t i = 0; i < flags.size(); i += 2) {
    if (i + 1 >= flags.size()) return std::nullopt;
    uint64_t* target = nullptr;
    if (flags[i] == "--wal-slots") target = &options.wal_slots;
    if (flags[i] == "--wal-message-size") target = &options.wal_message_size;
    if (target == nullptr || !absl::SimpleAtoi(flags[i + 1], target)) return std::nullopt;
  }
  return options;
}

}  // namespace sluice::inspect
