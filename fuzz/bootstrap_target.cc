// The bootstrap target (bootstrap_target.h): the base data directory
// (bootstrap_image.h), the input's mutations (bootstrap_program.h), and the oracles.
#include "fuzz/bootstrap_target.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/storage.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/state_codec.h"
#include "core/partition/layout.h"
#include "core/partition/segment_index.h"
#include "core/partition/state_record.h"
#include "core/superblock/superblock_format.h"
#include "core/wire/batch.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"
#include "fuzz/bootstrap_image.h"
#include "fuzz/bootstrap_program.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

namespace image = bootstrap_image;
namespace program = bootstrap_program;
namespace header = wire::header_offset;
namespace sb = superblock::superblock_offset;
using image::BaseFile;
using image::BaseImage;
using image::BasePartition;
using image::Machine;
using program::EntryField;
using program::FileClass;
using program::Mutation;
using program::RecordField;
using program::StateEdit;
using program::SuperblockField;

// Reads the input front to back; past its end every byte reads as zero.
class Reader {
 public:
  explicit Reader(ByteSpan input) : input_(input) {}
  bool done() const { return position_ >= input_.size(); }
  uint8_t U8() { return position_ < input_.size() ? input_[position_++] : 0; }
  uint16_t U16() {
    const uint16_t low = U8();
    const uint16_t high = U8();
    return static_cast<uint16_t>(low | (high << 8));
  }
  uint64_t U64() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 8) value |= uint64_t{U8()} << shift;
    return value;
  }

 private:
  ByteSpan input_;
  size_t position_ = 0;
};

// ---------------------------------------------------------------------------------
// The mutated directory: copy-on-write over the base.

struct File {
  int base = -1;  // the base file whose contents it still shares, or -1
  Bytes own;
  std::string origin;  // with `own`: the base file its bytes started as
};

struct Directory {
  std::map<std::string, File> files;
  std::set<std::string> directories;
  std::vector<std::pair<std::string, uint64_t>> latent;  // (path, offset): reads fail EIO

  // What the mutations did (the oracles' classes).
  bool damaged = false;        // bytes or files damaged without resealing (not index files)
  bool index_damaged = false;  // index files damaged or rewritten
  bool metadata_resealed = false;           // superblock, snapshot, state or WAL edited
  std::set<int> partitions_resealed;        // a partition's files edited and resealed
  std::set<int> partitions_rewritten;       // ... its segment bytes (messages may differ)
  std::set<std::string> removed;            // base files removed
  std::set<std::string> cut;                // base files removed or truncated
  bool only_removed_or_cut = true;          // no other mutation applied
  std::vector<std::string> applied;         // mutation names, in order

  const Bytes& Contents(const File& file) const {
    return file.base >= 0 ? image::Base().files[file.base].contents : file.own;
  }
  const Bytes* Find(const std::string& path) const {
    const auto found = files.find(path);
    return found == files.end() ? nullptr : &Contents(found->second);
  }
  Bytes* Mutable(const std::string& path) {
    const auto found = files.find(path);
    if (found == files.end()) return nullptr;
    File& file = found->second;
    if (file.base >= 0) {
      file.own = image::Base().files[file.base].contents;
      file.origin = image::Base().files[file.base].path;
      file.base = -1;
    }
    return &file.own;
  }
};

const char* MutationName(Mutation mutation) {
  switch (mutation) {
    case Mutation::kFlipBit:
      return "flip_bit";
    case Mutation::kWriteBytes:
      return "write_bytes";
    case Mutation::kZeroRange:
      return "zero_range";
    case Mutation::kTruncate:
      return "truncate";
    case Mutation::kExtend:
      return "extend";
    case Mutation::kRemove:
      return "remove";
    case Mutation::kCopyFile:
      return "copy_file";
    case Mutation::kSwapFiles:
      return "swap_files";
    case Mutation::kCloneAs:
      return "clone_as";
    case Mutation::kLatentError:
      return "latent_error";
    case Mutation::kEditIndex:
      return "edit_index";
    case Mutation::kEditEntry:
      return "edit_entry";
    case Mutation::kResealEntry:
      return "reseal_entry";
    case Mutation::kRelink:
      return "relink";
    case Mutation::kEditRecord:
      return "edit_record";
    case Mutation::kEditSuperblock:
      return "edit_superblock";
    case Mutation::kEditSnapshot:
      return "edit_snapshot";
    case Mutation::kEditState:
      return "edit_state";
    case Mutation::kEditOffsets:
      return "edit_offsets";
    case Mutation::kEditWal:
      return "edit_wal";
    case Mutation::kCount:
      break;
  }
  return "unknown";
}

void StoreU64(MutableByteSpan bytes, size_t at, uint64_t value) {
  if (at + 8 <= bytes.size()) base::StoreLittleEndian<uint64_t>(bytes, at, value);
}
void StoreU32(MutableByteSpan bytes, size_t at, uint64_t value) {
  if (at + 4 <= bytes.size()) {
    base::StoreLittleEndian<uint32_t>(bytes, at, static_cast<uint32_t>(value));
  }
}
void StoreU8(MutableByteSpan bytes, size_t at, uint64_t value) {
  if (at < bytes.size()) bytes[at] = static_cast<uint8_t>(value);
}

// Sets a prepare field (EntryField) in `frame` (a whole frame, or what is left of it).
void SetEntryField(MutableByteSpan frame, EntryField field, uint64_t value) {
  if (frame.size() < wire::kHeaderSize) return;
  const MutableByteSpan body = frame.subspan(wire::kHeaderSize);
  switch (field) {
    case EntryField::kOp:
      return StoreU64(frame, header::kOp, value);
    case EntryField::kCommit:
      return StoreU64(frame, header::kCommit, value);
    case EntryField::kParent:
      return StoreU64(frame, header::kParent, value);
    case EntryField::kTimestamp:
      return StoreU64(frame, header::kTimestamp, value);
    case EntryField::kView:
      return StoreU32(frame, header::kView, value);
    case EntryField::kOperation:
      return StoreU8(frame, header::kOperation, value);
    case EntryField::kSize:
      return StoreU32(frame, header::kSize, value);
    case EntryField::kNamespace:
      return StoreU64(frame, header::kNamespace, value);
    case EntryField::kIncarnation:
      return StoreU64(frame, header::kIncarnation, value);
    case EntryField::kCluster:
      return StoreU64(frame, header::kCluster, value);
    case EntryField::kClient:
      return StoreU64(frame, header::kClient, value);
    case EntryField::kRequest:
      return StoreU64(frame, header::kRequest, value);
    case EntryField::kBodyByte:
      if (!body.empty()) body[(value >> 8) % body.size()] = static_cast<uint8_t>(value);
      return;
    case EntryField::kBatchBaseOffset:
      return StoreU64(body, wire::batch_offset::kBaseOffset, value);
    case EntryField::kBatchBaseTimestamp:
      return StoreU64(body, wire::batch_offset::kBaseTimestamp, value);
    case EntryField::kBatchMessageCount:
      return StoreU32(body, wire::batch_offset::kMessageCount, value);
    case EntryField::kBatchPartitionId:
      return StoreU64(body, wire::batch_offset::kPartitionId, value);
    case EntryField::kCount:
      break;
  }
}

// A prepare rewritten by a writer: its batch (SendMessages) and both checksums
// recomputed over what its size field describes (only the header checksum when the
// size does not fit: the bad size stays visible).
void ResealEntry(MutableByteSpan region) {
  if (region.size() < wire::kHeaderSize) return;
  const uint32_t size = base::LoadLittleEndian<uint32_t>(region, header::kSize);
  if (size < wire::kHeaderSize || size > region.size()) {
    ResealFrame(region.first(wire::kHeaderSize));
    return;
  }
  const MutableByteSpan frame = region.first(size);
  if (frame[header::kOperation] == static_cast<uint8_t>(wire::Operation::kSendMessages)) {
    ResealBatch(frame.subspan(wire::kHeaderSize));
  }
  ResealFrame(frame);
}

void ResealSnapshot(MutableByteSpan snapshot) {
  if (snapshot.size() < metadata::kSnapshotHeaderSize) return;
  base::Checksum128Builder builder;
  builder.Add(snapshot.first(32));
  builder.Add(snapshot.subspan(metadata::kSnapshotHeaderSize));
  base::StoreU128(snapshot, 32, builder.Finish());
}

class Mutator {
 public:
  Mutator() : base_(image::Base()) {
    for (const std::string& directory : base_.directories) dir_.directories.insert(directory);
    for (size_t index = 0; index < base_.files.size(); ++index) {
      dir_.files[base_.files[index].path] = File{.base = static_cast<int>(index)};
    }
  }

  Directory Run(Reader& reader) && {
    for (size_t count = 0; count < program::kMutationsMax && !reader.done(); ++count) {
      const auto kind = static_cast<Mutation>(reader.U8() % program::kMutationKindCount);
      if (Apply(kind, reader)) {
        dir_.applied.push_back(MutationName(kind));
        if (kind != Mutation::kRemove && kind != Mutation::kTruncate) {
          dir_.only_removed_or_cut = false;
        }
      }
    }
    if (dir_.applied.empty()) dir_.only_removed_or_cut = false;
    return std::move(dir_);
  }

 private:
  // A base file named by class and ordinal, if it is still there.
  const BaseFile* FileRef(Reader& reader) {
    const uint8_t class_byte = reader.U8() % program::kFileClassCount;
    const uint8_t ordinal = reader.U8();
    int index = -1;
    if (static_cast<FileClass>(class_byte) == FileClass::kOther) {
      index = static_cast<int>(ordinal % base_.files.size());
    } else {
      const std::vector<int>& of_class = base_.by_class[class_byte];
      if (of_class.empty()) return nullptr;
      index = of_class[ordinal % of_class.size()];
    }
    const BaseFile& file = base_.files[index];
    return dir_.files.contains(file.path) ? &file : nullptr;
  }
  const BaseFile* OfClass(FileClass file_class, uint8_t ordinal) {
    const std::vector<int>& of_class = base_.by_class[static_cast<size_t>(file_class)];
    if (of_class.empty()) return nullptr;
    const BaseFile& file = base_.files[of_class[ordinal % of_class.size()]];
    return dir_.files.contains(file.path) ? &file : nullptr;
  }
  // A position inside a base file's structure (unit, offset).
  static uint64_t Location(const BaseFile& file, Reader& reader) {
    const image::Unit& unit = file.units[program::PickUnit(reader.U16(), file.units.size())];
    const uint16_t offset = reader.U16();
    return unit.begin + (unit.size == 0 ? 0 : offset % unit.size);
  }

  void Damage(const BaseFile& file) {
    if (file.file_class == FileClass::kSegmentIndex) {
      dir_.index_damaged = true;
    } else {
      dir_.damaged = true;
    }
  }
  void Resealed(int partition, bool rewritten) {
    if (partition < 0) return;
    dir_.partitions_resealed.insert(partition);
    if (rewritten) dir_.partitions_rewritten.insert(partition);
  }

  bool Apply(Mutation kind, Reader& reader) {
    switch (kind) {
      case Mutation::kFlipBit: {
        const BaseFile* file = FileRef(reader);
        if (file == nullptr) return Skip(reader, 5);
        const uint64_t position = Location(*file, reader);
        const uint8_t bit = reader.U8() % 8;
        Bytes& bytes = *dir_.Mutable(file->path);
        if (position >= bytes.size()) return false;
        bytes[position] ^= static_cast<uint8_t>(1 << bit);
        Damage(*file);
        return true;
      }
      case Mutation::kWriteBytes: {
        const BaseFile* file = FileRef(reader);
        const uint64_t position = file == nullptr ? 0 : Location(*file, reader);
        if (file == nullptr) Skip(reader, 4);
        Bytes written(reader.U8() % 8 + 1);
        for (uint8_t& byte : written) byte = reader.U8();
        if (file == nullptr) return false;
        Bytes& bytes = *dir_.Mutable(file->path);
        if (position >= bytes.size()) return false;
        const size_t length = std::min<size_t>(written.size(), bytes.size() - position);
        std::copy(written.begin(), written.begin() + length, bytes.begin() + position);
        Damage(*file);
        return true;
      }
      case Mutation::kZeroRange: {
        const BaseFile* file = FileRef(reader);
        if (file == nullptr) return Skip(reader, 6);
        const uint64_t position = Location(*file, reader);
        const uint64_t length = uint64_t{reader.U16()} + 1;
        Bytes& bytes = *dir_.Mutable(file->path);
        if (position >= bytes.size()) return false;
        std::fill(bytes.begin() + position,
                  bytes.begin() + std::min<uint64_t>(bytes.size(), position + length), 0);
        Damage(*file);
        return true;
      }
      case Mutation::kTruncate: {
        const BaseFile* file = FileRef(reader);
        if (file == nullptr) return Skip(reader, 4);
        const uint64_t position = Location(*file, reader);
        Bytes& bytes = *dir_.Mutable(file->path);
        if (position >= bytes.size()) return false;
        bytes.resize(position);
        dir_.cut.insert(file->path);
        Damage(*file);
        return true;
      }
      case Mutation::kExtend: {
        const BaseFile* file = FileRef(reader);
        const uint64_t amount = uint64_t{reader.U16()} + 1;
        const uint8_t fill = reader.U8();
        if (file == nullptr) return false;
        Bytes& bytes = *dir_.Mutable(file->path);
        bytes.resize(bytes.size() + amount, fill);
        Damage(*file);
        return true;
      }
      case Mutation::kRemove: {
        const BaseFile* file = FileRef(reader);
        if (file == nullptr) return false;
        dir_.files.erase(file->path);
        dir_.removed.insert(file->path);
        dir_.cut.insert(file->path);
        Damage(*file);
        return true;
      }
      case Mutation::kCopyFile:
      case Mutation::kSwapFiles: {
        const BaseFile* from = FileRef(reader);
        const BaseFile* to = FileRef(reader);
        if (from == nullptr || to == nullptr || from == to) return false;
        File& a = dir_.files.at(from->path);
        File& b = dir_.files.at(to->path);
        if (kind == Mutation::kSwapFiles) {
          std::swap(a, b);
        } else {
          b = a;
        }
        Damage(*from);
        Damage(*to);
        return true;
      }
      case Mutation::kCloneAs:
        return CloneAs(reader);
      case Mutation::kLatentError: {
        const BaseFile* file = FileRef(reader);
        if (file == nullptr) return Skip(reader, 4);
        const uint64_t position = Location(*file, reader);
        const Bytes* bytes = dir_.Find(file->path);
        if (position >= bytes->size()) return false;
        dir_.latent.emplace_back(file->path, position);
        Damage(*file);
        return true;
      }
      case Mutation::kEditIndex: {
        const BaseFile* file = OfClass(FileClass::kSegmentIndex, reader.U8());
        const uint64_t entry = reader.U16();
        const uint8_t field = reader.U8() % 4;
        const uint64_t value = reader.U64();
        if (file == nullptr) return false;
        Bytes& bytes = *dir_.Mutable(file->path);
        const uint64_t count = bytes.size() / partition::kIndexEntrySize;
        if (count == 0) return false;
        StoreU64(MutableByteSpan(bytes),
                 program::PickUnit(static_cast<uint16_t>(entry), count) * partition::kIndexEntrySize +
                     field * 8,
                 value);
        dir_.index_damaged = true;
        return true;
      }
      case Mutation::kEditEntry:
      case Mutation::kResealEntry: {
        const BaseFile* file = OfClass(FileClass::kSegmentLog, reader.U8());
        const uint16_t entry = reader.U16();
        EntryField field = EntryField::kCount;
        uint64_t value = 0;
        if (kind == Mutation::kEditEntry) {
          field = static_cast<EntryField>(reader.U8() % program::kEntryFieldCount);
          value = reader.U64();
        }
        if (file == nullptr || file->entries.empty()) return false;
        const image::SegmentEntry& at = file->entries[program::PickUnit(entry, file->entries.size())];
        Bytes& bytes = *dir_.Mutable(file->path);
        if (at.position >= bytes.size()) return false;
        const MutableByteSpan region = MutableByteSpan(bytes).subspan(at.position);
        SetEntryField(region.first(std::min<size_t>(region.size(), at.size)), field, value);
        ResealEntry(region);
        Resealed(file->partition, true);
        return true;
      }
      case Mutation::kRelink: {
        const uint8_t which = reader.U8();
        const int p = static_cast<int>(which % base_.partitions.size());
        absl::uint128 anchor = base_.partitions[p].anchor_parent;
        for (const int index : base_.partitions[p].segment_files) {
          Bytes* bytes = dir_.Mutable(base_.files[index].path);
          if (bytes == nullptr) continue;
          ResealSegment(MutableByteSpan(*bytes), anchor, /*relink=*/true);
          // The next segment links to this one's last entry as it now is.
          absl::uint128 last = anchor;
          const Bytes& now = *bytes;
          size_t position = 0;
          while (now.size() - position >= wire::kHeaderSize) {
            const uint32_t size = base::LoadLittleEndian<uint32_t>(now, position + header::kSize);
            if (size < wire::kHeaderSize || size > now.size() - position) break;
            last = base::LoadU128(now, position + header::kChecksum);
            position += size;
          }
          anchor = last;
        }
        Resealed(p, true);
        return true;
      }
      case Mutation::kEditRecord:
        return EditRecord(reader);
      case Mutation::kEditSuperblock: {
        const uint8_t copies = reader.U8() & 0xF;
        const auto field = static_cast<SuperblockField>(reader.U8() % program::kSuperblockFieldCount);
        const uint64_t value = reader.U64();
        return EditSuperblock(copies == 0 ? 0xF : copies, field, value);
      }
      case Mutation::kEditSnapshot: {
        const uint16_t position = reader.U16();
        const uint8_t value = reader.U8();
        const bool repoint = (reader.U8() & 1) != 0;
        const BaseFile* file = OfClass(FileClass::kSnapshot, 0);
        if (file == nullptr) return false;
        Bytes& bytes = *dir_.Mutable(file->path);
        if (bytes.size() <= metadata::kSnapshotHeaderSize) return false;
        bytes[metadata::kSnapshotHeaderSize +
              position % (bytes.size() - metadata::kSnapshotHeaderSize)] = value;
        ResealSnapshot(MutableByteSpan(bytes));
        if (repoint) Repoint(base::LoadU128(bytes, 32));
        dir_.metadata_resealed = true;
        return true;
      }
      case Mutation::kEditState:
        return EditState(reader);
      case Mutation::kEditOffsets: {
        const uint8_t which = reader.U8();
        const uint16_t position = reader.U16();
        const uint8_t value = reader.U8();
        const int p = static_cast<int>(which % base_.partitions.size());
        Bytes* bytes = dir_.Mutable(base_.partitions[p].directory + "/consumer_offsets");
        if (bytes == nullptr || bytes->size() <= 16) return false;
        (*bytes)[16 + position % (bytes->size() - 16)] = value;
        ResealConsumerOffsets(MutableByteSpan(*bytes));
        Resealed(p, false);
        return true;
      }
      case Mutation::kEditWal: {
        const uint64_t slot = reader.U8() % image::kWalSlots;
        const auto field = static_cast<EntryField>(reader.U8() % program::kEntryFieldCount);
        const uint64_t value = reader.U64();
        const BaseFile* file = OfClass(FileClass::kWal, 0);
        if (file == nullptr) return false;
        Bytes& bytes = *dir_.Mutable(file->path);
        const image::Unit& copy = file->units[slot];
        const image::Unit& prepare = file->units[image::kWalSlots + slot];
        if (prepare.begin + image::kWalMessageSizeMax > bytes.size()) return false;
        const MutableByteSpan region =
            MutableByteSpan(bytes).subspan(prepare.begin, image::kWalMessageSizeMax);
        const uint32_t size = base::LoadLittleEndian<uint32_t>(region, header::kSize);
        SetEntryField(region.first(std::clamp<size_t>(size, wire::kHeaderSize, region.size())),
                      field, value);
        const uint32_t new_size = base::LoadLittleEndian<uint32_t>(region, header::kSize);
        if (new_size >= wire::kHeaderSize && new_size <= region.size()) {
          ResealFrame(region.first(new_size));
        } else {
          ResealFrame(region.first(wire::kHeaderSize));
        }
        std::copy(region.begin(), region.begin() + wire::kHeaderSize,
                  bytes.begin() + static_cast<ptrdiff_t>(copy.begin));
        dir_.metadata_resealed = true;
        return true;
      }
      case Mutation::kCount:
        break;
    }
    SLUICE_UNREACHABLE("mutation kinds are taken mod kMutationKindCount");
  }

  // Consumes the arguments a mutation on a missing file would have read.
  static bool Skip(Reader& reader, int bytes) {
    for (int i = 0; i < bytes; ++i) reader.U8();
    return false;
  }

  bool CloneAs(Reader& reader) {
    const BaseFile* file = FileRef(reader);
    const auto kind = static_cast<program::CloneKind>(reader.U8() % 4);
    const uint16_t value = reader.U16();
    if (file == nullptr) return false;
    const std::string directory(io::ParentOf(file->path));
    const std::string name = file->path.substr(directory.empty() ? 0 : directory.size() + 1);
    std::string path;
    switch (kind) {
      case program::CloneKind::kSegmentLog:
        path = io::JoinPath(directory, partition::SegmentLogName(value));
        break;
      case program::CloneKind::kSegmentIndex:
        path = io::JoinPath(directory, partition::SegmentIndexName(value));
        break;
      case program::CloneKind::kTemporary:
        path = io::JoinPath(directory, name + ".tmp");
        break;
      case program::CloneKind::kStaleIncarnation: {
        uint32_t stream = 0, topic = 0, partition = 0;
        if (file->partition >= 0) {
          const BasePartition& owner = base_.partitions[file->partition];
          stream = owner.stream;
          topic = owner.topic;
          partition = owner.partition;
        }
        const std::string stale =
            partition::PartitionDirectory({stream, topic, partition, value});
        for (std::string parent = stale; !parent.empty();
             parent = std::string(io::ParentOf(parent))) {
          dir_.directories.insert(parent);
        }
        path = io::JoinPath(stale, name);
        break;
      }
    }
    if (path == file->path) return false;
    File copy = dir_.files.at(file->path);
    if (const int existing = base_.FileIndex(path); existing >= 0) {
      Damage(base_.files[existing]);  // a base file overwritten by the clone
    }
    dir_.files[path] = std::move(copy);
    dir_.damaged = true;
    return true;
  }

  bool EditRecord(Reader& reader) {
    const int p = static_cast<int>(reader.U8() % base_.partitions.size());
    const uint8_t slots = reader.U8() % 3;
    const auto field = static_cast<RecordField>(reader.U8() % program::kRecordFieldCount);
    const uint64_t value = reader.U64();
    const BasePartition& owner = base_.partitions[p];
    Bytes* bytes = dir_.Mutable(owner.directory + "/partition.state");
    if (bytes == nullptr) return false;
    bool edited = false;
    for (int which = 0; which < 2; ++which) {
      if (slots != 2 && slots != which) continue;
      const int slot = which == 0 ? owner.newer_slot : 1 - owner.newer_slot;
      const uint64_t begin = slot * partition::kStateSlotSize;
      if (begin + partition::kStateSlotSize > bytes->size()) continue;
      const MutableByteSpan record =
          MutableByteSpan(*bytes).subspan(begin, partition::kStateSlotSize);
      const uint32_t count = base::LoadLittleEndian<uint32_t>(record, 28);
      const uint64_t segment = count == 0 ? 0 : (value >> 48) % std::min<uint64_t>(count, partition::kMaxSegments);
      const uint64_t low = value & ((uint64_t{1} << 48) - 1);
      const size_t segment_at = partition::kStateRecordHeaderSize + 16 * segment;
      switch (field) {
        case RecordField::kSequence:
          StoreU64(record, 32, value);
          break;
        case RecordField::kIncarnation:
          StoreU64(record, 40, value);
          break;
        case RecordField::kNamespace:
          StoreU64(record, 48, value);
          break;
        case RecordField::kCommitWatermark:
          StoreU64(record, 56, value);
          break;
        case RecordField::kAnchorOp:
          StoreU64(record, 64, value);
          break;
        case RecordField::kAnchorParent:
          StoreU64(record, 72, value);
          break;
        case RecordField::kLogEndOp:
          StoreU64(record, 88, value);
          break;
        case RecordField::kSegmentCount:
          StoreU32(record, 28, value % (partition::kMaxSegments + 2));
          break;
        case RecordField::kSegmentFirstOp:
          StoreU64(record, segment_at, low);
          break;
        case RecordField::kSegmentStartOffset:
          StoreU64(record, segment_at + 8, low);
          break;
        case RecordField::kVersion:
          StoreU32(record, 24, value);
          break;
        case RecordField::kDropLastSegment:
          StoreU32(record, 28, count == 0 ? 0 : count - 1);
          break;
        case RecordField::kAppendSegment:
          if (count >= partition::kMaxSegments) break;
          StoreU64(record, partition::kStateRecordHeaderSize + 16 * uint64_t{count}, value & 0xFFFFFFFF);
          StoreU64(record, partition::kStateRecordHeaderSize + 16 * uint64_t{count} + 8, value >> 32);
          StoreU32(record, 28, count + 1);
          break;
        case RecordField::kCount:
          break;
      }
      ResealStateRecord(record);
      edited = true;
    }
    if (edited) Resealed(p, false);
    return edited;
  }

  // Superblock copies edited (a field) and resealed, copy by copy.
  bool EditSuperblock(uint8_t copies, SuperblockField field, uint64_t value) {
    const BaseFile* file = OfClass(FileClass::kSuperblock, 0);
    if (file == nullptr) return false;
    Bytes& bytes = *dir_.Mutable(file->path);
    bool edited = false;
    for (uint8_t copy = 0; copy < superblock::kSuperblockCopyCount; ++copy) {
      if ((copies & (1 << copy)) == 0) continue;
      const uint64_t begin = superblock::SuperblockCopyOffset(copy);
      if (begin + superblock::kSuperblockCopySizeBytes > bytes.size()) continue;
      const MutableByteSpan at =
          MutableByteSpan(bytes).subspan(begin, superblock::kSuperblockCopySizeBytes);
      switch (field) {
        case SuperblockField::kSequence:
          StoreU64(at, sb::kSequence, value);
          break;
        case SuperblockField::kParent:
          StoreU64(at, sb::kParent, value);
          break;
        case SuperblockField::kClusterId:
          StoreU64(at, sb::kClusterId, value);
          break;
        case SuperblockField::kReplicaIndex:
          StoreU8(at, sb::kReplicaIndex, value);
          break;
        case SuperblockField::kReplicaCount:
          StoreU8(at, sb::kReplicaCount, value);
          break;
        case SuperblockField::kStreamBits:
          StoreU8(at, sb::kStreamBits, value);
          break;
        case SuperblockField::kTopicBits:
          StoreU8(at, sb::kTopicBits, value);
          break;
        case SuperblockField::kPartitionBits:
          StoreU8(at, sb::kPartitionBits, value);
          break;
        case SuperblockField::kRecovering:
          StoreU8(at, sb::kRecovering, value);
          break;
        case SuperblockField::kCheckpointOp:
          StoreU64(at, sb::kCheckpointOp, value);
          break;
        case SuperblockField::kCheckpointSnapshotChecksum:
          StoreU64(at, sb::kCheckpointSnapshotChecksum, value);
          break;
        case SuperblockField::kView:
          StoreU32(at, sb::kView, value);
          break;
        case SuperblockField::kMetadataLogView:
          StoreU32(at, sb::kMetadataLogView, value);
          break;
        case SuperblockField::kCommitWatermark:
          StoreU64(at, sb::kCommitWatermark, value);
          break;
        case SuperblockField::kCheckpointPrepareChecksum:
          StoreU64(at, sb::kCheckpointPrepareChecksum, value);
          break;
        case SuperblockField::kFormatVersion:
          StoreU32(at, sb::kFormatVersion, value);
          break;
        case SuperblockField::kCopyIndex:
          StoreU8(at, sb::kCopyIndex, value);
          break;
        case SuperblockField::kCount:
          break;
      }
      ResealSuperblockCopy(at);
      edited = true;
    }
    if (edited) dir_.metadata_resealed = true;
    return edited;
  }

  // Every superblock copy names `checksum` as the checkpoint's snapshot.
  void Repoint(absl::uint128 checksum) {
    Bytes* bytes = dir_.Mutable(std::string(superblock::kSuperblockPath));
    if (bytes == nullptr) return;
    for (uint8_t copy = 0; copy < superblock::kSuperblockCopyCount; ++copy) {
      const uint64_t begin = superblock::SuperblockCopyOffset(copy);
      if (begin + superblock::kSuperblockCopySizeBytes > bytes->size()) continue;
      const MutableByteSpan at =
          MutableByteSpan(*bytes).subspan(begin, superblock::kSuperblockCopySizeBytes);
      base::StoreU128(at, sb::kCheckpointSnapshotChecksum, checksum);
      ResealSuperblockCopy(at);
    }
  }

  bool EditState(Reader& reader) {
    const auto edit = static_cast<StateEdit>(reader.U8() % program::kStateEditCount);
    const uint8_t index = reader.U8();
    const uint64_t value = reader.U64();
    const BaseFile* file = OfClass(FileClass::kSnapshot, 0);
    if (file == nullptr) return false;
    Bytes& bytes = *dir_.Mutable(file->path);
    if (bytes.size() < metadata::kSnapshotHeaderSize) return false;
    // Whatever the snapshot holds now, if it still decodes.
    absl::StatusOr<metadata::MetadataState> state = metadata::DecodeSnapshot(
        bytes, base::LoadLittleEndian<uint64_t>(bytes, 16), base::LoadU128(bytes, 32));
    if (!state.ok()) return false;
    std::vector<std::pair<uint32_t, uint32_t>> topics;
    std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> partitions;
    for (const auto& [s, stream] : state->streams) {
      for (const auto& [t, topic] : stream.topics) {
        topics.emplace_back(s, t);
        for (uint32_t p = 0; p < topic.partitions.size(); ++p) partitions.emplace_back(s, t, p);
      }
    }
    switch (edit) {
      case StateEdit::kRemoveStream: {
        if (state->streams.empty()) return false;
        auto it = state->streams.begin();
        std::advance(it, index % state->streams.size());
        state->streams.erase(it);
        break;
      }
      case StateEdit::kRemoveTopic: {
        if (topics.empty()) return false;
        const auto [s, t] = topics[index % topics.size()];
        state->streams.at(s).topics.erase(t);
        break;
      }
      case StateEdit::kPopPartition: {
        if (topics.empty()) return false;
        const auto [s, t] = topics[index % topics.size()];
        auto& list = state->streams.at(s).topics.at(t).partitions;
        if (list.empty()) return false;
        list.pop_back();
        break;
      }
      case StateEdit::kSetIncarnation: {
        if (partitions.empty()) return false;
        const auto [s, t, p] = partitions[index % partitions.size()];
        state->streams.at(s).topics.at(t).partitions[p].incarnation = value;
        break;
      }
      case StateEdit::kAddPartition: {
        if (topics.empty()) return false;
        const auto [s, t] = topics[index % topics.size()];
        state->streams.at(s).topics.at(t).partitions.push_back({.incarnation = value});
        break;
      }
      case StateEdit::kSetSegmentSize: {
        if (topics.empty()) return false;
        const auto [s, t] = topics[index % topics.size()];
        state->streams.at(s).topics.at(t).settings.segment_size_bytes = value;
        break;
      }
      case StateEdit::kAddPendingDeletion: {
        if (partitions.empty()) return false;
        const auto [s, t, p] = partitions[index % partitions.size()];
        state->pending_steps[state->next_step_id++] = metadata::PendingStep{
            .kind = metadata::StepKind::kDeletePartition, .stream = s, .topic = t,
            .partition = p,
            .incarnation = state->streams.at(s).topics.at(t).partitions[p].incarnation};
        break;
      }
      case StateEdit::kSetLastAppliedOp:
        state->last_applied_op = value;
        break;
      case StateEdit::kCount:
        return false;
    }
    // The encoders assert their preconditions; a state they would refuse is not
    // something a writer could have produced.
    const Bytes encoded_state = metadata::EncodeState(*state);
    if (!metadata::DecodeState(encoded_state).ok()) return false;
    metadata::EncodedSnapshot snapshot = metadata::EncodeSnapshot(*state);
    bytes = std::move(snapshot.bytes);
    Repoint(snapshot.checksum);
    dir_.metadata_resealed = true;
    return true;
  }

  const BaseImage& base_;
  Directory dir_;
};

// ---------------------------------------------------------------------------------
// Booting a directory, and what the boot left.

void Materialize(const Directory& dir, Machine& machine) {
  sim::SimFileSystem& fs = machine.storage.file_system();
  for (const std::string& directory : dir.directories) {
    const absl::Status made = fs.CreateDirectory(directory);
    SLUICE_ASSERT(made.ok(), "materializing ", directory, ": ", made.ToString());
  }
  for (const auto& [path, file] : dir.files) {
    absl::StatusOr<io::FileHandle> handle = fs.Open(path, io::OpenMode::kCreateExclusive);
    SLUICE_ASSERT(handle.ok(), "materializing ", path, ": ", handle.status().ToString());
    const Bytes& contents = dir.Contents(file);
    if (!contents.empty()) {
      const absl::Status written = fs.Write(*handle, 0, contents);
      SLUICE_ASSERT(written.ok(), "materializing ", path, ": ", written.ToString());
    }
    SLUICE_ASSERT(fs.Close(*handle).ok());
  }
  for (const auto& [path, offset] : dir.latent) {
    if (dir.files.contains(path)) {
      SLUICE_ASSERT(machine.storage.InjectLatentSectorError(path, offset).ok());
    }
  }
}

struct PartitionSummary {
  std::string directory;
  uint64_t last_op = 0;
  absl::uint128 last_checksum = 0;
  uint64_t committed_next_offset = 0;
  std::map<std::pair<uint8_t, uint32_t>, uint64_t> consumer_offsets;
  std::vector<partition::SegmentInfo> segments;
  image::PolledPartition polled;
  friend bool operator==(const PartitionSummary& a, const PartitionSummary& b) {
    return a.directory == b.directory && a.last_op == b.last_op &&
           a.last_checksum == b.last_checksum &&
           a.committed_next_offset == b.committed_next_offset &&
           a.consumer_offsets == b.consumer_offsets && a.segments == b.segments &&
           a.polled.messages == b.polled.messages && a.polled.first_offset == b.polled.first_offset;
  }
};

// What one boot reached.
struct Boot {
  absl::Status status;
  std::vector<std::string> decisions;
  std::vector<std::string> warnings;
  Bytes state;  // encoded
  uint64_t last_applied_op = 0;
  std::map<uint64_t, PartitionSummary> partitions;  // by namespace
  absl::uint128 tree_digest = 0;  // every path and file after the boot
};

// Every path under `directory` and every file's contents, read through one reused
// buffer (a copy of the whole tree per boot would dominate the target's time).
void DigestTree(sim::SimFileSystem& fs, const std::string& directory,
                base::Checksum128Builder& builder, Bytes& buffer) {
  absl::StatusOr<std::vector<io::DirectoryEntry>> entries = fs.List(directory);
  SLUICE_ASSERT(entries.ok(), "listing ", directory, ": ", entries.status().ToString());
  std::sort(entries->begin(), entries->end(),
            [](const io::DirectoryEntry& a, const io::DirectoryEntry& b) { return a.name < b.name; });
  for (const io::DirectoryEntry& entry : *entries) {
    const std::string path = io::JoinPath(directory, entry.name);
    builder.Add(base::AsBytes(path));
    if (entry.type == io::EntryType::kDirectory) {
      builder.Add(base::AsBytes("/\n"));
      DigestTree(fs, path, builder, buffer);
      continue;
    }
    builder.Add(base::AsBytes("\n"));
    absl::StatusOr<io::FileHandle> file = fs.Open(path, io::OpenMode::kExisting);
    SLUICE_ASSERT(file.ok(), "opening ", path, ": ", file.status().ToString());
    const absl::StatusOr<uint64_t> size = fs.Size(*file);
    SLUICE_ASSERT(size.ok());
    if (buffer.size() < *size) buffer.resize(*size);
    const absl::StatusOr<size_t> read = fs.Read(*file, 0, MutableByteSpan(buffer).first(*size));
    uint8_t digest[16];
    base::StoreU128(MutableByteSpan(digest), 0,
                    read.ok() ? base::Checksum128(ByteSpan(buffer).first(*read)) : 0);
    builder.Add(ByteSpan(digest));
    SLUICE_ASSERT(fs.Close(*file).ok());
  }
}

absl::uint128 TreeDigest(sim::SimFileSystem& fs) {
  static Bytes* const buffer = new Bytes();
  base::Checksum128Builder builder;
  DigestTree(fs, "", builder, *buffer);
  return builder.Finish();
}

std::string Describe(const Directory& dir) {
  return absl::StrCat("mutations [", absl::StrJoin(dir.applied, ", "), "]");
}

// The invariants of any successful boot (bootstrap_target.h).
void CheckInvariants(const bootstrap::BootedSingleNode& booted, const Boot& boot,
                     Machine& machine, const Directory& dir, bool clamp) {
  const metadata::MetadataState& state = booted.metadata->state();
  const std::string what = Describe(dir);
  SLUICE_ASSERT(state.last_applied_op == booted.metadata->commit_op(), what,
                ": metadata applied op ", state.last_applied_op, ", commit point ",
                booted.metadata->commit_op());
  const absl::StatusOr<metadata::MetadataState> decoded = metadata::DecodeState(boot.state);
  SLUICE_ASSERT(decoded.ok(), what, ": the recovered metadata state breaks its invariants: ",
                decoded.status().ToString());
  size_t count = 0;
  for (const auto& [s, stream] : state.streams) {
    for (const auto& [t, topic] : stream.topics) {
      for (uint32_t p = 0; p < topic.partitions.size(); ++p) {
        ++count;
        const absl::StatusOr<uint64_t> ns =
            metadata::PackNamespace(state.config.widths, {s, t, p});
        SLUICE_ASSERT(ns.ok(), what, ": an unpackable partition id in the recovered metadata");
        const auto found = booted.partitions.find(*ns);
        const std::string directory =
            partition::PartitionDirectory({s, t, p, topic.partitions[p].incarnation});
        SLUICE_ASSERT(found != booted.partitions.end(), what, ": partition ", directory,
                      " of the recovered metadata has no log");
        SLUICE_ASSERT(found->second->directory() == directory, what, ": partition ", directory,
                      " booted from ", found->second->directory());
      }
    }
  }
  SLUICE_ASSERT(booted.partitions.size() == count, what, ": ", booted.partitions.size(),
                " partition logs for ", count, " partitions in the metadata");
  for (const auto& [ns, summary] : boot.partitions) {
    const partition::PartitionLog& log = *booted.partitions.at(ns);
    const std::string& where = summary.directory;
    SLUICE_ASSERT(log.failure().ok(), what, ": ", where, " failed: ", log.failure().ToString());
    SLUICE_ASSERT(log.commit_op() == log.last_op() && log.applied_op() == log.commit_op(), what,
                  ": ", where, " last op ", log.last_op(), " commit ", log.commit_op(),
                  " applied ", log.applied_op(), " (a single node commits what it recovered)");
    SLUICE_ASSERT(summary.polled.ok, what, ": ", where, ": ", summary.polled.problem);
    SLUICE_ASSERT(summary.polled.contiguous, what, ": ", where,
                  ": polled offsets are not contiguous");
    if (!summary.polled.messages.empty()) {
      const uint64_t start = summary.segments.front().start_offset;
      SLUICE_ASSERT(summary.polled.first_offset == start, what, ": ", where,
                    ": the first message has offset ", summary.polled.first_offset,
                    ", the first segment starts at ", start);
      SLUICE_ASSERT(summary.polled.first_offset + summary.polled.messages.size() ==
                        summary.committed_next_offset,
                    what, ": ", where, ": ", summary.polled.messages.size(),
                    " messages polled from offset ", summary.polled.first_offset,
                    ", the committed end is ", summary.committed_next_offset);
    }
    for (const auto& [key, offset] : summary.consumer_offsets) {
      SLUICE_ASSERT(offset < summary.committed_next_offset, what, ": ", where, ": consumer ",
                    key.second, " (kind ", key.first, ") has offset ", offset,
                    " beyond the committed end ", summary.committed_next_offset,
                    clamp ? " although clamping was on" : " (rule B3)");
    }
  }
  // No directory of an incarnation the metadata does not have (unless pending).
  const sim::SimFileSystem& fs = machine.storage.file_system();
  auto list = [&fs](const std::string& path) {
    absl::StatusOr<std::vector<io::DirectoryEntry>> entries = fs.List(path);
    return entries.ok() ? *std::move(entries) : std::vector<io::DirectoryEntry>{};
  };
  for (const io::DirectoryEntry& stream : list("streams")) {
    uint32_t s = 0;
    if (!absl::SimpleAtoi(stream.name, &s)) continue;
    const std::string topics = absl::StrCat("streams/", stream.name, "/topics");
    for (const io::DirectoryEntry& topic : list(topics)) {
      uint32_t t = 0;
      if (!absl::SimpleAtoi(topic.name, &t)) continue;
      const std::string partitions = absl::StrCat(topics, "/", topic.name, "/partitions");
      for (const io::DirectoryEntry& entry : list(partitions)) {
        const std::vector<std::string> parts = absl::StrSplit(entry.name, '-');
        uint32_t p = 0;
        uint64_t incarnation = 0;
        if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &p) ||
            !absl::SimpleAtoi(parts[1], &incarnation)) {
          continue;
        }
        bool current = false;
        if (const auto st = state.streams.find(s); st != state.streams.end()) {
          if (const auto tp = st->second.topics.find(t); tp != st->second.topics.end()) {
            current = p < tp->second.partitions.size() &&
                      tp->second.partitions[p].incarnation == incarnation;
          }
        }
        bool pending = false;
        for (const auto& [id, step] : state.pending_steps) {
          pending |= step.stream == s && step.topic == t && step.partition == p &&
                     step.incarnation == incarnation;
        }
        SLUICE_ASSERT(current || pending, what, ": ", partitions, "/", entry.name,
                      " is left although the metadata has no such incarnation");
      }
    }
  }
}

// The base partition of `directory` if no mutation touched a file under it (every
// base file there is still shared with the base, none was added or removed, and no
// sector there is unreadable).
const BasePartition* Untouched(const Directory& dir, const std::string& directory) {
  const BaseImage& base = image::Base();
  const BasePartition* found = nullptr;
  for (const BasePartition& partition : base.partitions) {
    if (partition.directory == directory) found = &partition;
  }
  if (found == nullptr) return nullptr;
  const std::string prefix = directory + "/";
  for (auto it = dir.files.lower_bound(prefix); it != dir.files.end() &&
                                                absl::StartsWith(it->first, prefix);
       ++it) {
    if (it->second.base < 0 || base.files[it->second.base].path != it->first) return nullptr;
  }
  for (const BaseFile& file : base.files) {
    if (absl::StartsWith(file.path, prefix) && !dir.files.contains(file.path)) return nullptr;
  }
  for (const auto& [path, offset] : dir.latent) {
    if (absl::StartsWith(path, prefix)) return nullptr;
  }
  return found;
}

Boot RunBoot(Machine& machine, const Directory& dir, bool clamp, bool check, bool digest) {
  Boot boot;
  absl::StatusOr<bootstrap::BootedSingleNode> booted =
      machine.Run(bootstrap::BootSingleNode(machine.storage, image::BootOptions(clamp)));
  boot.status = booted.status();
  if (!booted.ok()) return boot;
  boot.decisions = booted->log.decisions;
  boot.warnings = booted->log.warnings;
  boot.state = metadata::EncodeState(booted->metadata->state());
  boot.last_applied_op = booted->metadata->state().last_applied_op;
  for (auto& [ns, log] : booted->partitions) {
    PartitionSummary summary;
    summary.directory = log->directory();
    summary.last_op = log->last_op();
    summary.last_checksum = log->last_checksum();
    summary.committed_next_offset = log->committed_next_offset();
    for (const auto& [key, offset] : log->consumer_offsets().offsets) {
      summary.consumer_offsets[{static_cast<uint8_t>(key.kind), key.id}] = offset;
    }
    summary.segments = log->segments();
    if (const BasePartition* base = Untouched(dir, summary.directory); base != nullptr) {
      // Its files are the base's, byte for byte: recovery reads what the clean boot of
      // the base read, so the poll would read the base's messages (each boot's own
      // polls are checked where a mutation touched the partition).
      summary.polled.messages = base->messages;
    } else {
      summary.polled = image::PollEverything(machine, *log);
    }
    boot.partitions.emplace(ns, std::move(summary));
  }
  if (check) CheckInvariants(*booted, boot, machine, dir, clamp);
  for (auto& [ns, log] : booted->partitions) {
    const absl::Status drained = machine.Run(log->Drain());
    SLUICE_ASSERT(drained.ok(), Describe(dir), ": draining ", log->directory(), " after boot: ",
                  drained.ToString());
  }
  const absl::Status closed = machine.Run(booted->metadata->Close());
  SLUICE_ASSERT(closed.ok(), Describe(dir), ": closing the metadata after boot: ",
                closed.ToString());
  if (digest) boot.tree_digest = TreeDigest(machine.storage.file_system());
  return boot;
}

// ---------------------------------------------------------------------------------
// What the damaged directory still proves (damage-only oracles).

// Whether a bad sector covers part of [begin, begin + size) of `path`.
bool Unreadable(const Directory& dir, const std::string& path, uint64_t begin, uint64_t size) {
  constexpr uint64_t kSector = 4096;  // Machine's sector size
  for (const auto& [bad_path, offset] : dir.latent) {
    if (bad_path == path && offset / kSector >= begin / kSector &&
        offset / kSector <= (begin + size - 1) / kSector) {
      return true;
    }
  }
  return false;
}

// The highest op of partition `p` the mutated directory still proves durable.
uint64_t ProvenOp(const BaseImage& base, const Directory& dir, int p) {
  const BasePartition& partition = base.partitions[p];
  uint64_t proven = 0;
  // A state-record slot still whole: its watermark, and its sealed segments.
  const int record_index = base.FileIndex(partition.directory + "/partition.state");
  if (const Bytes* record = dir.Find(partition.directory + "/partition.state");
      record != nullptr && record_index >= 0) {
    const Bytes& original = base.files[record_index].contents;
    for (int slot = 0; slot < 2; ++slot) {
      const uint64_t begin = slot * partition::kStateSlotSize;
      if (original.size() < begin + partition::kStateSlotSize ||
          record->size() < begin + partition::kStateSlotSize) {
        continue;
      }
      const ByteSpan was = ByteSpan(original).subspan(begin, partition::kStateSlotSize);
      if (!std::equal(was.begin(), was.end(), record->begin() + begin)) continue;
      const absl::StatusOr<partition::StateRecord> decoded = partition::DecodeStateRecord(was);
      if (!decoded.ok()) continue;
      proven = std::max(proven, decoded->commit_watermark);
      proven = std::max(proven, decoded->segments.back().first_op - 1);
    }
  }
  // Base entries still whole where they were: their `commit`.
  for (const int index : partition.segment_files) {
    const BaseFile& file = base.files[index];
    const auto found = dir.files.find(file.path);
    if (found == dir.files.end()) continue;
    const bool shared = found->second.base == index;
    const Bytes& now = dir.Contents(found->second);
    for (const image::SegmentEntry& entry : file.entries) {
      if (!shared) {
        if (entry.position + entry.size > now.size()) continue;
        if (!std::equal(file.contents.begin() + entry.position,
                        file.contents.begin() + entry.position + entry.size,
                        now.begin() + entry.position)) {
          continue;
        }
      }
      if (Unreadable(dir, file.path, entry.position, entry.size)) continue;
      proven = std::max(proven, entry.commit);
    }
  }
  return std::min(proven, partition.last_op);
}

// Messages of partition `p` in ops <= `op`.
uint64_t MessagesThrough(const BaseImage& base, int p, uint64_t op) {
  uint64_t end = 0;
  for (const int index : base.partitions[p].segment_files) {
    for (const image::SegmentEntry& entry : base.files[index].entries) {
      if (entry.op <= op) end = std::max<uint64_t>(end, entry.first_offset + entry.message_count);
    }
  }
  return end;
}

// The highest metadata op the mutated directory still proves committed: the base
// superblock's watermark (a boot that succeeded without a resealed superblock edit
// opened the base version) and the `commit` of every base WAL prepare still whole.
uint64_t ProvenMetadataOp(const BaseImage& base, const Directory& dir) {
  uint64_t proven = base.commit_watermark;
  const int wal_index = base.by_class[static_cast<size_t>(FileClass::kWal)].front();
  const BaseFile& wal = base.files[wal_index];
  const auto found = dir.files.find(wal.path);
  if (found == dir.files.end()) return proven;
  const Bytes& now = dir.Contents(found->second);
  for (uint64_t slot = 0; slot < image::kWalSlots; ++slot) {
    const Bytes& prepare = base.wal_prepares[slot];
    if (prepare.empty()) continue;
    const uint64_t begin = wal.units[image::kWalSlots + slot].begin;
    if (begin + prepare.size() > now.size()) continue;
    if (!std::equal(prepare.begin(), prepare.end(), now.begin() + begin)) continue;
    if (Unreadable(dir, wal.path, begin, prepare.size())) continue;
    proven = std::max(proven, base::LoadLittleEndian<uint64_t>(prepare, header::kCommit));
  }
  return std::min(proven, base.last_op);
}

std::optional<int> BasePartitionOf(const BaseImage& base, const std::string& directory) {
  for (size_t p = 0; p < base.partitions.size(); ++p) {
    if (base.partitions[p].directory == directory) return static_cast<int>(p);
  }
  return std::nullopt;
}

// Nothing altered, invented or (for damage only) lost: bootstrap_target.h.
void CheckAgainstBase(const Boot& boot, const Directory& dir, Machine& machine) {
  const BaseImage& base = image::Base();
  const std::string what = Describe(dir);
  // Metadata.
  if (!dir.metadata_resealed) {
    SLUICE_ASSERT(boot.last_applied_op <= base.last_op, what, ": metadata at op ",
                  boot.last_applied_op, ", beyond the base's last op ", base.last_op);
    const uint64_t proven = ProvenMetadataOp(base, dir);
    SLUICE_ASSERT(boot.last_applied_op >= proven, what, ": metadata recovered up to op ",
                  boot.last_applied_op, " although op ", proven,
                  " is proven committed (rule B7: refuse, never lose it)");
    if (const auto state = base.states.find(boot.last_applied_op); state != base.states.end()) {
      SLUICE_ASSERT(state->second == boot.state, what, ": the metadata recovered at op ",
                    boot.last_applied_op, " differs from the base's state at that op");
    }
  }
  // Partitions. Mutations never remove a directory, and a partition's directory is
  // proof its creating op committed: without a resealed metadata edit every base
  // partition comes back (a lost creating op is a refusal, rule B7).
  if (!dir.metadata_resealed) {
    for (const BasePartition& partition : base.partitions) {
      const auto found = boot.partitions.find(partition.namespace_id);
      SLUICE_ASSERT(found != boot.partitions.end() && found->second.directory == partition.directory,
                    what, ": partition ", partition.directory,
                    " is gone although its directory proves its creating op committed");
    }
  }
  for (const auto& [ns, summary] : boot.partitions) {
    const std::optional<int> p = BasePartitionOf(base, summary.directory);
    if (!p.has_value()) {
      SLUICE_ASSERT(dir.metadata_resealed, what, ": partition ", summary.directory,
                    " was never in the base (invented)");
      continue;
    }
    const BasePartition& original = base.partitions[*p];
    if (!dir.partitions_rewritten.contains(*p)) {
      for (size_t i = 0; i < summary.polled.messages.size(); ++i) {
        const uint64_t offset = summary.polled.first_offset + i;
        SLUICE_ASSERT(offset < original.messages.size() &&
                          summary.polled.messages[i] == original.messages[offset],
                      what, ": ", summary.directory, ": the message recovered at offset ", offset,
                      offset < original.messages.size() ? " is not the original"
                                                        : " was never written (invented)");
      }
    }
    if (!dir.partitions_resealed.contains(*p) && !dir.metadata_resealed) {
      const uint64_t proven = ProvenOp(base, dir, *p);
      const uint64_t required = MessagesThrough(base, *p, proven);
      SLUICE_ASSERT(summary.polled.first_offset == 0 || summary.polled.messages.empty(), what,
                    ": ", summary.directory, " starts at offset ", summary.polled.first_offset);
      SLUICE_ASSERT(summary.polled.messages.size() >= required, what, ": ", summary.directory,
                    ": ", summary.polled.messages.size(), " messages recovered, but op ", proven,
                    " is proven durable and holds messages up to offset ", required,
                    " (rules B5, B7: refuse, never drop them)");
      // Offsets change only by committed stores and deletes (B3): with every entry
      // back, they are the base's — also when another partition's checkpoint was
      // copied over this one's (the checkpoint names its owner).
      if (summary.last_op == original.last_op) {
        SLUICE_ASSERT(summary.consumer_offsets == original.consumer_offsets, what, ": ",
                      summary.directory, ": every entry recovered, yet the consumer offsets "
                      "differ from the base's");
      }
    }
  }
  // Removed files never come back empty where the checkpoint covers them (rule B5):
  // metadata files never, a partition's files when the checkpoint covers its creating
  // op. (A partition created by an op this boot replayed may be created again when
  // nothing shows it was complete; the proven-data check above covers its messages.)
  // Index files are derived data and are rebuilt.
  sim::SimFileSystem& fs = machine.storage.file_system();
  if (!dir.metadata_resealed) {
    for (const std::string& path : dir.removed) {
      const int index = base.FileIndex(path);
      if (index < 0 || base.files[index].file_class == FileClass::kSegmentIndex) continue;
      const int p = base.files[index].partition;
      if (p >= 0 && (dir.partitions_resealed.contains(p) ||
                     base.partitions[p].incarnation > base.checkpoint_op)) {
        continue;
      }
      absl::StatusOr<io::FileHandle> handle = fs.Open(path, io::OpenMode::kExisting);
      if (!handle.ok()) continue;
      (void)fs.Close(*handle);
      SLUICE_ASSERT(false, what, ": ", path,
                    " was removed, yet boot succeeded and it exists again (rule B5: never "
                    "recreated)");
    }
  }
  // Index damage alone always boots, with everything.
  if (!dir.damaged && dir.partitions_resealed.empty() && !dir.metadata_resealed) {
    SLUICE_ASSERT(boot.last_applied_op == base.last_op, what, ": index damage changed the metadata");
    for (size_t p = 0; p < base.partitions.size(); ++p) {
      const auto found = boot.partitions.find(base.partitions[p].namespace_id);
      SLUICE_ASSERT(found != boot.partitions.end() &&
                        found->second.polled.messages == base.partitions[p].messages,
                    what, ": index damage alone lost messages of ", base.partitions[p].directory,
                    " (rule B2: the index is rebuilt from the log)");
    }
  }
}

// ---------------------------------------------------------------------------------

void CheckSame(const Boot& first, const Boot& second, const Directory& dir, absl::string_view how) {
  const std::string what = Describe(dir);
  SLUICE_ASSERT(first.status == second.status, what, ": ", how, ": ", first.status.ToString(),
                " vs ", second.status.ToString());
  if (!first.status.ok()) return;
  SLUICE_ASSERT(first.decisions == second.decisions && first.warnings == second.warnings, what,
                ": ", how, ": the same directory, other decisions");
  SLUICE_ASSERT(first.state == second.state, what, ": ", how, ": other metadata states");
  SLUICE_ASSERT(first.partitions == second.partitions, what, ": ", how, ": other partitions");
  SLUICE_ASSERT(first.tree_digest == second.tree_digest, what, ": ", how,
                ": other files after the boot");
}

// Booting what a boot left: the same node.
void CheckBootingAgain(Machine& machine, const Boot& first, const Directory& dir, bool clamp) {
  machine.storage.RestartProcess();
  const Boot again = RunBoot(machine, dir, clamp, /*check=*/true, /*digest=*/false);
  const std::string what = Describe(dir);
  SLUICE_ASSERT(again.status.ok(), what, ": booting what a successful boot left: ",
                again.status.ToString());
  SLUICE_ASSERT(again.state == first.state, what, ": booting again recovers another metadata state");
  SLUICE_ASSERT(again.partitions.size() == first.partitions.size(), what,
                ": booting again recovers other partitions");
  for (const auto& [ns, summary] : first.partitions) {
    const auto found = again.partitions.find(ns);
    SLUICE_ASSERT(found != again.partitions.end(), what, ": booting again lost ", summary.directory);
    const PartitionSummary& second = found->second;
    SLUICE_ASSERT(second.directory == summary.directory && second.last_op == summary.last_op &&
                      second.last_checksum == summary.last_checksum &&
                      second.committed_next_offset == summary.committed_next_offset &&
                      second.consumer_offsets == summary.consumer_offsets &&
                      second.polled.messages == summary.polled.messages,
                  what, ": booting again recovers ", summary.directory, " differently (last op ",
                  summary.last_op, " -> ", second.last_op, ", end ",
                  summary.committed_next_offset, " -> ", second.committed_next_offset, ")");
  }
}

void Verbose(absl::string_view which, const Directory& dir, const Boot& boot) {
  static const bool verbose = std::getenv("SLUICE_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  std::fprintf(stderr, "%s boot (%s): %s\n", std::string(which).c_str(), Describe(dir).c_str(),
               boot.status.ToString().c_str());
  for (const std::string& decision : boot.decisions) std::fprintf(stderr, "  %s\n", decision.c_str());
  for (const std::string& warning : boot.warnings) {
    std::fprintf(stderr, "  warning: %s\n", warning.c_str());
  }
}

bool Mentions(const std::vector<std::string>& lines, absl::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [text](const std::string& line) { return absl::StrContains(line, text); });
}

void Reached(const Boot& boot, const Directory& dir, DecisionSet* decisions) {
  if (decisions == nullptr) return;
  for (const std::string& name : dir.applied) Reach(decisions, "mutation", name);
  if (!boot.status.ok()) {
    Reach(decisions, "outcome", "refused");
    Reach(decisions, "status",
          absl::AsciiStrToLower(absl::StatusCodeToString(boot.status.code())));
    const absl::string_view message = boot.status.message();
    bool named = false;
    for (size_t at = message.find("B"); at != absl::string_view::npos;
         at = message.find("B", at + 1)) {
      size_t end = at + 1;
      while (end < message.size() && absl::ascii_isdigit(message[end])) ++end;
      if (end == at + 1 || (at > 0 && absl::ascii_isalnum(message[at - 1]))) continue;
      if (end < message.size() && absl::ascii_isalnum(message[end])) continue;
      Reach(decisions, "refused", message.substr(at, end - at));
      named = true;
    }
    if (!named) Reach(decisions, "refused", "no_rule_named");
    return;
  }
  Reach(decisions, "outcome", "ok");
  if (Mentions(boot.warnings, "cutting the uncertain tail")) Reach(decisions, "boot", "tail_cut");
  if (Mentions(boot.decisions, "rebuilt from the log")) Reach(decisions, "boot", "index_rebuilt");
  if (Mentions(boot.decisions, "not listed in the state record; removed")) {
    Reach(decisions, "boot", "stray_removed");
  }
  if (Mentions(boot.decisions, "is not in the recovered metadata)")) {
    Reach(decisions, "boot", "stale_incarnation_removed");
  }
  if (Mentions(boot.decisions, "created now")) Reach(decisions, "boot", "partition_created");
  if (Mentions(boot.decisions, "rewrote and synced")) Reach(decisions, "boot", "tail_rewritten");
  if (Mentions(boot.warnings, "clamped")) Reach(decisions, "boot", "offsets_clamped");
  if (Mentions(boot.decisions, "superblock: copy")) Reach(decisions, "boot", "superblock_repaired");
  if (Mentions(boot.warnings, "wal:")) Reach(decisions, "boot", "wal_warning");
}

// Whether a boot changed what it found beyond rewriting tails it then trusted (rule
// B1 rewrites them at every boot): then booting again is worth checking.
bool Repaired(const Boot& boot) {
  static constexpr absl::string_view kRepairs[] = {
      "cutting the uncertain tail", "rebuilt from the log", "; removed", ": removed",
      "created now", "superblock: copy", "finished the segment step", "clamped"};
  for (const absl::string_view repair : kRepairs) {
    if (Mentions(boot.decisions, repair) || Mentions(boot.warnings, repair)) return true;
  }
  return !boot.warnings.empty();
}

}  // namespace

void CheckBootstrapInput(ByteSpan input, DecisionSet* decisions) {
  Reader reader(input);
  const bool clamp = (reader.U8() & program::kClampFlag) != 0;
  const Directory dir = Mutator().Run(reader);
  const std::string what = Describe(dir);
  // Resealed edits are indistinguishable from writes: for them the oracle is that the
  // same bytes boot the same way (other completion orders), checked on a second disk.
  const bool resealed = dir.metadata_resealed || !dir.partitions_resealed.empty();

  Machine machine(/*seed=*/1);
  Materialize(dir, machine);
  const Boot first = RunBoot(machine, dir, clamp, /*check=*/true, /*digest=*/resealed);
  Verbose("first", dir, first);
  Reached(first, dir, decisions);
  if (!first.status.ok()) {
    SLUICE_ASSERT(!first.status.message().empty(), what, ": a refusal without a message");
    if (dir.only_removed_or_cut) {
      bool named = false;
      for (const std::string& path : dir.cut) {
        named |= absl::StrContains(first.status.message(), path) ||
                 absl::StrContains(first.status.message(), io::ParentOf(path));
      }
      SLUICE_ASSERT(named, what, ": the refusal does not name a removed or truncated file: ",
                    first.status.ToString());
    }
  } else {
    CheckAgainstBase(first, dir, machine);
  }

  if (resealed) {
    Machine other(/*seed=*/2);
    Materialize(dir, other);
    CheckSame(first, RunBoot(other, dir, clamp, /*check=*/false, /*digest=*/true), dir,
              "booted on another seed");
  }
  if (first.status.ok() && dir.latent.empty() && Repaired(first)) {
    CheckBootingAgain(machine, first, dir, clamp);
  }
}

std::vector<std::string> BootstrapDecisionNames() {
  return {
      "outcome:ok",          "outcome:refused",     "refused:B3",
      "refused:B5",          "refused:B6",          "refused:B7",
      "refused:B17",         "boot:tail_cut",       "boot:index_rebuilt",
      "boot:stray_removed",  "boot:stale_incarnation_removed",
      "boot:partition_created",
  };
}

}  // namespace sluice::fuzz
