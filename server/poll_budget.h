#pragma once
// A poll reply must fit one frame the client port may send (its maximum frame size),
// whatever `count` the client asked for: PollMessages is answered with fewer
// messages rather than a frame the SDK or the network would refuse (Iggy's SDK polls
// again from where the reply ended).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "core/partition/partition_log.h"

namespace sluice::server {

// Bytes of the poll reply frame for `result`: the 256-byte reply header, the 16-byte
// head, and each record (a 256-byte batch header and its slice's frames).
size_t PollReplyBytes(const partition::PollResult& result);

// Drops messages from the end of `result` (whole records first, then the tail of the
// last record) until PollReplyBytes(result) <= reply_bytes_max. FailedPrecondition if
// even one message does not fit (the bound is below the largest prepare: a config
// error, not the client's). An empty result is left as it is.
absl::Status FitPollReply(partition::PollResult& result, size_t reply_bytes_max);

// The offset of the last message in `result`; nullopt if it has none.
std::optional<uint64_t> LastPolledOffset(const partition::PollResult& result);

}  // namespace sluice::server
