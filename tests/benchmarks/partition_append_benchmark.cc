// Partition append throughput with group commit, on io_uring (a real temporary
// directory) and on SimStorage, and heap allocations per appended batch in steady
// state (rule B12's figure). Run: bazel run //tests/benchmarks:partition_append_benchmark
//
// Each iteration appends `batches_per_group` batches of 16 × 1 KiB messages and
// waits for their group commit (one write + one fdatasync) to complete.
#include <benchmark/benchmark.h>

#include "core/base/testing/allocation_counter.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::partition {
namespace {

using testing::Backend;

Bytes KilobyteBatch(uint64_t first_id) {
  std::vector<std::string> payloads(16, std::string(1024, 'x'));
  std::vector<wire::MessageToSend> messages;
  for (uint32_t i = 0; i < 16; ++i) {
    messages.push_back({.id = first_id + i, .origin_timestamp = 1, .payload = base::AsBytes(payloads[i])});
  }
  return *wire::EncodeBatch(messages);
}

// The log directly on the backend (no test-only storage wrapper in between).
struct BenchLog {
  explicit BenchLog(Backend backend) {
    if (backend == Backend::kUring) {
      uring = std::make_unique<testing::UringBackend>();
    } else {
      sim_storage = std::make_unique<sim::SimStorage>(sim_loop, sim::SimStorageOptions{.seed = 1});
    }
    PartitionOptions options = testing::TestOptions();
    options.segment_size_bytes = uint64_t{1} << 40;  // no rolls: steady state
    options.state_checkpoint_bytes = uint64_t{1} << 40;
    absl::StatusOr<std::unique_ptr<PartitionLog>> created = io::testing::RunTask(loop(), PartitionLog::Create(storage(), options));
    SLUICE_ASSERT(created.ok(), created.status().ToString());
    log = *std::move(created);
  }
  io::Loop& loop() { return uring ? uring->loop() : static_cast<io::Loop&>(sim_loop); }
  io::Storage& storage() { return uring ? uring->storage() : static_cast<io::Storage&>(*sim_storage); }

  sim::SimLoop sim_loop;
  std::unique_ptr<sim::SimStorage> sim_storage;
  std::unique_ptr<testing::UringBackend> uring;
  std::unique_ptr<PartitionLog> log;
};

void AppendWithGroupCommit(benchmark::State& state, Backend backend) {
  BenchLog fixture(backend);
  const int batches_per_group = static_cast<int>(state.range(0));
  const Bytes batch = KilobyteBatch(1);
  Bytes frame;  // reused, as a replica reuses its receive buffers
  uint64_t bytes = 0, batches = 0, allocations = 0;
  for (auto _ : state) {
    base::testing::AllocationCounter counter;
    for (int i = 0; i < batches_per_group; ++i) {
      const absl::Status prepared = fixture.log->PrepareNextInto(frame, wire::Operation::kSendMessages, batch, 1);
      const uint64_t op = fixture.log->last_op() + 1;
      PartitionLog* log = fixture.log.get();
      if (!prepared.ok() || !log->Append(frame, [log, op](absl::Status) { log->Commit(op); }).ok()) {
        state.SkipWithError("append failed");
        return;
      }
      bytes += frame.size();
    }
    if (!io::testing::RunTask(fixture.loop(), fixture.log->Drain()).ok()) {
      state.SkipWithError("drain failed");
      return;
    }
    allocations += counter.allocations();
    batches += batches_per_group;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["allocations_per_batch"] = static_cast<double>(allocations) / static_cast<double>(batches);
  state.counters["batches_per_group"] = batches_per_group;
}

void BM_AppendUring(benchmark::State& state) { AppendWithGroupCommit(state, Backend::kUring); }
void BM_AppendSim(benchmark::State& state) { AppendWithGroupCommit(state, Backend::kSim); }

BENCHMARK(BM_AppendUring)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_AppendSim)->Arg(1)->Arg(8)->Arg(64)->UseRealTime();

}  // namespace
}  // namespace sluice::partition

BENCHMARK_MAIN();
