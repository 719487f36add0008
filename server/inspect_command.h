#pragma once
// `sluice-server inspect [DATA_DIR] [--wal-slots N] [--wal-message-size BYTES]`:
// `./sluice inspect` on the production backend (core/inspect/inspect.h). The data
// directory (default ./local_data, or --data-dir) is copied to a temporary directory,
// booted there on io_uring with the replica's bootstrap code, and the copy compared
// with the original, which is never opened for writing.
//
// Exit codes, as `sluice inspect`'s: 0 healthy, 1 repairable (from peers, for a
// cluster replica's faulty entries), 2 refused, 3 unsupported (reserved), 64 usage.
// A replica of a 3- or 5-replica cluster is inspected as its cluster boot would open it.
#include <string>
#include <vector>

namespace sluice::server {

// `args` are the arguments after "inspect".
int RunInspect(const std::vector<std::string>& args);

}  // namespace sluice::server
