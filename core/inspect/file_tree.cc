#include "core/inspect/file_tree.h"

#include <fstream>
#include <iterator>
#include <optional>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/layout.h"
#include "core/partition/state_record.h"

namespace sluice::inspect {
namespace {

// The valid state-record slot with the higher sequence in a partition.state file.
std::optional<partition::StateRecord> NewerRecord(const std::string& bytes) {
  std::optional<partition::StateRecord> newer;
  for (uint64_t slot = 0; slot < 2; ++slot) {
    const uint64_t begin = slot * partition::kStateSlotSize;
    if (bytes.size() < begin + partition::kStateSlotSize) break;
    const absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(
        ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()) + begin, partition::kStateSlotSize));
    if (record.ok() && (!newer.has_value() || record->sequence > newer->sequence)) newer = *record;
  }
  return newer;
}

}  // namespace

FileTree ReadTree(const std::filesystem::path& root) {
  FileTree files;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string relative = std::filesystem::relative(entry.path(), root).string();
    if (entry.is_directory()) {
      files[relative + "/"] = "";
    } else {
      std::ifstream in(entry.path(), std::ios::binary);
      files[relative] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return files;
}

bool SameContent(const std::string& path, const std::string& before, const std::string& after) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (name == partition::kStateRecordName) {
    std::optional<partition::StateRecord> old_record = NewerRecord(before);
    std::optional<partition::StateRecord> new_record = NewerRecord(after);
    if (!old_record.has_value() || !new_record.has_value()) return false;
    if (new_record->commit_watermark < old_record->commit_watermark) return false;
    old_record->sequence = new_record->sequence;
    old_record->commit_watermark = new_record->commit_watermark;
    return *old_record == *new_record;
  }
  if (name == partition::kConsumerOffsetsName) {
    auto decode = [](const std::string& bytes) {
      return partition::DecodeConsumerOffsets(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    };
    const absl::StatusOr<partition::OwnedConsumerOffsets> old_offsets = decode(before);
    const absl::StatusOr<partition::OwnedConsumerOffsets> new_offsets = decode(after);
    // The stores and deletes the log holds above the old checkpoint are folded into
    // the new one; a clamp (rule B3 opt-in) would change offsets too, but it is a
    // warning, and warnings alone make a directory repairable.
    return old_offsets.ok() && new_offsets.ok() && old_offsets->owner == new_offsets->owner &&
           new_offsets->offsets.applied_op >= old_offsets->offsets.applied_op;
  }
  return false;
}

}  // namespace sluice::inspect
