#pragma once
// Named recovery decisions a fuzz input reached, for the targets that drive a
// recovery (journal_recovery, segment_scan). A target adds the name of each decision
// its input reached (a set: once per input however often it was reached), so a
// corpus can be summarized as "how many inputs reached each decision" — by
// decision_counts.cc, which `./sluice fuzz` runs after those targets, and whose test
// requires the checked-in corpus to reach every named decision (issue #9).
//
// Names are "kind:value" (spaces in the recovery's own names become '_'), e.g.
// "verdict:chain_break", "outcome:data_loss".

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"

namespace sluice::fuzz {

using DecisionSet = std::set<std::string>;

inline std::string DecisionName(absl::string_view kind, absl::string_view value) {
  std::string name = absl::StrCat(kind, ":", value);
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

// Adds to a set that may be absent (the fuzzer passes none).
inline void Reach(DecisionSet* decisions, absl::string_view kind, absl::string_view value) {
  if (decisions != nullptr) decisions->insert(DecisionName(kind, value));
}

// One recovery target as decision_counts sees it.
struct DecisionTarget {
  const char* name;  // the fuzz target's name, e.g. "journal_recovery_fuzzer"
  // Runs one input with the target's oracles (an oracle violation aborts), adding
  // the decisions it reached.
  void (*run)(ByteSpan input, DecisionSet* decisions);
  // Every decision the recovery names: the checked-in corpus must reach each one.
  // Decisions a run reaches that are not listed here are printed as extras.
  std::vector<std::string> (*named)();
};

}  // namespace sluice::fuzz
