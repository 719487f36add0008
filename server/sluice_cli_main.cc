// sluice-cli: a small operator's client of sluice-server's client port, speaking
// Iggy's client protocol through server/blocking_client.h (the SDK's session flow).
//
//   sluice-cli [--address HOST:PORT] [--username U] [--password P] <command> ...
//     ping
//     cluster-metadata                           the roster: "NAME<TAB>IP:PORT<TAB>ROLE<TAB>STATUS"
//     create-stream NAME
//     create-topic STREAM NAME PARTITIONS
//     send STREAM TOPIC PARTITION MESSAGE...     one batch, one message per argument
//     poll STREAM TOPIC PARTITION OFFSET COUNT   prints "offset<TAB>payload" lines
//     store-offset STREAM TOPIC PARTITION CONSUMER_ID OFFSET
//     bench [--producers N] [--partitions N] [--batch N] [--message-size BYTES]
//           [--count N | --seconds S] [--poll-count N] [--keep]
//                                                send/poll load (server/bench.h)
//
// STREAM / TOPIC: a number is an id, anything else a name. Defaults: 127.0.0.1:8090,
// iggy / iggy (Iggy's). Exit codes: 0 ok, 1 refused by the server or unreachable
// (bench: or a message not polled back as sent), 2 usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "server/bench.h"
#include "server/blocking_client.h"

namespace sluice::server {
namespace {

using client_protocol::IggyError;
using metadata::Identifier;

constexpr int kExitOk = 0, kExitRefused = 1, kExitUsage = 2;

const char kHelp[] = R"(usage: sluice-cli [--address HOST:PORT] [--username U] [--password P] <command>
  ping
  cluster-metadata   the roster, one "NAME<TAB>IP:PORT<TAB>leader|follower<TAB>STATUS" line a node
  create-stream NAME
  create-topic STREAM NAME PARTITIONS
  send STREAM TOPIC PARTITION MESSAGE...
  poll STREAM TOPIC PARTITION OFFSET COUNT
  store-offset STREAM TOPIC PARTITION CONSUMER_ID OFFSET
  bench [--producers N] [--partitions N] [--batch N] [--message-size BYTES]
        [--count N | --seconds S] [--poll-count N] [--keep]
      send/poll load: a fresh stream, N producers sending batches in parallel (to
      durable acknowledgement), then one consumer per partition polling everything
      back and checking it; prints msgs/s, MB/s and p50/p99/p999 latency per phase.
      Defaults: 1 producer, a partition per producer, batches of 100 messages of
      1024 bytes, 100000 messages, polls of 1000; the stream is deleted unless --keep.
)";

int Usage(const std::string& message) {
  std::fprintf(stderr, "sluice-cli: %s\n%s", message.c_str(), kHelp);
  return kExitUsage;
}

Identifier IdentifierOf(const std::string& text) {
  uint32_t id = 0;
  return absl::SimpleAtoi(text, &id) ? Identifier::Numeric(id) : Identifier::Named(text);
}

// Prints the server's refusal, if any; the exit code.
int Report(const absl::StatusOr<ServerFrame>& reply, const std::string& what) {
  if (!reply.ok()) {
    std::fprintf(stderr, "%s: %s\n", what.c_str(), reply.status().ToString().c_str());
    return kExitRefused;
  }
  if (reply->decoded.Error() != IggyError::kOk) {
    std::fprintf(stderr, "%s: refused with error %u%s\n", what.c_str(),
                 static_cast<uint32_t>(reply->decoded.Error()),
                 reply->decoded.eviction ? " (evicted)" : "");
    return kExitRefused;
  }
  std::printf("%s: ok\n", what.c_str());
  return kExitOk;
}

int Send(BlockingClient& client, const std::vector<std::string>& args) {
  uint32_t partition = 0;
  if (args.size() < 4 || !absl::SimpleAtoi(args[2], &partition)) {
    return Usage("send STREAM TOPIC PARTITION MESSAGE...");
  }
  std::vector<wire::MessageToSend> messages;
  for (size_t i = 3; i < args.size(); ++i) {
    // Iggy's SDKs mint ids client-side; numbering from the process's clock keeps
    // them distinct across runs without randomness in the batch.
    messages.push_back({.id = absl::MakeUint128(static_cast<uint64_t>(time(nullptr)), i),
                        .payload = base::AsBytes(args[i])});
  }
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
  if (!batch.ok()) return Usage(std::string(batch.status().message()));
  absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(*batch);
  if (!validated.ok()) return Usage(std::string(validated.status().message()));
  const absl::StatusOr<ServerFrame> reply = client.Call(client_protocol::SendMessagesRequest{
      .stream = IdentifierOf(args[0]),
      .topic = IdentifierOf(args[1]),
      .partitioning = {.kind = client_protocol::Partitioning::Kind::kPartitionId,
                       .partition_id = partition},
      .batch = *validated});
  if (reply.ok() && reply->decoded.Error() == IggyError::kOk && reply->decoded.payload.size() == 24) {
    std::printf("base offset %llu\n", static_cast<unsigned long long>(
                                          base::LoadLittleEndian<uint64_t>(reply->decoded.payload, 16)));
  }
  return Report(reply, absl::StrCat("send ", messages.size(), " message(s)"));
}

int Poll(BlockingClient& client, const std::vector<std::string>& args) {
  uint32_t partition = 0, count = 0;
  uint64_t offset = 0;
  if (args.size() != 5 || !absl::SimpleAtoi(args[2], &partition) ||
      !absl::SimpleAtoi(args[3], &offset) || !absl::SimpleAtoi(args[4], &count)) {
    return Usage("poll STREAM TOPIC PARTITION OFFSET COUNT");
  }
  const absl::StatusOr<ServerFrame> reply = client.Call(client_protocol::PollMessagesRequest{
      .consumer = {client_protocol::Consumer::Kind::kConsumer, Identifier::Numeric(0)},
      .stream = IdentifierOf(args[0]),
      .topic = IdentifierOf(args[1]),
      .partition = partition,
      .strategy = {client_protocol::PollingStrategy::Kind::kOffset, offset},
      .count = count});
  if (!reply.ok() || reply->decoded.Error() != IggyError::kOk) return Report(reply, "poll");
  const ByteSpan payload = reply->decoded.payload;
  // Records as the SDK walks them (PROTOCOL.md §6.5): offset = base + offset_delta.
  size_t position = 16;
  while (position + 256 <= payload.size()) {
    const uint64_t base_offset = base::LoadLittleEndian<uint64_t>(payload, position + 8);
    const uint64_t length = base::LoadLittleEndian<uint64_t>(payload, position + 32);
    const uint32_t messages = base::LoadLittleEndian<uint32_t>(payload, position + 48);
    if (length < 256 || position + length > payload.size()) break;
    size_t frame = position + 256;
    for (uint32_t i = 0; i < messages && frame + 48 <= position + length; ++i) {
      const uint32_t headers = base::LoadLittleEndian<uint32_t>(payload, frame + 32);
      const uint32_t size = base::LoadLittleEndian<uint32_t>(payload, frame + 36);
      if (frame + 48 + size + headers > position + length) break;
      std::printf("%llu\t%.*s\n",
                  static_cast<unsigned long long>(
                      base_offset + base::LoadLittleEndian<uint32_t>(payload, frame + 24)),
                  static_cast<int>(size), reinterpret_cast<const char*>(payload.data() + frame + 48));
      frame += 48 + size + headers;
    }
    position += length;
  }
  return kExitOk;
}

// GetClusterMetadata's payload (PROTOCOL.md §5.1), one line per node.
int ClusterMetadata(BlockingClient& client) {
  const absl::StatusOr<ServerFrame> reply = client.Call(client_protocol::GetClusterMetadataRequest{});
  if (!reply.ok() || reply->decoded.Error() != IggyError::kOk) return Report(reply, "cluster-metadata");
  const ByteSpan payload = reply->decoded.payload;
  size_t at = 0;
  const auto need = [&](size_t bytes) { return at + bytes <= payload.size(); };
  const auto text = [&](std::string& out) {
    if (!need(4)) return false;
    const uint32_t length = base::LoadLittleEndian<uint32_t>(payload, at);
    at += 4;
    if (!need(length)) return false;
    out.assign(reinterpret_cast<const char*>(payload.data() + at), length);
    at += length;
    return true;
  };
  std::string name;
  if (!text(name) || !need(4)) {
    std::fprintf(stderr, "cluster-metadata: a malformed roster\n");
    return kExitRefused;
  }
  const uint32_t nodes = base::LoadLittleEndian<uint32_t>(payload, at);
  at += 4;
  static const char* const kStatus[] = {"healthy", "starting", "stopping", "unreachable", "maintenance"};
  for (uint32_t n = 0; n < nodes; ++n) {
    std::string node, ip;
    if (!text(node) || !text(ip) || !need(10)) {
      std::fprintf(stderr, "cluster-metadata: a malformed roster\n");
      return kExitRefused;
    }
    const uint16_t port = base::LoadLittleEndian<uint16_t>(payload, at);
    const uint8_t role = payload[at + 8], status = payload[at + 9];
    at += 10;
    std::printf("%s\t%s:%u\t%s\t%s\n", node.c_str(), ip.c_str(), static_cast<unsigned>(port),
                role == 0 ? "leader" : "follower", status < 5 ? kStatus[status] : "unknown");
  }
  return kExitOk;
}

int Run(BlockingClient& client, const std::string& command, const std::vector<std::string>& args) {
  if (command == "ping") return Report(client.Call(client_protocol::PingRequest{}), "ping");
  if (command == "cluster-metadata" && args.empty()) return ClusterMetadata(client);
  if (command == "create-stream" && args.size() == 1) {
    return Report(client.Call(client_protocol::CreateStreamRequest{args[0]}), "create-stream");
  }
  uint32_t number = 0;
  if (command == "create-topic" && args.size() == 3 && absl::SimpleAtoi(args[2], &number)) {
    return Report(client.Call(client_protocol::CreateTopicRequest{
                      .stream = IdentifierOf(args[0]), .partitions_count = number, .name = args[1]}),
                  "create-topic");
  }
  uint32_t partition = 0, consumer = 0;
  uint64_t offset = 0;
  if (command == "store-offset" && args.size() == 5 && absl::SimpleAtoi(args[2], &partition) &&
      absl::SimpleAtoi(args[3], &consumer) && absl::SimpleAtoi(args[4], &offset)) {
    return Report(client.Call(client_protocol::StoreConsumerOffsetRequest{
                      .consumer = {client_protocol::Consumer::Kind::kConsumer, Identifier::Numeric(consumer)},
                      .stream = IdentifierOf(args[0]),
                      .topic = IdentifierOf(args[1]),
                      .partition = partition,
                      .offset = offset}),
                  "store-offset");
  }
  if (command == "send") return Send(client, args);
  if (command == "poll") return Poll(client, args);
  return Usage(absl::StrCat("unknown command or bad arguments: ", command));
}

int Bench(const std::string& host, uint16_t port, const std::string& username,
          const std::string& password, const std::vector<std::string>& args) {
  BenchOptions options{.host = host, .port = port, .username = username, .password = password};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--keep") {
      options.keep = true;
      continue;
    }
    if (i + 1 >= args.size()) return Usage(absl::StrCat("bench: ", flag, " needs a value"));
    const std::string& value = args[++i];
    bool parsed = false;
    if (flag == "--producers") parsed = absl::SimpleAtoi(value, &options.producers);
    if (flag == "--partitions") parsed = absl::SimpleAtoi(value, &options.partitions);
    if (flag == "--batch") parsed = absl::SimpleAtoi(value, &options.batch);
    if (flag == "--message-size") parsed = absl::SimpleAtoi(value, &options.message_size);
    if (flag == "--count") parsed = absl::SimpleAtoi(value, &options.count);
    if (flag == "--seconds") parsed = absl::SimpleAtod(value, &options.seconds) && options.seconds > 0;
    if (flag == "--poll-count") parsed = absl::SimpleAtoi(value, &options.poll_count);
    if (!parsed) return Usage(absl::StrCat("bench: bad flag or value: ", flag, " ", value));
  }
  const absl::StatusOr<BenchReport> report = RunBench(options);
  if (!report.ok()) {
    std::fprintf(stderr, "bench: %s\n", report.status().ToString().c_str());
    return absl::IsInvalidArgument(report.status()) ? kExitUsage : kExitRefused;
  }
  std::printf("%s", FormatBenchReport(options, *report).c_str());
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::string address = "127.0.0.1:8090", username = "iggy", password = "iggy";
  int i = 1;
  for (; i + 1 < argc && std::string(argv[i]).rfind("--", 0) == 0; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--address") {
      address = argv[i + 1];
    } else if (flag == "--username") {
      username = argv[i + 1];
    } else if (flag == "--password") {
      password = argv[i + 1];
    } else {
      return Usage(absl::StrCat("unknown flag: ", flag));
    }
  }
  if (i >= argc) return Usage("missing command");
  const std::string command = argv[i];
  if (command == "--help" || command == "help") {
    std::printf("%s", kHelp);
    return kExitOk;
  }
  const std::vector<std::string> args(argv + i + 1, argv + argc);
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port == 0 || port > 65535) {
    return Usage(absl::StrCat("bad address: ", address));
  }
  if (command == "bench") {
    return Bench(address.substr(0, colon), static_cast<uint16_t>(port), username, password, args);
  }
  absl::StatusOr<std::unique_ptr<BlockingClient>> client = BlockingClient::Connect(
      address.substr(0, colon), static_cast<uint16_t>(port), absl::Seconds(5));
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return kExitRefused;
  }
  if (command != "ping") {
    if (const absl::Status login = (*client)->Login(username, password); !login.ok()) {
      std::fprintf(stderr, "login as %s: %s\n", username.c_str(), login.ToString().c_str());
      return kExitRefused;
    }
  }
  return Run(**client, command, args);
}

}  // namespace
}  // namespace sluice::server

int main(int argc, char** argv) { return sluice::server::Main(argc, argv); }
