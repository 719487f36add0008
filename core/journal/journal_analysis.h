#pragma once
// The analysis behind WAL recovery: from the decoded copies of every slot and the
// recovery inputs (checkpoint, commit watermark), which ops form the verified hash
// chain, which are committed, which are bad and why — rules B7, B8, B16. Pure (no
// I/O, no state), so it is unit-tested and fuzzed over arbitrary bytes directly;
// journal_recovery.cc acts on its result.
//
// The walk covers the ops the ring can hold after the checkpoint, C+1 .. C+N
// (C = checkpoint_op, N = slot_count: rule B8 keeps every later op out until a
// newer checkpoint), one slot each, and answers the three questions of
// slot_verdict.h for each. From it:
//  - A, the verified prefix: the longest run C+1.. of whole prepares each linking
//    to the one before (the first to the checkpoint's checksum). Only these can be
//    applied.
//  - the verified chain: the longest run C+1.. of linked identities, where a valid
//    header copy stands in for a prepare whose body was lost. It can reach past A.
//  - E, the durability evidence: the commit watermark, or the `commit` field of any
//    valid copy in the WAL (a prepare's `commit` says every op up to it was committed,
//    so durable on a quorum — and on a single node, durable here).
//  - head: the highest op the WAL shows a write of (a whole, header-only or damaged
//    entry that is not a leftover of an older view), or that E proves, or the chain
//    reaches. A replica may have acknowledged anything up to head.
//  - the uncertain tail: from the first bad op above E to head (DESIGN.md
//    "Acknowledged": by durability evidence, not position — so a torn entry followed
//    by whole ones of the same unsynced group commit is a tail, not corruption).
//    Bad ops below it are corrupt (proven durable).
//  - the commit bound (B16): the commit watermark, or the `commit` field of an entry
//    on the verified chain (it links back to the checkpoint). Ops C+1 .. min(bound, A)
//    are to be applied; verified ops beyond are the unapplied suffix.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/journal/entry_copy.h"
#include "core/journal/journal_layout.h"
#include "core/journal/slot_verdict.h"
#include "core/wire/header.h"

namespace sluice::journal {

// What bootstrap knows before reading the WAL (DESIGN.md "Bootstrap", step 3).
struct RecoveryInputs {
  uint64_t checkpoint_op = 0;             // the op the latest durable snapshot covers
  absl::uint128 checkpoint_checksum = 0;  // that op's checksum: the chain anchor
  uint64_t commit_watermark = 0;          // the superblock's metadata commit watermark
  bool single_node = true;                // cut an uncertain tail / refuse corruption
};

// One slot's two decoded copies (entry_copy.h), and the prepare's bytes if whole.
struct SlotCopies {
  EntryCopy header;
  EntryCopy prepare;
  Bytes frame;  // header + body when prepare.state == kValid
};

// The walk's findings for one op of C+1 .. C+N.
struct OpAnalysis {
  uint64_t op = 0;
  uint64_t slot = 0;
  ContentDecision content;
  ChainLink link = ChainLink::kNone;
  absl::uint128 expected_parent = 0;  // the checksum its parent had to be (chain still open)
  SlotVerdict verdict = SlotVerdict::kEmpty;
  bool proven = false;
  // The identity named by the copy in content.identity (zero if none).
  absl::uint128 checksum = 0;
  wire::PrepareHeader header;
};

struct JournalAnalysis {
  std::vector<OpAnalysis> ops;  // ops C+1 .. C+N, in op order
  uint64_t checkpoint_op = 0;
  uint64_t commit_watermark = 0;          // max(input watermark, checkpoint op)
  uint64_t prefix_op = 0;                 // A (C when nothing is verified)
  uint64_t chain_end_op = 0;              // last op of the verified chain (>= A)
  uint64_t evidence_op = 0;               // E
  uint64_t head_op = 0;                   // >= A
  uint64_t commit_op = 0;                 // the B16 bound
  std::optional<uint64_t> tail_first_op;  // the uncertain tail is [this, head_op]
  uint64_t evidence_source_op = 0;        // the op whose `commit` gave E (0: the watermark)

  const OpAnalysis& At(uint64_t op) const { return ops[op - checkpoint_op - 1]; }
  // The first bad op proven durable (corrupt), if any: always prefix_op + 1.
  std::optional<uint64_t> FirstCorruptOp() const;
  // The ops to apply: C+1 .. min(commit_op, A).
  uint64_t apply_through_op() const { return commit_op < prefix_op ? commit_op : prefix_op; }
};

// Errors: InvalidArgument for inconsistent inputs (slots.size() != slot_count,
// checkpoint_op + slot_count overflowing, or a commit watermark beyond what the ring
// can hold after the checkpoint); FailedPrecondition if a slot holds a valid entry of
// an op beyond checkpoint_op + slot_count (the WAL was written after a newer
// checkpoint than the one given: rule B8). Never crashes on any bytes.
absl::StatusOr<JournalAnalysis> AnalyzeJournal(const std::vector<SlotCopies>& slots,
                                               const JournalOptions& options,
                                               const RecoveryInputs& inputs);

// Why an op of the walk is not simply valid, in words: its content reason, or how it
// fails to link. For decisions and errors.
std::string ExplainOp(const OpAnalysis& entry);

// Decodes every slot of a whole WAL image (journal_layout.h); the image must have the
// layout's exact size (InvalidArgument otherwise). For tests and fuzzing.
absl::StatusOr<std::vector<SlotCopies>> DecodeJournalImage(ByteSpan image,
                                                           const JournalOptions& options);

}  // namespace sluice::journal
