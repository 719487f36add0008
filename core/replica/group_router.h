#pragma once
// GroupRouter: finds the partition group a message or request names, by namespace
// and incarnation — with no silent fallback (rule B10). A namespace with no owner,
// or an owner of another incarnation (a stream or topic recreated under reused ids),
// is refused with an error naming it, and counted; nothing is ever delivered to a
// default group or "shard 0".
//
// Owners are registered when a partition group is built (boot, or the commit of the
// op creating it) and removed when it is deleted. Lookup is a btree map (ordered, so
// iteration — for heartbeats, inspect — is deterministic).

#include <cstdint>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::replica {

struct RouterCounters {
  uint64_t routed = 0;
  uint64_t dropped_no_owner = 0;
  uint64_t dropped_wrong_incarnation = 0;
};

template <typename Group>
class GroupRouter {
 public:
  // Registers the owner of `namespace_id`; asserts it had none (a namespace has one
  // group at a time: the old incarnation is removed before a new one is added).
  void Add(uint64_t namespace_id, uint64_t incarnation, Group* group) {
    SLUICE_ASSERT(group != nullptr, "null group for namespace ", namespace_id);
    const bool added = owners_.emplace(namespace_id, Owner{incarnation, group}).second;
    SLUICE_ASSERT(added, "namespace ", namespace_id, " already has an owner");
  }

  void Remove(uint64_t namespace_id) { owners_.erase(namespace_id); }

  // NotFound (no owner) or FailedPrecondition (another incarnation), each naming the
  // namespace, the incarnations and rule B10.
  absl::StatusOr<Group*> Route(uint64_t namespace_id, uint64_t incarnation) {
    const auto found = owners_.find(namespace_id);
    if (found == owners_.end()) {
      ++counters_.dropped_no_owner;
      return absl::NotFoundError(absl::StrCat("namespace 0x", absl::Hex(namespace_id),
                                              " has no owner on this replica: dropped (rule B10)"));
    }
    if (found->second.incarnation != incarnation) {
      ++counters_.dropped_wrong_incarnation;
      return absl::FailedPreconditionError(absl::StrCat(
          "namespace 0x", absl::Hex(namespace_id), " is incarnation ", found->second.incarnation,
          " here, the message names incarnation ", incarnation, ": dropped (rule B10)"));
    }
    ++counters_.routed;
    return found->second.group;
  }

  size_t size() const { return owners_.size(); }
  const RouterCounters& counters() const { return counters_; }

 private:
  struct Owner {
    uint64_t incarnation = 0;
    Group* group = nullptr;
  };
  absl::btree_map<uint64_t, Owner> owners_;
  RouterCounters counters_;
};

}  // namespace sluice::replica
