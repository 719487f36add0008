#pragma once
// FormatJournal: creates an empty metadata WAL (layout: journal_layout.h).
//
// Steps, each checked (rule B1): create the `metadata` directory if it is missing
// and sync the root so its name is durable; create `metadata/journal.wal`
// exclusively (a WAL is never overwritten: AlreadyExists); size it to the layout's
// full size (every slot zero, i.e. empty) and sync it; close it; sync `metadata`
// so the file's name is durable. Only after OK does the WAL exist: a crash before
// may leave a partial file, which RecoverJournal refuses (its size is wrong) —
// remove it and format again.
//
// The new WAL holds no op: recover it with checkpoint_op 0 (or the op of the
// snapshot it starts after) to get a Journal to append to.

#include "absl/status/status.h"
#include "core/io/storage.h"
#include "core/io/task.h"
#include "core/journal/journal_layout.h"

namespace sluice::journal {

io::Task<absl::Status> FormatJournal(io::Storage& storage, JournalOptions options);

}  // namespace sluice::journal
