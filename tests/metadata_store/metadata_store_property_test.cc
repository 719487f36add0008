// RapidCheck over the whole metadata path: random metadata op sequences submitted to
// a single node (small WAL rings, so checkpoints and wraps happen often), the process
// dying after a random number of storage operations and the machine crashing with
// random landing of unsynced writes, then recovery (superblock → snapshot → WAL →
// committed ops). After every recovery the state must be exactly the replay of ops
// 1..L for some L between the last acknowledged op and the last submitted one — the
// same bytes as a state applied live — and a reference model written independently
// of the state machine must agree on its shape (rules B1, B6, B7, B8, B16).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <tuple>

#include "core/metadata/testing/reference_model.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::metadata_store {
namespace {

using metadata::testing::OpSeed;
using metadata::testing::ReferenceModel;
using testing::Encoded;
using testing::StoreFixture;
using SeedTuple = std::tuple<uint8_t, uint8_t, uint8_t, uint8_t>;

// Well-formed ops only: the reference model predicts those.
OpSeed WellFormed(const SeedTuple& tuple) {
  OpSeed seed{std::get<0>(tuple), std::get<1>(tuple), std::get<2>(tuple), std::get<3>(tuple)};
  if (metadata::testing::IsGarbage(seed)) seed.kind = 0;
  return seed;
}

// RapidCheck scales inRange by the test's size (small first); these choices should
// be uniform from the first case on.
template <typename T>
T Uniform(T low, T high) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(low, high));
}

ReferenceModel::Shape ModelShapeAt(const StoreFixture& fixture, uint64_t op) {
  ReferenceModel model(fixture.config_.widths);
  model.AddRootUser("root");
  for (uint64_t i = 1; i < op; ++i) {  // op 1 created the root user
    (void)model.Apply(fixture.submitted_[i].context.operation, fixture.submitted_[i].body);
  }
  return model.shape();
}

void CheckRecovered(StoreFixture& fixture) {
  const absl::Status opened = fixture.Open();
  RC_ASSERT(opened.ok());
  const uint64_t recovered = fixture.store_->state().last_applied_op;
  RC_ASSERT(recovered >= fixture.acked_op_);            // nothing acknowledged lost
  RC_ASSERT(recovered <= fixture.submitted_.size());    // nothing invented
  RC_ASSERT(Encoded(fixture.store_->state()) == Encoded(fixture.ReferenceStateAt(recovered)));
  RC_ASSERT(ReferenceModel::ShapeOf(fixture.store_->state()) == ModelShapeAt(fixture, recovered));
  fixture.AdoptRecovered(recovered);
}

RC_GTEST_PROP(MetadataStoreProperty,
              RecoveryAfterRandomCrashesEqualsTheReplayOfTheCommittedOps_B1_B6_B16, ()) {
  const uint64_t slot_count = *rc::gen::element<uint64_t>(4, 8, 16);
  const uint64_t disk_seed = *rc::gen::arbitrary<uint64_t>();
  const auto round_count = Uniform<int>(1, 9);
  StoreFixture fixture(disk_seed, slot_count);
  fixture.FormatDisk();
  RC_ASSERT(fixture.Open().ok());
  RC_ASSERT(fixture.Submit(wire::Operation::kCreateUser,
                           metadata::testing::RootUserBody(fixture.primary_))
                .ok());
  RC_ASSERT(fixture.Drain().ok());

  uint64_t crashes = 0;
  for (int round = 0; round < round_count; ++round) {
    const auto ops = *rc::gen::resize(12, rc::gen::arbitrary<std::vector<SeedTuple>>());
    // How the round ends: 0 drain; 1 run a few loop events; 2 the process dies after
    // `steps` storage operations and the machine crashes.
    const auto ending = Uniform<int>(0, 3);
    const auto steps = Uniform<uint64_t>(0, 120);
    for (const SeedTuple& tuple : ops) {
      absl::Status submitted = fixture.SubmitSeed(WellFormed(tuple));
      if (absl::IsResourceExhausted(submitted)) {  // rule B8: wait for the checkpoint
        RC_ASSERT(fixture.Drain().ok());
        submitted = fixture.SubmitSeed(WellFormed(tuple));
      }
      RC_ASSERT(submitted.ok());
    }
    if (ending == 0) {
      RC_ASSERT(fixture.Drain().ok());
      RC_ASSERT(fixture.acked_op_ == fixture.submitted_.size());
    } else if (ending == 1) {
      for (uint64_t i = 0; i < steps && fixture.machine_.loop_.RunOnce(); ++i) {
      }
    } else {
      const base::Ratio landings[] = {base::Ratio::Never(), base::Ratio::Always(),
                                      base::Ratio{1, 2}};
      fixture.DieAfterAndCrash(steps, landings[Uniform<int>(0, 3)]);
      CheckRecovered(fixture);
      ++crashes;
    }
  }
  // A clean end: everything acknowledged, then a crash losing every unsynced byte.
  RC_ASSERT(fixture.Drain().ok());
  const uint64_t acked = fixture.acked_op_;
  fixture.CrashNow(base::Ratio::Never());
  CheckRecovered(fixture);
  RC_ASSERT(fixture.store_->state().last_applied_op == acked);
  RC_TAG(crashes, fixture.store_->superblock().state.metadata_checkpoint.op > 0);
}

}  // namespace
}  // namespace sluice::metadata_store
