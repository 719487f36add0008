#include "core/journal/slot_verdict.h"

#include "absl/strings/str_cat.h"

namespace sluice::journal {
namespace {

// A copy relative to the expected op: Z, X, S or E of table 1.
enum class CopyClass : uint8_t { kZero, kInvalid, kOther, kExpected };

CopyClass ClassOf(const EntryCopy& copy, uint64_t expected_op) {
  switch (copy.state) {
    case CopyState::kZero:
      return CopyClass::kZero;
    case CopyState::kInvalid:
      return CopyClass::kInvalid;
    case CopyState::kValid:
      break;
  }
  return copy.header.op == expected_op ? CopyClass::kExpected : CopyClass::kOther;
}

std::string Describe(const char* name, const EntryCopy& copy) {
  switch (copy.state) {
    case CopyState::kZero:
      return absl::StrCat(name, " is zero");
    case CopyState::kInvalid:
      return absl::StrCat(name, " is invalid (", copy.problem, ")");
    case CopyState::kValid:
      break;
  }
  return absl::StrCat(name, " holds op ", copy.header.op, " (view ", copy.header.view,
                      ", checksum ", Hex128(copy.checksum), ")");
}

ContentDecision Decision(SlotContent content, IdentitySource identity, std::string reason) {
  return ContentDecision{content, identity, false, std::move(reason)};
}

// Both copies name the expected op: one version, or two (resolved by view).
ContentDecision BothExpected(const EntryCopy& header, const EntryCopy& prepare) {
  if (header.checksum == prepare.checksum) {
    return Decision(SlotContent::kIntact, IdentitySource::kPrepare, "");
  }
  const std::string both =
      absl::StrCat(Describe("header copy", header), "; ", Describe("prepare", prepare));
  if (prepare.header.view > header.header.view) {
    ContentDecision decision = Decision(SlotContent::kIntact, IdentitySource::kPrepare,
                                        absl::StrCat(both, ": the prepare is the newer version"));
    decision.header_needs_repair = true;
    return decision;
  }
  if (header.header.view > prepare.header.view) {
    return Decision(SlotContent::kHeaderOnly, IdentitySource::kHeader,
                    absl::StrCat(both, ": the newer version's prepare did not land"));
  }
  return Decision(SlotContent::kDamaged, IdentitySource::kNone,
                  absl::StrCat(both, ": two versions in the same view cannot be ordered"));
}

}  // namespace

ContentDecision ClassifyContent(const EntryCopy& header, const EntryCopy& prepare,
                                uint64_t expected_op) {
  const CopyClass h = ClassOf(header, expected_op);
  const CopyClass p = ClassOf(prepare, expected_op);
  const std::string both =
      absl::StrCat(Describe("header copy", header), "; ", Describe("prepare", prepare));
  if (h == CopyClass::kExpected && p == CopyClass::kExpected) return BothExpected(header, prepare);
  if (p == CopyClass::kExpected) {
    ContentDecision decision = Decision(SlotContent::kIntact, IdentitySource::kPrepare,
                                        absl::StrCat(both, ": the prepare is whole"));
    decision.header_needs_repair = true;
    return decision;
  }
  if (h == CopyClass::kExpected) {
    return Decision(SlotContent::kHeaderOnly, IdentitySource::kHeader, both);
  }
  if (h == CopyClass::kInvalid || p == CopyClass::kInvalid) {
    return Decision(SlotContent::kDamaged, IdentitySource::kNone, both);
  }
  if (h == CopyClass::kZero && p == CopyClass::kZero) {
    return Decision(SlotContent::kEmpty, IdentitySource::kNone, "");
  }
  return Decision(SlotContent::kStale, IdentitySource::kNone, both);
}

ChainLink LinkOf(absl::uint128 parent, uint32_t view, const ChainPosition& position) {
  if (position.open && parent == position.previous_checksum) return ChainLink::kLinked;
  if (view < position.chain_view) return ChainLink::kStaleView;
  return position.open ? ChainLink::kBroken : ChainLink::kUnlinkable;
}

SlotVerdict DecideVerdict(SlotContent content, ChainLink link, const OpPlacement& placement) {
  if (placement.in_prefix) return SlotVerdict::kValid;
  if (placement.beyond_head) {
    return content == SlotContent::kEmpty ? SlotVerdict::kEmpty : SlotVerdict::kCollision;
  }
  const bool proven = placement.proven;
  if (content == SlotContent::kIntact &&
      (link == ChainLink::kLinked || link == ChainLink::kUnlinkable)) {
    if (placement.in_tail) return SlotVerdict::kUncertainTail;
    return link == ChainLink::kLinked ? SlotVerdict::kValid : SlotVerdict::kChainBreak;
  }
  if (link == ChainLink::kBroken) return SlotVerdict::kChainBreak;
  if (link == ChainLink::kStaleView) {
    return proven ? SlotVerdict::kCorrupt : SlotVerdict::kCollision;
  }
  switch (content) {
    case SlotContent::kEmpty:
      return proven ? SlotVerdict::kCorrupt : SlotVerdict::kEmpty;
    case SlotContent::kStale:
      return proven ? SlotVerdict::kCorrupt : SlotVerdict::kCollision;
    case SlotContent::kIntact:  // kIntact always has a link other than kNone
    case SlotContent::kHeaderOnly:
    case SlotContent::kDamaged:
      break;
  }
  return proven ? SlotVerdict::kCorrupt : SlotVerdict::kTorn;
}

absl::string_view SlotContentName(SlotContent content) {
  switch (content) {
    case SlotContent::kEmpty:
      return "empty";
    case SlotContent::kStale:
      return "stale";
    case SlotContent::kIntact:
      return "intact";
    case SlotContent::kHeaderOnly:
      return "header only";
    case SlotContent::kDamaged:
      return "damaged";
  }
  return "unknown";
}

absl::string_view ChainLinkName(ChainLink link) {
  switch (link) {
    case ChainLink::kNone:
      return "none";
    case ChainLink::kLinked:
      return "linked";
    case ChainLink::kStaleView:
      return "stale view";
    case ChainLink::kBroken:
      return "broken";
    case ChainLink::kUnlinkable:
      return "unlinkable";
  }
  return "unknown";
}

absl::string_view SlotVerdictName(SlotVerdict verdict) {
  switch (verdict) {
    case SlotVerdict::kValid:
      return "valid";
    case SlotVerdict::kEmpty:
      return "empty";
    case SlotVerdict::kTorn:
      return "torn";
    case SlotVerdict::kCorrupt:
      return "corrupt";
    case SlotVerdict::kChainBreak:
      return "chain break";
    case SlotVerdict::kCollision:
      return "collision";
    case SlotVerdict::kUncertainTail:
      return "uncertain tail";
  }
  return "unknown";
}

}  // namespace sluice::journal
