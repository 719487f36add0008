#pragma once
// Test-only: runs a shell command to its end, capturing its output (stdout and
// stderr together) and its exit code (-1 if it did not exit normally).

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace sluice::testing {

struct ProcessOutcome {
  int exit_code = -1;
  std::string output;
};

inline ProcessOutcome RunToEnd(const std::string& command) {
  ProcessOutcome outcome;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  size_t count;
  while ((count = fread(buffer, 1, sizeof(buffer), pipe)) > 0) outcome.output.append(buffer, count);
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

}  // namespace sluice::testing
