// The journal_recovery target (journal_recovery_target.h): base WALs written by the
// journal itself, the input's mutations (journal_program.h), and the oracles.
#include "fuzz/journal_recovery_target.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/io/task.h"
#include "core/io/testing/blocking_storage.h"
#include "core/journal/entry_copy.h"
#include "core/journal/format_journal.h"
#include "core/journal/journal.h"
#include "core/journal/journal_analysis.h"
#include "core/journal/journal_layout.h"
#include "core/journal/journal_recovery.h"
#include "core/journal/slot_verdict.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/journal_program.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::fuzz {
namespace {

namespace program = journal_program;
namespace offset = wire::header_offset;
using journal::CopyState;
using journal::EntryCopy;
using journal::JournalAnalysis;
using journal::JournalLayout;
using journal::JournalRecovery;
using journal::RecoveredEntry;
using journal::RecoveryInputs;
using journal::SlotCopies;
using journal::SlotVerdict;
using program::kSlotCount;

inline constexpr uint64_t kSectorSizeBytes = 512;
inline constexpr uint64_t kBaseSeed = 7;
const std::string kWalPath(journal::kJournalPath);

void Check(const absl::Status& status, absl::string_view what) {
  SLUICE_ASSERT(status.ok(), what, ": ", status.ToString());
}

const JournalLayout& Layout() {
  static const JournalLayout* const layout = new JournalLayout(program::FuzzJournalOptions());
  return *layout;
}

// One simulated machine: a loop, its storage, and a synchronous driver for both.
struct Machine {
  explicit Machine(uint64_t seed)
      : storage(loop, {.seed = seed, .sector_size_bytes = kSectorSizeBytes}), disk(storage, loop) {}

  template <typename T>
  T Run(io::Task<T> task) {
    return io::testing::RunTask(loop, std::move(task));
  }
  absl::StatusOr<JournalRecovery> Recover(const RecoveryInputs& inputs) {
    return Run(journal::RecoverJournal(storage, program::FuzzJournalOptions(), inputs));
  }

  sim::SimLoop loop;
  sim::SimStorage storage;
  io::testing::BlockingStorage disk;
};

// ---------------------------------------------------------------------------------
// Base WALs: written once per process by the journal itself.

struct BaseLog {
  Bytes image;
  uint64_t checkpoint_op = 0;  // also its commit watermark
  absl::uint128 checkpoint_checksum = 0;
  uint64_t last_op = 0;
  std::map<uint64_t, Bytes> frames;  // every op appended, overwritten ones too
  std::vector<uint64_t> op_in_slot;  // the op each slot holds (0: none)
};

class BaseLogWriter {
 public:
  BaseLogWriter() : machine_(std::make_unique<Machine>(kBaseSeed)) {
    Check(machine_->Run(journal::FormatJournal(machine_->storage, program::FuzzJournalOptions())),
          "formatting a base WAL");
    absl::StatusOr<JournalRecovery> recovery = machine_->Recover({});
    Check(recovery.status(), "recovering a new base WAL");
    journal_ = std::move(recovery->journal);
    log_.op_in_slot.assign(kSlotCount, 0);
  }

  // Appends `count` ops in view `view` as one group commit and waits for it. Each
  // entry's commit is the highest op acknowledged before the group.
  void AppendGroup(int count, uint32_t view) {
    const uint64_t commit = acknowledged_;
    for (int i = 0; i < count; ++i) {
      wire::PrepareHeader header;
      header.cluster = program::kJournalCluster;
      header.view = view;
      header.parent = journal_->last_checksum();
      header.op = journal_->last_op() + 1;
      header.commit = commit;
      header.timestamp = 1'700'000'000'000'000 + header.op;
      header.operation = wire::Operation::kCreateStream;
      const std::string body = absl::StrCat("stream-", header.op);
      const Bytes frame = wire::EncodePrepare(header, base::AsBytes(body));
      const uint64_t op = header.op;
      Check(journal_->Append(frame,
                             [this, op](absl::Status status) {
                               Check(status, "a base WAL append");
                               acknowledged_ = std::max(acknowledged_, op);
                             }),
            "appending to a base WAL");
      log_.frames[op] = frame;
      log_.op_in_slot[op % kSlotCount] = op;
      log_.last_op = op;
    }
    Check(machine_->Run(journal_->Drain()), "draining a base WAL");
  }
  void AppendEach(int count, uint32_t view) {
    for (int i = 0; i < count; ++i) AppendGroup(1, view);
  }
  void Checkpoint(uint64_t op) {
    Check(journal_->SetCheckpoint(op), "checkpointing a base WAL");
    log_.checkpoint_op = op;
    log_.checkpoint_checksum = journal_->checkpoint_checksum();
  }

  BaseLog Finish() && {
    Check(machine_->Run(journal_->Close()), "closing a base WAL");
    journal_.reset();
    absl::StatusOr<Bytes> image = machine_->disk.ReadFile(kWalPath);
    Check(image.status(), "reading a base WAL");
    SLUICE_ASSERT(image->size() == Layout().file_size_bytes());
    log_.image = *std::move(image);
    return std::move(log_);
  }

 private:
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<journal::Journal> journal_;
  uint64_t acknowledged_ = 0;
  BaseLog log_;
};

BaseLog MakeBaseLog(program::BaseLogKind kind) {
  BaseLogWriter writer;
  switch (kind) {
    case program::BaseLogKind::kEmpty:
      break;
    case program::BaseLogKind::kThree:
      writer.AppendEach(3, 0);
      break;
    case program::BaseLogKind::kSixGroup:
      writer.AppendEach(3, 0);
      writer.AppendGroup(3, 0);
      break;
    case program::BaseLogKind::kFullRing:
      writer.AppendEach(8, 0);
      break;
    case program::BaseLogKind::kWrapped:
      writer.AppendEach(8, 0);
      writer.Checkpoint(6);
      writer.AppendEach(5, 0);
      break;
    case program::BaseLogKind::kViews:
      writer.AppendEach(3, 0);
      writer.AppendEach(4, 2);
      break;
    case program::BaseLogKind::kCount:
      SLUICE_UNREACHABLE("no base WAL kCount");
  }
  return std::move(writer).Finish();
}

const std::vector<BaseLog>& BaseLogs() {
  static const std::vector<BaseLog>* const logs = [] {
    auto* made = new std::vector<BaseLog>();
    for (uint8_t kind = 0; kind < program::kBaseLogCount; ++kind) {
      made->push_back(MakeBaseLog(static_cast<program::BaseLogKind>(kind)));
    }
    return made;
  }();
  return *logs;
}

// ---------------------------------------------------------------------------------
// The input: recovery inputs and mutations.

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
    for (int shift = 0; shift < 64; shift += 8) {
      const uint64_t byte = U8();
      value |= byte << shift;
    }
    return value;
  }

 private:
  ByteSpan input_;
  size_t position_ = 0;
};

RecoveryInputs ChooseInputs(const BaseLog& base, uint8_t flags, uint8_t checkpoint_argument,
                            uint8_t watermark_argument) {
  RecoveryInputs inputs{.checkpoint_op = base.checkpoint_op,
                        .checkpoint_checksum = base.checkpoint_checksum,
                        .commit_watermark = base.checkpoint_op,
                        .single_node = (flags & program::kClusterFlag) == 0};
  const auto checkpoint = static_cast<program::CheckpointMode>((flags >> 1) & 3);
  switch (checkpoint) {
    case program::CheckpointMode::kBase:
      break;
    case program::CheckpointMode::kOtherOp:
    case program::CheckpointMode::kOtherOpBadChecksum: {
      const uint64_t op = checkpoint_argument % (base.last_op + 1);
      inputs.checkpoint_op = op;
      inputs.checkpoint_checksum = op == 0 ? 0 : wire::PrepareChecksum(base.frames.at(op));
      if (checkpoint == program::CheckpointMode::kOtherOpBadChecksum) {
        inputs.checkpoint_checksum ^= 1;
      }
      break;
    }
    case program::CheckpointMode::kNone:
      inputs.checkpoint_op = 0;
      inputs.checkpoint_checksum = 0;
      break;
  }
  switch (static_cast<program::WatermarkMode>((flags >> 3) & 3)) {
    case program::WatermarkMode::kBase:
      break;
    case program::WatermarkMode::kLastOp:
      inputs.commit_watermark = base.last_op;
      break;
    case program::WatermarkMode::kArgument:
      inputs.commit_watermark = watermark_argument % (inputs.checkpoint_op + kSlotCount + 2);
      break;
    case program::WatermarkMode::kBasePlus:
      inputs.commit_watermark = base.checkpoint_op + watermark_argument % 4;
      break;
  }
  return inputs;
}

// The WAL after the mutations, and what the oracles need to know about them.
struct MutatedWal {
  Bytes image;
  // Per slot: the last sealed version of the prepare zone bytes it holds — the base
  // WAL's, or what a sealing mutation left (copies and swaps carry it along with the
  // bytes). A recovered frame must be a prefix of this.
  std::vector<Bytes> sealed;
  // The slot's bytes were sealed by a mutation (not the base WAL's own).
  std::vector<bool> resealed;
  std::vector<uint64_t> latent_offsets;
  bool removed = false;

  bool full_size() const { return image.size() == Layout().file_size_bytes(); }
};

void ResealHeaderChecksum(MutableByteSpan header) {
  base::StoreU128(header, offset::kChecksum,
                  base::Checksum128(header.subspan(offset::kChecksummedBegin,
                                                   wire::kHeaderSize - offset::kChecksummedBegin)));
}

// Both checksums over what the size field describes, or only the header checksum
// when the size does not fit the slot (the bad size stays visible).
void ResealPrepare(MutableByteSpan region) {
  const uint32_t size = base::LoadLittleEndian<uint32_t>(region, offset::kSize);
  if (size < wire::kHeaderSize || size > region.size()) {
    ResealHeaderChecksum(region.first(wire::kHeaderSize));
    return;
  }
  ResealFrame(region.first(size));
}

void SetField(MutableByteSpan header, program::Field field, uint64_t value) {
  using base::StoreLittleEndian;
  switch (field) {
    case program::Field::kOp:
      return StoreLittleEndian<uint64_t>(header, offset::kOp, value);
    case program::Field::kCommit:
      return StoreLittleEndian<uint64_t>(header, offset::kCommit, value);
    case program::Field::kView:
      return StoreLittleEndian<uint32_t>(header, offset::kView, static_cast<uint32_t>(value));
    case program::Field::kParent:
      return StoreLittleEndian<uint64_t>(header, offset::kParent, value);
    case program::Field::kTimestamp:
      return StoreLittleEndian<uint64_t>(header, offset::kTimestamp, value);
    case program::Field::kOperation:
      header[offset::kOperation] = static_cast<uint8_t>(value);
      return;
    case program::Field::kSize:
      return StoreLittleEndian<uint32_t>(header, offset::kSize, static_cast<uint32_t>(value));
    case program::Field::kNamespace:
      return StoreLittleEndian<uint64_t>(header, offset::kNamespace, value);
    case program::Field::kIncarnation:
      return StoreLittleEndian<uint64_t>(header, offset::kIncarnation, value);
    case program::Field::kCluster:
      return StoreLittleEndian<uint64_t>(header, offset::kCluster, value);
    case program::Field::kReplica:
      header[offset::kReplica] = static_cast<uint8_t>(value);
      return;
    case program::Field::kCommand:
      header[offset::kCommand] = static_cast<uint8_t>(value);
      return;
    case program::Field::kClient:
      return StoreLittleEndian<uint64_t>(header, offset::kClient, value);
    case program::Field::kRequest:
      return StoreLittleEndian<uint64_t>(header, offset::kRequest, value);
    case program::Field::kCount:
      break;
  }
  SLUICE_UNREACHABLE("field ", static_cast<int>(field));
}

// Applies the input's mutations to a copy of a base WAL, keeping what the oracles
// need: each slot's last sealed prepare bytes, and the unreadable sectors.
class Mutator {
 public:
  explicit Mutator(const BaseLog& base) {
    wal_.image = base.image;
    for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
      const MutableByteSpan region = Region(slot);
      wal_.sealed.emplace_back(region.begin(), region.end());
    }
    wal_.resealed.assign(kSlotCount, false);
  }

  MutatedWal Run(Reader& reader) && {
    for (size_t count = 0; count < program::kMutationsMax && !reader.done(); ++count) {
      Apply(reader);
    }
    // Bad sectors exist only inside the file as it ends up.
    std::erase_if(wal_.latent_offsets,
                  [this](uint64_t position) { return position >= wal_.image.size(); });
    return std::move(wal_);
  }

 private:
  void Apply(Reader& reader) {
    switch (static_cast<program::Mutation>(reader.U8() % program::kMutationKindCount)) {
      case program::Mutation::kFlipBit: {
        const uint16_t position = reader.U16();
        const uint8_t bit = reader.U8();
        if (!wal_.image.empty()) {
          wal_.image[position % wal_.image.size()] ^= static_cast<uint8_t>(1u << (bit % 8));
        }
        return;
      }
      case program::Mutation::kZeroRange: {
        const uint16_t position = reader.U16();
        const Bytes zeros(size_t{reader.U8()} + 1, 0);
        return Overwrite(position, zeros);
      }
      case program::Mutation::kWriteBytes: {
        const uint16_t position = reader.U16();
        Bytes bytes(reader.U8() % 16 + 1);
        for (uint8_t& byte : bytes) byte = reader.U8();
        return Overwrite(position, bytes);
      }
      case program::Mutation::kZeroSlot: {
        const uint64_t slot = reader.U8() % kSlotCount;
        const uint8_t copies = Copies(reader.U8());
        if (copies & program::kHeaderCopy) Zero(HeaderCopy(slot));
        if (copies & program::kPrepare) Zero(Region(slot));
        return;
      }
      case program::Mutation::kCopySlot:
        return Move(reader, /*swap=*/false);
      case program::Mutation::kSwapSlots:
        return Move(reader, /*swap=*/true);
      case program::Mutation::kEditField:
        return EditField(reader);
      case program::Mutation::kEditBody:
        return EditBody(reader);
      case program::Mutation::kReseal: {
        const uint64_t slot = reader.U8() % kSlotCount;
        const uint8_t copies = Copies(reader.U8());
        if (copies & program::kHeaderCopy && !HeaderCopy(slot).empty()) {
          ResealHeaderChecksum(HeaderCopy(slot));
        }
        if (copies & program::kPrepare) SealPrepare(slot, /*rewrite_header_copy=*/false);
        return;
      }
      case program::Mutation::kRelink:
        return Relink(reader);
      case program::Mutation::kResize:
        return Resize(reader);
      case program::Mutation::kRemove:
        wal_.removed = true;
        return;
      case program::Mutation::kLatentError: {
        const uint16_t position = reader.U16();
        if (!wal_.image.empty()) wal_.latent_offsets.push_back(position % wal_.image.size());
        return;
      }
      case program::Mutation::kCount:
        break;
    }
    SLUICE_UNREACHABLE("mutation kinds are taken mod kMutationKindCount");
  }

  // kCopySlot / kSwapSlots: one slot's copies duplicated into (or exchanged with)
  // another's, checksums untouched (the op does not belong in its new slot). What
  // is known about a prepare's bytes (their sealed version) travels with them.
  void Move(Reader& reader, bool swap) {
    const uint64_t from = reader.U8() % kSlotCount;
    const uint64_t to = reader.U8() % kSlotCount;
    const uint8_t copies = Copies(reader.U8());
    if (copies & program::kHeaderCopy) Transfer(HeaderCopy(from), HeaderCopy(to), swap);
    if (!(copies & program::kPrepare) || from == to || Region(from).empty() || Region(to).empty()) {
      return;
    }
    Transfer(Region(from), Region(to), swap);
    if (swap) {
      std::swap(wal_.sealed[from], wal_.sealed[to]);
      const bool resealed = wal_.resealed[from];
      wal_.resealed[from] = wal_.resealed[to];
      wal_.resealed[to] = resealed;
    } else {
      wal_.sealed[to] = wal_.sealed[from];
      wal_.resealed[to] = wal_.resealed[from];
    }
  }
  static void Transfer(MutableByteSpan from, MutableByteSpan to, bool swap) {
    if (from.empty() || to.empty() || from.data() == to.data()) return;
    if (swap) {
      std::swap_ranges(from.begin(), from.end(), to.begin());
    } else {
      std::copy(from.begin(), from.end(), to.begin());
    }
  }

  void EditField(Reader& reader) {
    const uint64_t slot = reader.U8() % kSlotCount;
    const uint8_t copies = Copies(reader.U8());
    const auto field = static_cast<program::Field>(reader.U8() % program::kFieldCount);
    const uint64_t value = reader.U64();
    if (copies & program::kPrepare) {
      const MutableByteSpan region = Region(slot);
      if (region.empty()) return;
      SetField(region.first(wire::kHeaderSize), field, value);
      SealPrepare(slot, /*rewrite_header_copy=*/copies == program::kBothCopies);
      return;
    }
    const MutableByteSpan header = HeaderCopy(slot);
    if (header.empty()) return;
    SetField(header, field, value);
    ResealHeaderChecksum(header);
  }

  void EditBody(Reader& reader) {
    const uint64_t slot = reader.U8() % kSlotCount;
    const uint8_t position = reader.U8();
    const uint8_t value = reader.U8();
    const MutableByteSpan region = Region(slot);
    if (region.empty()) return;
    const uint32_t size = base::LoadLittleEndian<uint32_t>(region, offset::kSize);
    if (size > wire::kHeaderSize && size <= region.size()) {
      region[wire::kHeaderSize + position % (size - wire::kHeaderSize)] = value;
    }
    SealPrepare(slot, /*rewrite_header_copy=*/true);
  }

  void Relink(Reader& reader) {
    const uint64_t first = reader.U8() % kSlotCount;
    const uint64_t count = reader.U8() % kSlotCount + 1;
    absl::uint128 previous = 0;
    for (uint64_t k = 0; k < count; ++k) {
      const uint64_t slot = (first + k) % kSlotCount;
      const MutableByteSpan region = Region(slot);
      if (region.empty()) return;
      if (k > 0) base::StoreU128(region, offset::kParent, previous);
      SealPrepare(slot, /*rewrite_header_copy=*/true);
      previous = base::LoadU128(region, offset::kChecksum);
    }
  }

  void Resize(Reader& reader) {
    const auto mode = static_cast<program::ResizeMode>(reader.U8() % 4);
    const uint64_t amount = reader.U16();
    const uint64_t size = wal_.image.size();
    uint64_t resized = 0;
    switch (mode) {
      case program::ResizeMode::kShrinkBy:
        resized = size > amount + 1 ? size - amount - 1 : 0;
        break;
      case program::ResizeMode::kGrowBy:
        resized = size + amount + 1;
        break;
      case program::ResizeMode::kSetTo:
        resized = size == 0 ? 0 : amount % size;
        break;
      case program::ResizeMode::kEmpty:
        break;
    }
    wal_.image.resize(resized, 0);
  }

  // Recomputes the prepare's checksums (a writer's rewrite), optionally with its
  // header copy: the slot's sealed bytes are now what it holds.
  void SealPrepare(uint64_t slot, bool rewrite_header_copy) {
    const MutableByteSpan region = Region(slot);
    if (region.empty()) return;
    ResealPrepare(region);
    wal_.sealed[slot].assign(region.begin(), region.end());
    wal_.resealed[slot] = true;
    const MutableByteSpan header = HeaderCopy(slot);
    if (rewrite_header_copy && !header.empty()) {
      std::copy(region.begin(), region.begin() + wire::kHeaderSize, header.begin());
    }
  }

  static uint8_t Copies(uint8_t argument) {
    const uint8_t copies = argument & program::kBothCopies;
    return copies == 0 ? program::kBothCopies : copies;
  }
  // A slot's header copy / prepare zone bytes; empty if the file no longer reaches them.
  MutableByteSpan HeaderCopy(uint64_t slot) {
    return Span(Layout().HeaderOffset(slot), wire::kHeaderSize);
  }
  MutableByteSpan Region(uint64_t slot) {
    return Span(Layout().PrepareOffset(slot), Layout().message_size_max());
  }
  MutableByteSpan Span(uint64_t position, uint64_t length) {
    if (position > wal_.image.size() || length > wal_.image.size() - position) return {};
    return MutableByteSpan(wal_.image).subspan(position, length);
  }
  static void Zero(MutableByteSpan bytes) { std::fill(bytes.begin(), bytes.end(), uint8_t{0}); }
  void Overwrite(uint16_t position, ByteSpan bytes) {
    if (wal_.image.empty()) return;
    const size_t start = position % wal_.image.size();
    const size_t length = std::min(bytes.size(), wal_.image.size() - start);
    std::copy(bytes.begin(), bytes.begin() + length, wal_.image.begin() + start);
  }

  MutatedWal wal_;
};

// ---------------------------------------------------------------------------------
// What recovery must conclude, from the pure analysis of the same bytes.

bool Overlaps(uint64_t begin, uint64_t length, uint64_t sector) {
  const uint64_t sector_begin = sector * kSectorSizeBytes;
  return begin < sector_begin + kSectorSizeBytes && sector_begin < begin + length;
}

bool UnreadableSlot(const MutatedWal& wal, uint64_t slot) {
  return std::any_of(wal.latent_offsets.begin(), wal.latent_offsets.end(), [slot](uint64_t bad) {
    return Overlaps(Layout().PrepareOffset(slot), Layout().message_size_max(),
                    bad / kSectorSizeBytes);
  });
}

// Each slot's copies as RecoverJournal reads them: a full-size image decoded, with
// the copies a bad sector touches unreadable (the headers zone falls back to one
// read per header copy; a prepare is read whole).
std::vector<SlotCopies> DecodeAsRead(const MutatedWal& wal) {
  absl::StatusOr<std::vector<SlotCopies>> slots =
      journal::DecodeJournalImage(wal.image, program::FuzzJournalOptions());
  Check(slots.status(), "decoding a full-size WAL image");
  for (uint64_t bad : wal.latent_offsets) {
    const uint64_t sector = bad / kSectorSizeBytes;
    for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
      if (Overlaps(Layout().HeaderOffset(slot), wire::kHeaderSize, sector)) {
        (*slots)[slot].header = journal::UnreadableCopy("a bad sector");
      }
      if (Overlaps(Layout().PrepareOffset(slot), Layout().message_size_max(), sector)) {
        (*slots)[slot].prepare = journal::UnreadableCopy("a bad sector");
        (*slots)[slot].frame.clear();
      }
    }
  }
  return *std::move(slots);
}

struct Prediction {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::optional<JournalAnalysis> analysis;  // when the WAL was read and analyzed
  std::vector<SlotCopies> slots;            // when read
};

Prediction Predict(const MutatedWal& wal, const RecoveryInputs& inputs) {
  Prediction prediction;
  if (wal.removed) {
    prediction.code = absl::StatusCode::kNotFound;  // rule B5: never recreated
    return prediction;
  }
  if (!wal.full_size()) {
    prediction.code = absl::StatusCode::kFailedPrecondition;
    return prediction;
  }
  prediction.slots = DecodeAsRead(wal);
  absl::StatusOr<JournalAnalysis> analysis =
      journal::AnalyzeJournal(prediction.slots, program::FuzzJournalOptions(), inputs);
  if (!analysis.ok()) {
    prediction.code = analysis.status().code();
    return prediction;
  }
  if (inputs.single_node && analysis->FirstCorruptOp().has_value()) {
    prediction.code = absl::StatusCode::kDataLoss;  // rule B7
  }
  prediction.analysis = *std::move(analysis);
  return prediction;
}

// Whether the slot still holds the base WAL's prepare of `op`, whole and readable.
bool HoldsBaseEntry(const BaseLog& base, const MutatedWal& wal, uint64_t slot, uint64_t op) {
  if (base.op_in_slot[slot] != op || op == 0 || UnreadableSlot(wal, slot)) return false;
  const Bytes& frame = base.frames.at(op);
  const ByteSpan now = ByteSpan(wal.image).subspan(Layout().PrepareOffset(slot), frame.size());
  return std::equal(frame.begin(), frame.end(), now.begin());
}

// The first op a single node must refuse to lose: held by the base WAL, damaged by
// a mutation that did not reseal its slot, and proven durable — by the commit
// watermark, or by the `commit` of a base entry still whole in the WAL (its primary
// had committed every op up to it).
std::optional<uint64_t> DamagedProvenOp(const BaseLog& base, const MutatedWal& wal,
                                        const RecoveryInputs& inputs) {
  if (wal.removed || !wal.full_size()) return std::nullopt;
  uint64_t proven = inputs.commit_watermark;
  for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
    const uint64_t op = base.op_in_slot[slot];
    if (!wal.resealed[slot] && HoldsBaseEntry(base, wal, slot, op)) {
      proven =
          std::max(proven, base::LoadLittleEndian<uint64_t>(base.frames.at(op), offset::kCommit));
    }
  }
  const uint64_t last = std::min(proven, inputs.checkpoint_op + kSlotCount);
  for (uint64_t op = inputs.checkpoint_op + 1; op <= last; ++op) {
    const uint64_t slot = op % kSlotCount;
    if (base.op_in_slot[slot] != op || wal.resealed[slot]) continue;
    if (!HoldsBaseEntry(base, wal, slot, op)) return op;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------
// Oracles on an accepted WAL.

const EntryCopy& CopyNaming(const SlotCopies& copies, bool prepare_whole) {
  return prepare_whole ? copies.prepare : copies.header;
}

void CheckChain(const JournalRecovery& recovery, const RecoveryInputs& inputs,
                const Prediction& prediction) {
  absl::uint128 parent = inputs.checkpoint_checksum;
  uint64_t expected = inputs.checkpoint_op + 1;
  for (const journal::ChainedOp& link : recovery.verified_chain) {
    SLUICE_ASSERT(link.op == expected, "verified chain has op ", link.op, ", expected ", expected);
    const EntryCopy& copy = CopyNaming(prediction.slots[link.op % kSlotCount], link.prepare_whole);
    SLUICE_ASSERT(copy.state == CopyState::kValid && copy.header.op == link.op &&
                      copy.checksum == link.checksum,
                  "verified op ", link.op, " has no valid copy with its checksum");
    SLUICE_ASSERT(copy.header.parent == parent, "verified op ", link.op,
                  " does not link to the op before it");
    parent = link.checksum;
    ++expected;
  }
  const uint64_t kept = recovery.last_op - inputs.checkpoint_op;
  SLUICE_ASSERT(recovery.last_op >= inputs.checkpoint_op && recovery.verified_chain.size() >= kept,
                "last op ", recovery.last_op, " beyond the verified chain");
  for (uint64_t i = 0; i < kept; ++i) {
    SLUICE_ASSERT(recovery.verified_chain[i].prepare_whole, "kept op ",
                  recovery.verified_chain[i].op, " without its prepare");
  }
  const absl::uint128 last_checksum =
      kept == 0 ? inputs.checkpoint_checksum : recovery.verified_chain[kept - 1].checksum;
  SLUICE_ASSERT(recovery.last_checksum == last_checksum, "last checksum is not op ",
                recovery.last_op, "'s");
  SLUICE_ASSERT(recovery.journal != nullptr && recovery.journal->last_op() == recovery.last_op &&
                recovery.journal->last_checksum() == recovery.last_checksum);
}

// Rule B16: the commit bound has evidence, and to_apply is exactly C+1 .. bound.
void CheckCommitBound(const JournalRecovery& recovery, const RecoveryInputs& inputs,
                      const Prediction& prediction) {
  const uint64_t watermark = std::max(inputs.commit_watermark, inputs.checkpoint_op);
  SLUICE_ASSERT(recovery.commit_op >= watermark, "commit bound ", recovery.commit_op,
                " below the watermark ", watermark);
  if (recovery.commit_op > watermark) {
    const bool evidenced = std::any_of(
        prediction.slots.begin(), prediction.slots.end(), [&](const SlotCopies& copies) {
          return (copies.header.state == CopyState::kValid &&
                  copies.header.header.commit == recovery.commit_op) ||
                 (copies.prepare.state == CopyState::kValid &&
                  copies.prepare.header.commit == recovery.commit_op);
        });
    SLUICE_ASSERT(evidenced, "commit bound ", recovery.commit_op, " has no evidence in the WAL");
  }
  const uint64_t apply_through = std::min(recovery.commit_op, recovery.last_op);
  const uint64_t applied =
      apply_through > inputs.checkpoint_op ? apply_through - inputs.checkpoint_op : 0;
  SLUICE_ASSERT(recovery.to_apply.size() == applied, recovery.to_apply.size(),
                " ops to apply, expected ops ", inputs.checkpoint_op + 1, "..", apply_through);
  absl::uint128 parent = inputs.checkpoint_checksum;
  for (size_t i = 0; i < recovery.to_apply.size(); ++i) {
    const RecoveredEntry& entry = recovery.to_apply[i];
    SLUICE_ASSERT(entry.op == inputs.checkpoint_op + 1 + i, "to_apply op ", entry.op, " at ", i);
    SLUICE_ASSERT(entry.op <= recovery.commit_op);
    const absl::StatusOr<wire::ValidatedPrepare> prepare =
        wire::DecodePrepare(entry.frame, program::kJournalCluster);
    SLUICE_ASSERT(prepare.ok(), "to_apply op ", entry.op, ": ", prepare.status().ToString());
    SLUICE_ASSERT(prepare->header() == entry.header && prepare->checksum() == entry.checksum &&
                      prepare->header().op == entry.op,
                  "to_apply op ", entry.op, " fields differ from its frame");
    SLUICE_ASSERT(prepare->header().parent == parent, "to_apply op ", entry.op,
                  " does not link to the op before it");
    parent = entry.checksum;
  }
  uint64_t previous = apply_through;
  for (const RecoveredEntry& entry : recovery.unapplied) {
    SLUICE_ASSERT(entry.op > previous, "unapplied op ", entry.op, " after op ", previous);
    SLUICE_ASSERT(entry.op <= recovery.head_op, "unapplied op ", entry.op, " beyond head ",
                  recovery.head_op);
    const absl::StatusOr<wire::ValidatedPrepare> prepare =
        wire::DecodePrepare(entry.frame, program::kJournalCluster);
    SLUICE_ASSERT(
        prepare.ok() && prepare->checksum() == entry.checksum && prepare->header().op == entry.op,
        "unapplied op ", entry.op, " is not a valid frame");
    if (inputs.single_node) {
      SLUICE_ASSERT(entry.op == previous + 1, "single node: unapplied op ", entry.op, " after op ",
                    previous);
    }
    previous = entry.op;
  }
  if (inputs.single_node) {
    SLUICE_ASSERT(previous == std::max(recovery.last_op, apply_through),
                  "single node: recovered ops end at ", previous, ", last op ", recovery.last_op);
  }
}

// Nothing damaged without resealing is ever kept: each recovered frame is what its
// slot holds, and that is the slot's last sealed version.
void CheckFramesSealed(const JournalRecovery& recovery, const MutatedWal& wal) {
  for (const auto* entries : {&recovery.to_apply, &recovery.unapplied}) {
    for (const RecoveredEntry& entry : *entries) {
      const uint64_t slot = entry.op % kSlotCount;
      const ByteSpan now =
          ByteSpan(wal.image).subspan(Layout().PrepareOffset(slot), Layout().message_size_max());
      SLUICE_ASSERT(entry.frame.size() <= now.size() &&
                        std::equal(entry.frame.begin(), entry.frame.end(), now.begin()),
                    "op ", entry.op, ": recovered frame is not what its slot holds");
      SLUICE_ASSERT(std::equal(entry.frame.begin(), entry.frame.end(), wal.sealed[slot].begin()),
                    "op ", entry.op,
                    " recovered although its bytes were damaged without resealing");
    }
  }
}

void CheckShape(const JournalRecovery& recovery, const RecoveryInputs& inputs,
                const Prediction& prediction) {
  SLUICE_ASSERT(recovery.slots.size() == kSlotCount);
  std::vector<SlotVerdict> verdicts(kSlotCount, SlotVerdict::kEmpty);
  for (const journal::OpAnalysis& entry : prediction.analysis->ops)
    verdicts[entry.slot] = entry.verdict;
  for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
    SLUICE_ASSERT(
        recovery.slots[slot].slot == slot && recovery.slots[slot].verdict == verdicts[slot],
        "slot ", slot, ": recovery says ", journal::SlotVerdictName(recovery.slots[slot].verdict),
        ", the analysis of the same bytes ", journal::SlotVerdictName(verdicts[slot]));
  }
  if (inputs.single_node) {
    SLUICE_ASSERT(recovery.faulty.empty(), "single node with faulty ops");
    SLUICE_ASSERT(recovery.head_op == recovery.last_op, "single node: head ", recovery.head_op,
                  ", last op ", recovery.last_op);
    SLUICE_ASSERT(recovery.tail_cut == recovery.uncertain_tail.has_value(),
                  "single node: an uncertain tail must be cut, and only it");
    SLUICE_ASSERT(recovery.verified_chain.size() == recovery.last_op - inputs.checkpoint_op);
    return;
  }
  SLUICE_ASSERT(!recovery.tail_cut, "a cluster replica cut its tail");
  SLUICE_ASSERT(recovery.head_op >= recovery.last_op);
  uint64_t previous = recovery.last_op;
  for (const journal::FaultyOp& faulty : recovery.faulty) {
    SLUICE_ASSERT(faulty.op > previous && faulty.op <= recovery.head_op, "faulty op ", faulty.op,
                  " outside (", previous, ", head ", recovery.head_op, "]");
    SLUICE_ASSERT(faulty.verdict != SlotVerdict::kValid);
    previous = faulty.op;
  }
  if (recovery.uncertain_tail.has_value()) {
    SLUICE_ASSERT(recovery.uncertain_tail->first > recovery.last_op &&
                  recovery.uncertain_tail->first <= recovery.uncertain_tail->last &&
                  recovery.uncertain_tail->last == recovery.head_op);
  }
}

void CheckAccepted(const JournalRecovery& recovery, const MutatedWal& wal,
                   const RecoveryInputs& inputs, const Prediction& prediction) {
  CheckShape(recovery, inputs, prediction);
  CheckChain(recovery, inputs, prediction);
  CheckCommitBound(recovery, inputs, prediction);
  CheckFramesSealed(recovery, wal);
}

// ---------------------------------------------------------------------------------
// Determinism and idempotence.

// SLUICE_FUZZ_VERBOSE=1 prints each recovery's outcome and decisions (to replay a
// finding: README.md).
void Describe(absl::string_view which, const RecoveryInputs& inputs,
              const absl::StatusOr<JournalRecovery>& recovery) {
  static const bool verbose = std::getenv("SLUICE_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  std::fprintf(stderr, "%s recovery (checkpoint op %llu, watermark %llu, %s): %s\n",
               std::string(which).c_str(), static_cast<unsigned long long>(inputs.checkpoint_op),
               static_cast<unsigned long long>(inputs.commit_watermark),
               inputs.single_node ? "single node" : "cluster",
               recovery.status().ToString().c_str());
  if (!recovery.ok()) return;
  for (const std::string& decision : recovery->decisions) {
    std::fprintf(stderr, "  %s\n", decision.c_str());
  }
}

std::vector<std::pair<uint64_t, absl::uint128>> Ops(const std::vector<RecoveredEntry>& entries) {
  std::vector<std::pair<uint64_t, absl::uint128>> ops;
  for (const RecoveredEntry& entry : entries) ops.emplace_back(entry.op, entry.checksum);
  return ops;
}

void CheckSame(const absl::StatusOr<JournalRecovery>& first,
               const absl::StatusOr<JournalRecovery>& second) {
  SLUICE_ASSERT(first.status() == second.status(), "the same bytes recovered as ",
                first.status().ToString(), " and as ", second.status().ToString());
  if (!first.ok()) return;
  SLUICE_ASSERT(first->decisions == second->decisions, "the same bytes, other decisions");
  std::vector<std::pair<uint64_t, SlotVerdict>> first_faulty;
  std::vector<std::pair<uint64_t, SlotVerdict>> second_faulty;
  for (const journal::FaultyOp& op : first->faulty) first_faulty.emplace_back(op.op, op.verdict);
  for (const journal::FaultyOp& op : second->faulty) second_faulty.emplace_back(op.op, op.verdict);
  SLUICE_ASSERT(
      Ops(first->to_apply) == Ops(second->to_apply) &&
          Ops(first->unapplied) == Ops(second->unapplied) && first_faulty == second_faulty &&
          first->last_op == second->last_op && first->last_checksum == second->last_checksum &&
          first->commit_op == second->commit_op && first->head_op == second->head_op &&
          first->tail_cut == second->tail_cut && first->uncertain_tail == second->uncertain_tail &&
          first->rewritten_ops == second->rewritten_ops &&
          first->repaired_headers == second->repaired_headers,
      "the same bytes recovered to different results");
}

// Appends the op after the recovered journal's last one (a single node continuing).
void AppendNext(Machine& machine, journal::Journal& journal, const JournalRecovery& recovery) {
  wire::PrepareHeader header;
  header.cluster = program::kJournalCluster;
  for (const auto* entries : {&recovery.to_apply, &recovery.unapplied}) {
    for (const RecoveredEntry& entry : *entries) {
      if (entry.op == recovery.last_op) header.view = entry.header.view;
    }
  }
  header.parent = journal.last_checksum();
  header.op = journal.last_op() + 1;
  header.commit = std::min(recovery.commit_op, journal.last_op());
  header.timestamp = 1'800'000'000'000'000 + header.op;
  header.operation = wire::Operation::kDeleteStream;
  const Bytes frame = wire::EncodePrepare(header, base::AsBytes("after recovery"));
  std::optional<absl::Status> durable;
  Check(journal.Append(frame, [&durable](absl::Status status) { durable = status; }),
        "appending after recovery");
  Check(machine.Run(journal.Drain()), "draining after recovery");
  SLUICE_ASSERT(durable.has_value() && durable->ok(), "the append after recovery not durable");
}

void CheckRecoveringAgain(Machine& machine, JournalRecovery& first, const RecoveryInputs& inputs) {
  first.journal.reset();
  absl::StatusOr<JournalRecovery> again = machine.Recover(inputs);
  Describe("second", inputs, again);
  SLUICE_ASSERT(again.ok(), "recovering what recovery left: ", again.status().ToString());
  SLUICE_ASSERT(again->last_op == first.last_op && again->last_checksum == first.last_checksum,
                "recovering again ends at op ", again->last_op, ", the first recovery at op ",
                first.last_op);
  if (!inputs.single_node) {
    SLUICE_ASSERT(again->head_op == first.head_op && again->uncertain_tail == first.uncertain_tail,
                  "a replica recovering again sees head ", again->head_op, ", first ",
                  first.head_op);
    return;
  }
  // A single node may cut again, above the kept ops: a leftover of an older view
  // beyond the first cut tail is not a write while the entry it is older than is
  // there, and becomes an uncertain tail once that entry was cut (README.md).
  SLUICE_ASSERT(!again->uncertain_tail.has_value() || again->uncertain_tail->first > first.last_op);
  if (again->journal->ops_until_checkpoint_needed() == 0) return;  // B8: the ring is full
  const uint64_t next = again->last_op + 1;
  AppendNext(machine, *again->journal, *again);
  const absl::uint128 appended = again->journal->last_checksum();
  again->journal.reset();
  absl::StatusOr<JournalRecovery> third = machine.Recover(inputs);
  SLUICE_ASSERT(third.ok() && third->last_op == next && third->last_checksum == appended,
                "the op appended after recovery was not recovered: ", third.status().ToString());
}

// ---------------------------------------------------------------------------------

std::unique_ptr<Machine> Materialize(const MutatedWal& wal, uint64_t seed) {
  auto machine = std::make_unique<Machine>(seed);
  Check(machine->disk.CreateDirectory(std::string(journal::kJournalDirectory)), "mkdir metadata");
  Check(machine->disk.SyncDirectory(""), "syncing the root");
  if (wal.removed) return machine;
  Check(machine->disk.WriteDurably(kWalPath, wal.image), "writing the mutated WAL");
  for (uint64_t bad : wal.latent_offsets) {
    Check(machine->storage.InjectLatentSectorError(kWalPath, bad), "injecting a bad sector");
  }
  return machine;
}

std::string OutcomeName(absl::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(code));
}

void Reached(const Prediction& prediction, const absl::StatusOr<JournalRecovery>& recovery,
             DecisionSet* decisions) {
  if (decisions == nullptr) return;
  Reach(decisions, "outcome", OutcomeName(recovery.status().code()));
  if (recovery.ok() && recovery->tail_cut) Reach(decisions, "outcome", "tail_cut");
  if (recovery.ok() && recovery->repaired_headers > 0) Reach(decisions, "repair", "header_copy");
  if (!prediction.analysis.has_value()) return;
  for (const journal::OpAnalysis& entry : prediction.analysis->ops) {
    Reach(decisions, "verdict", journal::SlotVerdictName(entry.verdict));
    Reach(decisions, "content", journal::SlotContentName(entry.content.content));
    if (entry.link != journal::ChainLink::kNone) {
      Reach(decisions, "link", journal::ChainLinkName(entry.link));
    }
  }
}

}  // namespace

void CheckJournalRecoveryInput(ByteSpan input, DecisionSet* decisions) {
  Reader reader(input);
  const BaseLog& base = BaseLogs()[reader.U8() % program::kBaseLogCount];
  const uint8_t flags = reader.U8();
  const uint8_t checkpoint_argument = reader.U8();
  const uint8_t watermark_argument = reader.U8();
  const RecoveryInputs inputs = ChooseInputs(base, flags, checkpoint_argument, watermark_argument);
  const MutatedWal wal = Mutator(base).Run(reader);
  const Prediction prediction = Predict(wal, inputs);

  const std::unique_ptr<Machine> machine = Materialize(wal, /*seed=*/1);
  absl::StatusOr<JournalRecovery> recovery = machine->Recover(inputs);
  Describe("first", inputs, recovery);
  SLUICE_ASSERT(recovery.status().code() == prediction.code, "recovery returned ",
                recovery.status().ToString(), ", the analysis of the same bytes predicts ",
                OutcomeName(prediction.code));
  SLUICE_ASSERT(recovery.ok() || !recovery.status().message().empty(),
                "an error without a message");
  Reached(prediction, recovery, decisions);
  if (inputs.single_node) {
    const std::optional<uint64_t> damaged = DamagedProvenOp(base, wal, inputs);
    SLUICE_ASSERT(!damaged.has_value() || !recovery.ok(),
                  "single node accepted the WAL although op ", damaged.value_or(0),
                  ", proven durable (watermark ", inputs.commit_watermark,
                  " or a whole entry's commit), was damaged (rule B7)");
  }
  if (recovery.ok()) CheckAccepted(*recovery, wal, inputs, prediction);

  const std::unique_ptr<Machine> other = Materialize(wal, /*seed=*/2);
  CheckSame(recovery, other->Recover(inputs));

  if (recovery.ok() && wal.latent_offsets.empty()) {
    CheckRecoveringAgain(*machine, *recovery, inputs);
  }
}

std::vector<std::string> JournalRecoveryDecisionNames() {
  std::vector<std::string> names;
  // Every value SlotVerdictName names, so a new verdict is required automatically.
  for (int value = 0; value <= UINT8_MAX; ++value) {
    const absl::string_view name = journal::SlotVerdictName(static_cast<SlotVerdict>(value));
    if (name != "unknown") names.push_back(DecisionName("verdict", name));
  }
  for (const absl::StatusCode code :
       {absl::StatusCode::kOk, absl::StatusCode::kDataLoss, absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound}) {
    names.push_back(DecisionName("outcome", OutcomeName(code)));
  }
  names.push_back(DecisionName("outcome", "tail_cut"));
  return names;
}

}  // namespace sluice::fuzz
