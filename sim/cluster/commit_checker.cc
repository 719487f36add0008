#include "sim/cluster/commit_checker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"

namespace sluice::sim {

std::string Hex(absl::uint128 value) {
  return absl::StrCat("0x", absl::Hex(absl::Uint128High64(value), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(value), absl::kZeroPad16));
}

CommitChecker::CommitChecker(std::vector<vsr::GroupId> groups, uint8_t replica_count)
    : groups_(std::move(groups)),
      reported_(replica_count, std::vector<uint64_t>(groups_.size(), 0)),
      committed_(groups_.size()) {
  SLUICE_ASSERT(!groups_.empty(), "at least the metadata group");
  SLUICE_ASSERT(std::is_sorted(groups_.begin(), groups_.end()), "groups must be sorted");
}

size_t CommitChecker::GroupIndex(vsr::GroupId id) const {
  const auto it = std::lower_bound(groups_.begin(), groups_.end(), id);
  SLUICE_ASSERT(it != groups_.end() && *it == id, "an unknown group");
  return static_cast<size_t>(it - groups_.begin());
}

void CommitChecker::OnCommit(uint8_t replica, size_t group, uint64_t op, absl::uint128 checksum) {
  Record(absl::StrCat("commit ", int{replica}, " ", group, " ", op, " ", Hex(checksum)));
  uint64_t& reported = reported_[replica][group];
  if (op != reported + 1) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " committed op ", op, " after op ", reported));
  }
  reported = op;
  std::vector<absl::uint128>& committed = committed_[group];
  if (op <= committed.size()) {
    if (committed[op - 1] != checksum) {
      Violation(absl::StrCat("hash-chain disagreement: replica ", int{replica}, " group ", group, " committed op ",
                             op, " as ", Hex(checksum), ", others as ", Hex(committed[op - 1])));
    }
  } else if (op == committed.size() + 1) {
    committed.push_back(checksum);
  } else {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " committed op ", op,
                           " beyond the cluster's ", committed.size()));
  }
}

void CommitChecker::OnStateSync(uint8_t replica, size_t group, uint64_t op, absl::uint128 checksum) {
  Record(absl::StrCat("sync ", int{replica}, " ", group, " ", op, " ", Hex(checksum)));
  ++state_syncs_;
  uint64_t& reported = reported_[replica][group];
  const std::vector<absl::uint128>& committed = committed_[group];
  if (op <= reported) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " installed a snapshot at op ", op,
                           " at or below its commit ", reported));
  } else if (op > committed.size() || committed[op - 1] != checksum) {
    Violation(absl::StrCat("replica ", int{replica}, " group ", group, " installed a snapshot at op ", op, " (",
                           Hex(checksum), "), not a committed op (", committed.size(), " committed)"));
  }
  reported = op;
}

void CommitChecker::OnPersist(uint8_t replica, const vsr::VsrState& state) {
  Record(absl::StrCat("view ", int{replica}, " ", state.view, " ", state.log_view, state.recovering ? " recovering" : ""));
}

void CommitChecker::CheckChain(uint8_t replica, size_t group, const vsr::GroupLog& log, uint64_t through,
                               absl::string_view what) {
  const std::vector<absl::uint128>& committed = committed_[group];
  through = std::min<uint64_t>(through, committed.size());
  // The base (a checkpoint, or an installed snapshot) is a committed op too.
  for (uint64_t op = std::max<uint64_t>(log.base_op(), 1); op <= through; ++op) {
    if (log.ChecksumAt(op) != std::optional<absl::uint128>(committed[op - 1])) {
      return Violation(absl::StrCat("replica ", int{replica}, " ", what, " group ", group, " op ", op, " (base op ",
                                    log.base_op(), ", last op ", log.last_op(), "): not the committed checksum ",
                                    Hex(committed[op - 1])));
    }
  }
}

void CommitChecker::Record(absl::string_view event) {
  digest_.Add(base::AsBytes(event));
  digest_.Add(base::AsBytes("\n"));
}

std::string CommitChecker::Digest() const {
  const absl::uint128 digest = digest_.Finish();
  return absl::StrCat(absl::Hex(absl::Uint128High64(digest), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(digest), absl::kZeroPad16));
}

void CommitChecker::Violation(std::string message) {
  if (violation_.empty()) violation_ = std::move(message);
}

}  // namespace sluice::sim
