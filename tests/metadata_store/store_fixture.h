#pragma once
// Test-only: a single-node metadata store on one simulated machine, with the
// bookkeeping the crash tests need — every op submitted (op number → exactly what was
// prepared), which ops were acknowledged, and the states a reference replay of the
// submitted ops reaches.
//
// A "process death" here: StopAfterCompletions(k) on the interrupting storage lets
// the k-th storage operation complete and fails every later one, the loop runs until
// idle (so every coroutine finishes: nothing leaks), the store is dropped with the
// process's memory, and the machine crashes (unsynced sectors and directory changes
// land or not, by seed).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/metadata/apply.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/testing/random_ops.h"
#include "core/metadata/testing/test_primary.h"
#include "core/metadata_store/format_metadata.h"
#include "core/metadata_store/single_node_metadata.h"
#include "tests/metadata/metadata_machine.h"

namespace sluice::metadata_store::testing {

inline constexpr absl::uint128 kCluster = 0xC1A5;

struct SubmittedOp {
  metadata::OpContext context;
  Bytes body;
};

class StoreFixture {
 public:
  explicit StoreFixture(uint64_t disk_seed = 1, uint64_t slot_count = 16,
                        metadata::MetadataConfig config = metadata::testing::SmallConfig())
      : machine_(disk_seed), config_(config) {
    options_.identity = {.cluster_id = kCluster,
                         .replica_index = 0,
                         .replica_count = 1,
                         .widths = config.widths};
    options_.journal = {.cluster = kCluster, .slot_count = slot_count, .message_size_max = 4096};
  }

  MetadataFormat Format() const {
    MetadataFormat format;
    format.identity.cluster_id = kCluster;
    format.identity.replica_count = 1;
    format.identity.namespace_widths = config_.widths;
    format.journal = options_.journal;
    format.config = config_;
    return format;
  }

  void FormatDisk() {
    const absl::Status formatted = machine_.Run(FormatMetadata(machine_.interrupting_, Format()));
    SLUICE_ASSERT(formatted.ok(), formatted.ToString());
  }

  absl::Status Open() {
    absl::StatusOr<std::unique_ptr<SingleNodeMetadata>> opened =
        machine_.Run(SingleNodeMetadata::Open(machine_.interrupting_, options_));
    if (!opened.ok()) return opened.status();
    store_ = *std::move(opened);
    return absl::OkStatus();
  }

  // Submits `operation` with the next request number of `client` (a Register uses 0)
  // and a timestamp one second after the previous; remembers exactly what op it
  // became, and records its reply.
  absl::Status Submit(wire::Operation operation, Bytes body, absl::uint128 client = 0) {
    uint64_t request = 0;
    // As metadata::testing::MetadataDriver numbers them (a new session restarts at 1).
    if (client != 0 && operation != wire::Operation::kRegister) request = ++last_request_[client];
    if (client != 0 && operation == wire::Operation::kRegister) last_request_[client] = 0;
    timestamp_us_ += 1'000'000;
    const uint64_t op = store_->last_op() + 1;
    SubmittedOp submitted{.context = {.op = op,
                                      .operation = operation,
                                      .timestamp_us = timestamp_us_,
                                      .client = client,
                                      .request = request},
                          .body = body};
    const absl::Status status = store_->Submit(
        {.operation = operation,
         .body = std::move(body),
         .client = client,
         .request = request,
         .timestamp_us = timestamp_us_},
        [this, op](absl::StatusOr<metadata::ApplyResult> result) {
          if (result.ok()) {
            SLUICE_ASSERT(op == acked_op_ + 1 || op <= acked_op_, "acknowledged op ", op,
                          " after ", acked_op_);
            acked_op_ = std::max(acked_op_, op);
            replies_[op] = *std::move(result);
          }
        });
    if (!status.ok()) return status;
    // A lost op's number is reused by the next one: the history follows the store.
    submitted_.resize(op - 1);
    submitted_.push_back(std::move(submitted));
    return absl::OkStatus();
  }

  // Builds the op a RapidCheck seed describes against the committed state.
  absl::Status SubmitSeed(const metadata::testing::OpSeed& seed) {
    const metadata::testing::BuiltOp op = BuildOp(seed, store_->state(), primary_);
    return Submit(op.operation, op.body, op.client);
  }

  absl::Status Drain() { return machine_.Run(store_->Drain()); }

  void RunUntilIdle() {
    while (machine_.loop_.RunOnce()) {
    }
  }

  // The process dies after `k` more storage operations complete; then the machine
  // crashes with the given landing odds (nullopt: the profile's) and restarts.
  void DieAfterAndCrash(uint64_t k, std::optional<base::Ratio> lands = std::nullopt) {
    machine_.interrupting_.StopAfterCompletions(machine_.interrupting_.completions() + k);
    RunUntilIdle();
    CrashNow(lands);
  }

  void CrashNow(std::optional<base::Ratio> lands = std::nullopt) {
    RunUntilIdle();
    store_.reset();
    machine_.storage_.CrashMachine(lands, lands);
    machine_.Resume();
  }

  // The state a fresh replay of the submitted ops 1..op reaches.
  metadata::MetadataState ReferenceStateAt(uint64_t op) const {
    SLUICE_ASSERT(op <= submitted_.size(), "op ", op, " was never submitted");
    metadata::MetadataState state = metadata::NewMetadataState(config_);
    for (uint64_t i = 0; i < op; ++i) {
      (void)metadata::Apply(state, submitted_[i].context, submitted_[i].body);
    }
    return state;
  }

  // After recovery to `op`: ops above it were lost and will be re-numbered by later
  // submits; ops up to it are committed now, so no later crash may lose them either.
  void AdoptRecovered(uint64_t op) {
    SLUICE_ASSERT(op >= acked_op_ && op <= submitted_.size(), "recovered op ", op);
    submitted_.resize(op);
    acked_op_ = op;
  }

  metadata::testing::MetadataMachine machine_;
  metadata::MetadataConfig config_;
  SingleNodeOptions options_;
  std::unique_ptr<SingleNodeMetadata> store_;
  metadata::testing::TestPrimary primary_;
  std::vector<SubmittedOp> submitted_;  // index op - 1
  uint64_t acked_op_ = 0;
  std::map<uint64_t, metadata::ApplyResult> replies_;
  std::map<absl::uint128, uint64_t> last_request_;
  uint64_t timestamp_us_ = metadata::testing::kStartTimestampUs;
};

inline Bytes Encoded(const metadata::MetadataState& state) {
  return metadata::EncodeSnapshot(state).bytes;
}

}  // namespace sluice::metadata_store::testing
