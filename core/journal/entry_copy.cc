#include "core/journal/entry_copy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"

namespace sluice::journal {
namespace {

namespace offset = wire::header_offset;
using base::LoadLittleEndian;
using base::LoadU128;

bool AllZero(ByteSpan bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t byte) { return byte == 0; });
}

EntryCopy Invalid(std::string problem) {
  EntryCopy copy;
  copy.state = CopyState::kInvalid;
  copy.problem = std::move(problem);
  return copy;
}

// The structural checks a header alone allows (no body): wire::DecodePrepare's,
// minus the body checksum, plus the journal's own (group, size bound, slot).
std::string CheckHeaderFields(ByteSpan header, uint64_t slot, const JournalOptions& options) {
  if (header[offset::kCommand] != static_cast<uint8_t>(wire::Command::kPrepare)) {
    return absl::StrCat("command ", static_cast<int>(header[offset::kCommand]),
                        " is not a prepare");
  }
  if (LoadU128(header, offset::kCluster) != options.cluster) {
    return absl::StrCat("cluster ", Hex128(LoadU128(header, offset::kCluster)), ", expected ",
                        Hex128(options.cluster));
  }
  if (!AllZero(header.subspan(offset::kReserved, offset::kCommandSpecific - offset::kReserved)) ||
      !AllZero(header.subspan(offset::kOperationPadding,
                              offset::kNamespace - offset::kOperationPadding)) ||
      !AllZero(
          header.subspan(offset::kPrepareReserved, wire::kHeaderSize - offset::kPrepareReserved))) {
    return "reserved bytes are not zero";
  }
  const uint8_t operation = header[offset::kOperation];
  if (!wire::IsKnownOperation(operation) ||
      !wire::IsReplicatedOperation(static_cast<wire::Operation>(operation))) {
    return absl::StrCat("operation ", static_cast<int>(operation),
                        " is not a replicated operation");
  }
  const uint32_t size = LoadLittleEndian<uint32_t>(header, offset::kSize);
  if (size < wire::kHeaderSize || size > options.message_size_max) {
    return absl::StrCat("size ", size, " outside [256, ", options.message_size_max, "]");
  }
  const wire::PrepareHeader fields = wire::LoadPrepareFields(header);
  if (fields.namespace_id != 0 || fields.incarnation != 0) {
    return absl::StrCat("namespace ", fields.namespace_id, " incarnation ", fields.incarnation,
                        " is not the metadata group (namespace 0, incarnation 0)");
  }
  if (fields.op == 0 || fields.op % options.slot_count != slot) {
    return absl::StrCat("op ", fields.op, " does not belong in slot ", slot);
  }
  if (fields.commit >= fields.op) {
    return absl::StrCat("commit ", fields.commit, " is not below op ", fields.op);
  }
  return "";
}

}  // namespace

EntryCopy UnreadableCopy(std::string problem) { return Invalid(std::move(problem)); }

EntryCopy DecodeHeaderCopy(ByteSpan header, uint64_t slot, const JournalOptions& options) {
  SLUICE_ASSERT(header.size() == wire::kHeaderSize, "header copy of ", header.size(), " bytes");
  if (AllZero(header)) return EntryCopy{};
  const absl::uint128 computed = base::Checksum128(header.subspan(offset::kChecksummedBegin));
  const absl::uint128 stored = LoadU128(header, offset::kChecksum);
  if (computed != stored) {
    return Invalid(absl::StrCat("header checksum mismatch: computed ", Hex128(computed),
                                ", stored ", Hex128(stored)));
  }
  std::string problem = CheckHeaderFields(header, slot, options);
  if (!problem.empty()) return Invalid(std::move(problem));
  EntryCopy copy;
  copy.state = CopyState::kValid;
  copy.header = wire::LoadPrepareFields(header);
  copy.checksum = stored;
  copy.size = LoadLittleEndian<uint32_t>(header, offset::kSize);
  return copy;
}

EntryCopy DecodePrepareCopy(ByteSpan slot_bytes, uint64_t slot, const JournalOptions& options,
                            Bytes& frame) {
  frame.clear();
  if (slot_bytes.size() < wire::kHeaderSize) {
    return Invalid(absl::StrCat("only ", slot_bytes.size(), " bytes readable"));
  }
  EntryCopy copy = DecodeHeaderCopy(slot_bytes.first(wire::kHeaderSize), slot, options);
  if (copy.state != CopyState::kValid) return copy;
  if (copy.size > slot_bytes.size()) {
    return Invalid(
        absl::StrCat("size ", copy.size, " but only ", slot_bytes.size(), " bytes readable"));
  }
  const ByteSpan candidate = slot_bytes.first(copy.size);
  absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(candidate, options.cluster);
  if (!prepare.ok()) return Invalid(std::string(prepare.status().message()));
  frame.assign(candidate.begin(), candidate.end());
  return copy;
}

}  // namespace sluice::journal
