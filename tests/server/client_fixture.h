#pragma once
// Test-only: a formatted single-node data directory, sluice-server started on it
// with its client port on 127.0.0.1:0 (the port read back from its log), blocking
// clients (server/blocking_client.h) connected to it, and helpers to build numbered
// message batches and read poll replies.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/client_protocol/requests.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "server/blocking_client.h"
#include "tests/server/server_process.h"
#include "tests/testing/determinism_check.h"
#include "tests/testing/run_process.h"

namespace sluice::testing {

using client_protocol::IggyError;
using metadata::Identifier;

inline std::string ServerBinary() { return RunfilesBinary("server/sluice-server"); }

// A message as a poll returns it.
struct PolledMessage {
  uint64_t offset = 0;
  absl::uint128 id = 0;
  std::string payload;
  Bytes frame;  // the whole stored frame: header, payload, user headers
};

struct PolledMessages {
  uint32_t partition_id = 0;
  uint64_t current_offset = 0;
  std::vector<PolledMessage> messages;
};

// Parses a poll reply payload (PROTOCOL.md §6.5) as the Node SDK reads it: records
// walked by batch_length, message_count frames each, offset = base_offset +
// offset_delta (a record sliced from a stored batch keeps its frames' deltas, so it
// is not a batch DecodeBatch accepts). Asserts on malformed replies.
inline PolledMessages ParsePoll(ByteSpan payload) {
  PolledMessages polled;
  SLUICE_ASSERT(payload.size() >= 16, "poll reply of ", payload.size(), " bytes");
  polled.partition_id = base::LoadLittleEndian<uint32_t>(payload, 0);
  polled.current_offset = base::LoadLittleEndian<uint64_t>(payload, 4);
  const uint32_t count = base::LoadLittleEndian<uint32_t>(payload, 12);
  size_t position = 16;
  while (position < payload.size()) {
    SLUICE_ASSERT(position + 256 <= payload.size(), "a truncated record header");
    const uint64_t base_offset = base::LoadLittleEndian<uint64_t>(payload, position + 8);
    const uint64_t length = base::LoadLittleEndian<uint64_t>(payload, position + 32);
    const uint32_t messages = base::LoadLittleEndian<uint32_t>(payload, position + 48);
    SLUICE_ASSERT(length >= 256 && position + length <= payload.size(), "a truncated record");
    size_t frame = position + 256;
    for (uint32_t i = 0; i < messages; ++i) {
      SLUICE_ASSERT(frame + 48 <= position + length, "a truncated message header");
      const uint32_t headers = base::LoadLittleEndian<uint32_t>(payload, frame + 32);
      const uint32_t size = base::LoadLittleEndian<uint32_t>(payload, frame + 36);
      const size_t end = frame + 48 + size + headers;
      SLUICE_ASSERT(end <= position + length, "a truncated message");
      polled.messages.push_back(
          {.offset = base_offset + base::LoadLittleEndian<uint32_t>(payload, frame + 24),
           .id = base::LoadU128(payload, frame + 8),
           .payload = std::string(payload.begin() + frame + 48, payload.begin() + frame + 48 + size),
           .frame = Bytes(payload.begin() + frame, payload.begin() + end)});
      frame = end;
    }
    SLUICE_ASSERT(frame == position + length, "a record with bytes after its frames");
    position += length;
  }
  SLUICE_ASSERT(polled.messages.size() == count, "poll head count ", count, " for ",
                polled.messages.size(), " messages");
  return polled;
}

// A batch of messages numbered first..first+count-1: id = number, payload
// "message-<number>".
inline Bytes NumberedBatch(uint64_t first, uint32_t count) {
  std::vector<std::string> payloads;
  std::vector<wire::MessageToSend> messages;
  payloads.reserve(count);
  for (uint32_t i = 0; i < count; ++i) payloads.push_back(absl::StrCat("message-", first + i));
  for (uint32_t i = 0; i < count; ++i) {
    messages.push_back({.id = first + i,
                        .origin_timestamp = 1'700'000'000'000'000 + first + i,
                        .payload = base::AsBytes(payloads[i])});
  }
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *std::move(batch);
}

// The message frames of a batch (what the server stores and serves unchanged).
inline Bytes FramesOf(const Bytes& batch) { return Bytes(batch.begin() + 256, batch.end()); }

// SendMessages of `batch` (which must outlive the request).
inline client_protocol::SendMessagesRequest SendOf(Identifier stream, Identifier topic,
                                                   client_protocol::Partitioning partitioning,
                                                   const Bytes& batch) {
  absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(batch);
  SLUICE_ASSERT(validated.ok(), validated.status().ToString());
  return {.stream = std::move(stream),
          .topic = std::move(topic),
          .partitioning = std::move(partitioning),
          .batch = *validated};
}

inline client_protocol::Partitioning ToPartition(uint32_t id) {
  return {.kind = client_protocol::Partitioning::Kind::kPartitionId, .partition_id = id};
}

inline client_protocol::PollMessagesRequest PollOf(Identifier stream, Identifier topic,
                                                   uint32_t partition, uint64_t offset,
                                                   uint32_t count, bool auto_commit = false,
                                                   uint32_t consumer = 7) {
  return {.consumer = {client_protocol::Consumer::Kind::kConsumer, Identifier::Numeric(consumer)},
          .stream = std::move(stream),
          .topic = std::move(topic),
          .partition = partition,
          .strategy = {client_protocol::PollingStrategy::Kind::kOffset, offset},
          .count = count,
          .auto_commit = auto_commit};
}

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* temp = std::getenv("TEST_TMPDIR");
    root_ = absl::StrCat(temp != nullptr ? temp : "/tmp", "/",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    data_ = root_ + "/data";
    config_ = root_ + "/sluice.toml";
    std::ofstream(config_) << "[tcp]\naddress = \"127.0.0.1:0\"\n\n[data]\ndirectory = \"" << data_
                           << "\"\n";
    const ProcessOutcome formatted = RunToEnd(
        absl::StrCat(ServerBinary(), " format --replica-count 1 --replica-id 0 --config ", config_));
    ASSERT_EQ(formatted.exit_code, 0) << formatted.output;
  }

  // Starts the server and waits (bounded) until it listens.
  void StartServer() {
    server_ = std::make_unique<ServerProcess>(ServerBinary(),
                                              std::vector<std::string>{"start", "--config", config_});
    const std::optional<uint16_t> port = server_->WaitForClientPort();
    ASSERT_TRUE(port.has_value()) << server_->output();
    port_ = *port;
  }

  // SIGTERM; the exit code.
  int StopServer() { return server_->Terminate(); }

  std::unique_ptr<server::BlockingClient> Connect() {
    absl::StatusOr<std::unique_ptr<server::BlockingClient>> client =
        server::BlockingClient::Connect("127.0.0.1", port_);
    SLUICE_ASSERT(client.ok(), client.status().ToString());
    return *std::move(client);
  }

  std::unique_ptr<server::BlockingClient> LoggedIn() {
    std::unique_ptr<server::BlockingClient> client = Connect();
    const absl::Status login = client->Login("iggy", "iggy");
    SLUICE_ASSERT(login.ok(), login.ToString(), "\nserver output:\n", server_->output());
    return client;
  }

  // Calls `command`, requiring a transport-level answer (a frame).
  server::ServerFrame Call(server::BlockingClient& client, const client_protocol::Command& command) {
    absl::StatusOr<server::ServerFrame> reply = client.Call(command);
    SLUICE_ASSERT(reply.ok(), reply.status().ToString(), "\nserver output:\n",
                  server_ != nullptr ? server_->output() : "");
    return *std::move(reply);
  }

  std::string root_, data_, config_;
  std::unique_ptr<ServerProcess> server_;
  uint16_t port_ = 0;
};

}  // namespace sluice::testing
