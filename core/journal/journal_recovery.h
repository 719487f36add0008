#pragma once
// RecoverJournal: turns whatever a crash left in `metadata/journal.wal` into a
// Journal plus the facts bootstrap needs (DESIGN.md "Bootstrap", step 3) — or a
// clear error. Rules B1, B5, B6, B7, B8, B16; the analysis is journal_analysis.h,
// the per-slot decision table slot_verdict.h.
//
// Stages, each logged in `decisions`:
//   1. open the WAL without creating it (rule B5) and check its size against the
//      layout (another size means other options, or a file cut behind our back);
//   2. read the headers zone and every prepare slot; a read error (EIO) makes that
//      copy invalid, not the recovery;
//   3. analyze (journal_analysis.h): verified chain, durability evidence, head,
//      uncertain tail, commit bound, and a verdict per slot;
//   4. decide (rule B7):
//        corrupt (a bad op proven durable): single node -> DataLoss naming the op,
//          its slot and file offsets and the rule, before anything is written;
//          cluster -> listed in `faulty` (repair from peers; never nacked);
//        uncertain tail: single node -> cut as a whole (slots zeroed) with a warning
//          naming it; cluster -> listed in `faulty` (only a nack quorum of the other
//          replicas may discard it; otherwise repair);
//   5. make what is kept durable before trusting it (rule B1): every verified op
//      above the commit watermark is rewritten (prepare and header copy) and a
//      redundant header that disagrees with its whole prepare is repaired, then the
//      file is synced once — bytes above the watermark may be pages a failed fsync
//      left in the cache, which a later machine crash would lose;
//   6. build the Journal from the recovered state (last op = the end of the verified
//      prefix), never a fresh one patched afterwards (rule B4).
//
// Rule B16: `to_apply` holds exactly the ops C+1 .. min(commit bound, verified
// prefix end), where the commit bound is the commit watermark or the `commit` field
// of an entry on the verified chain; every other verified op is in `unapplied`, for
// VSR to commit or discard — a prepared but uncommitted DeleteStream is never applied
// here. (A single node's VSR, its own quorum, commits that suffix itself after
// recovery; the journal does not decide it.) Stale ops — an earlier wrap, a leftover
// of an older view — are never in either list.
//
// The new Journal's last_op() is the end of the verified prefix. In a cluster, ops
// beyond it (faulty ones, and verified ones after a gap, reported in `unapplied`)
// stay on disk for VSR: repair re-appends them in order; TruncateAfter clears them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal.h"
#include "core/journal/journal_analysis.h"
#include "core/journal/journal_layout.h"
#include "core/journal/slot_verdict.h"
#include "core/wire/header.h"

namespace sluice::journal {

struct SlotReport {
  uint64_t slot = 0;
  uint64_t expected_op = 0;  // the op of C+1 .. C+N that belongs in this slot
  SlotVerdict verdict = SlotVerdict::kEmpty;
  SlotContent content = SlotContent::kEmpty;
  std::string reason;  // empty for a plain valid or empty slot
};

struct ChainedOp {
  uint64_t op = 0;
  absl::uint128 checksum = 0;
  bool prepare_whole = false;  // false: only its header copy survived
};

struct RecoveredEntry {
  uint64_t op = 0;
  absl::uint128 checksum = 0;
  wire::PrepareHeader header;
  Bytes frame;  // header + body, checksums verified
};

struct FaultyOp {
  uint64_t op = 0;
  uint64_t slot = 0;
  SlotVerdict verdict = SlotVerdict::kTorn;
  std::string reason;
};

struct OpRange {
  uint64_t first = 0;
  uint64_t last = 0;
  friend bool operator==(const OpRange&, const OpRange&) = default;
};

struct JournalRecovery {
  std::unique_ptr<Journal> journal;
  std::vector<SlotReport> slots;          // one per slot, in slot order
  std::vector<ChainedOp> verified_chain;  // C+1 .. chain end, each linking to the one before
  std::vector<RecoveredEntry> to_apply;   // committed, in op order (B16)
  std::vector<RecoveredEntry> unapplied;  // verified, beyond the commit bound, in op order
  std::vector<FaultyOp> faulty;           // cluster only: corrupt and uncertain ops
  std::optional<OpRange> uncertain_tail;  // cut (single node) or faulty (cluster)
  bool tail_cut = false;
  uint64_t commit_op = 0;  // the highest op known committed
  uint64_t last_op = 0;    // the journal's last op
  absl::uint128 last_checksum = 0;
  uint64_t head_op = 0;        // the highest op the WAL shows (cluster: VSR's head)
  uint64_t rewritten_ops = 0;  // rule B1
  uint64_t repaired_headers = 0;
  std::vector<std::string> decisions;  // every decision, in order (warnings too)
  std::vector<std::string> warnings;
};

// Errors: InvalidArgument for bad options or inconsistent inputs; NotFound if the
// WAL is missing (never recreated, rule B5); FailedPrecondition for a WAL of the
// wrong size or holding ops beyond the checkpoint's reach (B8); DataLoss for
// corruption on a single node (B7); any I/O error while writing or syncing
// (fail-stop, B1). `options` and `inputs` are taken by value: the task may start
// after the caller's temporaries are gone.
io::Task<absl::StatusOr<JournalRecovery>> RecoverJournal(io::Storage& storage,
                                                         JournalOptions options,
                                                         RecoveryInputs inputs);

}  // namespace sluice::journal
