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
using testing::PartitionFixture;

Bytes KilobyteBatch(uint64_t first_id) {
  std::vector<std::string> payloads(16, std::string(1024, 'x'));
  std::vector<wire::MessageToSend> messages;
  for (uint32_t i = 0; i < 16; ++i) {
    messages.push_back({.id = first_id + i, .origin_timestamp = 1, .payload = base::AsBytes(payloads[i])});
  }
  return *wire::EncodeBatch(messages);
}

void AppendWithGroupCommit(benchmark::State& state, Backend backend) {
  PartitionOptions options = testing::TestOptions();
  options.segment_size_bytes = uint64_t{1} << 40;  // no rolls: steady state
  PartitionFixture fixture(options, 1, backend);
  if (!fixture.Create().ok()) {
    state.SkipWithError("create failed");
    return;
  }
  const int batches_per_group = static_cast<int>(state.range(0));
  const Bytes batch = KilobyteBatch(1);
  Bytes frame;  // reused, as a replica reuses its receive buffers
  uint64_t bytes = 0, batches = 0, allocations = 0;
  for (auto _ : state) {
    base::testing::AllocationCounter counter;
    for (int i = 0; i < batches_per_group; ++i) {
      const absl::Status prepared = fixture.log_->PrepareNextInto(frame, wire::Operation::kSendMessages, batch, 1);
      const uint64_t op = fixture.log_->last_op() + 1;
      if (!prepared.ok() || !fixture.log_->Append(frame, [&fixture, op](absl::Status) { fixture.log_->Commit(op); }).ok()) {
        state.SkipWithError("append failed");
        return;
      }
      bytes += frame.size();
    }
    if (!fixture.Drain().ok()) {
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
