// What only the TCP backend does: framing errors on a byte stream, restarts and
// reconnection with backoff, the hello, clients on their own port, backpressure
// from a receiver that stops reading, and teardown with operations in flight.
// The behaviour every Network shares is tests/network_contract_test.
#include "io_backends/uring/uring_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/io/network.h"
#include "io_backends/uring/tcp_handshake.h"
#include "io_backends/uring/uring_network_testing.h"

namespace sluice::uring {
namespace {

using testing::LoopbackCluster;

constexpr size_t kNumberOffset = 144;

Bytes MakeFrame(uint64_t number, size_t size = 512) {
  Bytes frame(size);
  for (size_t i = 0; i < size; ++i) frame[i] = static_cast<uint8_t>((number * 131 + i * 7) >> 1);
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, static_cast<uint32_t>(size));
  base::StoreLittleEndian<uint64_t>(frame, kNumberOffset, number);
  return frame;
}

uint64_t NumberOf(ByteSpan frame) { return base::LoadLittleEndian<uint64_t>(frame, kNumberOffset); }

// Records frames and connection events; checks that events about a peer alternate,
// starting with `false` (core/io/network.h).
class Recorder final : public io::NetworkHandler {
 public:
  struct Arrival {
    io::PeerId from;
    Bytes frame;
  };
  struct Event {
    io::PeerId peer;
    bool connected;
    friend bool operator==(const Event&, const Event&) = default;
  };

  void OnFrame(io::PeerId from, ByteSpan frame) override {
    arrivals.push_back({from, Bytes(frame.begin(), frame.end())});
    if (on_frame) on_frame(from, frame);
  }
  void OnConnectionChange(io::PeerId peer, bool connected) override {
    bool& presumed = presumed_connected_.try_emplace(peer, true).first->second;
    EXPECT_NE(presumed, connected) << "events about peer " << peer << " do not alternate";
    presumed = connected;
    events.push_back({peer, connected});
  }

  size_t CountFrom(io::PeerId from) const {
    size_t count = 0;
    for (const Arrival& arrival : arrivals) count += arrival.from == from ? 1 : 0;
    return count;
  }
  bool Saw(Event event) const {
    for (const Event& seen : events) {
      if (seen == event) return true;
    }
    return false;
  }

  std::vector<Arrival> arrivals;
  std::vector<Event> events;
  std::function<void(io::PeerId, ByteSpan)> on_frame;

 private:
  std::map<io::PeerId, bool> presumed_connected_;  // Every peer starts presumed connected.
};

// A plain TCP client socket, outside the loop: what an SDK, or an attacker, is.
class RawClient {
 public:
  // Adopts a connected socket (one a test accepted).
  static std::unique_ptr<RawClient> Adopt(int fd) {
    auto client = std::unique_ptr<RawClient>(new RawClient());
    client->fd_ = fd;
    client->connected_ = true;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return client;
  }

  explicit RawClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The listener's backlog completes the handshake without the loop running.
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    if (fd_ >= 0) fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // Small writes only: they fit the socket buffer, so they complete at once.
  bool Write(ByteSpan bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Takes what has arrived, without waiting; true once the server closed.
  bool PollClosed() {
    uint8_t buffer[64 * 1024];
    for (;;) {
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        received.insert(received.end(), buffer, buffer + n);
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return true;
      return false;
    }
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  Bytes received;

 private:
  RawClient() = default;

  int fd_ = -1;
  bool connected_ = false;
};

// A cluster whose replicas each have a Recorder, re-attached on restart.
class Harness {
 public:
  explicit Harness(size_t replica_count, LoopbackCluster::Configure configure = nullptr,
                   bool clients = false)
      : cluster_(replica_count, std::move(configure), clients), recorders_(replica_count) {
    for (io::PeerId id = 0; id < replica_count; ++id) Attach(id);
  }

  void Attach(io::PeerId id) {
    recorders_[id] = std::make_unique<Recorder>();
    cluster_.network(id).SetHandler(recorders_[id].get());
  }
  void Restart(io::PeerId id) {
    cluster_.Start(id);
    Attach(id);
  }

  LoopbackCluster& cluster() { return cluster_; }
  UringNetwork& network(io::PeerId id) { return cluster_.network(id); }
  Recorder& recorder(io::PeerId id) { return *recorders_[id]; }
  bool RunUntil(absl::FunctionRef<bool()> done,
                uint64_t timeout_ns = testing::kRunTimeoutNsDefault) {
    return cluster_.RunUntil(done, timeout_ns);
  }
  // Sends `number` from -> to and waits until it arrives.
  bool RoundTrip(io::PeerId from, io::PeerId to, uint64_t number) {
    if (!network(from).Send(to, MakeFrame(number)).ok()) return false;
    return RunUntil([&] {
      for (const Recorder::Arrival& arrival : recorder(to).arrivals) {
        if (arrival.from == from && NumberOf(arrival.frame) == number) return true;
      }
      return false;
    });
  }

 private:
  LoopbackCluster cluster_;
  std::vector<std::unique_ptr<Recorder>> recorders_;
};

void SmallClientFrames(UringNetworkOptions& options) {
  options.client_frame_size_max_bytes = 4096;
  options.client_send_queue_bytes_max = 256 * 1024;
}

TEST(UringNetworkTest, BadSizeFieldClosesOnlyThatConnection) {
  Harness harness(2, SmallClientFrames, /*clients=*/true);
  ASSERT_TRUE(harness.RoundTrip(0, 1, 1));
  RawClient liar(harness.cluster().client_port(1));
  RawClient honest(harness.cluster().client_port(1));
  ASSERT_TRUE(liar.connected() && honest.connected());

  Bytes oversized = MakeFrame(7, 256);  // A header claiming a body past the client maximum.
  base::StoreLittleEndian<uint32_t>(oversized, io::kFrameSizeFieldOffset, 4097);
  ASSERT_TRUE(liar.Write(oversized));
  ASSERT_TRUE(honest.Write(MakeFrame(8, 300)));
  ASSERT_TRUE(harness.RunUntil(
      [&] { return liar.PollClosed() && harness.recorder(1).arrivals.size() == 2; }));
  EXPECT_EQ(harness.network(1).counters().framing_errors, 1u);
  EXPECT_EQ(NumberOf(harness.recorder(1).arrivals.back().frame), 8u);

  // A size field below the header on the replica port, before any hello.
  RawClient stranger(harness.cluster().replica_port(1));
  Bytes undersized = MakeFrame(9, 256);
  base::StoreLittleEndian<uint32_t>(undersized, io::kFrameSizeFieldOffset, 255);
  ASSERT_TRUE(stranger.Write(undersized));
  ASSERT_TRUE(harness.RunUntil([&] { return stranger.PollClosed(); }));
  EXPECT_EQ(harness.network(1).counters().framing_errors, 2u);

  // Everyone else is still served: the honest client gets a reply, replicas talk.
  const io::PeerId honest_id = harness.recorder(1).arrivals.back().from;
  ASSERT_TRUE(harness.network(1).Send(honest_id, MakeFrame(10, 400)).ok());
  ASSERT_TRUE(
      harness.RunUntil([&] { return !honest.PollClosed() && honest.received.size() == 400; }));
  EXPECT_EQ(honest.received, MakeFrame(10, 400));
  EXPECT_TRUE(harness.RoundTrip(0, 1, 11));
  EXPECT_TRUE(harness.RoundTrip(1, 0, 12));
  EXPECT_TRUE(harness.recorder(0).events.empty());
  EXPECT_EQ(harness.network(1).counters().connections_closed, 1u) << "only the liar's";
}

TEST(UringNetworkTest, HelloNamingTheWrongReplicaIsRefused) {
  Harness harness(3);
  ASSERT_TRUE(harness.RoundTrip(0, 1, 1));
  struct Case {
    Hello hello;
    const char* why;
  };
  const std::vector<Case> cases = {
      {{.sender = 2, .receiver = 1, .replica_count = 3}, "a higher id must not dial"},
      {{.sender = 0, .receiver = 2, .replica_count = 3}, "meant for another replica"},
      {{.sender = 0, .receiver = 1, .replica_count = 5}, "another cluster size"},
  };
  uint64_t rejected = 0;
  for (const Case& c : cases) {
    RawClient impostor(harness.cluster().replica_port(1));
    ASSERT_TRUE(impostor.Write(EncodeHello(c.hello))) << c.why;
    ASSERT_TRUE(harness.RunUntil([&] { return impostor.PollClosed(); })) << c.why;
    EXPECT_EQ(harness.network(1).counters().handshakes_rejected, ++rejected) << c.why;
  }
  // The real replica 0 was never displaced.
  EXPECT_TRUE(harness.RoundTrip(1, 0, 2));
  EXPECT_TRUE(harness.recorder(1).events.empty());
}

TEST(UringNetworkTest, ConnectionsAwaitingAHelloAreBounded) {
  Harness harness(2,
                  [](UringNetworkOptions& options) { options.unidentified_connections_max = 2; });
  ASSERT_TRUE(harness.RoundTrip(0, 1, 1));
  // Accepted in the order they connect (the listen backlog is a queue).
  RawClient first(harness.cluster().replica_port(1));
  RawClient second(harness.cluster().replica_port(1));
  RawClient third(harness.cluster().replica_port(1));
  ASSERT_TRUE(harness.RunUntil([&] { return first.PollClosed(); })) << "the oldest is evicted";
  EXPECT_EQ(harness.network(1).counters().inbound_refused, 1u);
  EXPECT_FALSE(second.PollClosed());
  EXPECT_FALSE(third.PollClosed());
  EXPECT_TRUE(harness.RoundTrip(0, 1, 2));
}

// Replica 0's address for replica 1 leads to an impostor: the answering hello is
// checked, so 0 never takes it for replica 1 until the right replica answers.
TEST(UringNetworkTest, DialledReplicaMustAnswerWithItsOwnHello) {
  absl::StatusOr<TcpListener> impostor = TcpListener::Listen({"127.0.0.1", 0});
  ASSERT_TRUE(impostor.ok()) << impostor.status();
  fcntl(impostor->fd(), F_SETFL, fcntl(impostor->fd(), F_GETFL) | O_NONBLOCK);
  const uint16_t impostor_port = impostor->port();
  Harness harness(3, [impostor_port](UringNetworkOptions& options) {
    if (options.self == 0) options.replicas[1].port = impostor_port;
  });
  // Accepts replica 0's next call, reads its hello, answers as `sender`.
  auto answer_as = [&](io::PeerId sender) -> std::unique_ptr<RawClient> {
    std::unique_ptr<RawClient> call;
    const bool heard = harness.RunUntil([&] {
      if (call == nullptr) {
        const int fd = accept4(impostor->fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return false;
        call = RawClient::Adopt(fd);
      }
      call->PollClosed();
      return call->received.size() >= kHelloSizeBytes;
    });
    if (!heard) return nullptr;
    const absl::StatusOr<Hello> hello =
        DecodeHello(ByteSpan(call->received).first(kHelloSizeBytes));
    EXPECT_TRUE(hello.ok() && hello->sender == 0 && hello->receiver == 1);
    EXPECT_TRUE(call->Write(EncodeHello({.sender = sender, .receiver = 0, .replica_count = 3})));
    return call;
  };
  std::unique_ptr<RawClient> wrong = answer_as(2);
  ASSERT_NE(wrong, nullptr);
  ASSERT_TRUE(harness.RunUntil([&] { return wrong->PollClosed(); })) << "0 hangs up on it";
  EXPECT_EQ(harness.network(0).counters().handshakes_rejected, 1u);
  EXPECT_EQ(harness.recorder(0).events, (std::vector<Recorder::Event>{{1, false}}));

  std::unique_ptr<RawClient> right = answer_as(1);  // The next attempt, after backoff.
  ASSERT_NE(right, nullptr);
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).Saw({1, true}); }));
  ASSERT_TRUE(harness.network(0).Send(1, MakeFrame(5)).ok());
  ASSERT_TRUE(harness.RunUntil([&] {
    right->PollClosed();
    return right->received.size() == kHelloSizeBytes + 512;
  }));
  EXPECT_EQ(Bytes(right->received.begin() + kHelloSizeBytes, right->received.end()), MakeFrame(5));
  EXPECT_TRUE(harness.RoundTrip(0, 2, 6)) << "the other replicas are unaffected";
}

// Replica 0 dials replica 1; replica 1 restarts. Replica 0 notices, retries with
// backoff (measured, not spinning) and frames flow again once 1 is back.
TEST(UringNetworkTest, RestartedPeerIsReconnectedWithBackoff) {
  Harness harness(2, [](UringNetworkOptions& options) {
    options.reconnect_backoff_min_ticks = 1;  // 10, 20, 40, 80 ms, then 100 ms
    options.reconnect_backoff_max_ticks = 10;
  });
  ASSERT_TRUE(harness.RoundTrip(0, 1, 1));
  ASSERT_TRUE(harness.RoundTrip(1, 0, 2));

  harness.cluster().Stop(1);
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).Saw({1, false}); }));
  const uint64_t failures_before = harness.network(0).counters().connect_failures;
  const uint64_t down_ns = harness.cluster().loop().MonotonicNs();
  // 400 ms down: attempts at about 10, 30, 70, 150, 250, 350 ms.
  harness.RunUntil([] { return false; }, 400'000'000);
  const uint64_t down_for_ns = harness.cluster().loop().MonotonicNs() - down_ns;
  const uint64_t failures = harness.network(0).counters().connect_failures - failures_before;
  EXPECT_GE(failures, 3u) << "no retries";
  EXPECT_LE(failures, down_for_ns / 100'000'000 + 5) << "retrying faster than the backoff";
  // Frames sent meanwhile are accepted (queued or lost), never an error.
  EXPECT_TRUE(harness.network(0).Send(1, MakeFrame(3)).ok());

  harness.Restart(1);
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).Saw({1, true}); }));
  EXPECT_TRUE(harness.RoundTrip(0, 1, 4));
  EXPECT_TRUE(harness.RoundTrip(1, 0, 5));
  EXPECT_EQ(harness.recorder(0).events, (std::vector<Recorder::Event>{{1, false}, {1, true}}));
}

// Replica 1 is dialled by replica 0; 0 restarts, and its new hello replaces the
// connection 1 held (whether or not 1 has noticed the old one die yet).
TEST(UringNetworkTest, RestartedDialerReplacesItsConnection) {
  Harness harness(2);
  ASSERT_TRUE(harness.RoundTrip(0, 1, 1));
  ASSERT_TRUE(harness.RoundTrip(1, 0, 2));
  harness.cluster().Stop(0);
  harness.Restart(0);
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(1).Saw({0, true}); }));
  EXPECT_EQ(harness.recorder(1).events, (std::vector<Recorder::Event>{{0, false}, {0, true}}));
  EXPECT_TRUE(harness.RoundTrip(0, 1, 3));
  EXPECT_TRUE(harness.RoundTrip(1, 0, 4));
}

TEST(UringNetworkTest, LargeFramesArriveWhole) {
  Harness harness(2);
  const size_t max = harness.network(0).frame_size_max_bytes();
  const std::vector<size_t> sizes = {max, max - 1, size_t{1} << 20, 700'001, max, 999'999};
  std::vector<Bytes> sent;
  // Three at a time per direction: the default queue holds four maximal frames.
  for (size_t begin = 0; begin < sizes.size(); begin += 3) {
    for (size_t i = begin; i < begin + 3; ++i) {
      sent.push_back(MakeFrame(i, sizes[i]));
      ASSERT_TRUE(harness.network(0).Send(1, sent.back()).ok()) << i;
      ASSERT_TRUE(harness.network(1).Send(0, sent.back()).ok()) << i;
    }
    ASSERT_TRUE(harness.RunUntil([&] {
      return harness.recorder(0).arrivals.size() == begin + 3 &&
             harness.recorder(1).arrivals.size() == begin + 3;
    }));
  }
  for (io::PeerId node : {0, 1}) {
    ASSERT_EQ(harness.recorder(node).arrivals.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_TRUE(harness.recorder(node).arrivals[i].frame == sent[i]) << node << ": " << i;
    }
  }
}

// A client that never reads: the kernel's socket buffers fill, then the bounded
// queue, then Send() refuses, while the loop keeps running and serving others.
TEST(UringNetworkTest, ReceiverThatStopsReadingMeetsBackpressure) {
  constexpr size_t kQueueBytes = 64 * 1024;
  Harness harness(
      2,
      [](UringNetworkOptions& options) {
        options.client_frame_size_max_bytes = 4096;
        options.client_send_queue_bytes_max = kQueueBytes;
      },
      /*clients=*/true);
  RawClient sluggard(harness.cluster().client_port(0));
  ASSERT_TRUE(sluggard.Write(MakeFrame(1, 256)));
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).arrivals.size() == 1; }));
  const io::PeerId client = harness.recorder(0).arrivals[0].from;

  constexpr size_t kFrameBytes = 4096;
  constexpr uint64_t kSendsMax = 100'000;  // ~400 MiB: far beyond any socket buffer
  uint64_t accepted = 0;
  absl::Status refused;
  for (; accepted < kSendsMax; ++accepted) {
    const absl::Status status = harness.network(0).Send(client, MakeFrame(accepted, kFrameBytes));
    if (!status.ok()) {
      refused = status;
      break;
    }
    const uint64_t sent_before = harness.network(0).counters().frames_sent;
    // Let the loop drain what the kernel takes; give up after a tick once it stalls.
    harness.RunUntil([&] { return harness.network(0).counters().frames_sent > sent_before; },
                     io::kTickNs);
  }
  ASSERT_TRUE(absl::IsResourceExhausted(refused)) << refused << " after " << accepted;
  EXPECT_GT(accepted, kQueueBytes / kFrameBytes) << "the queue alone holds that many";
  EXPECT_TRUE(harness.RoundTrip(1, 0, 2)) << "others are still served";

  // The client leaves: its queued frames are dropped, and later sends are lost too.
  sluggard.Close();
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).Saw({client, false}); }));
  EXPECT_GT(harness.network(0).counters().frames_dropped_on_close, 0u);
  EXPECT_TRUE(harness.network(0).Send(client, MakeFrame(3, 256)).ok());
}

TEST(UringNetworkTest, ClientsGetIdsAboveTheReplicasAndRepliesReachThem) {
  Harness harness(3, SmallClientFrames, /*clients=*/true);
  // Replica 2 answers every frame with the number + 1000, sized by the number.
  harness.recorder(2).on_frame = [&](io::PeerId from, ByteSpan frame) {
    const uint64_t number = NumberOf(frame);
    EXPECT_TRUE(harness.network(2).Send(from, MakeFrame(number + 1000, 256 + number)).ok());
  };
  RawClient first(harness.cluster().client_port(2));
  RawClient second(harness.cluster().client_port(2));
  ASSERT_TRUE(first.Write(MakeFrame(1, 300)));
  ASSERT_TRUE(second.Write(MakeFrame(2, 4096)));
  ASSERT_TRUE(harness.RunUntil([&] {
    first.PollClosed();
    second.PollClosed();
    return first.received.size() == 257 && second.received.size() == 258;
  }));
  EXPECT_EQ(first.received, MakeFrame(1001, 257));
  EXPECT_EQ(second.received, MakeFrame(1002, 258));
  ASSERT_EQ(harness.recorder(2).arrivals.size(), 2u);
  const io::PeerId first_id = harness.recorder(2).arrivals[0].from;
  const io::PeerId second_id = harness.recorder(2).arrivals[1].from;
  EXPECT_GE(first_id, 3u);
  EXPECT_GE(second_id, 3u);
  EXPECT_NE(first_id, second_id);

  UringNetwork& network = harness.network(2);
  EXPECT_TRUE(absl::IsInvalidArgument(network.Send(first_id, MakeFrame(3, 4097))))
      << "the client port's own maximum";
  EXPECT_TRUE(absl::IsInvalidArgument(network.Send(1'000, MakeFrame(4)))) << "an id never assigned";
  first.Close();
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(2).Saw({first_id, false}); }));
  EXPECT_TRUE(network.Send(first_id, MakeFrame(5)).ok()) << "a departed client: lost, no error";
  // A new client never inherits a departed one's id.
  RawClient third(harness.cluster().client_port(2));
  ASSERT_TRUE(third.Write(MakeFrame(6, 256)));
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(2).arrivals.size() == 3; }));
  EXPECT_GT(harness.recorder(2).arrivals[2].from, second_id);
}

TEST(UringNetworkTest, ClientsBeyondTheLimitAreClosed) {
  Harness harness(
      1, [](UringNetworkOptions& options) { options.clients_max = 1; },
      /*clients=*/true);
  RawClient admitted(harness.cluster().client_port(0));
  ASSERT_TRUE(admitted.Write(MakeFrame(1, 256)));
  ASSERT_TRUE(harness.RunUntil([&] { return harness.recorder(0).arrivals.size() == 1; }));
  RawClient refused(harness.cluster().client_port(0));
  ASSERT_TRUE(harness.RunUntil([&] { return refused.PollClosed(); }));
  EXPECT_EQ(harness.network(0).counters().inbound_refused, 1u);
  EXPECT_FALSE(admitted.PollClosed());
}

// Destroying networks with receives, sends and connects in flight must not leak
// or touch freed memory (ASan) and must not hang the loop's teardown.
TEST(UringNetworkTest, DestroyingWithOperationsInFlight) {
  for (int round = 0; round < 3; ++round) {
    Harness harness(3, nullptr, /*clients=*/true);
    RawClient client(harness.cluster().client_port(1));
    for (uint64_t number = 0; number < 3; ++number) {
      ASSERT_TRUE(harness.network(0).Send(1, MakeFrame(number, 200'000)).ok());
      ASSERT_TRUE(harness.network(2).Send(0, MakeFrame(number, 200'000)).ok());
    }
    // Run a few events only, so operations of every kind are mid-way.
    for (int events = 0; events < round * 5; ++events) harness.cluster().loop().RunOnce();
    harness.cluster().Stop(2);  // One stops alone, the rest with the cluster.
  }
}

}  // namespace
}  // namespace sluice::uring
