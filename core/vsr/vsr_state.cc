#include "core/vsr/vsr_state.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"

namespace sluice::vsr {
namespace {

using base::LoadLittleEndian;
using base::LoadU128;
using base::StoreLittleEndian;
using base::StoreU128;

constexpr uint64_t kMagic = 0x3154535253564C53;  // "SLVSRST1"
constexpr uint32_t kVersion = 1;
constexpr size_t kFixedSize = 48;
constexpr size_t kRecordSize = 48;
constexpr size_t kChecksumSize = 16;
constexpr char kTemporaryPath[] = "vsr_state.tmp";
constexpr uint8_t kFlagRecovering = 1;

// The steps of PersistVsrState, one callback each: a process death drops the pending
// completion and with it this object, so nothing runs after the process is gone.
struct PersistOperation {
  io::Storage& storage;
  Bytes contents;
  absl::AnyInvocable<void(absl::Status)> done;
  io::FileHandle file;
};

void Finish(std::unique_ptr<PersistOperation> operation, absl::Status status, absl::string_view step) {
  if (!status.ok()) status = absl::Status(status.code(), absl::StrCat(step, " ", kVsrStatePath, ": ", status.message()));
  auto done = std::move(operation->done);
  done(status);
}

void AfterClose(std::unique_ptr<PersistOperation> operation) {
  io::Storage& storage = operation->storage;
  storage.Rename(kTemporaryPath, kVsrStatePath,
                 [operation = std::move(operation)](absl::Status status) mutable {
                   if (!status.ok()) return Finish(std::move(operation), status, "renaming");
                   io::Storage& storage = operation->storage;
                   storage.SyncDirectory("", [operation = std::move(operation)](absl::Status status) mutable {
                     Finish(std::move(operation), status, "syncing the directory of");
                   });
                 });
}

void AfterWrite(std::unique_ptr<PersistOperation> operation) {
  io::Storage& storage = operation->storage;
  const io::FileHandle file = operation->file;
  storage.Sync(file, [operation = std::move(operation)](absl::Status status) mutable {
    if (!status.ok()) return Finish(std::move(operation), status, "syncing");
    io::Storage& storage = operation->storage;
    const io::FileHandle file = operation->file;  // read before the capture moves `operation`
    storage.Close(file, [operation = std::move(operation)](absl::Status status) mutable {
      if (!status.ok()) return Finish(std::move(operation), status, "closing");
      AfterClose(std::move(operation));
    });
  });
}

void AfterOpen(std::unique_ptr<PersistOperation> operation) {
  io::Storage& storage = operation->storage;
  const io::FileHandle file = operation->file;
  storage.Truncate(file, 0, [operation = std::move(operation)](absl::Status status) mutable {
    if (!status.ok()) return Finish(std::move(operation), status, "truncating");
    io::Storage& storage = operation->storage;
    const io::FileHandle file = operation->file;
    const ByteSpan contents = operation->contents;
    storage.Write(file, 0, contents, [operation = std::move(operation)](absl::Status status) mutable {
      if (!status.ok()) return Finish(std::move(operation), status, "writing");
      AfterWrite(std::move(operation));
    });
  });
}

}  // namespace

Bytes EncodeVsrState(const VsrState& state, absl::uint128 cluster, uint8_t replica) {
  SLUICE_ASSERT(state.log_view <= state.view, "log view ", state.log_view, " above view ", state.view);
  Bytes bytes(kFixedSize + state.groups.size() * kRecordSize + kChecksumSize, 0);
  StoreLittleEndian<uint64_t>(bytes, 0, kMagic);
  StoreLittleEndian<uint32_t>(bytes, 8, kVersion);
  bytes[12] = replica;
  bytes[13] = state.recovering ? kFlagRecovering : 0;
  StoreU128(bytes, 16, cluster);
  StoreLittleEndian<uint32_t>(bytes, 32, state.view);
  StoreLittleEndian<uint32_t>(bytes, 36, state.log_view);
  StoreLittleEndian<uint64_t>(bytes, 40, state.groups.size());
  for (size_t i = 0; i < state.groups.size(); ++i) {
    const GroupViewState& group = state.groups[i];
    const size_t at = kFixedSize + i * kRecordSize;
    SLUICE_ASSERT(i == 0 || state.groups[i - 1].group < group.group, "groups not sorted");
    StoreLittleEndian<uint64_t>(bytes, at, group.group.namespace_id);
    StoreLittleEndian<uint64_t>(bytes, at + 8, group.group.incarnation);
    StoreLittleEndian<uint32_t>(bytes, at + 16, group.log_view);
    StoreLittleEndian<uint64_t>(bytes, at + 24, group.head_op);
    StoreU128(bytes, at + 32, group.head_checksum);
  }
  const size_t end = bytes.size() - kChecksumSize;
  StoreU128(bytes, end, base::Checksum128(ByteSpan(bytes).first(end)));
  return bytes;
}

absl::StatusOr<VsrState> DecodeVsrState(ByteSpan bytes, absl::uint128 cluster, uint8_t replica) {
  if (bytes.size() < kFixedSize + kChecksumSize) {
    return absl::DataLossError(absl::StrCat(kVsrStatePath, " is ", bytes.size(), " bytes, too short"));
  }
  const size_t end = bytes.size() - kChecksumSize;
  if (base::Checksum128(bytes.first(end)) != LoadU128(bytes, end)) {
    return absl::DataLossError(absl::StrCat(kVsrStatePath, " checksum mismatch"));
  }
  if (LoadLittleEndian<uint64_t>(bytes, 0) != kMagic || LoadLittleEndian<uint32_t>(bytes, 8) != kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(kVsrStatePath, " has an unknown magic or version"));
  }
  if (bytes[12] != replica || LoadU128(bytes, 16) != cluster) {
    return absl::FailedPreconditionError(absl::StrCat(kVsrStatePath, " belongs to replica ",
                                                      int{bytes[12]}, " of another cluster or index"));
  }
  if ((bytes[13] & ~kFlagRecovering) != 0 || bytes[14] != 0 || bytes[15] != 0) {
    return absl::InvalidArgumentError(absl::StrCat(kVsrStatePath, " has unknown flags ", int{bytes[13]}));
  }
  VsrState state{.view = LoadLittleEndian<uint32_t>(bytes, 32),
                 .log_view = LoadLittleEndian<uint32_t>(bytes, 36),
                 .groups = {},
                 .recovering = (bytes[13] & kFlagRecovering) != 0};
  const uint64_t count = LoadLittleEndian<uint64_t>(bytes, 40);
  if (count > (end - kFixedSize) / kRecordSize || kFixedSize + count * kRecordSize != end) {
    return absl::DataLossError(absl::StrCat(kVsrStatePath, " length disagrees with ", count, " groups"));
  }
  if (state.log_view > state.view) {
    return absl::InvalidArgumentError(absl::StrCat(kVsrStatePath, " log view ", state.log_view,
                                                   " above view ", state.view));
  }
  for (uint64_t i = 0; i < count; ++i) {
    const size_t at = kFixedSize + i * kRecordSize;
    GroupViewState group{.group = {.namespace_id = LoadLittleEndian<uint64_t>(bytes, at),
                                   .incarnation = LoadLittleEndian<uint64_t>(bytes, at + 8)},
                         .log_view = LoadLittleEndian<uint32_t>(bytes, at + 16),
                         .head_op = LoadLittleEndian<uint64_t>(bytes, at + 24),
                         .head_checksum = LoadU128(bytes, at + 32)};
    if (!state.groups.empty() && !(state.groups.back().group < group.group)) {
      return absl::InvalidArgumentError(absl::StrCat(kVsrStatePath, " groups are not sorted"));
    }
    if (group.log_view > state.log_view && group.log_view != kRemovedLogView) {
      return absl::InvalidArgumentError(absl::StrCat(kVsrStatePath, " group log view above the replica's"));
    }
    state.groups.push_back(group);
  }
  return state;
}

void PersistVsrState(io::Storage& storage, const VsrState& state, absl::uint128 cluster,
                     uint8_t replica, absl::AnyInvocable<void(absl::Status)> done) {
  auto operation = std::make_unique<PersistOperation>(PersistOperation{
      .storage = storage, .contents = EncodeVsrState(state, cluster, replica), .done = std::move(done), .file = {}});
  storage.Open(kTemporaryPath, io::OpenMode::kCreate,
               [operation = std::move(operation)](absl::StatusOr<io::FileHandle> file) mutable {
                 if (!file.ok()) return Finish(std::move(operation), file.status(), "creating");
                 operation->file = *file;
                 AfterOpen(std::move(operation));
               });
}

namespace {
struct LoadOperation {
  io::Storage& storage;
  absl::uint128 cluster;
  uint8_t replica;
  absl::AnyInvocable<void(absl::StatusOr<VsrState>)> done;
  io::FileHandle file;
  Bytes bytes;
};

void FinishLoad(std::unique_ptr<LoadOperation> operation, absl::StatusOr<VsrState> result) {
  auto done = std::move(operation->done);
  done(std::move(result));
}
}  // namespace

void LoadVsrState(io::Storage& storage, absl::uint128 cluster, uint8_t replica,
                  absl::AnyInvocable<void(absl::StatusOr<VsrState>)> done) {
  auto operation = std::make_unique<LoadOperation>(
      LoadOperation{.storage = storage, .cluster = cluster, .replica = replica, .done = std::move(done),
                    .file = {}, .bytes = {}});
  storage.Open(kVsrStatePath, io::OpenMode::kExisting,
               [operation = std::move(operation)](absl::StatusOr<io::FileHandle> file) mutable {
    if (!file.ok()) return FinishLoad(std::move(operation), file.status());
    operation->file = *file;
    io::Storage& storage = operation->storage;
    storage.Size(*file, [operation = std::move(operation)](absl::StatusOr<uint64_t> size) mutable {
      if (!size.ok()) return FinishLoad(std::move(operation), size.status());
      operation->bytes.resize(*size);
      io::Storage& storage = operation->storage;
      const io::FileHandle file = operation->file;
      const MutableByteSpan buffer(operation->bytes);
      storage.Read(file, 0, buffer, [operation = std::move(operation)](absl::StatusOr<size_t> read) mutable {
        absl::StatusOr<VsrState> result = absl::DataLossError("short read");
        if (!read.ok()) {
          result = read.status();
        } else if (*read == operation->bytes.size()) {
          result = DecodeVsrState(operation->bytes, operation->cluster, operation->replica);
        }
        io::Storage& storage = operation->storage;
        const io::FileHandle file = operation->file;
        storage.Close(file, [operation = std::move(operation), result = std::move(result)](absl::Status) mutable {
          FinishLoad(std::move(operation), std::move(result));
        });
      });
    });
  });
}

}  // namespace sluice::vsr
