// A login's Argon2id runs off the loop (server/threaded_secret_hasher.h): while one
// client's login is held mid-hash, another client's Ping is answered, and the held
// login then completes. No sleeps and no timing: the test holds the hash with the
// hasher's hook until the Ping's reply has arrived (with the KDF on the loop, that
// Ping could never be answered while the hash is held).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/client_protocol/requests.h"
#include "server/blocking_client.h"
#include "server/threaded_secret_hasher.h"
#include "tests/server/in_process_server.h"

namespace sluice::testing {
namespace {

// Holds every hash at its start until Release(); tells when one is held.
class HashGate {
 public:
  void EnterAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++held_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return released_; });
  }
  bool WaitUntilHeld(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return held_ > 0; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int held_ = 0;
  bool released_ = false;
};

std::string TempDirectory(const std::string& name) {
  const char* temp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(temp != nullptr ? temp : "/tmp", "/", name);
}

// The clients' side, on a thread of its own while the test's thread runs the loop.
void LoginHeldWhilePingAnswered(uint16_t port, HashGate& gate) {
  absl::StatusOr<std::unique_ptr<server::BlockingClient>> logging_in =
      server::BlockingClient::Connect("127.0.0.1", port);
  ASSERT_TRUE(logging_in.ok()) << logging_in.status();
  absl::Status login_status = absl::UnknownError("not finished");
  std::thread login([&] { login_status = (*logging_in)->Login("iggy", "iggy"); });
  struct JoinAtEnd {
    HashGate& gate;
    std::thread& thread;
    ~JoinAtEnd() {
      gate.Release();
      if (thread.joinable()) thread.join();
    }
  } join_at_end{gate, login};

  ASSERT_TRUE(gate.WaitUntilHeld(std::chrono::seconds(60))) << "the login never reached the hasher";

  // The login is held mid-hash; the loop must still serve another client.
  absl::StatusOr<std::unique_ptr<server::BlockingClient>> pinging =
      server::BlockingClient::Connect("127.0.0.1", port);
  ASSERT_TRUE(pinging.ok()) << pinging.status();
  absl::StatusOr<server::ServerFrame> pong = (*pinging)->Call(client_protocol::PingRequest{});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->decoded.Error(), client_protocol::IggyError::kOk);

  gate.Release();
  login.join();
  EXPECT_TRUE(login_status.ok()) << login_status;
  EXPECT_GT((*logging_in)->session(), 0u) << "the held login completes once its hash is done";
  // Logged in for real: a command that needs a session is served.
  absl::StatusOr<server::ServerFrame> streams =
      (*logging_in)->Call(client_protocol::GetStreamsRequest{});
  ASSERT_TRUE(streams.ok()) << streams.status();
  EXPECT_EQ(streams->decoded.Error(), client_protocol::IggyError::kOk);
  EXPECT_TRUE((*logging_in)->Logout().ok()) << "logged out before the server stops";
}

TEST(LoginOffLoopTest, APingIsAnsweredWhileALoginIsHashing) {
  // Declared first, destroyed last: the gate outlives the hasher's worker.
  HashGate gate;
  // Released however the test ends, so the hasher's worker can be joined.
  struct ReleaseAtEnd {
    HashGate& gate;
    ~ReleaseAtEnd() { gate.Release(); }
  } release_at_end{gate};
  InProcessServer server(TempDirectory("login-off-loop"),
                         {.passes = 1, .memory_kib = 64, .lanes = 1});
  server::ThreadedSecretHasher hasher(server.loop(), [&gate] { gate.EnterAndWait(); });
  const uint16_t port = server.Start(hasher);

  std::atomic<bool> clients_running{true};
  std::thread clients([&] {
    LoginHeldWhilePingAnswered(port, gate);
    clients_running.store(false);
  });
  server.RunWhile(clients_running);
  clients.join();
}

}  // namespace
}  // namespace sluice::testing
