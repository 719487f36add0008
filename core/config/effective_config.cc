#include "core/config/effective_config.h"

#include <string>

#include "core/io/io_error.h"
#include "core/io/storage_ops.h"

namespace sluice::config {
namespace {

// Holds the rendered text in its own frame: the caller's Config may be gone by the
// time the task runs.
io::Task<absl::Status> WriteText(io::Storage& storage, std::string text) {
  const std::string directory(kRuntimeDirectory);
  const absl::Status created = co_await io::MakeDirectory(storage, directory);
  if (!created.ok() && !io::IsEexist(created)) {
    co_return base::Annotate(created, "creating the directory " + directory);
  }
  // Also when runtime/ already existed: an earlier run may have crashed before this
  // sync, leaving a directory entry that is not yet durable.
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, ""),
                     "syncing the data directory after creating ", directory);
  const ByteSpan bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  CO_RETURN_IF_ERROR(
      co_await io::WriteFileAtomically(storage, std::string(kEffectiveConfigPath), bytes),
      "writing the effective config (rule B11)");
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::Status> WriteEffectiveConfig(io::Storage& storage, const Config& config) {
  return WriteText(storage, RenderEffectiveConfig(config));
}

}  // namespace sluice::config
