#pragma once
// Several writes to one file in flight at once, awaited together. A group commit
// writes its prepares (one per slot) and its redundant headers this way, then syncs
// once: submitting them together lets the backend work on all of them, and their
// order does not matter because nothing is durable before the sync (a crash may
// land any subset of them, which recovery is built for).

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"

namespace sluice::journal {

struct WriteRequest {
  uint64_t offset = 0;
  ByteSpan data;  // must stay valid until the awaiter completes
};

// Submits every write at once; completes when all have completed, with the error of
// the first failed write in `writes` order, or OK. `writes` must not be empty.
io::CompletionAwaiter<absl::Status> WriteAll(io::Storage& storage, io::FileHandle file,
                                             std::vector<WriteRequest> writes);

}  // namespace sluice::journal
