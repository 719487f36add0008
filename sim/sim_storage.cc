#include "sim/sim_storage.h"

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/io/io_error.h"

namespace sluice::sim {

SimStorage::SimStorage(SimLoop& loop, SimStorageOptions options)
    : loop_(loop),
      options_(std::move(options)),
      prng_(options_.seed),
      file_system_(options_.sector_size_bytes) {}

template <typename Effect>
void SimStorage::Complete(Effect effect) {
  const uint64_t latency =
      prng_.ExponentialWithFloor(options_.profile.latency_floor_ns, options_.profile.latency_mean_ns);
  ++in_flight_;
  loop_.ScheduleAfterNs(latency, [this, epoch = process_epoch_, effect = std::move(effect)]() mutable {
    if (epoch != process_epoch_) return;  // the process that submitted this died
    --in_flight_;
    ++completed_;
    effect();
  });
}

bool SimStorage::RandomFault(base::Ratio ratio) {
  if (!random_faults_enabled_ || ratio.numerator == 0) return false;
  return prng_.Chance(ratio);
}

void SimStorage::Open(std::string path, io::OpenMode mode,
                      io::Callback<absl::StatusOr<io::FileHandle>> done) {
  Complete([this, path = std::move(path), mode, done = std::move(done)]() mutable {
    done(file_system_.Open(path, mode));
  });
}

void SimStorage::Close(io::FileHandle file, io::Callback<absl::Status> done) {
  Complete([this, file, done = std::move(done)]() mutable { done(file_system_.Close(file)); });
}

void SimStorage::Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
                      io::Callback<absl::StatusOr<size_t>> done) {
  Complete([this, file, offset, buffer, done = std::move(done)]() mutable {
    if (!buffer.empty() && RandomFault(options_.profile.read_latent_error)) {
      // A sector of the range goes bad on the media (and stays bad until rewritten).
      const absl::StatusOr<uint64_t> size = file_system_.Size(file);
      if (size.ok() && offset < *size) {
        const uint64_t span = std::min<uint64_t>(buffer.size(), *size - offset);
        const uint64_t bad_offset = offset + prng_.UniformBelow(span);
        SLUICE_ASSERT(file_system_.AddLatentSectorError(file, bad_offset).ok());
        ++counts_.latent_read_errors;
      }
    }
    done(file_system_.Read(file, offset, buffer));
  });
}

std::optional<uint64_t> SimStorage::MisdirectedLanding(io::FileHandle file, uint64_t offset,
                                                       uint64_t length) {
  const std::string path = file_system_.PathOf(file);
  int64_t shift = 0;
  if (const auto injected = injected_misdirections_.find(path);
      injected != injected_misdirections_.end()) {
    shift = injected->second;
    injected_misdirections_.erase(injected);
  } else if (RandomFault(options_.profile.write_misdirected)) {
    // Land a few sectors away, forwards or backwards.
    const int64_t sectors = static_cast<int64_t>(prng_.UniformRange(1, 8));
    const bool backwards = prng_.Chance({1, 2});
    shift = (backwards ? -sectors : sectors) * static_cast<int64_t>(options_.sector_size_bytes);
  } else {
    return std::nullopt;
  }
  ++counts_.misdirected_writes;
  if (shift < 0 && static_cast<uint64_t>(-shift) > offset) return uint64_t{0};
  return static_cast<uint64_t>(static_cast<int64_t>(offset) + shift);
}

void SimStorage::Write(io::FileHandle file, uint64_t offset, ByteSpan data,
                       io::Callback<absl::Status> done) {
  Complete([this, file, offset, data, done = std::move(done)]() mutable {
    const std::string path = file_system_.PathOf(file);
    const bool injected_no_space = injected_no_space_.erase(path) > 0;
    if (!path.empty() && (injected_no_space || RandomFault(options_.profile.write_no_space))) {
      ++counts_.no_space_errors;
      done(io::ErrnoStatus(ENOSPC, absl::StrCat("write ", data.size(), " bytes at ", offset,
                                                " of ", path)));
      return;
    }
    const std::optional<uint64_t> landing =
        path.empty() ? std::nullopt : MisdirectedLanding(file, offset, data.size());
    absl::Status status = file_system_.Write(file, offset, data, landing);
    if (status.ok() && !data.empty() && RandomFault(options_.profile.write_bit_flip)) {
      const uint64_t flip_offset = landing.value_or(offset) + prng_.UniformBelow(data.size());
      const uint8_t bit = static_cast<uint8_t>(prng_.UniformBelow(8));
      SLUICE_ASSERT(file_system_.FlipBit(file, flip_offset, bit).ok());
      ++counts_.bit_flips;
    }
    done(std::move(status));
  });
}

void SimStorage::Sync(io::FileHandle file, io::Callback<absl::Status> done) {
  Complete([this, file, done = std::move(done)]() mutable {
    const std::string path = file_system_.PathOf(file);
    SyncOutcome outcome = SyncOutcome::kOk;
    if (const auto injected = injected_sync_failures_.find(path);
        injected != injected_sync_failures_.end()) {
      outcome = injected->second;
      injected_sync_failures_.erase(injected);
    } else if (!path.empty() && RandomFault(options_.profile.sync_failure)) {
      const bool no_space = prng_.Chance({1, 4});
      outcome = no_space ? SyncOutcome::kNoSpace : SyncOutcome::kIoError;
    }
    if (outcome != SyncOutcome::kOk) ++counts_.sync_failures;
    done(file_system_.Sync(file, outcome));
  });
}

void SimStorage::Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) {
  Complete([this, file, size, done = std::move(done)]() mutable {
    done(file_system_.Truncate(file, size));
  });
}

void SimStorage::Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) {
  Complete([this, file, done = std::move(done)]() mutable { done(file_system_.Size(file)); });
}

void SimStorage::CreateDirectory(std::string path, io::Callback<absl::Status> done) {
  Complete([this, path = std::move(path), done = std::move(done)]() mutable {
    done(file_system_.CreateDirectory(path));
  });
}

void SimStorage::RemoveDirectory(std::string path, io::Callback<absl::Status> done) {
  Complete([this, path = std::move(path), done = std::move(done)]() mutable {
    done(file_system_.RemoveDirectory(path));
  });
}

void SimStorage::SyncDirectory(std::string path, io::Callback<absl::Status> done) {
  Complete([this, path = std::move(path), done = std::move(done)]() mutable {
    done(file_system_.SyncDirectory(path));
  });
}

void SimStorage::Rename(std::string from, std::string to, io::Callback<absl::Status> done) {
  Complete([this, from = std::move(from), to = std::move(to), done = std::move(done)]() mutable {
    done(file_system_.Rename(from, to));
  });
}

void SimStorage::Unlink(std::string path, io::Callback<absl::Status> done) {
  Complete([this, path = std::move(path), done = std::move(done)]() mutable {
    done(file_system_.Unlink(path));
  });
}

void SimStorage::List(std::string path,
                      io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) {
  Complete([this, path = std::move(path), done = std::move(done)]() mutable {
    done(file_system_.List(path));
  });
}

void SimStorage::RestartProcess() {
  ++process_epoch_;
  in_flight_ = 0;
  ++counts_.restarts;
  file_system_.RestartProcess();
}

void SimStorage::CrashMachine(std::optional<base::Ratio> sector_lands,
                              std::optional<base::Ratio> directory_change_lands) {
  ++process_epoch_;
  in_flight_ = 0;
  ++counts_.crashes;
  file_system_.CrashMachine(prng_, sector_lands.value_or(options_.profile.crash_sector_lands),
                            directory_change_lands.value_or(
                                options_.profile.crash_directory_change_lands));
}

void SimStorage::InjectSyncFailure(const std::string& path, SyncOutcome outcome) {
  injected_sync_failures_[path] = outcome;
}

void SimStorage::InjectWriteNoSpace(const std::string& path) { injected_no_space_[path] = true; }

void SimStorage::InjectMisdirectedWrite(const std::string& path, int64_t shift_bytes) {
  injected_misdirections_[path] = shift_bytes;
}

absl::Status SimStorage::InjectLatentSectorError(const std::string& path, uint64_t offset) {
  return file_system_.AddLatentSectorError(path, offset);
}

absl::Status SimStorage::InjectBitFlip(const std::string& path, uint64_t offset, uint8_t bit) {
  return file_system_.FlipBit(path, offset, bit);
}

absl::Status SimStorage::RemoveBehindBack(const std::string& path) {
  return file_system_.RemoveBehindBack(path);
}

absl::Status SimStorage::TruncateBehindBack(const std::string& path, uint64_t size) {
  return file_system_.TruncateBehindBack(path, size);
}

}  // namespace sluice::sim
