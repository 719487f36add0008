#include "core/journal/format_journal.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/io/io_error.h"
#include "core/io/storage_ops.h"

namespace sluice::journal {
namespace {

// Creates `metadata` unless it exists; a new directory's name is made durable.
io::Task<absl::Status> EnsureJournalDirectory(io::Storage& storage) {
  const std::string directory(kJournalDirectory);
  const absl::Status made = co_await io::MakeDirectory(storage, directory);
  if (io::IsEexist(made)) co_return absl::OkStatus();
  CO_RETURN_IF_ERROR(made, "creating ", directory);
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, ""), "syncing the root after creating ",
                     directory);
  co_return absl::OkStatus();
}

}  // namespace

io::Task<absl::Status> FormatJournal(io::Storage& storage, JournalOptions options) {
  CO_RETURN_IF_ERROR(ValidateJournalOptions(options));
  const JournalLayout layout(options);
  const std::string path(kJournalPath);
  CO_RETURN_IF_ERROR(co_await EnsureJournalDirectory(storage));
  absl::StatusOr<io::FileHandle> file =
      co_await io::OpenFile(storage, path, io::OpenMode::kCreateExclusive);
  if (io::IsEexist(file.status())) {
    co_return absl::AlreadyExistsError(
        absl::StrCat(path, " already exists: formatting never overwrites a WAL"));
  }
  CO_RETURN_IF_ERROR(file.status(), "creating ", path);
  // Every slot reads as zero (empty) once the size is durable.
  absl::Status status = co_await io::TruncateFile(storage, *file, layout.file_size_bytes());
  if (status.ok()) status = co_await io::SyncFile(storage, *file);
  const absl::Status closed = co_await io::CloseFile(storage, *file);
  if (status.ok()) status = closed;
  CO_RETURN_IF_ERROR(status, "sizing ", path, " to ", layout.file_size_bytes(), " bytes");
  CO_RETURN_IF_ERROR(co_await io::SyncDirectory(storage, std::string(kJournalDirectory)),
                     "syncing ", kJournalDirectory, " after creating ", path);
  co_return absl::OkStatus();
}

}  // namespace sluice::journal
