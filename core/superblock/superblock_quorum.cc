#include "core/superblock/superblock_quorum.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"

namespace sluice::superblock {
namespace {

std::string ListReadings(const CopyReadings& readings) {
  std::vector<std::string> parts;
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    parts.push_back(DescribeReading(readings[slot], slot));
  }
  return absl::StrJoin(parts, "; ");
}

// How many valid copies hold the same version as `slot` (itself included).
uint8_t CountAgreeing(const CopyReadings& readings, uint8_t slot) {
  SLUICE_ASSERT(readings[slot].ok());
  uint8_t count = 0;
  for (const CopyReading& other : readings) {
    if (other.ok() && SameVersion(*other, *readings[slot])) ++count;
  }
  SLUICE_ASSERT(count >= 1 && count <= kSuperblockCopyCount);
  return count;
}

absl::Status NoQuorum(const CopyReadings& readings) {
  uint8_t unsupported_versions = 0;
  for (const CopyReading& reading : readings) {
    if (reading.status().code() == absl::StatusCode::kFailedPrecondition) ++unsupported_versions;
  }
  if (unsupported_versions >= kSuperblockQuorum) {
    return absl::FailedPreconditionError(absl::StrCat(
        "superblock written by a format version this build does not read (it reads format "
        "version ",
        kSuperblockFormatVersion, "); use a build that supports it: ", ListReadings(readings)));
  }
  return absl::DataLossError(
      absl::StrCat("no version of ", kSuperblockPath, " is held by ", kSuperblockQuorum,
                   " or more valid, identical copies: ", ListReadings(readings)));
}

}  // namespace

std::string DescribeReading(const CopyReading& reading, uint8_t slot) {
  if (!reading.ok()) return std::string(reading.status().message());
  return absl::StrCat("superblock copy ", slot, " (offset ", SuperblockCopyOffset(slot),
                      "): valid, sequence ", reading->sequence, ", version checksum ",
                      Hex128(reading->version_checksum));
}

std::string DescribeMismatch(const CopyReading& reading, uint8_t slot, const DecodedCopy& chosen) {
  if (!reading.ok()) return std::string(reading.status().message());
  const DecodedCopy& copy = *reading;
  SLUICE_ASSERT(!SameVersion(copy, chosen), "slot ", slot, " holds the chosen version");
  std::string why;
  if (copy.sequence > chosen.sequence) {
    why = "a stray copy with a higher sequence, never trusted alone";
  } else if (copy.sequence == chosen.sequence) {
    why = "a different version with the same sequence";
  } else if (copy.sequence + 1 == chosen.sequence && copy.version_checksum == chosen.parent) {
    why = "the chosen version's parent: an update was cut short";
  } else {
    why = "an older version";
  }
  return absl::StrCat(DescribeReading(reading, slot), " (", why, ")");
}

absl::StatusOr<QuorumDecision> ChooseSuperblockVersion(const CopyReadings& readings) {
  std::optional<uint8_t> best;  // a slot holding the best version so far
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    if (!readings[slot].ok() || CountAgreeing(readings, slot) < kSuperblockQuorum) continue;
    if (!best.has_value() || readings[slot]->sequence > readings[*best]->sequence) {
      best = slot;
    } else if (readings[slot]->sequence == readings[*best]->sequence &&
               !SameVersion(*readings[slot], *readings[*best])) {
      // Two quorums at one sequence: 2 + 2 copies that disagree. Updates never write
      // two versions with one sequence, so something other than a crash did this.
      return absl::DataLossError(
          absl::StrCat("two different versions of ", kSuperblockPath, " both have sequence ",
                       readings[slot]->sequence, " and ", kSuperblockQuorum,
                       " copies each; refusing to pick one: ", ListReadings(readings)));
    }
  }
  if (!best.has_value()) return NoQuorum(readings);

  QuorumDecision decision;
  decision.chosen = *readings[*best];
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    decision.holds_chosen[slot] =
        readings[slot].ok() && SameVersion(*readings[slot], decision.chosen);
    if (decision.holds_chosen[slot]) ++decision.agreeing_copies;
  }
  SLUICE_ASSERT(decision.agreeing_copies >= kSuperblockQuorum);
  SLUICE_ASSERT(decision.holds_chosen[*best]);
  return decision;
}

}  // namespace sluice::superblock
