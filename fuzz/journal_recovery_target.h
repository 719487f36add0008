#pragma once
// The journal_recovery fuzz target: metadata WAL recovery (core/journal:
// RecoverJournal, rules B1, B5, B7, B8, B16) over a valid WAL mutated by the input
// (journal_program.h), on SimStorage.
//
// Oracles, beyond "no crash, hang or sanitizer report":
//  - the outcome is what the pure analysis of the same bytes predicts
//    (AnalyzeJournal over DecodeJournalImage, with unreadable sectors modelled):
//    NotFound for a removed file, FailedPrecondition for a wrong size, the analysis'
//    own error, else DataLoss on a single node with a corrupt op, else OK; on OK every
//    slot's verdict is the analysis' verdict;
//  - on OK: the verified chain is contiguous from the checkpoint op + 1 and each op's
//    surviving copy links to the one before (the checkpoint checksum first);
//    to_apply is exactly ops C+1 .. min(commit bound, last op), hash-linked, each
//    frame valid; the commit bound is the watermark (or the checkpoint) or the
//    `commit` of a valid copy in the WAL; every recovered frame (to_apply, unapplied)
//    is byte for byte the last sealed version of its slot — nothing damaged without
//    resealing is ever applied or kept; single node: no faulty ops, head = last op,
//    a tail cut iff an uncertain tail, unapplied continues to_apply up to the last op;
//    cluster: no tail cut, faulty and unapplied ops above the applied ones;
//  - a single node never returns OK while an op the base WAL held is damaged without
//    resealing and proven durable (checkpoint op < op <= the commit watermark, or <=
//    the `commit` of a base entry still whole in the WAL): rule B7, DataLoss;
//  - determinism: the same bytes recovered on a second SimStorage (another seed,
//    so other completion orders) give the same status, decisions and result;
//  - idempotence (without unreadable sectors): recovering again what the first
//    recovery left gives the same last op and checksum (a replica: the same head and
//    uncertain tail); a single node's journal then appends the next op, and a third
//    recovery ends at it.

#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "fuzz/decisions.h"

namespace sluice::fuzz {

// Runs one input with every oracle; adds the decisions it reached (may be null).
void CheckJournalRecoveryInput(ByteSpan input, DecisionSet* decisions);

// Every SlotVerdict (slot_verdict.h) as "verdict:<name>", and the outcomes
// "outcome:ok", "outcome:tail_cut", "outcome:data_loss", "outcome:failed_precondition",
// "outcome:invalid_argument", "outcome:not_found".
std::vector<std::string> JournalRecoveryDecisionNames();

inline constexpr DecisionTarget kJournalRecoveryTarget{
    "journal_recovery_fuzzer", &CheckJournalRecoveryInput, &JournalRecoveryDecisionNames};

}  // namespace sluice::fuzz
