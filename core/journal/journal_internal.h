#pragma once
// Private parts of Journal shared by its .cc files (not exported).

#include <vector>

#include "core/journal/journal.h"

namespace sluice::journal {

// One group commit: consecutive ops, written together and covered by one sync.
struct Journal::Group {
  uint64_t first_op = 0;
  uint64_t last_op = 0;
  absl::uint128 checksum_before = 0;  // last_checksum() before the group, restored on failure
  std::vector<Bytes> frames;          // one per op, first_op first
  std::vector<DurableCallback> acks;  // parallel to frames
  bool in_flight = false;             // its writes are submitted: it takes no more entries
  bool failed = false;                // failed before it ran (a group ahead of it failed)
  // Ops after the last frame up to last_op that joined the chain with it: whole entries
  // recovery found on disk (synced) linking to it (Journal::Append). Such a group
  // takes no more entries, and its failure is fail-stop (they would be forgotten).
  bool adopted = false;
};

}  // namespace sluice::journal
