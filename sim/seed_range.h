#pragma once
// The seed flags shared by the workload binaries: `--seed N` (one seed) and
// `--seeds FIRST..LAST` (inclusive).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace sluice::sim {

struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;
  bool given = false;
};

// Parses the value of `--seed` or `--seeds` into `range`; other flags are not ours.
inline absl::Status ParseSeedFlag(absl::string_view flag, absl::string_view value, SeedRange& range) {
  if (flag == "--seed") {
    if (!absl::SimpleAtoi(value, &range.first)) return absl::InvalidArgumentError("--seed takes a number");
    range.last = range.first;
  } else {
    const std::vector<std::string> parts = absl::StrSplit(value, "..");
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &range.first) ||
        !absl::SimpleAtoi(parts[1], &range.last) || range.first > range.last) {
      return absl::InvalidArgumentError("--seeds takes FIRST..LAST with FIRST <= LAST");
    }
  }
  range.given = true;
  return absl::OkStatus();
}

}  // namespace sluice::sim
