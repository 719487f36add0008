#pragma once
// SimStorage: io::Storage over a SimFileSystem, driven by a SimLoop.
//
// Each operation completes after a random latency (so operations in flight together
// complete in a seed-determined, shuffled order) and its effect happens at
// completion. Faults are drawn from the StorageFaultProfile with this storage's
// own PRNG, or injected by name (Inject*). Everything observable depends only on
// the seed and the sequence of calls.
//
// Lifecycle: RestartProcess() and CrashMachine() model the death of the process
// using this storage. Completions still in flight are dropped (their callbacks are
// destroyed without running: the process that waited for them is gone), and every
// handle is closed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/base/prng.h"
#include "core/io/storage.h"
#include "sim/fault_profile.h"
#include "sim/sim_file_system.h"
#include "sim/sim_loop.h"

namespace sluice::sim {

struct SimStorageOptions {
  uint64_t seed = 0;
  uint64_t sector_size_bytes = 4096;
  StorageFaultProfile profile = StorageFaultProfile::None();
};

// Counts of faults injected so far (by profile or by name), for reports and tests.
struct StorageFaultCounts {
  uint64_t latent_read_errors = 0;
  uint64_t bit_flips = 0;
  uint64_t misdirected_writes = 0;
  uint64_t no_space_errors = 0;
  uint64_t sync_failures = 0;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
};

class SimStorage final : public io::Storage {
 public:
  SimStorage(SimLoop& loop, SimStorageOptions options);

  // io::Storage
  void Open(std::string path, io::OpenMode mode,
            io::Callback<absl::StatusOr<io::FileHandle>> done) override;
  void Close(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Read(io::FileHandle file, uint64_t offset, MutableByteSpan buffer,
            io::Callback<absl::StatusOr<size_t>> done) override;
  void Write(io::FileHandle file, uint64_t offset, ByteSpan data,
             io::Callback<absl::Status> done) override;
  void Sync(io::FileHandle file, io::Callback<absl::Status> done) override;
  void Truncate(io::FileHandle file, uint64_t size, io::Callback<absl::Status> done) override;
  void Size(io::FileHandle file, io::Callback<absl::StatusOr<uint64_t>> done) override;
  void CreateDirectory(std::string path, io::Callback<absl::Status> done) override;
  void RemoveDirectory(std::string path, io::Callback<absl::Status> done) override;
  void SyncDirectory(std::string path, io::Callback<absl::Status> done) override;
  void Rename(std::string from, std::string to, io::Callback<absl::Status> done) override;
  void Unlink(std::string path, io::Callback<absl::Status> done) override;
  void List(std::string path,
            io::Callback<absl::StatusOr<std::vector<io::DirectoryEntry>>> done) override;

  // --- lifecycle ---
  void RestartProcess();
  // Unsynced data and directory changes land per the profile's crash odds, unless
  // given here (tests use Never/Always to make an outcome certain).
  void CrashMachine(std::optional<base::Ratio> sector_lands = std::nullopt,
                    std::optional<base::Ratio> directory_change_lands = std::nullopt);

  // --- faults by name; each applies to the next matching operation on `path` ---
  void InjectSyncFailure(const std::string& path, SyncOutcome outcome = SyncOutcome::kIoError);
  void InjectWriteNoSpace(const std::string& path);
  // The next write to `path` lands `shift_bytes` further (may be negative, floored at 0).
  void InjectMisdirectedWrite(const std::string& path, int64_t shift_bytes);
  // Immediate faults on stored bytes.
  absl::Status InjectLatentSectorError(const std::string& path, uint64_t offset);
  absl::Status InjectBitFlip(const std::string& path, uint64_t offset, uint8_t bit);
  absl::Status RemoveBehindBack(const std::string& path);
  absl::Status TruncateBehindBack(const std::string& path, uint64_t size);
  void set_capacity_bytes(uint64_t capacity) { file_system_.set_capacity_bytes(capacity); }

  // Turns the profile's random faults off or on (named injections always apply).
  void set_random_faults_enabled(bool enabled) { random_faults_enabled_ = enabled; }
  const StorageFaultProfile& profile() const { return options_.profile; }

  SimFileSystem& file_system() { return file_system_; }
  const SimFileSystem& file_system() const { return file_system_; }
  const StorageFaultCounts& fault_counts() const { return counts_; }
  uint64_t operations_in_flight() const { return in_flight_; }
  // Completions delivered so far; tests crash "after the k-th operation" with it.
  uint64_t completed_operations() const { return completed_; }

 private:
  // Runs `effect` after a random latency, unless the process died meanwhile.
  template <typename Effect>
  void Complete(Effect effect);
  bool RandomFault(base::Ratio ratio);
  std::optional<uint64_t> MisdirectedLanding(io::FileHandle file, uint64_t offset, uint64_t length);

  SimLoop& loop_;
  SimStorageOptions options_;
  base::Prng prng_;
  SimFileSystem file_system_;
  StorageFaultCounts counts_;
  bool random_faults_enabled_ = true;
  uint64_t process_epoch_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t completed_ = 0;
  std::map<std::string, SyncOutcome> injected_sync_failures_;
  std::map<std::string, bool> injected_no_space_;
  std::map<std::string, int64_t> injected_misdirections_;
};

}  // namespace sluice::sim
