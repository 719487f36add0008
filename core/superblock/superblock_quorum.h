#pragma once
// Which superblock version to trust, given what each of the four slots held.
// Pure logic: no I/O, so every combination can be tested directly.
//
// The rule (DESIGN.md "Bootstrap" step 2): take the highest sequence for which at
// least kSuperblockQuorum valid copies hold the identical version. Why this is safe:
// an update writes and syncs copies 0..3 one at a time, so a crash at any point leaves
// at most one copy torn, the copies before it new and the ones after it old — and
// either the old or the new version has at least 2 intact copies. A single valid copy
// with a higher sequence (a stray: its update was cut after one copy, or a misdirected
// or resurrected write) is never trusted alone: the replica never acted on it, since
// it acts on a version only after all four copies are durable.

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "core/superblock/superblock_format.h"

namespace sluice::superblock {

// What one slot gave: a decoded copy, or why it is not one (read error or decode error;
// the message names the copy and its offset).
using CopyReading = absl::StatusOr<DecodedCopy>;
using CopyReadings = std::array<CopyReading, kSuperblockCopyCount>;

struct QuorumDecision {
  DecodedCopy chosen;  // as read from the lowest slot holding the chosen version
  std::array<bool, kSuperblockCopyCount> holds_chosen = {};
  uint8_t agreeing_copies = 0;
};

// Errors (the caller prefixes "no valid superblock: refusing to boot"):
//  - FailedPrecondition: no quorum, and at least kSuperblockQuorum copies were written
//    by a format version this build does not read (the message says so first);
//  - DataLoss: no quorum otherwise, or two different versions each with a quorum at
//    the highest such sequence (impossible from crashes alone; refusing to guess).
// Both list every copy's status: "valid, sequence N, version checksum …" or its error.
absl::StatusOr<QuorumDecision> ChooseSuperblockVersion(const CopyReadings& readings);

// One slot's status for error messages and repair logs.
std::string DescribeReading(const CopyReading& reading, uint8_t slot);

// Why a slot that does not hold the chosen version had to be rewritten, e.g.
// "a stray copy with higher sequence 8 (never trusted alone)".
std::string DescribeMismatch(const CopyReading& reading, uint8_t slot, const DecodedCopy& chosen);

}  // namespace sluice::superblock
