// sluice-cli against a running sluice-server: ping, create a stream and a topic,
// send, poll the messages back, store an offset; refusals exit 1, usage errors 2.
// bench: what it reports sending is what it polls back (it checks each message).
#include <gtest/gtest.h>

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

// The message count of the report line starting with `phase` ("sent" / "polled"),
// or -1 if there is none.
int64_t Reported(const std::string& output, const std::string& phase) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex("(^|\n)" + phase + ": ([0-9]+) messages"))) return -1;
  int64_t count = -1;
  return absl::SimpleAtoi(match[2].str(), &count) ? count : -1;
}

TEST_F(SluiceCliTest, BenchPollsBackExactlyWhatItSent) {
  StartServer();
  // A count: split over two producers, batches of 7 (the last ones short).
  ProcessOutcome out = Cli("bench --producers 2 --batch 7 --message-size 64 --count 500 --poll-count 33");
  ASSERT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(Reported(out.output, "sent"), 500) << out.output;
  EXPECT_EQ(Reported(out.output, "polled"), 500) << out.output;
  EXPECT_TRUE(absl::StrContains(out.output, "msgs/s")) << out.output;
  EXPECT_TRUE(absl::StrContains(out.output, "p999")) << out.output;

  // A duration, two producers sharing one partition (their messages interleave).
  out = Cli("bench --producers 2 --partitions 1 --batch 5 --message-size 10 --seconds 0.2");
  ASSERT_EQ(out.exit_code, 0) << out.output;
  const int64_t sent = Reported(out.output, "sent");
  EXPECT_GT(sent, 0) << out.output;
  EXPECT_EQ(Reported(out.output, "polled"), sent) << out.output;

  // A batch over the protocol's bound is a usage error, found before any stream.
  out = Cli("bench --batch 2000 --message-size 1024");
  EXPECT_EQ(out.exit_code, 2) << out.output;

  // Each bench deleted its stream.
  auto client = LoggedIn();
  const server::ServerFrame streams = Call(*client, client_protocol::GetStreamsRequest{});
  EXPECT_EQ(streams.decoded.Error(), IggyError::kOk);
  EXPECT_TRUE(streams.decoded.payload.empty()) << "no stream left behind";
  client.reset();
  EXPECT_EQ(Cli("bench --batch 0").exit_code, 2);
  EXPECT_EQ(Cli("bench --producers").exit_code, 2);
  EXPECT_EQ(StopServer(), 0) << server_->output();
}

}  // namespace
}  // namespace sluice::testing
