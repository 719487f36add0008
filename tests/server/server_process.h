#pragma once
// Test-only: sluice-server as a child process — started with chosen flags, its
// output (stdout and stderr) collected by a reader thread, the client port it bound
// read from its "listening for clients on HOST:PORT" line (configs bind port 0, so
// no test races another process for a port), and SIGTERM with the exit code.
// Every wait is bounded by a deadline; nothing sleeps a fixed time and hopes.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluice::testing {

class ServerProcess {
 public:
  // Runs `binary` with `args`; its output is collected from now on.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { ReadAll(fd); });
  }

  ~ServerProcess() {
    if (pid_ > 0 && !exit_code_.has_value()) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (reader_.joinable()) reader_.join();
  }

  // The port from the listening line, or nullopt if the process ended first or
  // `timeout` passed.
  std::optional<uint16_t> WaitForClientPort(absl::Duration timeout = absl::Seconds(60)) {
    static constexpr std::string_view kMarker = "listening for clients on ";
    std::unique_lock<std::mutex> lock(mutex_);
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      const size_t at = output_.find(kMarker);
      const size_t end = at == std::string::npos ? at : output_.find('\n', at);
      if (end != std::string::npos) {
        const std::string line = output_.substr(at + kMarker.size(), end - at - kMarker.size());
        uint32_t port = 0;
        if (!absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port) || port == 0) return std::nullopt;
        return static_cast<uint16_t>(port);
      }
      if (ended_ || absl::Now() >= deadline) return std::nullopt;
      changed_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  // SIGTERM, then the exit code (-1 if it did not exit normally).
  int Terminate() {
    if (pid_ <= 0) return -1;
    if (!exit_code_.has_value()) kill(pid_, SIGTERM);
    return Wait();
  }

  // SIGKILL (a crash: nothing is flushed or closed), then the exit code (-1).
  int Kill() {
    if (pid_ <= 0) return -1;
    if (!exit_code_.has_value()) kill(pid_, SIGKILL);
    return Wait();
  }

  // Waits for the process to end on its own.
  int Wait() {
    if (exit_code_.has_value()) return *exit_code_;
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (reader_.joinable()) reader_.join();
    return *exit_code_;
  }

  // The signal that ended the process (0 if it exited, or has not ended).
  int signal() const { return signal_; }

  std::string output() {
    std::lock_guard<std::mutex> lock(mutex_);
    return output_;
  }

 private:
  void ReadAll(int fd) {
    char buffer[4096];
    while (true) {
      const ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      std::lock_guard<std::mutex> lock(mutex_);
      output_.append(buffer, static_cast<size_t>(got));
      changed_.notify_all();
    }
    close(fd);
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
    changed_.notify_all();
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  int signal_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool ended_ = false;
};

}  // namespace sluice::testing
