#pragma once
// Decoding what one slot holds, defensively: recovery reads bytes a crash, a bit
// flip or a fuzzer may have left, so every function here accepts any bytes and
// reports what it found; none asserts on their content.
//
// A slot has two copies of its entry's header (journal_layout.h): the redundant
// header in the headers zone, and the prepare (header + body) in the prepares
// zone. Each copy is classified on its own:
//  - kZero:    its 256 header bytes are all zero — nothing was ever written there
//              (or a truncation cleared it). A torn prepare whose header sector did
//              not land also reads as zero here: with no header nothing names it.
//  - kInvalid: anything else that fails validation (a torn or flipped header or
//              body, an entry of another cluster, group or slot, a read error).
//  - kValid:   a metadata prepare (namespace 0, incarnation 0) of this cluster whose
//              header checksum verifies, with size in [256, message_size_max], an
//              op >= 1 that belongs in this slot (op % slot_count), zero reserved
//              bytes and a replicated operation; for a prepare copy also the body
//              checksum (wire::DecodePrepare).

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/journal/journal_layout.h"
#include "core/wire/header.h"

namespace sluice::journal {

enum class CopyState : uint8_t { kZero, kInvalid, kValid };

struct EntryCopy {
  CopyState state = CopyState::kZero;
  std::string problem;         // kInvalid: why
  wire::PrepareHeader header;  // kValid: its fields
  absl::uint128 checksum = 0;  // kValid: the header checksum (hash-chain link)
  uint32_t size = 0;           // kValid: header + body
};

// The redundant header copy: exactly 256 bytes (asserted: the caller slices them).
EntryCopy DecodeHeaderCopy(ByteSpan header, uint64_t slot, const JournalOptions& options);

// The prepare copy: the slot's message_size_max bytes (fewer if the read came up
// short; missing bytes make it invalid). On kValid, `frame` receives the prepare's
// size bytes (header + body); otherwise it is left empty.
EntryCopy DecodePrepareCopy(ByteSpan slot_bytes, uint64_t slot, const JournalOptions& options,
                            Bytes& frame);

// A copy that could not be read at all (e.g. EIO): kInvalid with `problem`.
EntryCopy UnreadableCopy(std::string problem);

}  // namespace sluice::journal
