// The machine's raw durable-write latency: pwrite of N bytes at the end of a file,
// then fdatasync, one at a time — the floor under every commit Sluice acknowledges
// (a commit waits for one such write + sync of its group). Reported next to the
// server's commit latency (issue 8), measured in the same run.
//
//   bazel run //tests/benchmarks:fdatasync_benchmark -- [--benchmark_min_time=2]
//
// The file goes in the directory `bazel run` was started from (BUILD_WORKING_DIRECTORY),
// so it measures the disk a local data directory would use; /tmp otherwise.
// Counters: p50_us and p99_us per write size.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::string BenchDirectory() {
  const char* working = std::getenv("BUILD_WORKING_DIRECTORY");
  return working != nullptr ? working : "/tmp";
}

void BM_WriteThenFdatasync(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string path = BenchDirectory() + "/.sluice-fdatasync-benchmark";
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
  if (fd < 0) {
    state.SkipWithError(("cannot create " + path).c_str());
    return;
  }
  const std::vector<char> block(size, 'x');
  std::vector<double> latencies_us;
  off_t offset = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (::pwrite(fd, block.data(), size, offset) != static_cast<ssize_t>(size) || ::fdatasync(fd) != 0) {
      state.SkipWithError("pwrite or fdatasync failed");
      break;
    }
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    offset += static_cast<off_t>(size);
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (latencies_us.empty()) return;
  std::sort(latencies_us.begin(), latencies_us.end());
  state.counters["p50_us"] = latencies_us[latencies_us.size() / 2];
  state.counters["p99_us"] = latencies_us[std::min(latencies_us.size() - 1, latencies_us.size() * 99 / 100)];
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_WriteThenFdatasync)->Arg(4096)->Arg(64 * 1024)->Arg(1024 * 1024)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
