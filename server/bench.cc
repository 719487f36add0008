#include "server/bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <latch>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/bytes.h"
#include "core/base/status_macros.h"
#include "core/client_protocol/requests.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "server/blocking_client.h"

namespace sluice::server {
namespace {

using client_protocol::IggyError;
using metadata::Identifier;
using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

absl::StatusOr<std::unique_ptr<BlockingClient>> LoggedIn(const BenchOptions& options) {
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(options.host, options.port, absl::Seconds(5));
  if (!client.ok()) return client.status();
  if (absl::Status login = (*client)->Login(options.username, options.password); !login.ok()) {
    return login;
  }
  return client;
}

// The server's answer as a status: its error code, or a transport error.
absl::Status Check(const absl::StatusOr<ServerFrame>& reply, const std::string& what) {
  if (!reply.ok()) return absl::UnavailableError(absl::StrCat(what, ": ", reply.status().ToString()));
  if (reply->decoded.Error() != IggyError::kOk) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": refused with error ", static_cast<uint32_t>(reply->decoded.Error())));
  }
  return absl::OkStatus();
}

// What one producer or consumer did.
struct WorkerResult {
  absl::Status status;
  uint64_t messages = 0;
  std::vector<double> latencies_us;
  // Producers: the ids sent to each partition, in send order (for the poll check).
  std::vector<std::vector<absl::uint128>> ids_by_partition;
};

void Produce(const BenchOptions& options, BlockingClient& client, const Identifier& stream,
             uint32_t producer, uint32_t partitions, uint64_t quota, Clock::time_point deadline,
             WorkerResult& result) {
  const uint32_t partition = producer % partitions;
  result.ids_by_partition.resize(partitions);
  std::vector<uint8_t> payload(options.message_size);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>('a' + (i + producer) % 26);
  std::vector<wire::MessageToSend> messages;
  uint64_t sequence = 0;
  while (options.seconds > 0 ? Clock::now() < deadline : result.messages < quota) {
    const uint64_t size =
        options.seconds > 0 ? options.batch : std::min<uint64_t>(options.batch, quota - result.messages);
    messages.clear();
    const uint64_t now_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    for (uint64_t i = 0; i < size; ++i) {
      messages.push_back({.id = absl::MakeUint128(producer + 1, ++sequence),
                          .origin_timestamp = now_us,
                          .payload = ByteSpan(payload.data(), payload.size())});
    }
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
    if (!batch.ok()) {
      result.status = batch.status();
      return;
    }
    absl::StatusOr<wire::ValidatedBatch> validated = wire::DecodeBatch(*batch);
    if (!validated.ok()) {
      result.status = validated.status();
      return;
    }
    const Clock::time_point start = Clock::now();
    const absl::StatusOr<ServerFrame> reply = client.Call(client_protocol::SendMessagesRequest{
        .stream = stream,
        .topic = Identifier::Numeric(0),
        .partitioning = {.kind = client_protocol::Partitioning::Kind::kPartitionId,
                         .partition_id = partition},
        .batch = *validated});
    result.latencies_us.push_back(MicrosSince(start));
    if (absl::Status checked = Check(reply, "send"); !checked.ok()) {
      result.status = checked;
      return;
    }
    for (const wire::MessageToSend& message : messages) {
      result.ids_by_partition[partition].push_back(message.id);
    }
    result.messages += size;
  }
}

// Polls partition `partition` from offset 0 until every message sent to it came
// back: offsets contiguous, each producer's ids in the order it sent them
// (`sent_by[i]`: producer i's ids for this partition; producers sharing a partition
// interleave). Polls that return nothing are repeated (an acknowledged send reaches
// the read path just after its acknowledgement) for at most 10 s without progress.
void Consume(const BenchOptions& options, BlockingClient& client, const Identifier& stream,
             uint32_t partition, const std::vector<const std::vector<absl::uint128>*>& sent_by,
             WorkerResult& result) {
  uint64_t total = 0;
  for (const std::vector<absl::uint128>* ids : sent_by) total += ids->size();
  std::vector<size_t> cursor(sent_by.size(), 0);
  uint64_t next = 0;
  Clock::time_point last_progress = Clock::now();
  while (next < total) {
    const Clock::time_point start = Clock::now();
    const absl::StatusOr<ServerFrame> reply = client.Call(client_protocol::PollMessagesRequest{
        .consumer = {client_protocol::Consumer::Kind::kConsumer, Identifier::Numeric(partition + 1)},
        .stream = stream,
        .topic = Identifier::Numeric(0),
        .partition = partition,
        .strategy = {client_protocol::PollingStrategy::Kind::kOffset, next},
        .count = options.poll_count});
    result.latencies_us.push_back(MicrosSince(start));
    if (absl::Status checked = Check(reply, "poll"); !checked.ok()) {
      result.status = checked;
      return;
    }
    // Records as the SDK walks them (PROTOCOL.md §6.5): offset = base + offset_delta.
    const ByteSpan payload = reply->decoded.payload;
    const uint64_t before = next;
    size_t position = 16;
    while (position + 256 <= payload.size()) {
      const uint64_t base_offset = base::LoadLittleEndian<uint64_t>(payload, position + 8);
      const uint64_t length = base::LoadLittleEndian<uint64_t>(payload, position + 32);
      const uint32_t count = base::LoadLittleEndian<uint32_t>(payload, position + 48);
      if (length < 256 || position + length > payload.size()) {
        result.status = absl::DataLossError("poll: a malformed record");
        return;
      }
      size_t frame = position + 256;
      for (uint32_t i = 0; i < count; ++i) {
        if (frame + 48 > position + length) {
          result.status = absl::DataLossError("poll: a truncated message");
          return;
        }
        const uint64_t offset = base_offset + base::LoadLittleEndian<uint32_t>(payload, frame + 24);
        const absl::uint128 id = base::LoadU128(payload, frame + 8);
        const uint64_t producer = absl::Uint128High64(id) - 1;
        if (offset != next || producer >= sent_by.size() ||
            cursor[producer] >= sent_by[producer]->size() ||
            (*sent_by[producer])[cursor[producer]] != id) {
          result.status = absl::DataLossError(absl::StrCat(
              "poll: partition ", partition, " offset ", offset, " (expected ", next,
              "): not the next message sent there"));
          return;
        }
        ++cursor[producer];
        ++next;
        frame += 48 + base::LoadLittleEndian<uint32_t>(payload, frame + 36) +
                 base::LoadLittleEndian<uint32_t>(payload, frame + 32);
      }
      position += length;
    }
    if (next > before) {
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(10)) {
      result.status = absl::DeadlineExceededError(absl::StrCat(
          "poll: partition ", partition, " stopped at offset ", next, " of ", total));
      return;
    }
  }
  result.messages = next;
}

PhaseReport Merge(std::vector<WorkerResult>& results, double seconds, uint32_t message_size) {
  PhaseReport report;
  report.seconds = seconds;
  for (WorkerResult& result : results) {
    report.messages += result.messages;
    report.latencies_us.insert(report.latencies_us.end(), result.latencies_us.begin(),
                               result.latencies_us.end());
  }
  report.payload_bytes = report.messages * message_size;
  std::sort(report.latencies_us.begin(), report.latencies_us.end());
  return report;
}

std::string PhaseLine(const char* name, const char* request, const PhaseReport& phase) {
  const double seconds = std::max(phase.seconds, 1e-9);
  return absl::StrFormat(
      "%s: %d messages (%.1f MB) in %.3f s: %.0f msgs/s, %.2f MB/s; %s latency p50 %.3f ms, "
      "p99 %.3f ms, p999 %.3f ms (%d requests)\n",
      name, phase.messages, phase.payload_bytes / 1e6, phase.seconds, phase.messages / seconds,
      phase.payload_bytes / 1e6 / seconds, request, phase.Percentile(0.50) / 1000,
      phase.Percentile(0.99) / 1000, phase.Percentile(0.999) / 1000, phase.latencies_us.size());
}

}  // namespace

double PhaseReport::Percentile(double fraction) const {
  if (latencies_us.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(latencies_us.size())));
  return latencies_us[std::clamp<size_t>(rank, 1, latencies_us.size()) - 1];
}

namespace {

// A batch of the configured shape encodes (it fits the protocol's batch bound).
absl::Status CheckBatchShape(const BenchOptions& options) {
  const std::vector<uint8_t> payload(options.message_size, 'x');
  std::vector<wire::MessageToSend> messages(
      options.batch, {.id = 1, .payload = ByteSpan(payload.data(), payload.size())});
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
  if (!batch.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("a batch of ", options.batch, " messages of ",
                                                   options.message_size, " bytes: ",
                                                   batch.status().message()));
  }
  return absl::OkStatus();
}

// The phases, on the stream `report.stream` the caller created.
absl::Status RunPhases(const BenchOptions& options, BlockingClient& admin, BenchReport& report);

}  // namespace

absl::StatusOr<BenchReport> RunBench(const BenchOptions& options) {
  if (options.producers == 0 || options.batch == 0 || options.poll_count == 0) {
    return absl::InvalidArgumentError("producers, batch and poll count must be at least 1");
  }
  RETURN_IF_ERROR(CheckBatchShape(options));
  BenchReport report;
  report.partitions = options.partitions == 0 ? options.producers : options.partitions;
  report.stream = absl::StrCat("bench-", getpid());
  const Identifier stream = Identifier::Named(report.stream);

  absl::StatusOr<std::unique_ptr<BlockingClient>> admin = LoggedIn(options);
  if (!admin.ok()) return admin.status();
  RETURN_IF_ERROR(Check((*admin)->Call(client_protocol::CreateStreamRequest{report.stream}),
                        "create-stream"));
  const absl::Status ran = RunPhases(options, **admin, report);
  // The stream goes whether the phases succeeded or not (unless kept).
  const absl::Status deleted =
      options.keep ? absl::OkStatus()
                   : Check((*admin)->Call(client_protocol::DeleteStreamRequest{stream}), "delete-stream");
  RETURN_IF_ERROR(ran);
  RETURN_IF_ERROR(deleted);
  return report;
}

namespace {

absl::Status RunPhases(const BenchOptions& options, BlockingClient& admin, BenchReport& report) {
  const Identifier stream = Identifier::Named(report.stream);
  RETURN_IF_ERROR(Check(admin.Call(client_protocol::CreateTopicRequest{
                            .stream = stream, .partitions_count = report.partitions, .name = "bench"}),
                        "create-topic"));

  // Send phase: every producer connected and logged in before the clock starts.
  std::vector<std::unique_ptr<BlockingClient>> producers;
  for (uint32_t i = 0; i < options.producers; ++i) {
    absl::StatusOr<std::unique_ptr<BlockingClient>> client = LoggedIn(options);
    if (!client.ok()) return client.status();
    producers.push_back(*std::move(client));
  }
  std::vector<WorkerResult> sent(options.producers);
  {
    std::latch start(1);
    std::vector<std::thread> threads;
    Clock::time_point deadline;
    for (uint32_t i = 0; i < options.producers; ++i) {
      const uint64_t quota = options.count / options.producers + (i < options.count % options.producers ? 1 : 0);
      threads.emplace_back([&, i, quota] {
        start.wait();
        Produce(options, *producers[i], stream, i, report.partitions, quota, deadline, sent[i]);
      });
    }
    const Clock::time_point began = Clock::now();
    deadline = began + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
    start.count_down();
    for (std::thread& thread : threads) thread.join();
    report.send = Merge(sent, std::chrono::duration<double>(Clock::now() - began).count(), options.message_size);
  }
  for (const WorkerResult& result : sent) {
    if (!result.status.ok()) return result.status;
  }

  // Poll phase: one consumer per partition, each expecting the ids sent there.
  std::vector<std::vector<const std::vector<absl::uint128>*>> expected(report.partitions);
  for (const WorkerResult& result : sent) {
    for (uint32_t p = 0; p < report.partitions; ++p) expected[p].push_back(&result.ids_by_partition[p]);
  }
  std::vector<std::unique_ptr<BlockingClient>> consumers;
  for (uint32_t p = 0; p < report.partitions; ++p) {
    absl::StatusOr<std::unique_ptr<BlockingClient>> client = LoggedIn(options);
    if (!client.ok()) return client.status();
    consumers.push_back(*std::move(client));
  }
  std::vector<WorkerResult> polled(report.partitions);
  {
    std::latch start(1);
    std::vector<std::thread> threads;
    for (uint32_t p = 0; p < report.partitions; ++p) {
      threads.emplace_back([&, p] {
        start.wait();
        Consume(options, *consumers[p], stream, p, expected[p], polled[p]);
      });
    }
    const Clock::time_point began = Clock::now();
    start.count_down();
    for (std::thread& thread : threads) thread.join();
    report.poll = Merge(polled, std::chrono::duration<double>(Clock::now() - began).count(), options.message_size);
  }
  for (const WorkerResult& result : polled) {
    if (!result.status.ok()) return result.status;
  }

  return absl::OkStatus();
}

}  // namespace

std::string FormatBenchReport(const BenchOptions& options, const BenchReport& report) {
  std::string text = absl::StrFormat(
      "bench: %d producer(s), %d partition(s), batches of %d messages of %d bytes, stream %s%s\n",
      options.producers, report.partitions, options.batch, options.message_size, report.stream,
      options.keep ? " (kept)" : " (deleted)");
  absl::StrAppend(&text, PhaseLine("sent", "send (to durable ack)", report.send));
  absl::StrAppend(&text, PhaseLine("polled", "poll", report.poll));
  return text;
}

}  // namespace sluice::server
