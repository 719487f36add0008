#pragma once
// Rule B11's last step: the effective config (after file and environment overrides)
// is written to `runtime/current_config.toml` under the data directory, atomically,
// so an operator (and `inspect`) can see exactly what a replica ran with.

#include "absl/status/status.h"
#include "core/config/config.h"
#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::config {

// Writes RenderEffectiveConfig(config) (the root password redacted) to
// kEffectiveConfigPath of `storage`, whose root is the data directory:
//   create runtime/ if missing -> sync the root directory -> write
//   runtime/current_config.toml.tmp -> sync it -> rename over the file -> sync runtime/.
// A crash at any point leaves the previous file (or none) or the complete new one,
// never a torn one; after OK the new file is durable. Errors name the path; a failed
// sync is returned like any error (the caller stops: rule B1).
// `config` is rendered before this returns, so it need not outlive the task.
io::Task<absl::Status> WriteEffectiveConfig(io::Storage& storage, const Config& config);

}  // namespace sluice::config
