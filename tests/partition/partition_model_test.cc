// RapidCheck model test of the partition log: random sequences of append, group
// commit, store offset, retention, process restart and machine crash. After every
// recovery:
//  - nothing acknowledged is lost: every acknowledged op is still in the log;
//  - every op in the log is exactly what was appended as that op (bytes compared
//    through the messages' ids and payloads), acknowledged or not;
//  - offsets are contiguous from the first retained message, with no duplicates;
//  - every acknowledged message not removed by retention is pollable at its offset;
//  - each consumer's offset equals the last store that made it into the log.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "core/partition/entry_body.h"
#include "core/partition/partition_log.h"
#include "tests/partition/partition_fixture.h"

namespace sluice::partition {
namespace {

using testing::PartitionFixture;

enum class Kind : int { kAppend, kStoreOffset, kDrain, kRetention, kRestart, kCrash, kCount };

struct Step {
  int kind = 0;
  uint32_t size = 1;       // messages, or consumer id
  uint32_t value = 0;      // offset to store, retention segment, crash landing
};

std::ostream& operator<<(std::ostream& out, const Step& step) {
  return out << "{" << step.kind << "," << step.size << "," << step.value << "}";
}

// What the model remembers of one op.
struct ModelOp {
  bool acknowledged = false;
  bool is_batch = false;
  uint64_t first_id = 0;
  uint32_t messages = 0;
  uint32_t consumer = 0;
  uint64_t stored_offset = 0;
};

class Model {
 public:
  explicit Model(uint64_t seed) : fixture_(testing::TestOptions(), seed) {
    RC_ASSERT(fixture_.Create().ok());
  }

  void Apply(const Step& step) {
    switch (static_cast<Kind>(step.kind)) {
      case Kind::kAppend: return Append(step.size);
      case Kind::kStoreOffset: return Store(step.size % 3, step.value);
      case Kind::kDrain: return Drain();
      case Kind::kRetention: return Retention(step.value);
      case Kind::kRestart:
        fixture_.storage_.RestartProcess();
        return Recover();
      case Kind::kCrash: {
        const base::Ratio landings[] = {base::Ratio::Never(), base::Ratio::Always(), {1, 2}};
        fixture_.storage_.CrashMachine(landings[step.value % 3], landings[step.value % 3]);
        return Recover();
      }
      case Kind::kCount: break;
    }
  }

  void Append(uint32_t messages) {
    const uint64_t op = fixture_.log_->last_op() + 1;
    ops_[op] = {false, true, fixture_.next_id_, messages, 0, 0};
    RC_ASSERT(fixture_.AppendBatch(messages).ok());
  }

  void Store(uint32_t consumer, uint32_t offset) {
    const uint64_t op = fixture_.log_->last_op() + 1;
    ops_[op] = {false, false, 0, 0, consumer, offset};
    RC_ASSERT(fixture_.StoreOffset(consumer, offset).ok());
  }

  void Drain() {
    RC_ASSERT(fixture_.Drain().ok());
    for (const uint64_t op : fixture_.AckedOps()) ops_.at(op).acknowledged = true;
  }

  void Retention(uint32_t which) {
    Drain();
    const std::vector<SegmentInfo>& segments = fixture_.log_->segments();
    const uint64_t cutoff = segments[which % segments.size()].first_op;
    const uint64_t op = fixture_.log_->last_op() + 1;
    ops_[op] = {false, false, 0, 0, UINT32_MAX, 0};
    RC_ASSERT(fixture_.AppendEntry(wire::Operation::kPartitionRetention, EncodeRetention(cutoff)).ok());
    Drain();
  }

  void Recover() {
    fixture_.acks_.clear();
    RecoveryReport report;
    const absl::Status status = fixture_.Reopen(&report);
    RC_ASSERT(status.ok());
    const uint64_t last_op = fixture_.log_->last_op();
    // Nothing acknowledged is lost; what is gone was never acknowledged.
    for (auto it = ops_.begin(); it != ops_.end();) {
      if (it->first > last_op) {
        RC_ASSERT(!it->second.acknowledged);
        it = ops_.erase(it);
      } else {
        it->second.acknowledged = true;  // durable now: recovery made it so
        ++it;
      }
    }
    CheckMessages();
    CheckConsumerOffsets();
    // Later appends continue the id sequence after the surviving batches.
    fixture_.next_id_ = 1;
    for (const auto& [op, model] : ops_) {
      if (model.is_batch) fixture_.next_id_ = model.first_id + model.messages;
    }
  }

  void CheckMessages() {
    // Expected ids, in offset order, of every batch in the log.
    std::vector<uint64_t> expected;
    for (const auto& [op, model] : ops_) {
      for (uint32_t i = 0; model.is_batch && i < model.messages; ++i) expected.push_back(model.first_id + i);
    }
    const uint64_t first_offset = fixture_.log_->segments().front().start_offset;
    RC_ASSERT(fixture_.log_->committed_next_offset() == expected.size());
    const std::vector<uint64_t> polled = fixture_.PollAllIds();
    RC_ASSERT(polled.size() == expected.size() - first_offset);
    for (size_t i = 0; i < polled.size(); ++i) RC_ASSERT(polled[i] == expected[first_offset + i]);
  }

  void CheckConsumerOffsets() {
    std::map<uint32_t, uint64_t> last_store;
    for (const auto& [op, model] : ops_) {
      if (!model.is_batch && model.consumer != UINT32_MAX) last_store[model.consumer] = model.stored_offset;
    }
    for (uint32_t consumer = 0; consumer < 3; ++consumer) {
      const std::optional<uint64_t> actual = fixture_.log_->ConsumerOffset({ConsumerKind::kConsumer, consumer});
      const auto expected = last_store.find(consumer);
      if (expected == last_store.end()) {
        RC_ASSERT(!actual.has_value());
      } else {
        RC_ASSERT(actual.has_value());
        RC_ASSERT(*actual == expected->second);
      }
    }
  }

  PartitionFixture fixture_;
  std::map<uint64_t, ModelOp> ops_;
};

RC_GTEST_PROP(PartitionModel, RecoveryKeepsEveryAcknowledgedEntryAndNothingElseChanges, (uint64_t seed)) {
  const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::build<Step>(
      rc::gen::set(&Step::kind, rc::gen::weightedElement<int>({{6, 0}, {2, 1}, {3, 2}, {1, 3}, {1, 4}, {2, 5}})),
      rc::gen::set(&Step::size, rc::gen::inRange<uint32_t>(1, 12)),
      rc::gen::set(&Step::value, rc::gen::inRange<uint32_t>(0, 6))));
  Model model(seed);
  for (const Step& step : steps) {
    // Stored offsets never point past what was appended (the server checks that).
    Step bounded = step;
    if (static_cast<Kind>(step.kind) == Kind::kStoreOffset) {
      const uint64_t next = model.fixture_.log_->appended_next_offset();
      if (next == 0) continue;
      bounded.value = static_cast<uint32_t>(step.value % next);
    }
    model.Apply(bounded);
  }
  model.Apply({static_cast<int>(Kind::kCrash), 1, 2});
}

}  // namespace
}  // namespace sluice::partition
