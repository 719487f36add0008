// One test per storage fault of DESIGN.md's fault model. Each fails if SimStorage
// stops modelling its fault.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include "core/base/checksum.h"
#include "core/io/io_error.h"
#include "core/io/testing/blocking_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::sim {
namespace {

using io::OpenMode;
using base::Ratio;

class SimStorageFaultTest : public ::testing::Test {
 protected:
  SimStorageFaultTest() : storage_(loop_, {.seed = 11, .sector_size_bytes = 512}), disk_(storage_, loop_) {}

  // A file named `path` with `contents`, data synced and name durable.
  io::FileHandle DurableFile(const std::string& path, const Bytes& contents) {
    EXPECT_TRUE(disk_.WriteDurably(path, contents).ok());
    absl::StatusOr<io::FileHandle> file = disk_.Open(path, OpenMode::kExisting);
    EXPECT_TRUE(file.ok()) << file.status();
    return *file;
  }

  Bytes ReadAfter(const std::string& path) {
    absl::StatusOr<Bytes> contents = disk_.ReadFile(path);
    EXPECT_TRUE(contents.ok()) << contents.status();
    return contents.ok() ? *contents : Bytes{};
  }

  bool Exists(const std::string& path) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(path, OpenMode::kExisting);
    if (!file.ok()) {
      EXPECT_TRUE(io::IsEnoent(file.status())) << file.status();
      return false;
    }
    EXPECT_TRUE(disk_.Close(*file).ok());
    return true;
  }

  SimLoop loop_;
  SimStorage storage_;
  io::testing::BlockingStorage disk_;
};

TEST_F(SimStorageFaultTest, UnsyncedDataIsLostAtMachineCrash) {
  const io::FileHandle file = DurableFile("log", Bytes(1024, 'a'));
  ASSERT_TRUE(disk_.Write(file, 1024, Bytes(1024, 'b')).ok());
  ASSERT_TRUE(disk_.Write(file, 0, Bytes(10, 'c')).ok());
  EXPECT_EQ(ReadAfter("log").size(), 2048u);  // visible before the crash
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_EQ(ReadAfter("log"), Bytes(1024, 'a'));
}

TEST_F(SimStorageFaultTest, SyncedDataSurvivesMachineCrash) {
  const io::FileHandle file = DurableFile("log", Bytes(100, 'a'));
  ASSERT_TRUE(disk_.Write(file, 100, Bytes(100, 'b')).ok());
  ASSERT_TRUE(disk_.Sync(file).ok());
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  Bytes expected(100, 'a');
  expected.insert(expected.end(), 100, 'b');
  EXPECT_EQ(ReadAfter("log"), expected);
}

TEST_F(SimStorageFaultTest, UnsyncedWriteTearsAtSectorGranularity) {
  const io::FileHandle file = DurableFile("log", Bytes(64 * 512, 'o'));
  ASSERT_TRUE(disk_.Write(file, 0, Bytes(64 * 512, 'n')).ok());
  storage_.CrashMachine(Ratio{1, 2}, Ratio::Never());
  const Bytes after = ReadAfter("log");
  ASSERT_EQ(after.size(), 64u * 512);
  int landed = 0, lost = 0;
  for (size_t sector = 0; sector < 64; ++sector) {
    const uint8_t first = after[sector * 512];
    for (size_t i = 1; i < 512; ++i) ASSERT_EQ(after[sector * 512 + i], first) << "torn inside a sector";
    (first == 'n' ? landed : lost) += 1;
  }
  EXPECT_GT(landed, 0);  // 2^-64 odds of failing by chance, and fixed by the seed
  EXPECT_GT(lost, 0);
}

TEST_F(SimStorageFaultTest, UnsyncedCreateIsLostAtCrashButKeptAfterDirectorySync) {
  ASSERT_TRUE(disk_.CreateDirectory("d").ok());
  ASSERT_TRUE(disk_.SyncDirectory("").ok());
  for (const char* name : {"d/kept", "d/lost"}) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(name, OpenMode::kCreate);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(disk_.Write(*file, 0, Bytes(10, 'x')).ok());
    ASSERT_TRUE(disk_.Sync(*file).ok());
    if (std::string(name) == "d/kept") {
      ASSERT_TRUE(disk_.SyncDirectory("d").ok());
    }
  }
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_FALSE(Exists("d/lost"));
  EXPECT_TRUE(Exists("d/kept"));
  EXPECT_EQ(ReadAfter("d/kept"), Bytes(10, 'x'));
}

TEST_F(SimStorageFaultTest, UnsyncedRenameIsLostAtCrashButKeptAfterDirectorySync) {
  DurableFile("a.tmp", Bytes(5, 'n'));
  DurableFile("a", Bytes(5, 'o'));
  ASSERT_TRUE(disk_.Rename("a.tmp", "a").ok());
  EXPECT_EQ(ReadAfter("a"), Bytes(5, 'n'));
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_EQ(ReadAfter("a"), Bytes(5, 'o'));
  EXPECT_TRUE(Exists("a.tmp"));

  ASSERT_TRUE(disk_.Rename("a.tmp", "a").ok());
  ASSERT_TRUE(disk_.SyncDirectory("").ok());
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_EQ(ReadAfter("a"), Bytes(5, 'n'));
  EXPECT_FALSE(Exists("a.tmp"));
}

TEST_F(SimStorageFaultTest, UnsyncedUnlinkIsLostAtCrashButKeptAfterDirectorySync) {
  DurableFile("gone", Bytes(3, 'g'));
  ASSERT_TRUE(disk_.Unlink("gone").ok());
  EXPECT_FALSE(Exists("gone"));
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_TRUE(Exists("gone"));
  ASSERT_TRUE(disk_.Unlink("gone").ok());
  ASSERT_TRUE(disk_.SyncDirectory("").ok());
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_FALSE(Exists("gone"));
}

TEST_F(SimStorageFaultTest, DirectoryChangesSurviveAsAnOrderedPrefix) {
  // Of several unsynced changes in one directory, a crash keeps a prefix: a later
  // change never survives without the earlier ones.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SimLoop loop;
    SimStorage storage(loop, {.seed = seed});
    io::testing::BlockingStorage disk(storage, loop);
    for (const char* name : {"f1", "f2", "f3", "f4"}) {
      ASSERT_TRUE(disk.Open(name, OpenMode::kCreate).ok());
    }
    storage.CrashMachine(Ratio::Never(), Ratio{1, 2});
    const absl::StatusOr<std::vector<io::DirectoryEntry>> entries = disk.List("");
    ASSERT_TRUE(entries.ok());
    for (size_t i = 0; i < entries->size(); ++i) {
      EXPECT_EQ((*entries)[i].name, absl::StrCat("f", i + 1)) << "seed " << seed;
    }
  }
}

TEST_F(SimStorageFaultTest, FsyncEioIsReportedOnceDataReadsBackAfterRestartAndIsGoneAfterCrash) {
  const io::FileHandle file = DurableFile("wal", Bytes(512, 'a'));
  ASSERT_TRUE(disk_.Write(file, 512, Bytes(512, 'b')).ok());
  storage_.InjectSyncFailure("wal");
  const absl::Status failed = disk_.Sync(file);
  EXPECT_TRUE(io::IsEio(failed)) << failed;
  EXPECT_NE(failed.message().find("wal"), absl::string_view::npos);
  // Reported once: the next sync succeeds without having written the data.
  EXPECT_TRUE(disk_.Sync(file).ok());
  // A process restart keeps the page cache: the unsynced bytes still read back.
  storage_.RestartProcess();
  Bytes both(512, 'a');
  both.insert(both.end(), 512, 'b');
  EXPECT_EQ(ReadAfter("wal"), both);
  // A machine crash loses them even though a sync "succeeded" after the failure.
  storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_EQ(ReadAfter("wal"), Bytes(512, 'a'));
}

TEST_F(SimStorageFaultTest, RewrittenAfterFsyncFailureAndSyncedIsDurable) {
  const io::FileHandle file = DurableFile("wal", Bytes(512, 'a'));
  ASSERT_TRUE(disk_.Write(file, 512, Bytes(512, 'b')).ok());
  storage_.InjectSyncFailure("wal");
  ASSERT_FALSE(disk_.Sync(file).ok());
  ASSERT_TRUE(disk_.Write(file, 512, Bytes(512, 'b')).ok());  // the recovery: rewrite
  ASSERT_TRUE(disk_.Sync(file).ok());
  storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  EXPECT_EQ(ReadAfter("wal").size(), 1024u);
}

TEST_F(SimStorageFaultTest, LatentSectorErrorPersistsUntilRewritten) {
  const io::FileHandle file = DurableFile("seg", Bytes(2048, 's'));
  ASSERT_TRUE(storage_.InjectLatentSectorError("seg", 1000).ok());
  EXPECT_TRUE(disk_.ReadBytes(file, 0, 512).ok());  // other sectors read fine
  for (int attempt = 0; attempt < 3; ++attempt) {
    const absl::StatusOr<Bytes> bad = disk_.ReadBytes(file, 600, 1000);
    EXPECT_TRUE(io::IsEio(bad.status())) << bad.status();
  }
  storage_.RestartProcess();
  absl::StatusOr<io::FileHandle> reopened = disk_.Open("seg", OpenMode::kExisting);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE(io::IsEio(disk_.ReadBytes(*reopened, 1000, 1).status()));
  ASSERT_TRUE(disk_.Write(*reopened, 512, Bytes(512, 'r')).ok());
  const absl::StatusOr<Bytes> healed = disk_.ReadBytes(*reopened, 512, 512);
  ASSERT_TRUE(healed.ok()) << healed.status();
  EXPECT_EQ(*healed, Bytes(512, 'r'));
}

TEST_F(SimStorageFaultTest, BitFlipIsCaughtByChecksum) {
  Bytes record(256);
  for (size_t i = 0; i < record.size(); ++i) record[i] = static_cast<uint8_t>(i);
  const absl::uint128 checksum = base::Checksum128(record);
  DurableFile("record", record);
  ASSERT_TRUE(storage_.InjectBitFlip("record", 77, 3).ok());
  storage_.CrashMachine();  // the flip is on the media: it survives a crash
  const Bytes after = ReadAfter("record");
  ASSERT_EQ(after.size(), record.size());
  EXPECT_NE(after, record);
  EXPECT_NE(base::Checksum128(after), checksum);
  EXPECT_EQ(after[77], record[77] ^ 0x08);
}

TEST_F(SimStorageFaultTest, MisdirectedWriteLandsAtAnotherOffsetAndReportsSuccess) {
  const io::FileHandle file = DurableFile("seg", Bytes(4096, '.'));
  storage_.InjectMisdirectedWrite("seg", 1024);
  ASSERT_TRUE(disk_.Write(file, 0, Bytes(512, 'w')).ok());
  const Bytes after = ReadAfter("seg");
  EXPECT_EQ(Bytes(after.begin(), after.begin() + 512), Bytes(512, '.'));  // intended: untouched
  EXPECT_EQ(Bytes(after.begin() + 1024, after.begin() + 1536), Bytes(512, 'w'));
  EXPECT_EQ(storage_.fault_counts().misdirected_writes, 1u);
}

TEST_F(SimStorageFaultTest, NoSpaceFailsTheWriteAndAppendsResumeWhenSpaceReturns) {
  const io::FileHandle file = DurableFile("seg", Bytes(1000, 'a'));
  storage_.set_capacity_bytes(1500);
  const absl::Status full = disk_.Write(file, 1000, Bytes(1000, 'b'));
  EXPECT_TRUE(io::IsEnospc(full)) << full;
  EXPECT_EQ(ReadAfter("seg"), Bytes(1000, 'a'));  // nothing half-written
  storage_.set_capacity_bytes(UINT64_MAX);
  EXPECT_TRUE(disk_.Write(file, 1000, Bytes(1000, 'b')).ok());
  storage_.InjectWriteNoSpace("seg");
  EXPECT_TRUE(io::IsEnospc(disk_.Write(file, 2000, Bytes(1, 'c'))));
  EXPECT_TRUE(disk_.Write(file, 2000, Bytes(1, 'c')).ok());
}

TEST_F(SimStorageFaultTest, SyncNoSpaceIsAFailedSync) {
  const io::FileHandle file = DurableFile("seg", Bytes(10, 'a'));
  ASSERT_TRUE(disk_.Write(file, 10, Bytes(10, 'b')).ok());
  storage_.InjectSyncFailure("seg", SyncOutcome::kNoSpace);
  EXPECT_TRUE(io::IsEnospc(disk_.Sync(file)));
  storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_EQ(ReadAfter("seg"), Bytes(10, 'a'));
}

TEST_F(SimStorageFaultTest, FileRemovedBehindTheBackIsGoneEvenAfterCrash) {
  DurableFile("seg", Bytes(10, 'a'));
  ASSERT_TRUE(storage_.RemoveBehindBack("seg").ok());
  EXPECT_FALSE(Exists("seg"));
  storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_FALSE(Exists("seg"));
}

TEST_F(SimStorageFaultTest, FileTruncatedBehindTheBack) {
  DurableFile("seg", Bytes(1000, 'a'));
  ASSERT_TRUE(storage_.TruncateBehindBack("seg", 300).ok());
  EXPECT_EQ(ReadAfter("seg"), Bytes(300, 'a'));
  storage_.CrashMachine(Ratio::Always(), Ratio::Always());
  EXPECT_EQ(ReadAfter("seg"), Bytes(300, 'a'));
}

TEST_F(SimStorageFaultTest, RestartDropsInFlightCompletionsAndClosesHandles) {
  const io::FileHandle file = DurableFile("f", Bytes(1, 'a'));
  bool ran = false;
  storage_.Sync(file, [&ran](absl::Status) { ran = true; });
  storage_.RestartProcess();
  while (loop_.RunOnce()) {
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(disk_.Sync(file).code(), absl::StatusCode::kFailedPrecondition);  // EBADF
}

TEST(SimStorageProfileTest, HeavyProfileInjectsEveryRandomFaultKind) {
  SimLoop loop;
  SimStorage storage(loop, {.seed = 3, .sector_size_bytes = 512, .profile = StorageFaultProfile::Heavy()});
  io::testing::BlockingStorage disk(storage, loop);
  absl::StatusOr<io::FileHandle> file = disk.Open("f", OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  Bytes buffer(512);
  for (int i = 0; i < 3000; ++i) {
    (void)disk.Write(*file, (i % 64) * 512, Bytes(512, static_cast<uint8_t>(i)));
    (void)disk.Sync(*file);
    (void)disk.Read(*file, (i % 64) * 512, MutableByteSpan(buffer));
  }
  const StorageFaultCounts& counts = storage.fault_counts();
  EXPECT_GT(counts.latent_read_errors, 0u);
  EXPECT_GT(counts.bit_flips, 0u);
  EXPECT_GT(counts.misdirected_writes, 0u);
  EXPECT_GT(counts.no_space_errors, 0u);
  EXPECT_GT(counts.sync_failures, 0u);
}

TEST(SimStorageProfileTest, NoneProfileInjectsNothing) {
  SimLoop loop;
  SimStorage storage(loop, {.seed = 3});
  io::testing::BlockingStorage disk(storage, loop);
  absl::StatusOr<io::FileHandle> file = disk.Open("f", OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(disk.Write(*file, i * 10, Bytes(10, 'x')).ok());
    ASSERT_TRUE(disk.Sync(*file).ok());
    ASSERT_TRUE(disk.ReadBytes(*file, 0, 10).ok());
  }
}

TEST(SimStorageProfileTest, ProfilesByName) {
  EXPECT_EQ(StorageFaultProfileByName("heavy")->name, "heavy");
  const absl::StatusOr<StorageFaultProfile> bad = StorageFaultProfileByName("medium");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("none, light or heavy"), absl::string_view::npos);
}

}  // namespace
}  // namespace sluice::sim
