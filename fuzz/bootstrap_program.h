#pragma once
// The bootstrap target's input: a program of mutations applied to the base data
// directory (bootstrap_image.h) before BootSingleNode runs over it. Every byte string
// is a program (missing bytes read as zero; unknown values are taken modulo their
// range).
//
//   byte 0  flags: bit 0 = boot with clamp_consumer_offsets (rule B3's opt-in)
//   then up to kMutationsMax mutations: an opcode byte (mod kMutationKindCount,
//   Mutation below) followed by its arguments (u16 / u64 little-endian).
//
// Files are named by class and ordinal, so a program keeps meaning the same file
// whatever else changes:   File = class:u8 ordinal:u8
// (class mod FileClass count; kOther = any file, ordinal over every file of the base
// directory, sorted by path; otherwise the ordinal-th file of that class, sorted by
// path). A location inside a file is a structural unit of the base file and an offset
// into it:   Loc = unit:u16 offset:u16
// (unit: PickUnit below — counted from the first unit, or from the last one when bit 15
// is set; offset mod the unit's size). Units: superblock
// copies; WAL header copies (units 0..15) then prepares (16..31); a snapshot's header,
// then 64-byte pieces of its body; state-record slots, the newer first; segment
// entries; 32-byte index entries; the consumer-offsets header, then 13-byte entries.
// A mutation whose file was removed, or whose location lies beyond the file's
// current end, does nothing.
//
// Mutations that reseal (kEditEntry .. kEditWal) recompute every checksum over what
// they touched, as a writer would have: their result passes the checksum gate and
// meets recovery's structural, chain, durability and cross-file checks. The others
// damage bytes or files without fixing anything.

#include <cstddef>
#include <cstdint>

#include "core/base/bytes.h"

namespace sluice::fuzz::bootstrap_program {

// What a file of the data directory is (by its path).
enum class FileClass : uint8_t {
  kSuperblock,
  kWal,
  kSnapshot,
  kStateRecord,
  kSegmentLog,
  kSegmentIndex,
  kConsumerOffsets,
  kOther,  // in a File reference: any file of the base directory
  kCount,
};
inline constexpr uint8_t kFileClassCount = static_cast<uint8_t>(FileClass::kCount);

inline constexpr size_t kMutationsMax = 16;

// A unit (or entry) of `count` > 0: selector mod count from the first, or with bit 15
// set (selector & 0x7FFF) mod count from the last.
inline constexpr uint16_t kFromLast = 0x8000;
inline size_t PickUnit(uint16_t selector, size_t count) {
  const size_t k = (selector & 0x7FFF) % count;
  return (selector & kFromLast) != 0 ? count - 1 - k : k;
}
inline constexpr uint8_t kClampFlag = 1;

enum class Mutation : uint8_t {
  // --- damage (no checksum fixed) ---
  kFlipBit,      // File Loc bit:u8
  kWriteBytes,   // File Loc count:u8 bytes[count % 8 + 1]
  kZeroRange,    // File Loc length:u16                 length + 1 bytes zeroed
  kTruncate,     // File Loc                            the file cut at the location
  kExtend,       // File amount:u16 fill:u8             amount + 1 bytes of fill appended
  kRemove,       // File
  kCopyFile,     // File File                           the second's contents := the first's
  kSwapFiles,    // File File                           contents exchanged
  kCloneAs,      // File kind:u8 value:u16              a copy under a new name (CloneKind)
  kLatentError,  // File Loc                            the sector there reads EIO
  kEditIndex,    // ordinal:u8 entry:u16 field:u8 value:u64   an index entry (PickUnit) rewritten
                 //   (field mod 4: op, base_offset, timestamp, position; the index
                 //   has no checksum: derived data, rule B2)
  // --- resealed edits ---
  kEditEntry,      // ordinal:u8 entry:u16 field:u8 value:u64   a segment entry's (PickUnit) field
                   //   (EntryField), its batch and frame resealed
  kResealEntry,    // ordinal:u8 entry:u16                 a segment entry resealed as is
  kRelink,         // partition:u8                         every segment of the partition
                   //   resealed in order, the chain relinked from the base anchor
  kEditRecord,     // partition:u8 slot:u8 field:u8 value:u64   a state-record field
                   //   (RecordField; slot mod 3: the newer, the older, both), resealed
  kEditSuperblock,  // copies:u8 field:u8 value:u64   superblock copies (bit mask, 0 =
                    //   all four) get a field (SuperblockField), each copy resealed
  kEditSnapshot,    // position:u16 value:u8 repoint:u8   a snapshot body byte, the
                    //   snapshot's checksum recomputed; repoint bit 0: the superblock
                    //   copies name the new checksum (resealed)
  kEditState,       // choice:u8 index:u8 value:u64   the snapshot's state decoded, edited
                    //   (StateEdit), re-encoded, and named by the superblock copies
  kEditOffsets,     // partition:u8 position:u16 value:u8   a consumer-offsets byte, resealed
  kEditWal,         // slot:u8 field:u8 value:u64   a WAL prepare's field (EntryField),
                    //   resealed, its header copy rewritten
  kCount,
};
inline constexpr uint8_t kMutationKindCount = static_cast<uint8_t>(Mutation::kCount);

// kCloneAs: the copy's name, in the file's directory (kind mod 4).
enum class CloneKind : uint8_t {
  kSegmentLog,    // "{value:020}.log"
  kSegmentIndex,  // "{value:020}.index"
  kTemporary,     // "<name>.tmp"
  kStaleIncarnation,  // the same name under ".../partitions/{P}-{value}/" (a directory of
                      // an incarnation the metadata does not have; P from the file's
                      // partition, 0 for files outside partitions)
};

// Fields of a prepare (segment entries, WAL prepares). Header fields take the value
// truncated to their width (128-bit ones in their low half). kBodyByte: body byte
// (value >> 8) mod body size := value & 0xFF. The batch fields apply to SendMessages
// bodies only.
enum class EntryField : uint8_t {
  kOp,
  kCommit,
  kParent,
  kTimestamp,
  kView,
  kOperation,
  kSize,
  kNamespace,
  kIncarnation,
  kCluster,
  kClient,
  kRequest,
  kBodyByte,
  kBatchBaseOffset,
  kBatchBaseTimestamp,
  kBatchMessageCount,
  kBatchPartitionId,
  kCount,
};
inline constexpr uint8_t kEntryFieldCount = static_cast<uint8_t>(EntryField::kCount);

// Fields of a state-record slot (core/partition/state_record.h). For the segment
// fields the segment is (value >> 48) mod its count and the new value value & (2^48 - 1).
enum class RecordField : uint8_t {
  kSequence,
  kIncarnation,
  kNamespace,
  kCommitWatermark,
  kAnchorOp,
  kAnchorParent,
  kLogEndOp,
  kSegmentCount,
  kSegmentFirstOp,
  kSegmentStartOffset,
  kVersion,
  kDropLastSegment,    // segment_count - 1
  kAppendSegment,      // a segment {first_op: value, start_offset: value >> 32} appended
  kCount,
};
inline constexpr uint8_t kRecordFieldCount = static_cast<uint8_t>(RecordField::kCount);

// Fields of a superblock copy (core/superblock/superblock_format.h).
enum class SuperblockField : uint8_t {
  kSequence,
  kParent,
  kClusterId,
  kReplicaIndex,
  kReplicaCount,
  kStreamBits,
  kTopicBits,
  kPartitionBits,
  kRecovering,
  kCheckpointOp,
  kCheckpointSnapshotChecksum,
  kView,
  kMetadataLogView,
  kCommitWatermark,
  kCheckpointPrepareChecksum,
  kFormatVersion,
  kCopyIndex,
  kCount,
};
inline constexpr uint8_t kSuperblockFieldCount = static_cast<uint8_t>(SuperblockField::kCount);

// kEditState: what changes in the checkpoint's state (index picks the stream, topic or
// partition, in id order, mod their count).
enum class StateEdit : uint8_t {
  kRemoveStream,
  kRemoveTopic,
  kPopPartition,         // the topic's last partition
  kSetIncarnation,       // a partition's incarnation := value
  kAddPartition,         // a partition of incarnation value appended to a topic
  kSetSegmentSize,       // a topic's segment size := value
  kAddPendingDeletion,   // a kDeletePartition step naming a partition
  kSetLastAppliedOp,     // the state's op := value (the snapshot then names another op)
  kCount,
};
inline constexpr uint8_t kStateEditCount = static_cast<uint8_t>(StateEdit::kCount);

// Writes a program (make_corpus's seeds, tests).
class ProgramWriter {
 public:
  explicit ProgramWriter(uint8_t flags = 0) : bytes_{flags} {}

  struct File {
    FileClass file_class;
    uint8_t ordinal;
  };
  struct Loc {
    uint16_t unit;
    uint16_t offset;
  };

  ProgramWriter& FlipBit(File file, Loc loc, uint8_t bit) {
    return Op(Mutation::kFlipBit).F(file).L(loc).U8(bit);
  }
  ProgramWriter& WriteBytes(File file, Loc loc, ByteSpan bytes) {
    Op(Mutation::kWriteBytes).F(file).L(loc).U8(static_cast<uint8_t>(bytes.size() - 1));
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  ProgramWriter& ZeroRange(File file, Loc loc, uint16_t length_minus_one) {
    return Op(Mutation::kZeroRange).F(file).L(loc).U16(length_minus_one);
  }
  ProgramWriter& Truncate(File file, Loc loc) { return Op(Mutation::kTruncate).F(file).L(loc); }
  ProgramWriter& Extend(File file, uint16_t amount_minus_one, uint8_t fill) {
    return Op(Mutation::kExtend).F(file).U16(amount_minus_one).U8(fill);
  }
  ProgramWriter& Remove(File file) { return Op(Mutation::kRemove).F(file); }
  ProgramWriter& CopyFile(File from, File to) { return Op(Mutation::kCopyFile).F(from).F(to); }
  ProgramWriter& SwapFiles(File a, File b) { return Op(Mutation::kSwapFiles).F(a).F(b); }
  ProgramWriter& CloneAs(File file, CloneKind kind, uint16_t value) {
    return Op(Mutation::kCloneAs).F(file).U8(static_cast<uint8_t>(kind)).U16(value);
  }
  ProgramWriter& LatentError(File file, Loc loc) {
    return Op(Mutation::kLatentError).F(file).L(loc);
  }
  ProgramWriter& EditIndex(uint8_t ordinal, uint16_t entry, uint8_t field, uint64_t value) {
    return Op(Mutation::kEditIndex).U8(ordinal).U16(entry).U8(field).U64(value);
  }
  ProgramWriter& EditEntry(uint8_t ordinal, uint16_t entry, EntryField field, uint64_t value) {
    return Op(Mutation::kEditEntry).U8(ordinal).U16(entry).U8(static_cast<uint8_t>(field)).U64(value);
  }
  ProgramWriter& ResealEntry(uint8_t ordinal, uint16_t entry) {
    return Op(Mutation::kResealEntry).U8(ordinal).U16(entry);
  }
  ProgramWriter& Relink(uint8_t partition) { return Op(Mutation::kRelink).U8(partition); }
  ProgramWriter& EditRecord(uint8_t partition, uint8_t slot, RecordField field, uint64_t value) {
    return Op(Mutation::kEditRecord).U8(partition).U8(slot).U8(static_cast<uint8_t>(field)).U64(value);
  }
  ProgramWriter& EditSuperblock(uint8_t copies, SuperblockField field, uint64_t value) {
    return Op(Mutation::kEditSuperblock).U8(copies).U8(static_cast<uint8_t>(field)).U64(value);
  }
  ProgramWriter& EditSnapshot(uint16_t position, uint8_t value, bool repoint) {
    return Op(Mutation::kEditSnapshot).U16(position).U8(value).U8(repoint ? 1 : 0);
  }
  ProgramWriter& EditState(StateEdit edit, uint8_t index, uint64_t value) {
    return Op(Mutation::kEditState).U8(static_cast<uint8_t>(edit)).U8(index).U64(value);
  }
  ProgramWriter& EditOffsets(uint8_t partition, uint16_t position, uint8_t value) {
    return Op(Mutation::kEditOffsets).U8(partition).U16(position).U8(value);
  }
  ProgramWriter& EditWal(uint8_t slot, EntryField field, uint64_t value) {
    return Op(Mutation::kEditWal).U8(slot).U8(static_cast<uint8_t>(field)).U64(value);
  }

  const Bytes& bytes() const { return bytes_; }

 private:
  ProgramWriter& Op(Mutation kind) { return U8(static_cast<uint8_t>(kind)); }
  ProgramWriter& F(File file) { return U8(static_cast<uint8_t>(file.file_class)).U8(file.ordinal); }
  ProgramWriter& L(Loc loc) { return U16(loc.unit).U16(loc.offset); }
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

}  // namespace sluice::fuzz::bootstrap_program
