// The superblock protocol on the simulator's disk: format, open (choose and repair),
// update — under crashes at every step, corruption, latent read errors, stray and
// misdirected copies, and failed syncs. Each test names the bootstrap rule it proves.
#include "core/superblock/superblock.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/base/prng.h"
#include "core/io/io_error.h"
#include "core/io/testing/blocking_storage.h"
#include "core/io/testing/interrupting_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::superblock {
namespace {

using base::Ratio;
using io::testing::RunTask;
using io::testing::InterruptingStorage;
using io::testing::OperationKind;

const std::string kPath(kSuperblockPath);

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

SuperblockState Initial() {
  SuperblockState state;
  state.cluster_id = absl::MakeUint128(0x5EED, 0xC0FFEE);
  state.replica_index = 1;
  state.replica_count = 3;
  return state;
}

// The state after a view change and some commits.
SuperblockState Advance(SuperblockState state) {
  state.view += 1;
  state.metadata_log_view = state.view;
  state.metadata_commit_watermark += 10;
  state.metadata_checkpoint = {.op = state.metadata_commit_watermark - 5,
                               .snapshot_checksum = absl::MakeUint128(state.view, 0xABC)};
  state.partition_log_views = {.op = state.partition_log_views.op + 1,
                               .checksum = absl::MakeUint128(0x7AB1E, state.view)};
  return state;
}

// One simulated machine: a loop, its disk, and a blocking view of it for setup.
class Machine {
 public:
  explicit Machine(uint64_t seed = 1, uint64_t sector_size_bytes = 4096)
      : storage_(loop_, {.seed = seed, .sector_size_bytes = sector_size_bytes}),
        disk_(storage_, loop_) {}

  absl::Status Format(const SuperblockState& state) {
    return RunTask(loop_, FormatSuperblock(storage_, state));
  }
  absl::StatusOr<OpenedSuperblock> Open() { return RunTask(loop_, OpenSuperblock(storage_)); }
  absl::Status Update(OpenedSuperblock& current, const SuperblockState& next) {
    return RunTask(loop_, UpdateSuperblock(storage_, current, next));
  }
  CopyReadings Copies() {
    absl::StatusOr<CopyReadings> readings = RunTask(loop_, ReadSuperblockCopies(storage_));
    SLUICE_ASSERT(readings.ok(), readings.status().message());
    return *readings;
  }

  // Formats `Initial()` and updates it once: sequence 2, with a real parent.
  OpenedSuperblock FormatAndUpdateOnce() {
    SLUICE_ASSERT(Format(Initial()).ok());
    absl::StatusOr<OpenedSuperblock> opened = Open();
    SLUICE_ASSERT(opened.ok(), opened.status().message());
    SLUICE_ASSERT(Update(*opened, Advance(Initial())).ok());
    return *opened;
  }

  // Writes raw bytes into a slot and syncs them (crafting what a fault left).
  void WriteSlotDurably(uint8_t slot, const Bytes& bytes) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(kPath, io::OpenMode::kExisting);
    SLUICE_ASSERT(file.ok());
    SLUICE_ASSERT(disk_.Write(*file, SuperblockCopyOffset(slot), bytes).ok());
    SLUICE_ASSERT(disk_.Sync(*file).ok());
    SLUICE_ASSERT(disk_.Close(*file).ok());
  }

  sim::SimLoop& loop() { return loop_; }
  sim::SimStorage& storage() { return storage_; }
  io::testing::BlockingStorage& disk() { return disk_; }

 private:
  sim::SimLoop loop_;
  sim::SimStorage storage_;
  io::testing::BlockingStorage disk_;
};

// All four slots hold valid, identical copies of (state, sequence).
void ExpectFourGoodCopies(Machine& machine, const SuperblockState& state, uint64_t sequence) {
  const CopyReadings readings = machine.Copies();
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    ASSERT_TRUE(readings[slot].ok()) << readings[slot].status();
    EXPECT_EQ(readings[slot]->state, state) << "slot " << int{slot};
    EXPECT_EQ(readings[slot]->sequence, sequence) << "slot " << int{slot};
    EXPECT_TRUE(SameVersion(*readings[slot], *readings[0]));
  }
}

// --- format and open ---

// B17/B4: what format writes is what open restores; open of a clean superblock repairs
// nothing.
TEST(SuperblockTest, FormatThenOpenRoundTripsTheState) {
  Machine machine;
  SuperblockState initial = Initial();
  initial.recovering = true;  // as `format --recover` writes it
  ASSERT_TRUE(machine.Format(initial).ok());
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, initial);
  EXPECT_EQ(opened->sequence, 1u);
  EXPECT_EQ(opened->parent, 0);
  EXPECT_TRUE(opened->repairs.empty());
  ExpectFourGoodCopies(machine, initial, 1);
  // Durable once format returned: a crash that lands nothing unsynced keeps it.
  machine.storage().CrashMachine(Ratio::Never(), Ratio::Never());
  const absl::StatusOr<OpenedSuperblock> after_crash = machine.Open();
  ASSERT_TRUE(after_crash.ok()) << after_crash.status();
  EXPECT_EQ(after_crash->state, initial);
}

// Format never overwrites an existing superblock.
TEST(SuperblockTest, FormatTwiceRefuses) {
  Machine machine;
  const OpenedSuperblock first = machine.FormatAndUpdateOnce();
  const absl::Status second = machine.Format(Initial());
  EXPECT_TRUE(io::IsEexist(second)) << second;
  EXPECT_TRUE(Mentions(second, "refusing to format: superblock already exists")) << second;
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, first.state);
  EXPECT_EQ(opened->sequence, 2u);
}

// B9: format refuses widths that do not fit below bit 63, and creates nothing.
TEST(SuperblockTest, FormatRejectsWidthsOver63NamingB9) {
  Machine machine;
  SuperblockState state = Initial();
  state.namespace_widths = {.stream_bits = 24, .topic_bits = 20, .partition_bits = 20};
  const absl::Status status = machine.Format(state);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(status, "rule B9")) << status;
  EXPECT_TRUE(Mentions(status, "sum to 64")) << status;
  EXPECT_TRUE(io::IsEnoent(machine.Open().status()));
}

// B17: no superblock, no boot — and open never creates one.
TEST(SuperblockTest, OpenWithoutSuperblockRefusesToBoot) {
  Machine machine;
  const absl::Status status = machine.Open().status();
  EXPECT_TRUE(io::IsEnoent(status)) << status;
  EXPECT_TRUE(Mentions(status, "no valid superblock: refusing to boot (rule B17)")) << status;
  EXPECT_TRUE(Mentions(status, "format the data directory first")) << status;
  EXPECT_TRUE(io::IsEnoent(machine.Open().status()));  // still not created
}

// B17: a data directory whose superblock is garbage refuses to boot, listing each copy.
TEST(SuperblockTest, OpenOfGarbageRefusesListingEachCopy) {
  Machine machine;
  base::Prng prng(99);
  Bytes garbage(kSuperblockFileSizeBytes);
  for (uint8_t& byte : garbage) byte = static_cast<uint8_t>(prng.Next());
  ASSERT_TRUE(machine.disk().WriteDurably(kPath, garbage).ok());
  const absl::Status status = machine.Open().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "no valid superblock: refusing to boot (rule B17)")) << status;
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    EXPECT_TRUE(Mentions(status, absl::StrCat("superblock copy ", slot, " (offset ",
                                              SuperblockCopyOffset(slot), "): bad magic")))
        << status;
  }
}

// B17: an empty superblock file (a format that crashed before its first write).
TEST(SuperblockTest, OpenOfEmptyFileRefuses) {
  Machine machine;
  ASSERT_TRUE(machine.disk().WriteDurably(kPath, Bytes{}).ok());
  const absl::Status status = machine.Open().status();
  EXPECT_TRUE(Mentions(status, "no valid superblock: refusing to boot")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 3 (offset 12288): unreadable: short read"))
      << status;
}

TEST(SuperblockTest, OpenOfADirectoryNamedSuperblockRefuses) {
  Machine machine;
  ASSERT_TRUE(machine.disk().CreateDirectory(kPath).ok());
  const absl::Status status = machine.Open().status();
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Mentions(status, "no valid superblock: refusing to boot")) << status;
  EXPECT_TRUE(Mentions(status, "EISDIR")) << status;
}

// An unknown on-disk format version is refused, naming found and supported versions.
TEST(SuperblockTest, UnknownFormatVersionRefused) {
  Machine machine;
  Bytes file;
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    Bytes copy = EncodeSuperblockCopy(Initial(), 1, 0, slot);
    base::StoreLittleEndian<uint32_t>(MutableByteSpan(copy), superblock_offset::kFormatVersion, 7);
    base::StoreU128(MutableByteSpan(copy), superblock_offset::kChecksum,
                    SuperblockCopyChecksum(copy));
    file.insert(file.end(), copy.begin(), copy.end());
  }
  ASSERT_TRUE(machine.disk().WriteDurably(kPath, file).ok());
  const absl::Status status = machine.Open().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(status, "refusing to boot")) << status;
  EXPECT_TRUE(Mentions(status, "superblock format version 7 is not supported")) << status;
  EXPECT_TRUE(Mentions(status, "this build reads format version 1")) << status;
}

// --- corruption and repair ---

// One corrupt copy (a flipped bit on the media): open picks the other three and
// rewrites it; the next open finds four good copies and repairs nothing.
TEST(SuperblockTest, CorruptOneCopyIsRewritten) {
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    Machine machine;
    const OpenedSuperblock before = machine.FormatAndUpdateOnce();
    ASSERT_TRUE(machine.storage().InjectBitFlip(kPath, SuperblockCopyOffset(slot) + 130, 5).ok());
    const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->state, before.state);
    EXPECT_EQ(opened->sequence, 2u);
    ASSERT_EQ(opened->repairs.size(), 1u);
    EXPECT_EQ(opened->repairs[0].copy_index, slot);
    EXPECT_NE(opened->repairs[0].message.find("checksum mismatch"), std::string::npos)
        << opened->repairs[0].message;
    EXPECT_NE(opened->repairs[0].message.find("rewritten with sequence 2"), std::string::npos)
        << opened->repairs[0].message;
    ExpectFourGoodCopies(machine, before.state, 2);
    // The rewrite was synced: it survives a crash that lands nothing unsynced.
    machine.storage().CrashMachine(Ratio::Never(), Ratio::Never());
    const absl::StatusOr<OpenedSuperblock> again = machine.Open();
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->repairs.empty());
  }
}

// B17: three of four copies corrupt: no quorum, a clear error listing every copy.
TEST(SuperblockTest, CorruptThreeCopiesRefusesToBoot) {
  Machine machine;
  machine.FormatAndUpdateOnce();
  for (const uint8_t slot : {0, 1, 3}) {
    ASSERT_TRUE(machine.storage().InjectBitFlip(kPath, SuperblockCopyOffset(slot) + 77, 0).ok());
  }
  const absl::Status status = machine.Open().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "no valid superblock: refusing to boot (rule B17)")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 0 (offset 0): checksum mismatch")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 1 (offset 4096): checksum mismatch")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 2 (offset 8192): valid, sequence 2")) << status;
  EXPECT_TRUE(Mentions(status, "superblock copy 3 (offset 12288): checksum mismatch")) << status;
}

// A single valid copy with a higher sequence (an update cut after one copy, or a stray
// write) is never trusted alone: ignored, and rewritten with the chosen version.
TEST(SuperblockTest, StrayCopyWithHigherSequenceIgnoredAndRewritten) {
  Machine machine;
  const OpenedSuperblock before = machine.FormatAndUpdateOnce();
  machine.WriteSlotDurably(
      2, EncodeSuperblockCopy(Advance(before.state), before.sequence + 1, before.checksum, 2));
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, before.state);
  EXPECT_EQ(opened->sequence, 2u);
  ASSERT_EQ(opened->repairs.size(), 1u);
  EXPECT_EQ(opened->repairs[0].copy_index, 2);
  EXPECT_NE(opened->repairs[0].message.find("valid, sequence 3"), std::string::npos)
      << opened->repairs[0].message;
  EXPECT_NE(opened->repairs[0].message.find("stray"), std::string::npos)
      << opened->repairs[0].message;
  ExpectFourGoodCopies(machine, before.state, 2);
}

// B1: a latent sector error on one copy fails that read (EIO); the copy counts as
// invalid, the error is reported, and rewriting the copy clears the bad sector.
TEST(SuperblockTest, LatentReadErrorOnOneCopyIsRepaired) {
  Machine machine;
  const OpenedSuperblock before = machine.FormatAndUpdateOnce();
  ASSERT_TRUE(machine.storage().InjectLatentSectorError(kPath, SuperblockCopyOffset(1) + 10).ok());
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, before.state);
  ASSERT_EQ(opened->repairs.size(), 1u);
  EXPECT_EQ(opened->repairs[0].copy_index, 1);
  EXPECT_NE(opened->repairs[0].message.find("unreadable: EIO"), std::string::npos)
      << opened->repairs[0].message;
  ExpectFourGoodCopies(machine, before.state, 2);
}

// A file cut short behind the server's back loses its last copies; two remain, and
// open rewrites the missing ones.
TEST(SuperblockTest, TruncatedFileIsRepaired) {
  Machine machine;
  const OpenedSuperblock before = machine.FormatAndUpdateOnce();
  ASSERT_TRUE(machine.storage().TruncateBehindBack(kPath, 2 * kSuperblockCopySizeBytes + 100).ok());
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, before.state);
  ASSERT_EQ(opened->repairs.size(), 2u);
  EXPECT_NE(opened->repairs[1].message.find("short read"), std::string::npos)
      << opened->repairs[1].message;
  ExpectFourGoodCopies(machine, before.state, 2);
}

// A whole copy landing in the wrong slot is caught by its copy index.
TEST(SuperblockTest, MisdirectedCopyIsCaughtByItsCopyIndex) {
  Machine machine;
  OpenedSuperblock current = machine.FormatAndUpdateOnce();
  InterruptingStorage storage(machine.storage(), machine.loop());
  uint64_t writes = 0;
  storage.set_before_submit([&](OperationKind kind, uint64_t) {
    // The write of copy 3 lands on slot 2 and reports success.
    if (kind == OperationKind::kWrite && writes++ == 3) {
      machine.storage().InjectMisdirectedWrite(kPath, -int64_t{kSuperblockCopySizeBytes});
    }
  });
  const SuperblockState next = Advance(current.state);
  ASSERT_TRUE(RunTask(machine.loop(), UpdateSuperblock(storage, current, next)).ok());
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, next);
  ASSERT_EQ(opened->repairs.size(), 2u);
  EXPECT_EQ(opened->repairs[0].copy_index, 2);
  EXPECT_NE(opened->repairs[0].message.find("holds copy index 3, expected 2"), std::string::npos)
      << opened->repairs[0].message;
  EXPECT_EQ(opened->repairs[1].copy_index, 3);
  ExpectFourGoodCopies(machine, next, 3);
}

// --- update ---

// B4: updates chain by parent checksum, and a restarted process restores the latest.
TEST(SuperblockTest, UpdatesChainAndSurviveRestart) {
  Machine machine;
  ASSERT_TRUE(machine.Format(Initial()).ok());
  absl::StatusOr<OpenedSuperblock> current = machine.Open();
  ASSERT_TRUE(current.ok()) << current.status();
  SuperblockState state = Initial();
  for (uint64_t sequence = 2; sequence <= 5; ++sequence) {
    const absl::uint128 previous = current->checksum;
    state = Advance(state);
    ASSERT_TRUE(machine.Update(*current, state).ok());
    EXPECT_EQ(current->sequence, sequence);
    EXPECT_EQ(current->parent, previous);
    EXPECT_EQ(current->state, state);
  }
  machine.storage().CrashMachine(Ratio::Never(), Ratio::Never());
  const absl::StatusOr<OpenedSuperblock> reopened = machine.Open();
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->state, state);
  EXPECT_EQ(reopened->sequence, 5u);
  EXPECT_EQ(reopened->checksum, current->checksum);
  EXPECT_EQ(reopened->parent, current->parent);
}

// B4/B17: an update that would move durable VSR state backwards, change the identity,
// or set `recovering` is refused before any I/O.
TEST(SuperblockTest, UpdateRefusesBackwardsStateWithoutWriting) {
  Machine machine;
  OpenedSuperblock current = machine.FormatAndUpdateOnce();
  const OpenedSuperblock before = current;
  SuperblockState next = current.state;
  next.view -= 1;
  next.metadata_log_view = next.view;
  const absl::Status status = machine.Update(current, next);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(status, "view would move backwards")) << status;
  next = current.state;
  next.recovering = true;
  EXPECT_FALSE(machine.Update(current, next).ok());
  next = current.state;
  next.namespace_widths.topic_bits = 40;
  EXPECT_TRUE(Mentions(machine.Update(current, next), "B9"));
  EXPECT_EQ(current.sequence, before.sequence);
  EXPECT_EQ(current.state, before.state);
  ExpectFourGoodCopies(machine, before.state, 2);
}

// B17: a `format --recover` replica clears its flag by an update after state sync.
TEST(SuperblockTest, RecoveringFlagPersistsUntilCleared) {
  Machine machine;
  SuperblockState recovering = Initial();
  recovering.recovering = true;
  ASSERT_TRUE(machine.Format(recovering).ok());
  absl::StatusOr<OpenedSuperblock> current = machine.Open();
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(current->state.recovering);
  SuperblockState synced = Advance(recovering);
  synced.recovering = false;
  ASSERT_TRUE(machine.Update(*current, synced).ok());
  const absl::StatusOr<OpenedSuperblock> reopened = machine.Open();
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(reopened->state.recovering);
}

// B1: a failed sync during an update returns EIO and leaves `current` unchanged; the
// replica stops. After a process restart (page cache kept, the failed copy still
// readable) open settles on the old or the new version, and a later machine crash
// (which drops the copy the failed sync covered) keeps that same choice.
TEST(SuperblockTest, SyncFailureDuringUpdateFailsStopAndKeepsCurrent) {
  for (uint64_t failing_sync = 0; failing_sync < kSuperblockCopyCount; ++failing_sync) {
    SCOPED_TRACE(absl::StrCat("sync of copy ", failing_sync, " fails"));
    Machine machine;
    OpenedSuperblock current = machine.FormatAndUpdateOnce();
    const OpenedSuperblock before = current;
    InterruptingStorage storage(machine.storage(), machine.loop());
    uint64_t syncs = 0;
    storage.set_before_submit([&](OperationKind kind, uint64_t) {
      if (kind == OperationKind::kSync && syncs++ == failing_sync) {
        machine.storage().InjectSyncFailure(kPath);
      }
    });
    const SuperblockState next = Advance(current.state);
    const absl::Status status = RunTask(machine.loop(), UpdateSuperblock(storage, current, next));
    EXPECT_TRUE(io::IsEio(status)) << status;
    EXPECT_TRUE(Mentions(status, absl::StrCat("after writing copy ", failing_sync))) << status;
    EXPECT_EQ(syncs, failing_sync + 1) << "a failed sync must never be retried";
    EXPECT_EQ(current.sequence, before.sequence);
    EXPECT_EQ(current.state, before.state);
    EXPECT_EQ(current.checksum, before.checksum);

    machine.storage().RestartProcess();
    const absl::StatusOr<OpenedSuperblock> restarted = machine.Open();
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    // Copy 0 alone is never a quorum; copies 0 and 1 (the second from the page cache) are.
    EXPECT_EQ(restarted->state, failing_sync == 0 ? before.state : next);

    machine.storage().CrashMachine(Ratio::Never(), Ratio::Never());
    const absl::StatusOr<OpenedSuperblock> crashed = machine.Open();
    ASSERT_TRUE(crashed.ok()) << crashed.status();
    EXPECT_EQ(crashed->state, restarted->state);
    EXPECT_EQ(crashed->sequence, restarted->sequence);
    ExpectFourGoodCopies(machine, restarted->state, restarted->sequence);
  }
}

// --- crashes at every step ---

struct CrashOdds {
  const char* name;
  Ratio sector_lands;
};
constexpr CrashOdds kCrashOdds[] = {
    {"never", Ratio::Never()}, {"always", Ratio::Always()}, {"half", Ratio{1, 2}}};
constexpr uint64_t kSectorSizes[] = {512, 4096};  // 512: one copy spans 8 sectors and tears
constexpr uint64_t kSeeds = 6;
constexpr uint64_t kStepsMax = 32;  // bounds the step loops; each procedure needs fewer

// After a crash, open must succeed with `expected_state`; a second crash that lands
// nothing unsynced must not change its mind, and all four copies are then good.
void ExpectStableAfterCrash(Machine& machine, const SuperblockState& expected_state,
                            uint64_t expected_sequence) {
  const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, expected_state);
  EXPECT_EQ(opened->sequence, expected_sequence);
  machine.storage().CrashMachine(Ratio::Never(), Ratio::Never());
  const absl::StatusOr<OpenedSuperblock> again = machine.Open();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, expected_state);
  EXPECT_TRUE(again->repairs.empty());
  ExpectFourGoodCopies(machine, expected_state, expected_sequence);
}

// B4 (and TigerBeetle's flexible quorums): the machine crashes after each completed
// storage operation of an update (open, write and sync of each copy, close), with
// unsynced sectors landing never, always or half the time, torn within a copy (512-byte
// sectors) or not. Open then yields exactly the old or the new state — never a mix,
// never a refusal to boot — and with certain odds exactly the one the protocol implies.
TEST(SuperblockTest, CrashAtEveryStepOfUpdateLeavesOldOrNew) {
  for (const uint64_t sector_size : kSectorSizes) {
    for (const CrashOdds& odds : kCrashOdds) {
      for (uint64_t seed = 0; seed < kSeeds; ++seed) {
        bool finished = false;
        for (uint64_t steps = 0; !finished; ++steps) {
          ASSERT_LT(steps, kStepsMax);
          SCOPED_TRACE(absl::StrCat("sector ", sector_size, " lands ", odds.name, " seed ", seed,
                                    " crash after ", steps, " operations"));
          Machine machine(seed, sector_size);
          OpenedSuperblock current = machine.FormatAndUpdateOnce();
          const OpenedSuperblock old = current;
          const SuperblockState next = Advance(current.state);
          InterruptingStorage storage(machine.storage(), machine.loop());
          storage.StopAfterCompletions(steps);
          const absl::Status status =
              RunTask(machine.loop(), UpdateSuperblock(storage, current, next));
          finished = status.ok();
          // open, (write, sync) x 4, close
          if (finished) {
            EXPECT_EQ(steps, 10u);
          }
          if (!finished) {
            EXPECT_EQ(current.sequence, old.sequence);  // acts on `next` only after all 4
            EXPECT_EQ(current.state, old.state);
          }
          machine.storage().CrashMachine(odds.sector_lands, odds.sector_lands);

          const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
          ASSERT_TRUE(opened.ok()) << opened.status();
          const bool is_new = opened->state == next;
          ASSERT_TRUE(is_new || opened->state == old.state) << opened->state;
          EXPECT_EQ(opened->sequence, is_new ? 3u : 2u);
          if (finished) {
            EXPECT_TRUE(is_new) << "a completed update was lost";
          }
          // Operations: open, write 0, sync 0, write 1, sync 1, ... The new version
          // needs two copies on the media: synced (never), or written (always).
          if (odds.sector_lands.numerator == 0) {
            EXPECT_EQ(is_new, steps >= 5);
          }
          if (odds.sector_lands.numerator == odds.sector_lands.denominator) {
            EXPECT_EQ(is_new, steps >= 4);
          }
          ExpectStableAfterCrash(machine, opened->state, opened->sequence);
          // And the replica carries on from there.
          absl::StatusOr<OpenedSuperblock> resumed = machine.Open();
          ASSERT_TRUE(resumed.ok());
          const SuperblockState after = Advance(opened->state);
          ASSERT_TRUE(machine.Update(*resumed, after).ok());
          ExpectStableAfterCrash(machine, after, opened->sequence + 1);
        }
      }
    }
  }
}

// Open's repair is itself crash-safe: with a stray newer copy in slot 0 and a corrupt
// copy in slot 2, a crash after any step of open's rewrites leaves the same version.
TEST(SuperblockTest, CrashAtEveryStepOfOpenRepairKeepsTheVersion) {
  for (const uint64_t sector_size : kSectorSizes) {
    for (const CrashOdds& odds : kCrashOdds) {
      for (uint64_t seed = 0; seed < kSeeds; ++seed) {
        bool finished = false;
        for (uint64_t steps = 0; !finished; ++steps) {
          ASSERT_LT(steps, kStepsMax);
          SCOPED_TRACE(absl::StrCat("sector ", sector_size, " lands ", odds.name, " seed ", seed,
                                    " crash after ", steps, " operations"));
          Machine machine(seed, sector_size);
          const OpenedSuperblock before = machine.FormatAndUpdateOnce();
          machine.WriteSlotDurably(
              0, EncodeSuperblockCopy(Advance(before.state), 3, before.checksum, 0));
          ASSERT_TRUE(machine.storage().InjectBitFlip(kPath, SuperblockCopyOffset(2) + 9, 1).ok());
          InterruptingStorage storage(machine.storage(), machine.loop());
          storage.StopAfterCompletions(steps);
          const absl::StatusOr<OpenedSuperblock> interrupted =
              RunTask(machine.loop(), OpenSuperblock(storage));
          finished = interrupted.ok();
          // open, read x 4, (write, sync) x 2, close
          if (finished) {
            EXPECT_EQ(steps, 10u);
          }
          if (finished) {
            EXPECT_EQ(interrupted->repairs.size(), 2u);
          }
          machine.storage().CrashMachine(odds.sector_lands, odds.sector_lands);
          ExpectStableAfterCrash(machine, before.state, 2);
        }
      }
    }
  }
}

// B17: a crash at any step of format leaves either the formatted state or a clear
// refusal to boot — never some other state.
TEST(SuperblockTest, CrashAtEveryStepOfFormatLeavesFormattedOrRefusal) {
  for (const uint64_t sector_size : kSectorSizes) {
    for (const CrashOdds& odds : kCrashOdds) {
      for (uint64_t seed = 0; seed < kSeeds; ++seed) {
        bool finished = false;
        for (uint64_t steps = 0; !finished; ++steps) {
          ASSERT_LT(steps, kStepsMax);
          SCOPED_TRACE(absl::StrCat("sector ", sector_size, " lands ", odds.name, " seed ", seed,
                                    " crash after ", steps, " operations"));
          Machine machine(seed, sector_size);
          InterruptingStorage storage(machine.storage(), machine.loop());
          storage.StopAfterCompletions(steps);
          finished = RunTask(machine.loop(), FormatSuperblock(storage, Initial())).ok();
          // create, (write, sync) x 4, close, sync directory
          if (finished) {
            EXPECT_EQ(steps, 11u);
          }
          machine.storage().CrashMachine(odds.sector_lands, odds.sector_lands);
          const absl::StatusOr<OpenedSuperblock> opened = machine.Open();
          if (finished) {
            ASSERT_TRUE(opened.ok()) << "a completed format was lost: " << opened.status();
          }
          if (opened.ok()) {
            EXPECT_EQ(opened->state, Initial());
            EXPECT_EQ(opened->sequence, 1u);
          } else {
            EXPECT_TRUE(Mentions(opened.status(), "no valid superblock: refusing to boot"))
                << opened.status();
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sluice::superblock
