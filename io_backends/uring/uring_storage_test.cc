// What only the io_uring backend does: real errno values and messages, large writes,
// the same-directory rename rule on a real file system, handle bookkeeping. The
// behaviour shared with the simulator is tests/storage_contract_test's business.
#include "io_backends/uring/uring_storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"
#include "core/io/task.h"

namespace sluice::uring {
namespace {

using io::FileHandle;
using io::OpenMode;
using io::Task;

// Runs `task` on `loop` until it finishes; nullopt if the loop ran dry first.
template <typename T>
std::optional<T> RunTask(UringLoop& loop, Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task),
            absl::AnyInvocable<void(T)>([&result](T value) { result.emplace(std::move(value)); }));
  while (!result.has_value() && loop.RunOnce()) {
  }
  return result;
}

class UringStorageTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* test_tmpdir = getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(test_tmpdir != nullptr ? test_tmpdir : "/tmp", "/uring_storage_test.XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    root_ = pattern;
    absl::StatusOr<std::unique_ptr<UringLoop>> loop = UringLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = std::move(*loop);
    storage_ = std::make_unique<UringStorage>(*loop_, root_);
  }

  void TearDown() override {
    storage_.reset();
    loop_.reset();
    std::error_code error;
    std::filesystem::remove_all(root_, error);
    EXPECT_FALSE(error) << "removing " << root_ << ": " << error.message();
  }

  template <typename T>
  T Run(Task<T> task) {
    std::optional<T> result = RunTask(*loop_, std::move(task));
    SLUICE_ASSERT(result.has_value(), "the loop went idle before the task finished");
    return std::move(*result);
  }

  // Awaits a single completion-style operation.
  template <typename Result, typename Submit>
  Result Await(io::CompletionAwaiter<Result, Submit> awaiter) {
    return Run(AwaitTask(std::move(awaiter)));
  }
  template <typename Result, typename Submit>
  static Task<Result> AwaitTask(io::CompletionAwaiter<Result, Submit> awaiter) {
    co_return co_await std::move(awaiter);
  }

  FileHandle OpenOrDie(std::string path, OpenMode mode) {
    absl::StatusOr<FileHandle> file = Await(io::OpenFile(*storage_, std::move(path), mode));
    SLUICE_ASSERT(file.ok(), file.status().ToString());
    return *file;
  }

  void WriteFileOutsideStorage(const std::string& path, const std::string& contents) {
    std::ofstream(absl::StrCat(root_, "/", path), std::ios::binary) << contents;
  }

  std::string root_;
  std::unique_ptr<UringLoop> loop_;
  std::unique_ptr<UringStorage> storage_;
};

// The message of an errno status: "NAME: operation path ...".
void ExpectErrno(const absl::Status& status, absl::string_view errno_name,
                 absl::string_view message) {
  EXPECT_EQ(status.message(), absl::StrCat(errno_name, ": ", message)) << status;
}

Task<absl::Status> WriteReadBack(io::Storage& storage, std::string path, ByteSpan data) {
  CO_ASSIGN_OR_RETURN(const FileHandle file,
                      co_await io::OpenFile(storage, path, OpenMode::kCreateExclusive));
  CO_RETURN_IF_ERROR(co_await io::WriteAt(storage, file, 0, data));
  CO_RETURN_IF_ERROR(co_await io::SyncFile(storage, file));
  CO_ASSIGN_OR_RETURN(const uint64_t size, co_await io::FileSize(storage, file));
  if (size != data.size()) co_return absl::InternalError(absl::StrCat("size ", size));
  Bytes read_back(data.size());
  CO_RETURN_IF_ERROR(co_await io::ReadExactly(storage, file, 0, MutableByteSpan(read_back)));
  if (!std::equal(read_back.begin(), read_back.end(), data.begin(), data.end())) {
    co_return absl::InternalError("read back different bytes");
  }
  co_return co_await io::CloseFile(storage, file);
}

TEST_F(UringStorageTest, AWriteOfOneMebibyteCompletesEntirely) {
  Bytes data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 4096);
  EXPECT_TRUE(Run(WriteReadBack(*storage_, "big.log", ByteSpan(data))).ok());
  EXPECT_EQ(std::filesystem::file_size(absl::StrCat(root_, "/big.log")), data.size());
}

// RLIMIT_FSIZE makes the kernel accept a write only up to the limit (a short
// write) and refuse the rest with EFBIG: the backend must write the remainder
// itself, then report the error with how far it got.
TEST_F(UringStorageTest, AShortWriteIsContinuedUntilDoneOrFailed) {
  constexpr size_t kLimitBytes = 256 * 1024;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  // The test lowers the file-size limit to force a short write; it cannot raise a
  // limit that is already below what it needs, so it skips in that environment.
  if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < kLimitBytes) GTEST_SKIP();
  const FileHandle file = OpenOrDie("limited", OpenMode::kCreate);
  // Beyond the limit the kernel would also send SIGXFSZ, which kills by default.
  const sighandler_t saved_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = kLimitBytes;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const Bytes data(kLimitBytes + 4096, 0xab);
  const absl::Status status = Await(io::WriteAt(*storage_, file, 0, data));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, saved_handler);
  EXPECT_EQ(status.message(),
            absl::StrCat("EFBIG: write ", data.size(), " bytes at 0 of limited (after ",
                         kLimitBytes, " bytes were written)"));
  EXPECT_EQ(Await(io::FileSize(*storage_, file)).value_or(0), kLimitBytes);
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
}

TEST_F(UringStorageTest, WriteExtendsWithZerosAndReadIsShortOnlyAtEnd) {
  const FileHandle file = OpenOrDie("gap.log", OpenMode::kCreate);
  const std::string tail = "tail";
  ASSERT_TRUE(Await(io::WriteAt(*storage_, file, 100, base::AsBytes(tail))).ok());
  Bytes buffer(200, 0xff);
  const absl::StatusOr<size_t> count =
      Await(io::ReadAt(*storage_, file, 0, MutableByteSpan(buffer)));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 104u);
  EXPECT_EQ(buffer[0], 0);
  EXPECT_EQ(buffer[99], 0);
  EXPECT_EQ(buffer[100], 't');
  const absl::StatusOr<size_t> past_end =
      Await(io::ReadAt(*storage_, file, 1000, MutableByteSpan(buffer)));
  EXPECT_EQ(past_end.value_or(99), 0u);
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
}

TEST_F(UringStorageTest, TruncateAndSize) {
  const FileHandle file = OpenOrDie("t.log", OpenMode::kCreate);
  ASSERT_TRUE(Await(io::TruncateFile(*storage_, file, 12345)).ok());
  EXPECT_EQ(Await(io::FileSize(*storage_, file)).value_or(0), 12345u);
  ASSERT_TRUE(Await(io::TruncateFile(*storage_, file, 10)).ok());
  EXPECT_EQ(Await(io::FileSize(*storage_, file)).value_or(0), 10u);
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
}

TEST_F(UringStorageTest, ErrorsNameTheErrnoTheOperationAndThePath) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "streams")).ok());
  const absl::StatusOr<FileHandle> missing =
      Await(io::OpenFile(*storage_, "streams/missing.log", OpenMode::kExisting));
  EXPECT_TRUE(io::IsEnoent(missing.status()));
  ExpectErrno(missing.status(), "ENOENT", "open streams/missing.log");

  const FileHandle file = OpenOrDie("streams/x.log", OpenMode::kCreateExclusive);
  const absl::StatusOr<FileHandle> again =
      Await(io::OpenFile(*storage_, "streams/x.log", OpenMode::kCreateExclusive));
  EXPECT_TRUE(io::IsEexist(again.status()));
  ExpectErrno(again.status(), "EEXIST", "open streams/x.log");
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());

  const absl::Status no_parent = Await(io::MakeDirectory(*storage_, "a/b"));
  ExpectErrno(no_parent, "ENOENT", "mkdir a/b");
  const absl::Status exists = Await(io::MakeDirectory(*storage_, "streams"));
  ExpectErrno(exists, "EEXIST", "mkdir streams");
  ExpectErrno(Await(io::UnlinkFile(*storage_, "streams/nothing")), "ENOENT",
              "unlink streams/nothing");
  ExpectErrno(Await(io::RemoveDirectory(*storage_, "nothing")), "ENOENT", "rmdir nothing");
  ExpectErrno(Await(io::SyncDirectory(*storage_, "nothing")), "ENOENT", "open directory nothing");
  ExpectErrno(Await(io::ListDirectory(*storage_, "nothing")).status(), "ENOENT", "list nothing");
  ExpectErrno(Await(io::RenameFile(*storage_, "streams/a", "streams/b")), "ENOENT",
              "rename streams/a to streams/b");
}

TEST_F(UringStorageTest, ReadAndWriteErrorsNameLengthAndOffset) {
  // A real EIO cannot be provoked here; an unknown handle shows the same message shape.
  Bytes buffer(4096);
  const absl::StatusOr<size_t> read =
      Await(io::ReadAt(*storage_, FileHandle{777}, 8192, MutableByteSpan(buffer)));
  ExpectErrno(read.status(), "EBADF", "read 4096 bytes at 8192 of unknown handle 777");
  const absl::Status write = Await(io::WriteAt(*storage_, FileHandle{777}, 8192, buffer));
  ExpectErrno(write, "EBADF", "write 4096 bytes at 8192 of unknown handle 777");
  // An offset past what off_t can address is refused, never sent as -1 ("current position").
  const FileHandle file = OpenOrDie("x.log", OpenMode::kCreate);
  const absl::Status far = Await(io::WriteAt(*storage_, file, ~uint64_t{0}, buffer));
  ExpectErrno(far, "EINVAL", absl::StrCat("write 4096 bytes at ", ~uint64_t{0}, " of x.log"));
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
}

TEST_F(UringStorageTest, OpeningADirectoryAsAFileIsEisdir) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "d")).ok());
  for (const OpenMode mode : {OpenMode::kExisting, OpenMode::kCreate}) {
    const absl::StatusOr<FileHandle> file = Await(io::OpenFile(*storage_, "d", mode));
    ExpectErrno(file.status(), "EISDIR", "open d");
  }
  EXPECT_EQ(storage_->open_file_count(), 0u);
}

TEST_F(UringStorageTest, UnlinkingADirectoryIsEisdir) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "d")).ok());
  ExpectErrno(Await(io::UnlinkFile(*storage_, "d")), "EISDIR", "unlink d");
  EXPECT_TRUE(Await(io::RemoveDirectory(*storage_, "d")).ok());
}

TEST_F(UringStorageTest, RemovingANonEmptyDirectoryIsEnotempty) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "d")).ok());
  WriteFileOutsideStorage("d/f", "x");
  ExpectErrno(Await(io::RemoveDirectory(*storage_, "d")), "ENOTEMPTY", "rmdir d");
}

TEST_F(UringStorageTest, RenameAcrossDirectoriesIsExdev) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "a")).ok());
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "b")).ok());
  WriteFileOutsideStorage("a/x", "x");
  const absl::Status status = Await(io::RenameFile(*storage_, "a/x", "b/x"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  ExpectErrno(status, "EXDEV", "rename a/x to b/x: not in the same directory");
  // Root to subdirectory is a different directory too.
  WriteFileOutsideStorage("y", "y");
  ExpectErrno(Await(io::RenameFile(*storage_, "y", "a/y")), "EXDEV",
              "rename y to a/y: not in the same directory");
  EXPECT_TRUE(std::filesystem::exists(absl::StrCat(root_, "/a/x")));
}

TEST_F(UringStorageTest, RenameReplacesTheTarget) {
  WriteFileOutsideStorage("x.tmp", "new");
  WriteFileOutsideStorage("x", "old");
  ASSERT_TRUE(Await(io::RenameFile(*storage_, "x.tmp", "x")).ok());
  ASSERT_TRUE(Await(io::SyncDirectory(*storage_, "")).ok());
  const absl::StatusOr<Bytes> contents = Run(io::ReadWholeFile(*storage_, "x"));
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(std::string(contents->begin(), contents->end()), "new");
  EXPECT_FALSE(std::filesystem::exists(absl::StrCat(root_, "/x.tmp")));
}

TEST_F(UringStorageTest, WriteFileAtomicallyRunsOnThisBackend) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "meta")).ok());
  const std::string contents = "superblock";
  ASSERT_TRUE(Run(io::WriteFileAtomically(*storage_, "meta/sb", base::AsBytes(contents))).ok());
  const absl::StatusOr<Bytes> read_back = Run(io::ReadWholeFile(*storage_, "meta/sb"));
  ASSERT_TRUE(read_back.ok()) << read_back.status();
  EXPECT_EQ(std::string(read_back->begin(), read_back->end()), contents);
}

TEST_F(UringStorageTest, HandlesAreNeverReused) {
  const FileHandle first = OpenOrDie("f", OpenMode::kCreate);
  EXPECT_NE(first.value, 0u);
  ASSERT_TRUE(Await(io::CloseFile(*storage_, first)).ok());
  const FileHandle second = OpenOrDie("f", OpenMode::kExisting);
  EXPECT_NE(second, first);
  // The old handle does not reach the file the new one opened.
  Bytes buffer(1);
  ExpectErrno(Await(io::ReadAt(*storage_, first, 0, MutableByteSpan(buffer))).status(), "EBADF",
              absl::StrCat("read 1 bytes at 0 of unknown handle ", first.value));
  ExpectErrno(Await(io::CloseFile(*storage_, first)), "EBADF",
              absl::StrCat("close unknown handle ", first.value));
  ASSERT_TRUE(Await(io::CloseFile(*storage_, second)).ok());
  EXPECT_EQ(storage_->open_file_count(), 0u);
}

TEST_F(UringStorageTest, ListIsSortedWithTypesAndWithoutDotEntries) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "dir")).ok());
  for (const char* name : {"zeta", "alpha", "Mid", "dir/inner"}) WriteFileOutsideStorage(name, "");
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "beta")).ok());
  const absl::StatusOr<std::vector<io::DirectoryEntry>> entries =
      Await(io::ListDirectory(*storage_, ""));
  ASSERT_TRUE(entries.ok()) << entries.status();
  using io::EntryType;
  EXPECT_EQ(*entries, (std::vector<io::DirectoryEntry>{{"Mid", EntryType::kFile},
                                                       {"alpha", EntryType::kFile},
                                                       {"beta", EntryType::kDirectory},
                                                       {"dir", EntryType::kDirectory},
                                                       {"zeta", EntryType::kFile}}));
  const absl::StatusOr<std::vector<io::DirectoryEntry>> inner =
      Await(io::ListDirectory(*storage_, "dir"));
  EXPECT_EQ(inner.value_or(std::vector<io::DirectoryEntry>{}),
            (std::vector<io::DirectoryEntry>{{"inner", EntryType::kFile}}));
}

TEST_F(UringStorageTest, InvalidPathsAreInvalidArgumentDeliveredLater) {
  for (const char* path : {"/etc/passwd", "../escape", "a//b", "a/./b"}) {
    bool delivered = false;
    absl::Status status;
    storage_->Unlink(path, [&](absl::Status result) {
      delivered = true;
      status = std::move(result);
    });
    EXPECT_FALSE(delivered) << path;  // Never inline, even for an immediate error.
    while (!delivered && loop_->RunOnce()) {
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_TRUE(absl::StrContains(status.message(), path)) << status;
  }
  EXPECT_EQ(Await(io::RemoveDirectory(*storage_, "")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Await(io::RenameFile(*storage_, "", "x")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::exists(root_));
}

TEST_F(UringStorageTest, SynchronousOperationsAreStillDeliveredLater) {
  const FileHandle file = OpenOrDie("f", OpenMode::kCreate);
  bool truncated = false;
  bool listed = false;
  storage_->Truncate(file, 5, [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    truncated = true;
  });
  storage_->List("", [&](absl::StatusOr<std::vector<io::DirectoryEntry>> entries) {
    EXPECT_TRUE(entries.ok()) << entries.status();
    listed = true;
  });
  EXPECT_FALSE(truncated);
  EXPECT_FALSE(listed);
  while ((!truncated || !listed) && loop_->RunOnce()) {
  }
  EXPECT_TRUE(truncated && listed);
  EXPECT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
}

TEST_F(UringStorageTest, FilesAndDirectoriesGetTheirModes) {
  ASSERT_TRUE(Await(io::MakeDirectory(*storage_, "d")).ok());
  const FileHandle file = OpenOrDie("d/f", OpenMode::kCreateExclusive);
  ASSERT_TRUE(Await(io::CloseFile(*storage_, file)).ok());
  const mode_t mask = umask(0);
  umask(mask);
  struct stat info {};
  ASSERT_EQ(stat(absl::StrCat(root_, "/d").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0755u & ~mask);
  ASSERT_EQ(stat(absl::StrCat(root_, "/d/f").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u & ~mask);
}

TEST_F(UringStorageTest, DestroyingTheStorageClosesForgottenHandles) {
  OpenOrDie("a", OpenMode::kCreate);
  OpenOrDie("b", OpenMode::kCreate);
  EXPECT_EQ(storage_->open_file_count(), 2u);
  storage_.reset();  // ASan/LSan and the fd table would notice a leak; nothing to assert here.
}

}  // namespace
}  // namespace sluice::uring
