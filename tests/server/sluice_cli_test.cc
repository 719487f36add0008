// sluice-cli against a running sluice-server: ping, create a stream and a topic,
// send, poll the messages back, store an offset; refusals exit 1, usage errors 2.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/server/client_fixture.h"

namespace sluice::testing {
namespace {

class SluiceCliTest : public ServerFixture {
 protected:
  ProcessOutcome Cli(const std::string& arguments) {
    return RunToEnd(absl::StrCat(RunfilesBinary("server/sluice-cli"), " --address 127.0.0.1:",
                                 port_, " ", arguments));
  }
};

TEST_F(SluiceCliTest, PingCreateSendPollStoreOffset) {
  StartServer();
  ProcessOutcome out = Cli("ping");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  out = Cli("create-stream app");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  out = Cli("create-topic app logs 2");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  out = Cli("send app logs 1 first second third");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_TRUE(absl::StrContains(out.output, "base offset 0")) << out.output;
  out = Cli("poll app logs 1 1 10");
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(out.output, "1\tsecond\n2\tthird\n");
  out = Cli("store-offset app logs 1 5 2");
  EXPECT_EQ(out.exit_code, 0) << out.output;

  // Refusals: a duplicate stream (committed 1012), a wrong password (eviction 9).
  out = Cli("create-stream app");
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_TRUE(absl::StrContains(out.output, "1012")) << out.output;
  out = Cli("--password nope create-stream other");
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_EQ(Cli("bogus").exit_code, 2);
  EXPECT_EQ(Cli("poll app logs").exit_code, 2);
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

}  // namespace
}  // namespace sluice::testing
