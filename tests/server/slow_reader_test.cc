// Slow readers cannot push the server past its output budget (issue #6, DESIGN.md
// "Bounds"; client_listener.h "Memory"). Several clients each pipeline many polls
// whose replies are about a megabyte and read none of them; the server serves
// them only as far as its output budget and each connection's send queue allow,
// stops reading their sockets, and stays responsive to another client; once the
// slow clients read, each gets every reply, in request order.
//
// The server runs in this process (its loop on the test's main thread, as in
// sluice-server), so the test reads the listener's accounting: on every tick the
// pool's bytes must equal what is really held — the replies queued in the network's
// client send queues plus the reservations of requests being served — and neither
// may exceed the budget; the pool's high-water mark covers every instant between.
// Three slow readers are held to their shares (a quarter of the budget each) while
// another client is served; eight are held by the budget itself. The control run
// gives the listener an effectively unbounded budget and shows three slow readers
// then hold more than the bounded runs' budget, so the assertions can fail.
// No sleeps: the clients wait for the server's state through atomics it publishes
// every tick, in loops bounded by a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/requests.h"
#include "core/config/config.h"
#include "core/io/task.h"
#include "core/metadata_store/format_metadata.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/batch_encoder.h"
#include "io_backends/uring/uring_loop.h"
#include "io_backends/uring/uring_storage.h"
#include "server/blocking_client.h"
#include "server/client_listener.h"
#include "server/replica_options.h"
#include "server/threaded_secret_hasher.h"

namespace sluice::testing {
namespace {

using client_protocol::IggyError;
using metadata::Identifier;

constexpr size_t kFrameSizeMaxBytes = (size_t{1} << 20) + 256;
// Eight largest replies; each connection's share is a quarter of it (two replies).
constexpr uint64_t kBudgetBytes = 8 * kFrameSizeMaxBytes;
constexpr int kPollsPerClient = 24;
constexpr uint32_t kMessages = 2000;  // of 1000 bytes: a poll of 1000 answers ~1 MB

const Identifier kStream = Identifier::Named("slow");
const Identifier kTopic = Identifier::Named("readers");

template <typename T>
T RunOnLoop(uring::UringLoop& loop, io::Task<T> task) {
  std::optional<T> result;
  io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
  while (!result.has_value()) SLUICE_ASSERT(loop.RunOnce(), "the loop ran dry mid-task");
  return std::move(*result);
}

// What the loop thread publishes every tick, for the clients' thread.
struct Published {
  std::atomic<uint64_t> holds{0};       // requests held back (share or budget)
  std::atomic<uint64_t> refusals{0};    // ... of them, for want of budget
  std::atomic<uint64_t> high_water{0};  // the pool's high-water mark
  std::atomic<bool> running{true};      // the clients' thread has not finished
};

// What the clients wait for (bounded) before the slow ones start reading.
enum class WaitFor : uint8_t { kHolds, kRefusals, kBeyondBudget };

// A formatted single node and its listener with `output_bytes_max`, on 127.0.0.1:0.
class BudgetedServer {
 public:
  BudgetedServer(const std::string& directory, uint64_t output_bytes_max) {
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    config_.data.directory = directory;
    absl::StatusOr<std::unique_ptr<uring::UringLoop>> loop = uring::UringLoop::Create();
    SLUICE_ASSERT(loop.ok(), loop.status().ToString());
    loop_ = *std::move(loop);
    storage_ = std::make_unique<uring::UringStorage>(*loop_, directory);
    const absl::Status formatted =
        RunOnLoop(*loop_, metadata_store::FormatMetadata(*storage_, server::FormatFromConfig(config_, false)));
    SLUICE_ASSERT(formatted.ok(), formatted.ToString());
    replica::SingleNodeReplicaOptions options = server::ReplicaOptionsFromConfig(config_);
    options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
    absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>> replica =
        RunOnLoop(*loop_, replica::SingleNodeReplica::Open(*storage_, std::move(options), [] {
          Bytes salt(metadata::kPasswordSaltBytes);
          std::mt19937 random(7);
          for (uint8_t& byte : salt) byte = static_cast<uint8_t>(random());
          return salt;
        }));
    SLUICE_ASSERT(replica.ok(), replica.status().ToString());
    replica_ = *std::move(replica);
    hasher_ = std::make_unique<server::ThreadedSecretHasher>(*loop_);
    server::ClientListenerOptions listener_options;
    listener_options.address = {.host = "127.0.0.1", .port = 0};
    listener_options.frame_size_max_bytes = kFrameSizeMaxBytes;
    listener_options.output_bytes_max = output_bytes_max;
    absl::StatusOr<std::unique_ptr<server::ClientListener>> listener =
        server::ClientListener::Start(*loop_, *replica_, *hasher_, std::move(listener_options));
    SLUICE_ASSERT(listener.ok(), listener.status().ToString());
    listener_ = *std::move(listener);
  }

  ~BudgetedServer() {
    listener_->Stop();
    while (!listener_->Idle()) SLUICE_ASSERT(loop_->RunOnce(), "the loop ran dry with work running");
    const absl::Status closed = RunOnLoop(*loop_, replica_->Close());
    SLUICE_ASSERT(closed.ok(), closed.ToString());
    listener_.reset();
    hasher_.reset();
  }

  uint16_t port() const { return listener_->port(); }

  // Runs the loop until the clients finish; on every tick checks the accounting
  // against what is held and publishes the refusals.
  void RunWhile(Published& published) {
    bool watching = true;
    std::function<void()> watch = [&] {
      const base::MemoryPool& pool = listener_->output_pool();
      const uint64_t held = listener_->OutputBytesHeld();
      EXPECT_EQ(pool.used_bytes(), held) << "the pool counts exactly what is held";
      held_max_ = std::max(held_max_, held);
      published.holds.store(listener_->output_holds());
      published.refusals.store(pool.refusals());
      published.high_water.store(pool.high_water_bytes());
      if (published.running.load()) {
        loop_->ScheduleAfterTicks(1, watch);
      } else {
        watching = false;
      }
    };
    watch();
    while (watching) loop_->RunOnce();
  }

  const base::MemoryPool& pool() const { return listener_->output_pool(); }
  uint64_t held_max() const { return held_max_; }

 private:
  config::Config config_;
  std::unique_ptr<uring::UringLoop> loop_;
  std::unique_ptr<uring::UringStorage> storage_;
  std::unique_ptr<replica::SingleNodeReplica> replica_;
  std::unique_ptr<server::ThreadedSecretHasher> hasher_;
  std::unique_ptr<server::ClientListener> listener_;
  uint64_t held_max_ = 0;
};

std::string TempDirectory(const std::string& name) {
  const char* temp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(temp != nullptr ? temp : "/tmp", "/", name);
}

client_protocol::PollMessagesRequest PollFrom(uint64_t offset) {
  return {.consumer = {client_protocol::Consumer::Kind::kConsumer, Identifier::Numeric(7)},
          .stream = kStream,
          .topic = kTopic,
          .partition = 0,
          .strategy = {client_protocol::PollingStrategy::Kind::kOffset, offset},
          .count = 1000,
          .auto_commit = false};
}

std::unique_ptr<server::BlockingClient> LoggedIn(uint16_t port) {
  absl::StatusOr<std::unique_ptr<server::BlockingClient>> client = server::BlockingClient::Connect("127.0.0.1", port);
  SLUICE_ASSERT(client.ok(), client.status().ToString());
  const absl::Status login = (*client)->Login("iggy", "iggy");
  SLUICE_ASSERT(login.ok(), login.ToString());
  return *std::move(client);
}

IggyError Error(absl::StatusOr<server::ServerFrame> reply) {
  SLUICE_ASSERT(reply.ok(), reply.status().ToString());
  return reply->decoded.Error();
}

// The poll reply's first message offset (PROTOCOL.md §6.5: a 16-byte head, then
// records whose 256-byte header holds base_offset at 8; the first message's delta
// is at 24 of its 48-byte header).
uint64_t FirstOffset(const server::ServerFrame& reply) {
  const ByteSpan payload = reply.decoded.payload;
  SLUICE_ASSERT(payload.size() >= 16 + 256 + 48, "an empty poll reply of ", payload.size(), " bytes");
  return base::LoadLittleEndian<uint64_t>(payload, 16 + 8) +
         base::LoadLittleEndian<uint32_t>(payload, 16 + 256 + 24);
}

// Until `ready` holds, looked at in a loop bounded by a deadline (no sleep-and-hope).
bool AwaitServer(const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Reads `polls` replies (poll k from offset 10k): each OK and in request order.
void ReadEveryReply(server::BlockingClient& client, int index, int polls) {
  for (int k = 0; k < polls; ++k) {
    absl::StatusOr<server::ServerFrame> reply = client.ReadFrame();
    ASSERT_TRUE(reply.ok()) << "slow client " << index << ", reply " << k << ": " << reply.status();
    ASSERT_EQ(reply->decoded.Error(), IggyError::kOk) << "slow client " << index << ", reply " << k;
    EXPECT_EQ(FirstOffset(*reply), 10 * static_cast<uint64_t>(k)) << "slow client " << index << ", reply " << k;
  }
}

// The clients' side, on a thread of its own while the test's thread runs the loop.
void SlowReaders(uint16_t port, Published& published, int slow_clients, WaitFor wait_for,
                 bool check_responsive) {
  auto good = LoggedIn(port);
  ASSERT_EQ(Error(good->Call(client_protocol::CreateStreamRequest{"slow"})), IggyError::kOk);
  ASSERT_EQ(Error(good->Call(client_protocol::CreateTopicRequest{
                .stream = kStream, .partitions_count = 1, .name = "readers"})),
            IggyError::kOk);
  const std::string kilobyte(1000, 'x');
  for (uint32_t first = 0; first < kMessages; first += 100) {
    std::vector<wire::MessageToSend> messages(100, {.payload = base::AsBytes(kilobyte)});
    for (uint32_t i = 0; i < 100; ++i) messages[i].id = first + i + 1;
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
    ASSERT_TRUE(batch.ok()) << batch.status();
    absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(*batch);
    ASSERT_TRUE(validated.ok());
    ASSERT_EQ(Error(good->Call(client_protocol::SendMessagesRequest{
                  .stream = kStream,
                  .topic = kTopic,
                  .partitioning = {.kind = client_protocol::Partitioning::Kind::kPartitionId, .partition_id = 0},
                  .batch = *validated})),
              IggyError::kOk);
  }

  // Every slow client logs in (before any fills the budget: with more than
  // kOutputSharesMin - 1 slow readers a login would wait too), then pipelines its
  // polls (poll k from offset 10k) and reads nothing.
  std::vector<std::unique_ptr<server::BlockingClient>> slow;
  for (int c = 0; c < slow_clients; ++c) slow.push_back(LoggedIn(port));
  for (int c = 0; c < slow_clients; ++c) {
    for (int k = 0; k < kPollsPerClient; ++k) {
      const Bytes poll = client_protocol::EncodeClientFrame(
          {.client = slow[c]->client_id(), .request = 1, .session = slow[c]->session()},
          PollFrom(10 * static_cast<uint64_t>(k)));
      ASSERT_TRUE(slow[c]->SendBytes(poll).ok());
    }
  }
  switch (wait_for) {
    case WaitFor::kHolds:  // every slow client held back at least once
      ASSERT_TRUE(AwaitServer([&] { return published.holds.load() >= static_cast<uint64_t>(slow_clients); }))
          << "the slow clients were not all held back";
      break;
    case WaitFor::kRefusals:  // the budget itself refused
      ASSERT_TRUE(AwaitServer([&] { return published.refusals.load() > 0; })) << "the budget never refused";
      break;
    case WaitFor::kBeyondBudget:
      ASSERT_TRUE(AwaitServer([&] { return published.high_water.load() > kBudgetBytes; }))
          << "the server never held more than " << kBudgetBytes << " bytes";
      break;
  }
  if (check_responsive) {
    // The slow clients held back, the server still serves another: a ping and a poll.
    EXPECT_EQ(Error(good->Call(client_protocol::PingRequest{})), IggyError::kOk);
    absl::StatusOr<server::ServerFrame> polled = good->Call(PollFrom(0));
    ASSERT_TRUE(polled.ok()) << polled.status();
    EXPECT_EQ(polled->decoded.Error(), IggyError::kOk);
    EXPECT_EQ(FirstOffset(*polled), 0u);
  }
  // Now they read, all at once: every reply, in request order.
  std::vector<std::thread> readers;
  for (int c = 0; c < slow_clients; ++c) {
    readers.emplace_back([&slow, c] { ReadEveryReply(*slow[c], c, kPollsPerClient); });
  }
  for (std::thread& reader : readers) reader.join();
  for (int c = 0; c < slow_clients; ++c) EXPECT_TRUE(slow[c]->Logout().ok());
  EXPECT_TRUE(good->Logout().ok());
}

void RunSlowReaders(BudgetedServer& server, int slow_clients, WaitFor wait_for, bool check_responsive) {
  Published published;
  std::thread clients([&] {
    SlowReaders(server.port(), published, slow_clients, wait_for, check_responsive);
    published.running.store(false);
  });
  server.RunWhile(published);
  clients.join();
}

void Report(const char* name, const BudgetedServer& server) {
  std::printf("%s: output high-water %llu bytes (held, sampled per tick: %llu) of a %llu-byte budget; "
              "%llu reservations refused\n",
              name, static_cast<unsigned long long>(server.pool().high_water_bytes()),
              static_cast<unsigned long long>(server.held_max()), static_cast<unsigned long long>(kBudgetBytes),
              static_cast<unsigned long long>(server.pool().refusals()));
}

// Three slow readers, each held to its share: the budget holds and another client
// is served meanwhile.
TEST(SlowReaderTest, SlowReadersAreHeldToTheirShareAndAnotherClientIsServed) {
  BudgetedServer server(TempDirectory("slow-readers-share"), kBudgetBytes);
  RunSlowReaders(server, 3, WaitFor::kHolds, /*check_responsive=*/true);
  Report("three slow readers", server);
  EXPECT_LE(server.pool().high_water_bytes(), kBudgetBytes);
  EXPECT_LE(server.held_max(), kBudgetBytes);
}

// Eight slow readers: their shares add up to twice the budget, which is what
// refuses; it still holds, and every reply arrives once they read.
TEST(SlowReaderTest, ManySlowReadersAreHeldByTheBudgetAndGetEveryReplyInOrder) {
  BudgetedServer server(TempDirectory("slow-readers-budget"), kBudgetBytes);
  RunSlowReaders(server, 8, WaitFor::kRefusals, /*check_responsive=*/false);
  Report("eight slow readers", server);
  EXPECT_LE(server.pool().high_water_bytes(), kBudgetBytes);
  EXPECT_LE(server.held_max(), kBudgetBytes);
  EXPECT_GT(server.pool().refusals(), 0u);
}

// The control: with a budget too large to bind, the same three slow readers make
// the server hold more than kBudgetBytes (each up to its own send queue), so the
// assertions above are ones that can fail.
TEST(SlowReaderTest, WithoutTheBudgetTheSameSlowReadersExceedIt) {
  BudgetedServer server(TempDirectory("slow-readers-unbounded"), uint64_t{1} << 40);
  RunSlowReaders(server, 3, WaitFor::kBeyondBudget, /*check_responsive=*/false);
  Report("unbounded, three slow readers", server);
  EXPECT_GT(server.pool().high_water_bytes(), kBudgetBytes);
}

}  // namespace
}  // namespace sluice::testing
