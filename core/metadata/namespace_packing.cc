#include "core/metadata/namespace_packing.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace sluice::metadata {
namespace {

std::string Show(const NamespaceWidths& widths) {
  return absl::StrCat(widths.stream_bits, "/", widths.topic_bits, "/", widths.partition_bits,
                      " (stream/topic/partition bits)");
}

absl::Status CheckFits(absl::string_view what, uint32_t id, uint8_t bits) {
  if (id < IdLimit(bits)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("rule B9: ", what, " id ", id,
                                                 " does not fit its ", bits,
                                                 "-bit namespace width (at most ",
                                                 IdLimit(bits) - 1, ")"));
}

// The mask of the low `bits` bits; bits <= 63 here (validated widths).
uint64_t LowMask(uint8_t bits) { return (uint64_t{1} << bits) - 1; }

}  // namespace

absl::Status ValidateWidths(const NamespaceWidths& widths) {
  return superblock::ValidateNamespaceWidths(widths);
}

absl::Status CheckWidthsMatchStored(const NamespaceWidths& stored,
                                    const NamespaceWidths& configured) {
  RETURN_IF_ERROR(ValidateWidths(stored), "stored namespace widths");
  RETURN_IF_ERROR(ValidateWidths(configured), "configured namespace widths");
  if (stored == configured) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "rule B9: configured namespace widths ", Show(configured), " differ from the stored ",
      Show(stored), "; widths are fixed at format time, so existing partition namespaces "
      "would be misread"));
}

absl::Status CheckIdsFit(const NamespaceWidths& widths, const PartitionKey& key) {
  RETURN_IF_ERROR(CheckFits("stream", key.stream, widths.stream_bits));
  RETURN_IF_ERROR(CheckFits("topic", key.topic, widths.topic_bits));
  return CheckFits("partition", key.partition, widths.partition_bits);
}

absl::Status CheckStateIdsFit(const MetadataState& state) {
  const NamespaceWidths& widths = state.config.widths;
  RETURN_IF_ERROR(ValidateWidths(widths));
  for (const auto& [stream_id, stream] : state.streams) {
    RETURN_IF_ERROR(CheckFits("stream", stream_id, widths.stream_bits));
    for (const auto& [topic_id, topic] : stream.topics) {
      RETURN_IF_ERROR(CheckFits("topic", topic_id, widths.topic_bits), "in stream ", stream_id);
      // Partition ids are dense: the highest is the count - 1.
      if (topic.partitions.size() > IdLimit(widths.partition_bits)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "rule B9: topic ", stream_id, "/", topic_id, " has ", topic.partitions.size(),
            " partitions; its ", widths.partition_bits, "-bit width holds ",
            IdLimit(widths.partition_bits)));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PackNamespace(const NamespaceWidths& widths, const PartitionKey& key) {
  RETURN_IF_ERROR(ValidateWidths(widths));
  RETURN_IF_ERROR(CheckIdsFit(widths, key));
  const uint8_t topic_shift = widths.partition_bits;
  const uint8_t stream_shift = widths.partition_bits + widths.topic_bits;
  return kPartitionNamespaceBit | (uint64_t{key.stream} << stream_shift) |
         (uint64_t{key.topic} << topic_shift) | uint64_t{key.partition};
}

absl::StatusOr<PartitionKey> UnpackNamespace(const NamespaceWidths& widths,
                                             uint64_t namespace_id) {
  RETURN_IF_ERROR(ValidateWidths(widths));
  if ((namespace_id & kPartitionNamespaceBit) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "namespace ", namespace_id, " has bit 63 clear: not a partition group (rule B9)"));
  }
  const uint8_t used = widths.stream_bits + widths.topic_bits + widths.partition_bits;
  const uint64_t ids = namespace_id & ~kPartitionNamespaceBit;
  if ((ids & ~LowMask(used)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("rule B9: namespace 0x",
                                                   absl::Hex(namespace_id), " sets bits above the ",
                                                   used, " packed id bits of ", Show(widths)));
  }
  PartitionKey key;
  key.partition = static_cast<uint32_t>(ids & LowMask(widths.partition_bits));
  key.topic = static_cast<uint32_t>((ids >> widths.partition_bits) & LowMask(widths.topic_bits));
  key.stream = static_cast<uint32_t>(ids >> (widths.partition_bits + widths.topic_bits));
  // Widths above 32 bits can hold values no u32 id has.
  RETURN_IF_ERROR(CheckIdsFit(widths, key));
  if (((uint64_t{key.stream} << (widths.partition_bits + widths.topic_bits)) |
       (uint64_t{key.topic} << widths.partition_bits) | key.partition) != ids) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rule B9: namespace 0x", absl::Hex(namespace_id), " packs an id wider than 32 bits"));
  }
  return key;
}

}  // namespace sluice::metadata
