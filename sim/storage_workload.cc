#include "sim/storage_workload.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::sim {
namespace {

constexpr uint64_t kMaxInFlight = 4;
constexpr uint64_t kFileNames = 6;

enum class Kind : uint8_t {
  kOpen, kWrite, kRead, kSync, kTruncate, kSize, kMakeDirectory, kSyncDirectory, kRename,
  kUnlink, kList, kClose, kRestart, kCrash, kCount
};

class Workload {
 public:
  Workload(uint64_t seed, const StorageWorkloadOptions& options)
      : options_(options),
        prng_(base::DeriveSeed(seed, 1)),
        storage_(loop_, MakeStorageOptions(seed, options)) {}

  StorageWorkloadResult Run() {
    while (issued_ < options_.operations) {
      while (in_flight_ < kMaxInFlight && issued_ < options_.operations) Issue();
      if (!loop_.RunOnce()) SLUICE_ASSERT(in_flight_ == 0, in_flight_, " operations lost");
    }
    while (loop_.RunOnce()) {
    }
    const StorageFaultCounts& counts = storage_.fault_counts();
    StorageWorkloadResult result;
    const absl::uint128 digest = digest_.Finish();
    result.digest = absl::StrFormat("%016x%016x", absl::Uint128High64(digest), absl::Uint128Low64(digest));
    result.events = events_;
    result.crashes = counts.crashes;
    result.faults = counts.latent_read_errors + counts.bit_flips + counts.misdirected_writes +
                    counts.no_space_errors + counts.sync_failures;
    result.simulated_ns = loop_.MonotonicNs();
    result.profile = storage_.profile();
    return result;
  }

 private:
  static SimStorageOptions MakeStorageOptions(uint64_t seed, const StorageWorkloadOptions& options) {
    base::Prng profile_prng(base::DeriveSeed(seed, 2));
    return {.seed = base::DeriveSeed(seed, 3),
            .sector_size_bytes = 512,
            .profile = options.profile.has_value()
                           ? *options.profile
                           : DrawSwarmStorageProfile(profile_prng, /*max_parts_per_million=*/100'000)};
  }

  // Appends one observed event to the digest.
  void Observe(uint64_t operation, Kind kind, const absl::Status& status, ByteSpan payload = {}) {
    ++events_;
    Bytes record(8 + 1 + 1 + 8);
    base::StoreLittleEndian<uint64_t>(record, 0, operation);
    record[8] = static_cast<uint8_t>(kind);
    record[9] = static_cast<uint8_t>(status.code());
    base::StoreLittleEndian<uint64_t>(record, 10, base::Checksum64(payload));
    digest_.Add(record);
    if (options_.trace) {
      options_.trace(absl::StrFormat("t=%dns op=%d %s -> %s%s", loop_.MonotonicNs(), operation,
                                     KindName(kind), absl::StatusCodeToString(status.code()),
                                     status.ok() ? absl::StrFormat(" (%d payload bytes)", payload.size())
                                                 : absl::StrCat(": ", status.message())));
    }
  }

  static const char* KindName(Kind kind) {
    static constexpr const char* kNames[] = {"open", "write", "read", "sync", "truncate", "size",
                                             "mkdir", "sync-dir", "rename", "unlink", "list",
                                             "close", "restart", "crash"};
    static_assert(std::size(kNames) == static_cast<size_t>(Kind::kCount));
    return kNames[static_cast<size_t>(kind)];
  }

  std::string RandomPath() {
    const uint64_t index = prng_.UniformBelow(kFileNames);
    const bool nested = prng_.Chance({1, 3});
    return absl::StrCat(nested ? "d/" : "", "f", index);
  }

  // Picks an open handle, or none.
  std::optional<io::FileHandle> RandomHandle() {
    if (handles_.empty()) return std::nullopt;
    const uint64_t index = prng_.UniformBelow(handles_.size());
    if (options_.plant_nondeterminism) {
      // Canary: steer by the iteration order of a pointer-keyed hash set.
      absl::flat_hash_set<const void*> addresses;
      std::vector<std::unique_ptr<int>> owners;
      for (size_t i = 0; i < handles_.size(); ++i) {
        owners.push_back(std::make_unique<int>(static_cast<int>(i)));
        addresses.insert(owners.back().get());
      }
      return handles_[*static_cast<const int*>(*addresses.begin())];
    }
    return handles_[index];
  }

  template <typename Result>
  absl::AnyInvocable<void(Result)> Done(uint64_t operation, Kind kind,
                                        absl::AnyInvocable<void(const Result&)> on_result = nullptr) {
    ++in_flight_;
    return [this, operation, kind, epoch = epoch_, on_result = std::move(on_result)](Result result) mutable {
      SLUICE_ASSERT(epoch == epoch_, "a completion outlived the process that submitted it");
      --in_flight_;
      if constexpr (std::is_same_v<Result, absl::Status>) {
        Observe(operation, kind, result);
      } else {
        Observe(operation, kind, result.status());
      }
      if (on_result) on_result(result);
    };
  }

  void Issue() {
    const uint64_t operation = issued_++;
    const Kind kind = static_cast<Kind>(prng_.UniformBelow(static_cast<uint64_t>(Kind::kCount)));
    switch (kind) {
      case Kind::kOpen: {
        const bool create = prng_.Chance({3, 4});
        storage_.Open(RandomPath(), create ? io::OpenMode::kCreate : io::OpenMode::kExisting,
                      Done<absl::StatusOr<io::FileHandle>>(operation, kind, [this](const auto& file) {
                        if (file.ok() && handles_.size() < 8) handles_.push_back(*file);
                      }));
        return;
      }
      case Kind::kWrite: {
        const std::optional<io::FileHandle> file = RandomHandle();
        if (!file) return Skip(operation, kind);
        const uint64_t offset = prng_.UniformBelow(8192);
        auto buffer = std::make_shared<Bytes>(prng_.UniformRange(1, 2048));
        const uint8_t fill = static_cast<uint8_t>(prng_.Next());
        for (size_t i = 0; i < buffer->size(); ++i) (*buffer)[i] = static_cast<uint8_t>(fill + i);
        storage_.Write(*file, offset, *buffer,
                       Done<absl::Status>(operation, kind, [buffer](const absl::Status&) {}));
        return;
      }
      case Kind::kRead: {
        const std::optional<io::FileHandle> file = RandomHandle();
        if (!file) return Skip(operation, kind);
        const uint64_t offset = prng_.UniformBelow(8192);
        auto buffer = std::make_shared<Bytes>(prng_.UniformRange(1, 4096));
        ++in_flight_;
        storage_.Read(*file, offset, MutableByteSpan(*buffer),
                      [this, operation, kind, buffer, epoch = epoch_](absl::StatusOr<size_t> count) {
                        SLUICE_ASSERT(epoch == epoch_);
                        --in_flight_;
                        const size_t valid = count.ok() ? *count : 0;
                        Observe(operation, kind, count.status(), ByteSpan(*buffer).subspan(0, valid));
                      });
        return;
      }
      case Kind::kSync: {
        const std::optional<io::FileHandle> file = RandomHandle();
        if (!file) return Skip(operation, kind);
        storage_.Sync(*file, Done<absl::Status>(operation, kind));
        return;
      }
      case Kind::kTruncate: {
        const std::optional<io::FileHandle> file = RandomHandle();
        if (!file) return Skip(operation, kind);
        storage_.Truncate(*file, prng_.UniformBelow(8192), Done<absl::Status>(operation, kind));
        return;
      }
      case Kind::kSize: {
        const std::optional<io::FileHandle> file = RandomHandle();
        if (!file) return Skip(operation, kind);
        storage_.Size(*file, Done<absl::StatusOr<uint64_t>>(operation, kind, [this, operation, kind](const auto& size) {
          if (size.ok()) {
            Bytes encoded(8);
            base::StoreLittleEndian<uint64_t>(encoded, 0, *size);
            Observe(operation, kind, absl::OkStatus(), encoded);
          }
        }));
        return;
      }
      case Kind::kMakeDirectory:
        storage_.CreateDirectory("d", Done<absl::Status>(operation, kind));
        return;
      case Kind::kSyncDirectory:
        storage_.SyncDirectory(prng_.Chance({1, 2}) ? "" : "d", Done<absl::Status>(operation, kind));
        return;
      case Kind::kRename: {
        const std::string from = RandomPath();
        const std::string to = RandomPath();
        storage_.Rename(from, to, Done<absl::Status>(operation, kind));
        return;
      }
      case Kind::kUnlink:
        storage_.Unlink(RandomPath(), Done<absl::Status>(operation, kind));
        return;
      case Kind::kList:
        storage_.List(prng_.Chance({1, 2}) ? "" : "d",
                      Done<absl::StatusOr<std::vector<io::DirectoryEntry>>>(
                          operation, kind, [this, operation, kind](const auto& entries) {
                            if (!entries.ok()) return;
                            std::string names;
                            for (const io::DirectoryEntry& entry : *entries) {
                              absl::StrAppend(&names, entry.name, entry.type == io::EntryType::kDirectory ? "/" : "", ";");
                            }
                            Observe(operation, kind, absl::OkStatus(), base::AsBytes(names));
                          }));
        return;
      case Kind::kClose: {
        if (handles_.empty()) return Skip(operation, kind);
        const uint64_t index = prng_.UniformBelow(handles_.size());
        const io::FileHandle file = handles_[index];
        handles_.erase(handles_.begin() + static_cast<ptrdiff_t>(index));
        storage_.Close(file, Done<absl::Status>(operation, kind));
        return;
      }
      case Kind::kRestart:
      case Kind::kCrash:
        if (!prng_.Chance({1, 8})) return Skip(operation, kind);
        if (kind == Kind::kRestart) {
          storage_.RestartProcess();
        } else {
          storage_.CrashMachine();
        }
        ++epoch_;
        handles_.clear();
        in_flight_ = 0;
        Observe(operation, kind, absl::OkStatus());
        return;
      case Kind::kCount:
        break;
    }
    SLUICE_UNREACHABLE("operation kind ", static_cast<int>(kind));
  }

  void Skip(uint64_t operation, Kind kind) {
    Observe(operation, kind, absl::CancelledError("skipped"));
  }

  StorageWorkloadOptions options_;
  base::Prng prng_;
  SimLoop loop_;
  SimStorage storage_;
  base::Checksum128Builder digest_;
  std::vector<io::FileHandle> handles_;
  uint64_t issued_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t epoch_ = 0;
  uint64_t events_ = 0;
};

}  // namespace

std::string DescribeProfile(const StorageFaultProfile& profile) {
  auto ppm = [](base::Ratio ratio) { return ratio.numerator * 1'000'000 / ratio.denominator; };
  return absl::StrFormat(
      "%s (per million ops: latent-read %d, bit-flip %d, misdirected %d, enospc %d, sync-fail %d; "
      "crash keeps %d%% of unsynced sectors, %d%% of directory changes; latency %d+exp(%d) ns)",
      profile.name, ppm(profile.read_latent_error), ppm(profile.write_bit_flip),
      ppm(profile.write_misdirected), ppm(profile.write_no_space), ppm(profile.sync_failure),
      ppm(profile.crash_sector_lands) / 10'000, ppm(profile.crash_directory_change_lands) / 10'000,
      profile.latency_floor_ns, profile.latency_mean_ns);
}

StorageWorkloadResult RunStorageWorkload(uint64_t seed, const StorageWorkloadOptions& options) {
  Workload workload(seed, options);
  return workload.Run();
}

}  // namespace sluice::sim
