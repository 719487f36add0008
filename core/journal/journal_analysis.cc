#include "core/journal/journal_analysis.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace sluice::journal {
namespace {

absl::Status CheckInputs(const std::vector<SlotCopies>& slots, const JournalOptions& options,
                         const RecoveryInputs& inputs) {
  RETURN_IF_ERROR(ValidateJournalOptions(options));
  if (slots.size() != options.slot_count) {
    return absl::InvalidArgumentError(
        absl::StrCat(slots.size(), " slots decoded, the journal has ", options.slot_count));
  }
  if (inputs.checkpoint_op > UINT64_MAX - options.slot_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint op ", inputs.checkpoint_op, " + slot_count overflows"));
  }
  if (inputs.commit_watermark > inputs.checkpoint_op + options.slot_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "commit watermark op ", inputs.commit_watermark, " is beyond checkpoint op ",
        inputs.checkpoint_op, " + ", options.slot_count,
        " slots: the WAL ring cannot hold it (rule B8); the superblock and the WAL disagree"));
  }
  return absl::OkStatus();
}

// Rule B8 keeps ops above C+N out of the ring; a valid one means the WAL was written
// after a newer checkpoint than the one recovery was given.
absl::Status CheckNoFutureOps(const std::vector<SlotCopies>& slots, const JournalLayout& layout,
                              uint64_t checkpoint_op) {
  const uint64_t limit = checkpoint_op + layout.slot_count();
  for (uint64_t slot = 0; slot < slots.size(); ++slot) {
    for (const EntryCopy* copy : {&slots[slot].header, &slots[slot].prepare}) {
      if (copy->state != CopyState::kValid || copy->header.op <= limit) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          kJournalPath, ": ", layout.DescribeSlot(slot), " holds op ", copy->header.op,
          ", beyond checkpoint op ", checkpoint_op, " + ", layout.slot_count(),
          " slots: the WAL was written after a newer checkpoint than the superblock names (rule "
          "B8). Refusing to start; check that the superblock and the WAL belong together."));
    }
  }
  return absl::OkStatus();
}

// Questions 1 and 2 of slot_verdict.h for every op, in op order; fixes A and the
// chain's end.
void ClassifyAndLink(const std::vector<SlotCopies>& slots, const JournalLayout& layout,
                     const RecoveryInputs& inputs, JournalAnalysis& analysis) {
  ChainPosition position{
      .open = true, .previous_checksum = inputs.checkpoint_checksum, .chain_view = 0};
  bool prefix_open = true;
  for (uint64_t op = inputs.checkpoint_op + 1; op <= inputs.checkpoint_op + layout.slot_count();
       ++op) {
    OpAnalysis& entry = analysis.ops.emplace_back();
    entry.op = op;
    entry.slot = layout.SlotOf(op);
    const SlotCopies& copies = slots[entry.slot];
    entry.content = ClassifyContent(copies.header, copies.prepare, op);
    if (entry.content.identity == IdentitySource::kNone) {
      position.open = prefix_open = false;
      continue;
    }
    const EntryCopy& named =
        entry.content.identity == IdentitySource::kPrepare ? copies.prepare : copies.header;
    entry.checksum = named.checksum;
    entry.header = named.header;
    entry.expected_parent = position.previous_checksum;
    entry.link = LinkOf(named.header.parent, named.header.view, position);
    if (entry.link == ChainLink::kLinked) {
      position.previous_checksum = named.checksum;
      position.chain_view = named.header.view;
      analysis.chain_end_op = op;
    } else {
      position.open = false;
    }
    prefix_open = prefix_open && !IsBad(entry.content.content, entry.link);
    if (prefix_open) analysis.prefix_op = op;
  }
}

// E: the watermark, or the highest `commit` of any valid copy.
void FindEvidence(const std::vector<SlotCopies>& slots, JournalAnalysis& analysis) {
  analysis.evidence_op = analysis.commit_watermark;
  for (const SlotCopies& copies : slots) {
    for (const EntryCopy* copy : {&copies.header, &copies.prepare}) {
      if (copy->state != CopyState::kValid || copy->header.commit <= analysis.evidence_op) continue;
      analysis.evidence_op = copy->header.commit;
      analysis.evidence_source_op = copy->header.op;
    }
  }
}

bool ShowsWrite(const OpAnalysis& entry) {
  switch (entry.content.content) {
    case SlotContent::kEmpty:
    case SlotContent::kStale:
      return false;
    case SlotContent::kDamaged:
      return true;
    case SlotContent::kIntact:
    case SlotContent::kHeaderOnly:
      break;
  }
  return entry.link != ChainLink::kStaleView;  // a leftover of a discarded suffix
}

// head, the uncertain tail, every verdict, and the B16 bound.
void DecideRanges(JournalAnalysis& analysis, uint64_t last_ring_op) {
  uint64_t head = std::max({analysis.prefix_op, analysis.chain_end_op, analysis.evidence_op});
  for (const OpAnalysis& entry : analysis.ops) {
    if (ShowsWrite(entry)) head = std::max(head, entry.op);
  }
  analysis.head_op = std::min(head, last_ring_op);
  for (const OpAnalysis& entry : analysis.ops) {
    if (entry.op <= analysis.prefix_op || entry.op > analysis.head_op) continue;
    if (entry.op > analysis.evidence_op && IsBad(entry.content.content, entry.link)) {
      analysis.tail_first_op = entry.op;
      break;
    }
  }
  analysis.commit_op = analysis.commit_watermark;
  for (OpAnalysis& entry : analysis.ops) {
    entry.proven = entry.op <= analysis.evidence_op;
    const OpPlacement placement{.in_prefix = entry.op <= analysis.prefix_op,
                                .beyond_head = entry.op > analysis.head_op,
                                .in_tail = analysis.tail_first_op.has_value() &&
                                           entry.op >= *analysis.tail_first_op &&
                                           entry.op <= analysis.head_op,
                                .proven = entry.proven};
    entry.verdict = DecideVerdict(entry.content.content, entry.link, placement);
    if (entry.link == ChainLink::kLinked) {
      analysis.commit_op = std::max(analysis.commit_op, entry.header.commit);
    }
  }
}

}  // namespace

std::optional<uint64_t> JournalAnalysis::FirstCorruptOp() const {
  if (prefix_op < head_op && prefix_op + 1 <= evidence_op) return prefix_op + 1;
  return std::nullopt;
}

absl::StatusOr<JournalAnalysis> AnalyzeJournal(const std::vector<SlotCopies>& slots,
                                               const JournalOptions& options,
                                               const RecoveryInputs& inputs) {
  RETURN_IF_ERROR(CheckInputs(slots, options, inputs));
  const JournalLayout layout(options);
  RETURN_IF_ERROR(CheckNoFutureOps(slots, layout, inputs.checkpoint_op));
  JournalAnalysis analysis;
  analysis.ops.reserve(layout.slot_count());
  analysis.checkpoint_op = inputs.checkpoint_op;
  // The checkpoint covers only committed ops, so it is a commit watermark too.
  analysis.commit_watermark = std::max(inputs.commit_watermark, inputs.checkpoint_op);
  analysis.prefix_op = analysis.chain_end_op = inputs.checkpoint_op;
  ClassifyAndLink(slots, layout, inputs, analysis);
  FindEvidence(slots, analysis);
  DecideRanges(analysis, inputs.checkpoint_op + layout.slot_count());
  return analysis;
}

std::string ExplainOp(const OpAnalysis& entry) {
  switch (entry.link) {
    case ChainLink::kBroken:
      return absl::StrCat("op ", entry.op, " (view ", entry.header.view, ") has parent ",
                          Hex128(entry.header.parent), ", but op ", entry.op - 1,
                          " of the verified chain has checksum ", Hex128(entry.expected_parent),
                          ": the hash chain is broken");
    case ChainLink::kStaleView:
      return absl::StrCat(
          "op ", entry.op, " from view ", entry.header.view,
          " does not link to the verified chain, which reached a later view: a leftover of "
          "a discarded suffix");
    case ChainLink::kUnlinkable:
      if (entry.content.content == SlotContent::kIntact) {
        return absl::StrCat(
            "op ", entry.op,
            " is whole but cannot be linked: an earlier op of the chain is missing");
      }
      break;
    case ChainLink::kNone:
    case ChainLink::kLinked:
      break;
  }
  if (entry.content.content == SlotContent::kEmpty) return "both copies are zero";
  return entry.content.reason;
}

absl::StatusOr<std::vector<SlotCopies>> DecodeJournalImage(ByteSpan image,
                                                           const JournalOptions& options) {
  RETURN_IF_ERROR(ValidateJournalOptions(options));
  const JournalLayout layout(options);
  if (image.size() != layout.file_size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WAL image of ", image.size(), " bytes, the layout needs ", layout.file_size_bytes()));
  }
  std::vector<SlotCopies> slots(layout.slot_count());
  for (uint64_t slot = 0; slot < layout.slot_count(); ++slot) {
    slots[slot].header = DecodeHeaderCopy(
        image.subspan(layout.HeaderOffset(slot), wire::kHeaderSize), slot, options);
    slots[slot].prepare =
        DecodePrepareCopy(image.subspan(layout.PrepareOffset(slot), layout.message_size_max()),
                          slot, options, slots[slot].frame);
  }
  return slots;
}

}  // namespace sluice::journal
