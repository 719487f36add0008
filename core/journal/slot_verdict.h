#pragma once
// The pure per-slot decision tables of WAL recovery (rule B7, DESIGN.md
// "Acknowledged"). No I/O and no state: journal_analysis.cc walks the ring and asks
// these three questions of each slot, in order.
//
// 1. What does the slot hold for the op expected there? (ClassifyContent)
//    Each copy is Z (zero), X (invalid), S (valid, another op: an earlier wrap) or
//    E (valid, the expected op):
//
//      header \ prepare |  Z           X           S           E
//      -----------------+--------------------------------------------------------
//      Z                |  kEmpty      kDamaged    kStale      kIntact (fix header)
//      X                |  kDamaged    kDamaged    kDamaged    kIntact (fix header)
//      S                |  kStale      kDamaged    kStale      kIntact (fix header)
//      E                |  kHeaderOnly kHeaderOnly kHeaderOnly same checksum: kIntact
//                       |                                      else by view, below
//
//    Both copies E with different checksums: two versions of the op were written
//    (a truncated suffix rewritten in a later view) and only one copy of the newer
//    landed. The copy with the higher view is the newer: a newer prepare is kIntact
//    (fix header); a newer header is kHeaderOnly (its prepare was lost); equal views
//    cannot be ordered: kDamaged.
//    Why a valid prepare wins over a bad header: the prepare's own checksums prove it
//    whole. Why X with S is kDamaged rather than kStale: a torn write of the expected
//    op and a flipped bit in a stale copy look alike, and only the first matters —
//    so the slot counts as evidence of a write (the safe side).
//
// 2. How does an entry whose identity is known (kIntact, kHeaderOnly) relate to the
//    hash chain walked so far? (LinkOf)
//      chain still open, parent == previous checksum          -> kLinked
//      otherwise, prepared in an older view than the chain's
//        last linked op (views never decrease along a log)    -> kStaleView (a leftover
//                                                                of a discarded suffix)
//      chain still open (parent mismatch, same or newer view) -> kBroken
//      chain already ended before this op                     -> kUnlinkable
//
// 3. The verdict, once the walk has fixed the ranges (DecideVerdict). With A = the
//    last op of the contiguous prefix of kIntact+kLinked ops, head = the highest op
//    the WAL or the durability evidence shows, proven = op <= the durability
//    evidence (commit watermark, or any valid copy's `commit`), and the uncertain
//    tail = from the first bad op (not kIntact+kLinked) that is not proven, to head:
//
//      op <= A                                           -> kValid
//      op > head:       kEmpty -> kEmpty; else              kCollision
//      A < op <= head:
//        kIntact + kLinked                               -> tail ? kUncertainTail : kValid
//        kIntact + kUnlinkable                           -> tail ? kUncertainTail : kChainBreak
//        kIntact/kHeaderOnly + kBroken                   -> kChainBreak
//        kIntact/kHeaderOnly + kStaleView                -> proven ? kCorrupt : kCollision
//        kHeaderOnly (kLinked/kUnlinkable), kDamaged     -> proven ? kCorrupt : kTorn
//        kEmpty                                          -> proven ? kCorrupt : kEmpty
//        kStale                                          -> proven ? kCorrupt : kCollision
//
//    A proven op is never in the tail (the tail starts above the evidence): a bad
//    proven op was durable and is no longer whole here. Its verdict says what is
//    wrong (kCorrupt, or kChainBreak when its bytes are whole but do not link); either
//    way recovery treats it as corruption (rule B7): a single node refuses to start,
//    a cluster replica marks it faulty and repairs it.

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "core/journal/entry_copy.h"

namespace sluice::journal {

enum class SlotContent : uint8_t {
  kEmpty,       // both copies zero: never written
  kStale,       // only valid copies of an earlier op of the ring (an earlier wrap)
  kIntact,      // a valid prepare of the expected op
  kHeaderOnly,  // a valid header copy of the expected op, no valid prepare of it
  kDamaged,     // neither: bytes of a write that did not land whole, or corruption
};

enum class ChainLink : uint8_t { kNone, kLinked, kStaleView, kBroken, kUnlinkable };

enum class SlotVerdict : uint8_t {
  kValid,          // on the verified chain, prepare whole
  kEmpty,          // never written
  kTorn,           // bad (a torn or damaged copy), not proven durable
  kCorrupt,        // bad and proven durable: never cut (B7)
  kChainBreak,     // valid checksums, but the parent does not link to the previous op
  kCollision,      // holds another op: an earlier wrap, or a leftover of an older view
  kUncertainTail,  // intact, but after the first unproven bad op (same unsynced group)
};

absl::string_view SlotContentName(SlotContent content);
absl::string_view ChainLinkName(ChainLink link);
absl::string_view SlotVerdictName(SlotVerdict verdict);

enum class IdentitySource : uint8_t { kNone, kPrepare, kHeader };

struct ContentDecision {
  SlotContent content = SlotContent::kEmpty;
  IdentitySource identity = IdentitySource::kNone;  // the copy that names the op
  bool header_needs_repair = false;                 // kIntact with a header copy != prepare's
  std::string reason;                               // why, for the decisions log
};

// Table 1. `header` and `prepare` are the slot's decoded copies.
ContentDecision ClassifyContent(const EntryCopy& header, const EntryCopy& prepare,
                                uint64_t expected_op);

// Where the walk stands when it reaches an op.
struct ChainPosition {
  bool open = true;  // every earlier op of the walk was kLinked
  absl::uint128 previous_checksum = 0;
  uint32_t chain_view = 0;  // view of the last kLinked op (0 at the anchor)
};

// Table 2, for an op with a known identity (its parent and view).
ChainLink LinkOf(absl::uint128 parent, uint32_t view, const ChainPosition& position);

struct OpPlacement {
  bool in_prefix = false;    // op <= A
  bool beyond_head = false;  // op > head
  bool in_tail = false;      // in the uncertain tail
  bool proven = false;       // op <= the durability evidence
};

// Table 3.
SlotVerdict DecideVerdict(SlotContent content, ChainLink link, const OpPlacement& placement);

// True for an op in (A, head] that keeps it from being applied: anything but
// kIntact + kLinked.
inline bool IsBad(SlotContent content, ChainLink link) {
  return !(content == SlotContent::kIntact && link == ChainLink::kLinked);
}

}  // namespace sluice::journal
