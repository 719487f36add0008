#pragma once
// The input format of the journal_recovery fuzz target (journal_recovery_target.h):
// which valid metadata WAL to start from, the recovery inputs, and a program of
// mutations applied to the WAL's bytes before RecoverJournal reads them. Every byte
// string is a valid program: a missing argument byte reads as zero, and the program
// ends where the input does. make_corpus writes its seeds with ProgramWriter.
//
//   byte 0  base WAL (mod kBaseLogCount; BaseLogKind below)
//   byte 1  flags: bit 0 cluster replica (else single node); bits 1-2 CheckpointMode;
//           bits 3-4 WatermarkMode
//   byte 2  checkpoint argument      byte 3  watermark argument
//   then up to kMutationsMax mutations: an opcode byte (mod kMutationKindCount, Mutation
//   below) followed by its arguments (u16 and u64 little-endian; a slot byte is taken
//   mod the slot count; `copies` selects the slot's header copy (bit 0) and/or its
//   prepare (bit 1), both when neither bit is set).
//
// Mutations that reseal (kEditField, kEditBody, kReseal, kRelink) recompute the
// checksums of what they touched, as a writer would have: what they make passes the
// checksum gate and meets the recovery's structural, chain and durability checks.
// The others damage bytes without fixing checksums.

#include <cstddef>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/journal/journal_layout.h"

namespace sluice::fuzz::journal_program {

// Small on purpose: every input builds and recovers a whole WAL several times.
inline constexpr uint64_t kSlotCount = 8;
inline constexpr uint64_t kMessageSizeMax = 512;
inline constexpr absl::uint128 kJournalCluster =
    absl::MakeUint128(0x5EED'C1A5'7E20'0001, 0x0000'0000'0000'0A11);

inline journal::JournalOptions FuzzJournalOptions() {
  return {
      .cluster = kJournalCluster, .slot_count = kSlotCount, .message_size_max = kMessageSizeMax};
}

// The valid WALs a program starts from, each written by FormatJournal and
// Journal::Append on SimStorage (every append acknowledged before the next unless
// noted; an entry's `commit` is the highest op acknowledged before it was prepared).
enum class BaseLogKind : uint8_t {
  kEmpty,     // formatted, no op
  kThree,     // ops 1..3
  kSixGroup,  // ops 1..3, then ops 4..6 in one group commit (all with commit 3)
  kFullRing,  // ops 1..8: every slot used, the ring needs a checkpoint
  kWrapped,   // ops 1..8, checkpoint (and watermark) at op 6, then ops 9..13
  kViews,     // ops 1..3 in view 0, ops 4..7 in view 2
  kCount,
};
inline constexpr uint8_t kBaseLogCount = static_cast<uint8_t>(BaseLogKind::kCount);

inline constexpr uint8_t kClusterFlag = 1;

// The checkpoint recovery is given (argument: byte 2).
enum class CheckpointMode : uint8_t {
  kBase,                // the base WAL's checkpoint op and its checksum
  kOtherOp,             // op (argument mod (last op + 1)) and its true checksum
  kOtherOpBadChecksum,  // the same op with a wrong checksum
  kNone,                // op 0, checksum 0 (even if the base WAL was checkpointed)
};

// The commit watermark recovery is given (argument: byte 3).
enum class WatermarkMode : uint8_t {
  kBase,      // the base WAL's watermark (its checkpoint op)
  kLastOp,    // the base WAL's last op: everything written is proven durable
  kArgument,  // argument mod (checkpoint op + slot count + 2): may be beyond the ring
  kBasePlus,  // the base WAL's watermark + (argument mod 4)
};

inline constexpr uint8_t Flags(bool cluster, CheckpointMode checkpoint, WatermarkMode watermark) {
  return static_cast<uint8_t>((cluster ? kClusterFlag : 0) |
                              (static_cast<uint8_t>(checkpoint) << 1) |
                              (static_cast<uint8_t>(watermark) << 3));
}

enum class Mutation : uint8_t {
  kFlipBit,      // offset:u16 bit:u8                  one bit of the file
  kZeroRange,    // offset:u16 length:u8               length + 1 bytes zeroed
  kWriteBytes,   // offset:u16 count:u8 bytes[count%16+1]
  kZeroSlot,     // slot:u8 copies:u8                  the copies zeroed (never written)
  kCopySlot,     // from:u8 to:u8 copies:u8            duplicated into another slot
  kSwapSlots,    // a:u8 b:u8 copies:u8
  kEditField,    // slot:u8 copies:u8 field:u8 value:u64, then resealed (Field below);
                 // with both copies, the prepare is edited and resealed and the header
                 // copy becomes its first 256 bytes
  kEditBody,     // slot:u8 position:u8 value:u8       a prepare body byte, resealed,
                 // header copy rewritten
  kReseal,       // slot:u8 copies:u8                  checksums recomputed as they are
  kRelink,       // slot:u8 count:u8                   count % slot_count + 1 slots from
                 // `slot` on, in slot order: each prepare's parent := the previous
                 // one's checksum (the first keeps its parent), resealed, header copy
                 // rewritten
  kResize,       // mode:u8 amount:u16                 the file cut or extended
  kRemove,       //                                    the file removed
  kLatentError,  // offset:u16                         the sector there reads EIO
  kCount,
};
inline constexpr uint8_t kMutationKindCount = static_cast<uint8_t>(Mutation::kCount);
inline constexpr size_t kMutationsMax = 64;

inline constexpr uint8_t kHeaderCopy = 1;
inline constexpr uint8_t kPrepare = 2;
inline constexpr uint8_t kBothCopies = 3;

// The header fields kEditField sets (value truncated to the field's width; the
// 128-bit fields get it in their low half).
enum class Field : uint8_t {
  kOp,
  kCommit,
  kView,
  kParent,
  kTimestamp,
  kOperation,
  kSize,
  kNamespace,
  kIncarnation,
  kCluster,
  kReplica,
  kCommand,
  kClient,
  kRequest,
  kCount,
};
inline constexpr uint8_t kFieldCount = static_cast<uint8_t>(Field::kCount);

// kResize modes.
enum class ResizeMode : uint8_t {
  kShrinkBy,  // size - (amount + 1), at least 0
  kGrowBy,    // size + amount + 1
  kSetTo,     // amount mod size
  kEmpty,     // 0
};

// Writes a program (make_corpus's seeds, tests).
class ProgramWriter {
 public:
  ProgramWriter(BaseLogKind base, bool cluster, CheckpointMode checkpoint = CheckpointMode::kBase,
                uint8_t checkpoint_argument = 0, WatermarkMode watermark = WatermarkMode::kBase,
                uint8_t watermark_argument = 0)
      : bytes_{static_cast<uint8_t>(base), Flags(cluster, checkpoint, watermark),
               checkpoint_argument, watermark_argument} {}

  ProgramWriter& FlipBit(uint16_t offset, uint8_t bit) {
    Op(Mutation::kFlipBit).U16(offset).U8(bit);
    return *this;
  }
  ProgramWriter& ZeroRange(uint16_t offset, uint8_t length_minus_one) {
    Op(Mutation::kZeroRange).U16(offset).U8(length_minus_one);
    return *this;
  }
  ProgramWriter& WriteBytes(uint16_t offset, ByteSpan bytes) {
    Op(Mutation::kWriteBytes).U16(offset).U8(static_cast<uint8_t>(bytes.size() - 1));
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ProgramWriter& ZeroSlot(uint8_t slot, uint8_t copies) {
    Op(Mutation::kZeroSlot).U8(slot).U8(copies);
    return *this;
  }
  ProgramWriter& CopySlot(uint8_t from, uint8_t to, uint8_t copies) {
    Op(Mutation::kCopySlot).U8(from).U8(to).U8(copies);
    return *this;
  }
  ProgramWriter& SwapSlots(uint8_t a, uint8_t b, uint8_t copies) {
    Op(Mutation::kSwapSlots).U8(a).U8(b).U8(copies);
    return *this;
  }
  ProgramWriter& EditField(uint8_t slot, uint8_t copies, Field field, uint64_t value) {
    Op(Mutation::kEditField).U8(slot).U8(copies).U8(static_cast<uint8_t>(field)).U64(value);
    return *this;
  }
  ProgramWriter& EditBody(uint8_t slot, uint8_t position, uint8_t value) {
    Op(Mutation::kEditBody).U8(slot).U8(position).U8(value);
    return *this;
  }
  ProgramWriter& Reseal(uint8_t slot, uint8_t copies) {
    Op(Mutation::kReseal).U8(slot).U8(copies);
    return *this;
  }
  ProgramWriter& Relink(uint8_t slot, uint8_t count_minus_one) {
    Op(Mutation::kRelink).U8(slot).U8(count_minus_one);
    return *this;
  }
  ProgramWriter& Resize(ResizeMode mode, uint16_t amount) {
    Op(Mutation::kResize).U8(static_cast<uint8_t>(mode)).U16(amount);
    return *this;
  }
  ProgramWriter& Remove() {
    Op(Mutation::kRemove);
    return *this;
  }
  ProgramWriter& LatentError(uint16_t offset) {
    Op(Mutation::kLatentError).U16(offset);
    return *this;
  }

  const Bytes& bytes() const { return bytes_; }

 private:
  ProgramWriter& Op(Mutation kind) { return U8(static_cast<uint8_t>(kind)); }
  ProgramWriter& U8(uint8_t value) {
    bytes_.push_back(value);
    return *this;
  }
  ProgramWriter& U16(uint16_t value) {
    return U8(value & 0xFF).U8(static_cast<uint8_t>(value >> 8));
  }
  ProgramWriter& U64(uint64_t value) {
    for (int shift = 0; shift < 64; shift += 8) U8(static_cast<uint8_t>(value >> shift));
    return *this;
  }

  Bytes bytes_;
};

}  // namespace sluice::fuzz::journal_program
