// sluice-server as an operator uses it: format, start (boot, log decisions, write the
// effective config, serve), SIGTERM (clean stop), restart (the root user created on
// the first boot is recovered, not created again), and clear refusals: no
// superblock (rule B17), formatting twice, bad flags and bad config (exit 2).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice {
namespace {

using Outcome = testing::ProcessOutcome;
using testing::RunToEnd;

std::string Server() { return testing::RunfilesBinary("server/sluice-server"); }

// Starts the server, reads its output until it says it is serving (or exits), sends
// SIGTERM, and collects the rest and the exit code.
// The client port is 127.0.0.1:0 (`config`), so no test races another process for 8090.
Outcome StartThenTerminate(const std::string& data_dir, const std::string& config) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    const std::string binary = Server();
    execl(binary.c_str(), binary.c_str(), "start", "--config", config.c_str(), "--data-dir",
          data_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  Outcome outcome;
  FILE* out = fdopen(fds[0], "r");
  char line[4096];
  bool signalled = false;
  while (fgets(line, sizeof(line), out) != nullptr) {
    outcome.output += line;
    if (!signalled && absl::StartsWith(line, "serving")) {
      kill(child, SIGTERM);
      signalled = true;
    }
  }
  fclose(out);
  int status = 0;
  waitpid(child, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* temp = std::getenv("TEST_TMPDIR");
    data_ = absl::StrCat(temp != nullptr ? temp : "/tmp", "/server-data");
    std::filesystem::remove_all(data_);
    config_ = absl::StrCat(temp != nullptr ? temp : "/tmp", "/server-test.toml");
    std::ofstream(config_) << "[tcp]\naddress = \"127.0.0.1:0\"\n";
  }
  std::string Format() const {
    return absl::StrCat(Server(), " format --replica-count 1 --replica-id 0 --data-dir ", data_);
  }
  std::string data_;
  std::string config_;
};

TEST_F(ServerTest, FormatStartStopAndRestartRecoversWhatTheFirstBootCreated) {
  const Outcome formatted = RunToEnd(Format());
  ASSERT_EQ(formatted.exit_code, 0) << formatted.output;
  EXPECT_TRUE(absl::StrContains(formatted.output, "replica 0 of 1")) << formatted.output;

  const Outcome first = StartThenTerminate(data_, config_);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(absl::StrContains(first.output, "boot: metadata: superblock: sequence 1"))
      << first.output;
  EXPECT_TRUE(absl::StrContains(first.output, "serving: metadata at op 1")) << first.output;
  EXPECT_TRUE(absl::StrContains(first.output, "listening for clients on 127.0.0.1:")) << first.output;
  EXPECT_TRUE(absl::StrContains(first.output, "stopped cleanly")) << first.output;

  // Rule B11: the effective config is on disk, without the root password.
  std::ifstream effective(data_ + "/runtime/current_config.toml");
  const std::string text(std::istreambuf_iterator<char>(effective), {});
  EXPECT_TRUE(absl::StrContains(text, "[system.namespace]")) << text;
  EXPECT_FALSE(absl::StrContains(text, "password = \"iggy\"")) << text;

  const Outcome second = StartThenTerminate(data_, config_);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_TRUE(absl::StrContains(second.output, "state at op 1")) << second.output;
  EXPECT_TRUE(absl::StrContains(second.output, "serving: metadata at op 1"))
      << "the root user must be recovered, not created again: " << second.output;
}

TEST_F(ServerTest, FormattingTwiceIsRefusedAndLosesNothing) {
  ASSERT_EQ(RunToEnd(Format()).exit_code, 0);
  const Outcome again = RunToEnd(Format());
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "ALREADY_EXISTS")) << again.output;
  EXPECT_EQ(StartThenTerminate(data_, config_).exit_code, 0);
}

TEST_F(ServerTest, StartingWithoutASuperblockIsRefused_B17) {
  std::filesystem::create_directories(data_);
  const Outcome started = RunToEnd(absl::StrCat(Server(), " start --data-dir ", data_));
  EXPECT_EQ(started.exit_code, 1) << started.output;
  EXPECT_TRUE(absl::StrContains(started.output, "rule B17")) << started.output;
}

TEST_F(ServerTest, BadFlagsAndBadConfigExitTwoWithTheReason) {
  const Outcome flag = RunToEnd(absl::StrCat(Server(), " start --no-such-flag"));
  EXPECT_EQ(flag.exit_code, 2) << flag.output;
  EXPECT_TRUE(absl::StrContains(flag.output, "--no-such-flag")) << flag.output;
  const Outcome widths = RunToEnd(
      absl::StrCat("SLUICE_SYSTEM_NAMESPACE_STREAM_BITS=60 ", Server(), " start --data-dir ", data_));
  EXPECT_EQ(widths.exit_code, 2) << widths.output;
  EXPECT_TRUE(absl::StrContains(widths.output, "rule B9")) << widths.output;
  EXPECT_EQ(RunToEnd(absl::StrCat(Server(), " bogus")).exit_code, 2);
}

}  // namespace
}  // namespace sluice
