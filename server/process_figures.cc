#include "server/process_figures.h"

#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::server {
namespace {

std::string ReadWhole(const char* path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// utime + stime (fields 14 and 15 of /proc/self/stat; the command name, field 2,
// may hold spaces, so count from its closing parenthesis).
uint64_t ProcessTicks() {
  const std::string stat = ReadWhole("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int index = 3; index <= 15 && (fields >> field); ++index) {
    if (index == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (index == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return utime + stime;
}

// The host's "cpu" line: busy = total - idle - iowait.
void HostTicks(uint64_t& busy, uint64_t& total) {
  busy = total = 0;
  std::istringstream stat(ReadWhole("/proc/stat"));
  std::string label;
  if (!(stat >> label) || label != "cpu") return;
  uint64_t value = 0, idle = 0;
  for (int index = 0; index < 8 && (stat >> value); ++index) {
    total += value;
    if (index == 3 || index == 4) idle += value;  // idle, iowait
  }
  busy = total - idle;
}

uint64_t ResidentBytes() {
  std::istringstream statm(ReadWhole("/proc/self/statm"));
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// The value of a "key: value" line of /proc/self/io or /proc/self/status.
uint64_t Field(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}

float Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0f : static_cast<float>(100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

ProcessSampler::ProcessSampler() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  previous_ = Take(static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec));
}

ProcessSampler::Sample ProcessSampler::Take(uint64_t now_ns) const {
  Sample sample{.wall_ns = now_ns, .process_ticks = ProcessTicks()};
  HostTicks(sample.host_busy, sample.host_total);
  return sample;
}

void ProcessSampler::Fill(client_protocol::ServerStats& stats, uint64_t now_ns) {
  const Sample now = Take(now_ns);
  const uint64_t ticks_per_second = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  const uint64_t wall_ticks =
      now.wall_ns > previous_.wall_ns ? (now.wall_ns - previous_.wall_ns) * ticks_per_second / 1'000'000'000 : 0;
  if (wall_ticks > 0) {
    stats.cpu_usage = Percent(now.process_ticks - previous_.process_ticks, wall_ticks);
    stats.total_cpu_usage =
        Percent(now.host_busy - previous_.host_busy, now.host_total - previous_.host_total);
    previous_ = now;  // a sample too close to the last one is measured from further back
  }
  stats.memory_usage = ResidentBytes();
  const std::string io = ReadWhole("/proc/self/io");
  stats.read_bytes = Field(io, "read_bytes");
  stats.written_bytes = Field(io, "write_bytes");
  stats.threads_count = static_cast<uint32_t>(Field(ReadWhole("/proc/self/status"), "Threads"));
}

}  // namespace sluice::server
