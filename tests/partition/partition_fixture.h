#pragma once
// Test-only: a PartitionLog on SimStorage, driven synchronously.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/io/testing/blocking_storage.h"
#include "core/io/testing/interrupting_storage.h"
#include "core/partition/entry_body.h"
#include "core/partition/partition_log.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "tests/testing/uring_temp_backend.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::partition::testing {

inline constexpr absl::uint128 kCluster = 0xC1;

inline PartitionOptions TestOptions() {
  PartitionOptions options;
  options.cluster = kCluster;
  options.address = {.stream = 1, .topic = 2, .partition = 3, .incarnation = 7};
  options.namespace_id = (uint64_t{1} << 63) | (uint64_t{1} << 32) | (uint64_t{2} << 20) | 3;
  options.segment_size_bytes = 4096;
  return options;
}

// A batch of `count` messages whose ids start at `first_id`; payloads name the id.
inline Bytes MakeBatch(uint32_t count, uint64_t first_id) {
  std::vector<std::string> payloads;
  std::vector<wire::MessageToSend> messages;
  payloads.reserve(count);
  for (uint32_t i = 0; i < count; ++i) payloads.push_back("message-" + std::to_string(first_id + i));
  for (uint32_t i = 0; i < count; ++i) {
    messages.push_back({.id = first_id + i, .origin_timestamp = 1'000'000 + i,
                        .payload = base::AsBytes(payloads[i]), .user_headers = {}});
  }
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *std::move(batch);
}

// Message ids returned by a poll, in order.
inline std::vector<uint64_t> PolledIds(const PollResult& result) {
  std::vector<uint64_t> ids;
  for (const PolledBatch& polled : result.batches) {
    absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(polled.batch);
    SLUICE_ASSERT(batch.ok(), batch.status().ToString());
    uint32_t index = 0;
    for (const wire::MessageView& message : *batch) {
      if (index >= polled.first_message && index < polled.first_message + polled.message_count) {
        ids.push_back(static_cast<uint64_t>(message.id));
      }
      ++index;
    }
  }
  return ids;
}

// The real backend for the same tests: io_uring in a fresh temporary directory.
using UringBackend = sluice::testing::UringTempBackend;

enum class Backend { kSim, kUring };

class PartitionFixture {
 public:
  explicit PartitionFixture(PartitionOptions options = TestOptions(), uint64_t seed = 1,
                            Backend backend = Backend::kSim)
      : options_(std::move(options)),
        storage_(loop_, {.seed = seed, .sector_size_bytes = 512}),
        uring_(backend == Backend::kUring ? std::make_unique<UringBackend>("partition") : nullptr),
        interrupting_(uring_ ? uring_->storage() : storage_, uring_ ? uring_->loop() : loop_),
        disk_(uring_ ? uring_->storage() : storage_, uring_ ? uring_->loop() : loop_) {}

  io::Loop& loop() { return uring_ ? uring_->loop() : static_cast<io::Loop&>(loop_); }

  template <typename T>
  T Run(io::Task<T> task) { return io::testing::RunTask(loop(), std::move(task)); }

  absl::Status Create() {
    absl::StatusOr<std::unique_ptr<PartitionLog>> log = Run(PartitionLog::Create(interrupting_, options_));
    if (!log.ok()) return log.status();
    log_ = *std::move(log);
    return absl::OkStatus();
  }

  // Drops the log object (the process died) and recovers a new one.
  absl::Status Reopen(RecoveryReport* report = nullptr) {
    log_.reset();
    interrupting_.StopAfterCompletions(UINT64_MAX);
    absl::StatusOr<std::unique_ptr<PartitionLog>> log = Run(PartitionLog::Open(interrupting_, options_, report));
    if (!log.ok()) return log.status();
    log_ = *std::move(log);
    return absl::OkStatus();
  }

  // Appends one entry; its durable-callback result lands in `acks` (op -> status).
  absl::Status AppendEntry(wire::Operation operation, ByteSpan body, absl::uint128 client = 0) {
    absl::StatusOr<Bytes> frame = log_->PrepareNext(operation, body, ++timestamp_, client, client);
    if (!frame.ok()) return frame.status();
    const uint64_t op = log_->last_op() + 1;
    return log_->Append(*frame, [this, op](absl::Status status) {
      acks_[op] = status;
      if (status.ok() && options_.single_node) log_->Commit(op);
    });
  }

  absl::Status AppendBatch(uint32_t count) {
    const Bytes batch = MakeBatch(count, next_id_);
    next_id_ += count;
    return AppendEntry(wire::Operation::kSendMessages, batch);
  }

  absl::Status StoreOffset(uint32_t consumer, uint64_t offset) {
    return AppendEntry(wire::Operation::kStoreConsumerOffset,
                       EncodeStoreOffset({{ConsumerKind::kConsumer, consumer}, offset}));
  }

  absl::Status Drain() { return Run(log_->Drain()); }

  // Appends `batches` batches of `per_batch` messages as one group and waits.
  absl::Status AppendBatchesDurably(int batches, uint32_t per_batch) {
    for (int i = 0; i < batches; ++i) {
      if (absl::Status status = AppendBatch(per_batch); !status.ok()) return status;
    }
    return Drain();
  }

  std::vector<uint64_t> PollAllIds() {
    absl::StatusOr<PollResult> result = Run(log_->PollByOffset(0, 1'000'000));
    SLUICE_ASSERT(result.ok(), result.status().ToString());
    return PolledIds(*result);
  }

  std::string SegmentPath(uint64_t first_op) const {
    return io::JoinPath(PartitionDirectory(options_.address), SegmentLogName(first_op));
  }
  std::string IndexPath(uint64_t first_op) const {
    return io::JoinPath(PartitionDirectory(options_.address), SegmentIndexName(first_op));
  }

  bool AllAcked() const {
    for (const auto& [op, status] : acks_) {
      if (!status.ok()) return false;
    }
    return true;
  }
  // Ops whose durable-callback reported OK.
  std::vector<uint64_t> AckedOps() const {
    std::vector<uint64_t> ops;
    for (const auto& [op, status] : acks_) {
      if (status.ok()) ops.push_back(op);
    }
    return ops;
  }

  PartitionOptions options_;
  sim::SimLoop loop_;
  sim::SimStorage storage_;  // the simulator's disk (unused with the uring backend)
  std::unique_ptr<UringBackend> uring_;
  // The log's storage: forwards to storage_, and can stop the "process" after its
  // k-th completed operation (crash-at-every-step tests).
  io::testing::InterruptingStorage interrupting_;
  io::testing::BlockingStorage disk_;
  std::unique_ptr<PartitionLog> log_;
  std::map<uint64_t, absl::Status> acks_;
  uint64_t next_id_ = 1;
  uint64_t timestamp_ = 1'000'000;
};

// The ids 1..n.
inline std::vector<uint64_t> Ids(uint64_t first, uint64_t last) {
  std::vector<uint64_t> ids;
  for (uint64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

}  // namespace sluice::partition::testing
