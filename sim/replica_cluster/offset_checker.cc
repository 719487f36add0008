#include "sim/replica_cluster/offset_checker.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace sluice::sim {
namespace {

std::string Name(const partition::ConsumerKey& consumer) {
  return absl::StrCat(consumer.kind == partition::ConsumerKind::kGroup ? "group " : "consumer ", consumer.id);
}

std::string Name(const OffsetChecker::GroupKey& group) { return absl::StrCat(group.first, "/", group.second); }

}  // namespace

std::optional<uint64_t> OffsetChecker::LastSubmitted(const GroupKey& group,
                                                     const partition::ConsumerKey& consumer) const {
  const auto found = groups_.find(group);
  if (found == groups_.end()) return std::nullopt;
  const auto model = found->second.find(consumer);
  if (model == found->second.end() || model->second.submitted.empty()) return std::nullopt;
  return *model->second.submitted.rbegin();
}

void OffsetChecker::Submitted(const GroupKey& group, const partition::ConsumerKey& consumer, uint64_t value) {
  ConsumerModel& model = groups_[group][consumer];
  // The model's premise: a consumer's values increase in submission order.
  SLUICE_ASSERT(model.submitted.empty() || value > *model.submitted.rbegin(), "store of ", value, " after ",
                *model.submitted.rbegin());
  model.submitted.insert(value);
  ++stores_submitted_;
}

void OffsetChecker::Acknowledged(const GroupKey& group, const partition::ConsumerKey& consumer, uint64_t value,
                                 uint64_t op) {
  ConsumerModel& model = groups_[group][consumer];
  SLUICE_ASSERT(model.submitted.contains(value), "acknowledged store of ", value, " was never submitted");
  model.acknowledged_by_op[op] = value;
  model.op_of_value[value] = op;
  ++stores_acknowledged_;
}

void OffsetChecker::Check(uint8_t replica, uint64_t boot, const GroupKey& group, uint64_t applied_op,
                          const GroupOffsets& offsets, std::vector<std::string>& violations) {
  if (forgotten_.contains(group)) return;
  ++checks_;
  const std::string where = absl::StrCat("replica ", int{replica}, ", partition group ", Name(group), " at applied op ",
                                         applied_op, ": ");
  const auto found = groups_.find(group);
  const std::map<partition::ConsumerKey, ConsumerModel> none;
  const std::map<partition::ConsumerKey, ConsumerModel>& models = found == groups_.end() ? none : found->second;
  for (const auto& [consumer, value] : offsets) {
    const auto model = models.find(consumer);
    if (model == models.end() || !model->second.submitted.contains(value)) {
      violations.push_back(absl::StrCat(where, Name(consumer), "'s committed offset is ", value,
                                        ", which no client stored (rule B3: it changes only by a store)"));
      continue;
    }
    const auto acknowledged = model->second.op_of_value.find(value);
    if (acknowledged != model->second.op_of_value.end() && acknowledged->second > applied_op) {
      violations.push_back(absl::StrCat(where, Name(consumer), "'s committed offset is ", value,
                                        ", whose store committed at the later op ", acknowledged->second));
    }
  }
  for (const auto& [consumer, model] : models) {
    // The last acknowledged store at or below the applied op.
    auto last = model.acknowledged_by_op.upper_bound(applied_op);
    if (last == model.acknowledged_by_op.begin()) continue;
    --last;
    const auto held = offsets.find(consumer);
    if (held == offsets.end() || held->second < last->second) {
      violations.push_back(absl::StrCat(
          where, Name(consumer), "'s committed offset is ",
          held == offsets.end() ? std::string("gone") : absl::StrCat(held->second), ", but a store of ", last->second,
          " was acknowledged at op ", last->first, " (rule B3: an acknowledged store was lost or rolled back)"));
    }
  }
  auto [last_seen, fresh] = last_seen_.try_emplace({replica, group}, boot, offsets);
  if (!fresh && last_seen->second.first == boot) {
    for (const auto& [consumer, before] : last_seen->second.second) {
      const auto now = offsets.find(consumer);
      if (now == offsets.end() || now->second < before) {
        violations.push_back(absl::StrCat(where, Name(consumer), "'s committed offset went from ", before, " to ",
                                          now == offsets.end() ? std::string("none") : absl::StrCat(now->second),
                                          " in one process, with no delete or purge (rule B3)"));
      }
    }
  }
  last_seen->second = {boot, offsets};
  const auto [first, inserted] = seen_at_op_.try_emplace({group, applied_op}, replica, offsets);
  if (!inserted && first->second.second != offsets) {
    violations.push_back(absl::StrCat(where, "committed offsets differ from replica ", int{first->second.first},
                                      "'s at the same op (", offsets.size(), " against ",
                                      first->second.second.size(), " consumers)"));
  }
}

}  // namespace sluice::sim
