// The Storage contract, run unchanged against every backend: the simulator
// (faults off), the simulator loaded from a saved disk image, and io_uring on a
// real temporary directory. A behaviour the replica relies on belongs here, so
// the simulator cannot drift from the real thing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/testing/blocking_storage.h"
#include "tests/testing/uring_temp_backend.h"
#include "sim/disk_image.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice {
namespace {

using io::OpenMode;

std::string MakeTempDirectory(const std::string& label) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/", label, "-XXXXXX");
  SLUICE_ASSERT(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed for ", pattern);
  return pattern;
}

class SimBackend {
 public:
  SimBackend() : storage_(loop_, {.seed = 1}) {}
  io::Storage& storage() { return storage_; }
  io::Loop& loop() { return loop_; }

 protected:
  sim::SimLoop loop_;
  sim::SimStorage storage_;
};

// A SimStorage whose contents came from a directory on the real file system (a
// data directory moving from the real backend into the simulator).
class LoadedSimBackend : public SimBackend {
 public:
  LoadedSimBackend() {
    const std::string directory = MakeTempDirectory("image");
    std::filesystem::create_directories(directory + "/preexisting/nested");
    { std::ofstream(directory + "/preexisting/nested/data.bin") << "loaded bytes"; }
    const absl::Status loaded = sim::LoadFromDirectory(directory, storage_.file_system());
    SLUICE_ASSERT(loaded.ok(), loaded.ToString());
    std::filesystem::remove_all(directory);
  }
};

// The production backend over a temporary directory.
class UringBackend : public testing::UringTempBackend {};

template <typename Backend>
class StorageContractTest : public ::testing::Test {
 protected:
  StorageContractTest() : disk_(backend_.storage(), backend_.loop()) {}

  io::FileHandle Create(const std::string& path) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(path, OpenMode::kCreate);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.value_or(io::FileHandle{});
  }

  std::vector<std::string> Names(const std::string& directory) {
    absl::StatusOr<std::vector<io::DirectoryEntry>> entries = disk_.List(directory);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<std::string> names;
    if (entries.ok()) {
      for (const io::DirectoryEntry& entry : *entries) names.push_back(entry.name);
    }
    return names;
  }

  Backend backend_;
  io::testing::BlockingStorage disk_;
};

using Backends = ::testing::Types<SimBackend, LoadedSimBackend, UringBackend>;
TYPED_TEST_SUITE(StorageContractTest, Backends);

TYPED_TEST(StorageContractTest, OpenExistingOnMissingFileIsEnoentAndCreatesNothing) {
  const absl::StatusOr<io::FileHandle> file = this->disk_.Open("missing", OpenMode::kExisting);
  EXPECT_TRUE(io::IsEnoent(file.status())) << file.status();
  EXPECT_NE(file.status().message().find("missing"), absl::string_view::npos);
  const std::vector<std::string> names = this->Names("");
  EXPECT_EQ(std::count(names.begin(), names.end(), "missing"), 0);
}

TYPED_TEST(StorageContractTest, CreateExclusiveOnExistingFileIsEexist) {
  ASSERT_TRUE(this->disk_.Close(this->Create("f")).ok());
  EXPECT_TRUE(io::IsEexist(this->disk_.Open("f", OpenMode::kCreateExclusive).status()));
  EXPECT_TRUE(this->disk_.Open("f", OpenMode::kExisting).ok());
  EXPECT_TRUE(this->disk_.Open("g", OpenMode::kCreateExclusive).ok());
}

TYPED_TEST(StorageContractTest, WrittenBytesReadBack) {
  const io::FileHandle file = this->Create("f");
  const Bytes data = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(this->disk_.Write(file, 0, data).ok());
  ASSERT_TRUE(this->disk_.Write(file, 8, data).ok());
  absl::StatusOr<Bytes> read = this->disk_.ReadBytes(file, 4, 8);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, (Bytes{5, 6, 7, 8, 1, 2, 3, 4}));
  EXPECT_EQ(*this->disk_.Size(file), 16u);
}

TYPED_TEST(StorageContractTest, ReadsAreShortOnlyAtEndOfFile) {
  const io::FileHandle file = this->Create("f");
  ASSERT_TRUE(this->disk_.Write(file, 0, Bytes(10, 'x')).ok());
  EXPECT_EQ(this->disk_.ReadBytes(file, 6, 100)->size(), 4u);
  EXPECT_EQ(this->disk_.ReadBytes(file, 10, 100)->size(), 0u);
  EXPECT_EQ(this->disk_.ReadBytes(file, 1000, 1)->size(), 0u);
}

TYPED_TEST(StorageContractTest, WritePastEndZeroFillsTheGap) {
  const io::FileHandle file = this->Create("f");
  ASSERT_TRUE(this->disk_.Write(file, 5, Bytes{9}).ok());
  EXPECT_EQ(*this->disk_.ReadBytes(file, 0, 10), (Bytes{0, 0, 0, 0, 0, 9}));
}

TYPED_TEST(StorageContractTest, LargeWriteIsWrittenWhole) {
  const io::FileHandle file = this->Create("big");
  Bytes data(3 * 1024 * 1024 + 17);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131);
  ASSERT_TRUE(this->disk_.Write(file, 0, data).ok());
  ASSERT_TRUE(this->disk_.Sync(file).ok());
  EXPECT_EQ(*this->disk_.ReadBytes(file, 0, data.size()), data);
}

TYPED_TEST(StorageContractTest, TruncateShrinksAndGrows) {
  const io::FileHandle file = this->Create("f");
  ASSERT_TRUE(this->disk_.Write(file, 0, Bytes(100, 'a')).ok());
  ASSERT_TRUE(this->disk_.Truncate(file, 40).ok());
  EXPECT_EQ(*this->disk_.Size(file), 40u);
  ASSERT_TRUE(this->disk_.Truncate(file, 50).ok());
  Bytes expected(40, 'a');
  expected.resize(50, 0);
  EXPECT_EQ(*this->disk_.ReadBytes(file, 0, 100), expected);
  ASSERT_TRUE(this->disk_.Sync(file).ok());
}

TYPED_TEST(StorageContractTest, ConcurrentWritesToDistinctRangesAllLand) {
  const io::FileHandle file = this->Create("f");
  std::vector<Bytes> blocks;
  for (int i = 0; i < 32; ++i) blocks.push_back(Bytes(100, static_cast<uint8_t>(i)));
  int completed = 0;
  for (int i = 0; i < 32; ++i) {
    this->backend_.storage().Write(file, i * 100, blocks[i], [&completed](absl::Status status) {
      EXPECT_TRUE(status.ok()) << status;
      ++completed;
    });
  }
  EXPECT_EQ(completed, 0);  // never inline
  while (completed < 32) ASSERT_TRUE(this->backend_.loop().RunOnce());
  const Bytes all = *this->disk_.ReadBytes(file, 0, 3200);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(all[i * 100 + 99], i);
}

TYPED_TEST(StorageContractTest, DirectoriesListSortedWithTypes) {
  ASSERT_TRUE(this->disk_.CreateDirectory("d").ok());
  ASSERT_TRUE(this->disk_.CreateDirectory("d/sub").ok());
  for (const char* name : {"d/zeta", "d/alpha", "d/mid"}) this->Create(name);
  ASSERT_TRUE(this->disk_.SyncDirectory("d").ok());
  const absl::StatusOr<std::vector<io::DirectoryEntry>> entries = this->disk_.List("d");
  ASSERT_TRUE(entries.ok()) << entries.status();
  const std::vector<io::DirectoryEntry> expected = {{"alpha", io::EntryType::kFile},
                                                    {"mid", io::EntryType::kFile},
                                                    {"sub", io::EntryType::kDirectory},
                                                    {"zeta", io::EntryType::kFile}};
  EXPECT_EQ(*entries, expected);
}

TYPED_TEST(StorageContractTest, DirectoryErrors) {
  ASSERT_TRUE(this->disk_.CreateDirectory("d").ok());
  EXPECT_TRUE(io::IsEexist(this->disk_.CreateDirectory("d")));
  EXPECT_TRUE(io::IsEnoent(this->disk_.CreateDirectory("nope/d")));
  EXPECT_TRUE(io::IsEnoent(this->disk_.List("nope").status()));
  EXPECT_TRUE(io::IsEnoent(this->disk_.Open("nope/f", OpenMode::kCreate).status()));
  this->Create("d/f");
  EXPECT_EQ(this->disk_.RemoveDirectory("d").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(this->disk_.Unlink("d/f").ok());
  EXPECT_TRUE(this->disk_.RemoveDirectory("d").ok());
  EXPECT_TRUE(io::IsEnoent(this->disk_.RemoveDirectory("d")));
}

TYPED_TEST(StorageContractTest, OpeningADirectoryAsAFileFails) {
  ASSERT_TRUE(this->disk_.CreateDirectory("d").ok());
  EXPECT_EQ(this->disk_.Open("d", OpenMode::kCreate).status().code(),
            absl::StatusCode::kFailedPrecondition);  // EISDIR
  EXPECT_EQ(this->disk_.Unlink("d").code(), absl::StatusCode::kFailedPrecondition);  // EISDIR
}

TYPED_TEST(StorageContractTest, RenameReplacesTheTargetAtomically) {
  const io::FileHandle old_file = this->Create("state");
  ASSERT_TRUE(this->disk_.Write(old_file, 0, Bytes(4, 'o')).ok());
  const io::FileHandle new_file = this->Create("state.tmp");
  ASSERT_TRUE(this->disk_.Write(new_file, 0, Bytes(2, 'n')).ok());
  ASSERT_TRUE(this->disk_.Rename("state.tmp", "state").ok());
  EXPECT_EQ(*this->disk_.ReadFile("state"), Bytes(2, 'n'));
  EXPECT_TRUE(io::IsEnoent(this->disk_.Open("state.tmp", OpenMode::kExisting).status()));
  EXPECT_TRUE(io::IsEnoent(this->disk_.Rename("state.tmp", "state")));
  ASSERT_TRUE(this->disk_.CreateDirectory("d").ok());
  EXPECT_EQ(this->disk_.Rename("state", "d/state").code(), absl::StatusCode::kInvalidArgument);  // EXDEV
}

TYPED_TEST(StorageContractTest, UnlinkedFileStaysUsableThroughOpenHandle) {
  const io::FileHandle file = this->Create("f");
  ASSERT_TRUE(this->disk_.Write(file, 0, Bytes(3, 'k')).ok());
  ASSERT_TRUE(this->disk_.Unlink("f").ok());
  EXPECT_TRUE(io::IsEnoent(this->disk_.Open("f", OpenMode::kExisting).status()));
  EXPECT_EQ(*this->disk_.ReadBytes(file, 0, 3), Bytes(3, 'k'));
  EXPECT_TRUE(this->disk_.Close(file).ok());
  EXPECT_TRUE(io::IsEnoent(this->disk_.Unlink("f")));
}

TYPED_TEST(StorageContractTest, ClosedHandleIsRejected) {
  const io::FileHandle file = this->Create("f");
  ASSERT_TRUE(this->disk_.Close(file).ok());
  EXPECT_EQ(this->disk_.Sync(file).code(), absl::StatusCode::kFailedPrecondition);  // EBADF
  EXPECT_EQ(this->disk_.Write(file, 0, Bytes(1)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(this->disk_.Close(file).ok());
}

TYPED_TEST(StorageContractTest, InvalidPathsAreRejected) {
  for (const char* path : {"/etc/passwd", "../escape", "a//b", "a/./b"}) {
    EXPECT_EQ(this->disk_.Open(path, OpenMode::kCreate).status().code(),
              absl::StatusCode::kInvalidArgument) << path;
  }
  EXPECT_EQ(this->disk_.CreateDirectory("../x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->disk_.Unlink("/x").code(), absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(StorageContractTest, SyncAndDirectorySyncSucceed) {
  ASSERT_TRUE(this->disk_.CreateDirectory("d").ok());
  const io::FileHandle file = this->Create("d/f");
  ASSERT_TRUE(this->disk_.Write(file, 0, Bytes(4096, 's')).ok());
  EXPECT_TRUE(this->disk_.Sync(file).ok());
  EXPECT_TRUE(this->disk_.SyncDirectory("d").ok());
  EXPECT_TRUE(this->disk_.SyncDirectory("").ok());
  EXPECT_TRUE(io::IsEnoent(this->disk_.SyncDirectory("nope")));
}

// Only the loaded backend has this content; the others start empty.
TEST(LoadedSimBackendTest, LoadedContentIsVisibleAndDurable) {
  LoadedSimBackend backend;
  io::testing::BlockingStorage disk(backend.storage(), backend.loop());
  const absl::StatusOr<Bytes> contents = disk.ReadFile("preexisting/nested/data.bin");
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(std::string(contents->begin(), contents->end()), "loaded bytes");
}

}  // namespace
}  // namespace sluice
