#include "core/partition/layout.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace sluice::partition {

std::string PartitionDirectory(const PartitionAddress& address) {
  return absl::StrFormat("streams/%d/topics/%d/partitions/%d-%d", address.stream, address.topic,
                         address.partition, address.incarnation);
}

std::string SegmentLogName(uint64_t first_op) { return absl::StrFormat("%020d.log", first_op); }

std::string SegmentIndexName(uint64_t first_op) { return absl::StrFormat("%020d.index", first_op); }

std::optional<uint64_t> ParseSegmentFileName(absl::string_view name) {
  if (absl::EndsWith(name, ".log")) {
    name.remove_suffix(4);
  } else if (absl::EndsWith(name, ".index")) {
    name.remove_suffix(6);
  } else {
    return std::nullopt;
  }
  uint64_t first_op = 0;
  if (name.size() != 20 || !absl::SimpleAtoi(name, &first_op)) return std::nullopt;
  return first_op;
}

}  // namespace sluice::partition
