#pragma once
// The bootstrap fuzz target: a one-replica cluster's whole boot (BootSingleNode:
// superblock → metadata snapshot → WAL → every partition → stale incarnations; rules
// B1–B3, B5–B7, B16, B17) over a data directory the replica itself wrote
// (bootstrap_image.h), mutated by the input (bootstrap_program.h), on SimStorage.
//
// Oracles, beyond "no crash, hang (a bounded number of loop events) or sanitizer
// report":
//  - every refusal carries a message; a refusal of a directory whose only changes are
//    removed or truncated files names one of those files (or its directory);
//  - on success, the invariants of a booted node: the metadata applied exactly its
//    commit point and its state decodes (DecodeState's checks); one partition log per
//    partition of the metadata and no other; each log committed and applied up to its
//    last op; every committed message polls back (every batch decodes), at offsets
//    contiguous from the first segment's start offset up to the committed end; every
//    consumer offset below the committed end (rule B3); no directory left for an
//    incarnation the metadata does not have (unless a pending step names it);
//  - on success, for every base partition whose segment bytes no resealed edit
//    rewrote: every recovered message is the original at its offset (nothing altered
//    or invented), and a partition the metadata has that the base never had exists
//    only if a resealed metadata edit put it there;
//  - damage without resealing (and removed or truncated files) never loses what the
//    directory proves durable: with no resealed metadata edit the metadata comes back
//    at least up to the superblock's commit watermark or the `commit` of any base WAL
//    entry still whole, and is then exactly the base state at that op; with no
//    resealed edit of a partition, its recovered log holds every message of every op
//    the base proved durable and the directory still proves (the `commit` of a base
//    entry still whole where it was, the watermark and the sealed segments of a state
//    record slot still whole) — rules B5, B7: a file or entry lost below that is a
//    refusal, never a silently shorter log, an empty recreated file or a segment
//    dropped as a stray; only index files (derived data, rule B2) come back from
//    nothing; and damage to index files alone always boots, with every message;
//  - determinism: the same directory booted on a second SimStorage (another seed, so
//    other completion orders) gives the same status, decisions, state, partitions and
//    files;
//  - idempotence (without unreadable sectors): booting again what the first boot left
//    succeeds with the same metadata state, partitions, messages and offsets (rule B1:
//    its repairs were made durable before they were trusted).

#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "fuzz/decisions.h"

namespace sluice::fuzz {

// Runs one input with every oracle; adds the decisions it reached (may be null).
void CheckBootstrapInput(ByteSpan input, DecisionSet* decisions);

// "outcome:ok", "outcome:refused", the rules refusals name ("refused:B3", "refused:B5",
// "refused:B6", "refused:B7", "refused:B17") and what successful boots did
// ("boot:tail_cut", "boot:index_rebuilt", "boot:stray_removed",
// "boot:stale_incarnation_removed", "boot:partition_created").
std::vector<std::string> BootstrapDecisionNames();

inline constexpr DecisionTarget kBootstrapTarget{"bootstrap_fuzzer", &CheckBootstrapInput,
                                                 &BootstrapDecisionNames};

}  // namespace sluice::fuzz
