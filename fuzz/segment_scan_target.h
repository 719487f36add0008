#pragma once
// The segment_scan fuzz target: partition recovery's classification of a segment's
// bytes (core/partition/segment_scan.h). The oracles are described in
// segment_scan_target.cc.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/partition/segment_scan.h"
#include "fuzz/decisions.h"

namespace sluice::fuzz {

// Scans the input as given and resealed (with the chain relinked, and as it is),
// each with the fixed context and with a truncation above op 4, checking every scan;
// adds the decisions reached (may be null).
void CheckSegmentScanInput(ByteSpan input, DecisionSet* decisions);

// "clean", "uncertain_tail", "corrupt", "truncated"; empty for a value the enum
// does not name.
absl::string_view TailVerdictName(partition::TailVerdict verdict);

// Every TailVerdict as "verdict:<name>".
std::vector<std::string> SegmentScanDecisionNames();

inline constexpr DecisionTarget kSegmentScanTarget{"segment_scan_fuzzer", &CheckSegmentScanInput,
                                                   &SegmentScanDecisionNames};

}  // namespace sluice::fuzz
