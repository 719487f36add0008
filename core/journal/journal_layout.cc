#include "core/journal/journal_layout.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/wire/header.h"

namespace sluice::journal {

absl::Status ValidateJournalOptions(const JournalOptions& options) {
  if (options.slot_count < 2 || options.slot_count > kSlotCountMax) {
    return absl::InvalidArgumentError(absl::StrCat("journal slot_count must be in [2, ",
                                                   kSlotCountMax, "], found ", options.slot_count));
  }
  if (options.message_size_max < kSlotAlignmentBytes ||
      options.message_size_max > kMessageSizeMaxLimit ||
      options.message_size_max % kSlotAlignmentBytes != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "journal message_size_max must be a multiple of ", kSlotAlignmentBytes, " in [",
        kSlotAlignmentBytes, ", ", kMessageSizeMaxLimit, "], found ", options.message_size_max));
  }
  return absl::OkStatus();
}

JournalLayout::JournalLayout(const JournalOptions& options)
    : slot_count_(options.slot_count), message_size_max_(options.message_size_max) {
  SLUICE_ASSERT(ValidateJournalOptions(options).ok(), "journal options not validated");
  const uint64_t headers = slot_count_ * wire::kHeaderSize;
  headers_zone_bytes_ =
      (headers + kZoneAlignmentBytes - 1) / kZoneAlignmentBytes * kZoneAlignmentBytes;
}

uint64_t JournalLayout::HeaderOffset(uint64_t slot) const {
  SLUICE_ASSERT(slot < slot_count_, "slot ", slot, " of ", slot_count_);
  return slot * wire::kHeaderSize;
}

uint64_t JournalLayout::PrepareOffset(uint64_t slot) const {
  SLUICE_ASSERT(slot < slot_count_, "slot ", slot, " of ", slot_count_);
  return headers_zone_bytes_ + slot * message_size_max_;
}

std::string JournalLayout::DescribeSlot(uint64_t slot) const {
  return absl::StrCat("slot ", slot, " (header at offset ", HeaderOffset(slot),
                      ", prepare at offset ", PrepareOffset(slot), ")");
}

std::string Hex128(absl::uint128 value) {
  return absl::StrFormat("0x%016x%016x", absl::Uint128High64(value), absl::Uint128Low64(value));
}

}  // namespace sluice::journal
