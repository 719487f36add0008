// Determinism across a restart (RapidCheck): random metadata ops applied live, and
// the same ops applied to a copy that was snapshotted to the simulator's disk at a
// random split point, the machine crashed (nothing unsynced landing) and the snapshot
// loaded back, end in byte-identical snapshots (rule B6: the written snapshot is
// durable and holds exactly the state at its op).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <tuple>

#include "core/metadata/apply.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata/testing/random_ops.h"
#include "tests/metadata/metadata_machine.h"

namespace sluice::metadata {
namespace {

using testing::ApplySeed;
using testing::MetadataDriver;
using testing::OpSeed;
using testing::TestPrimary;
using SeedTuple = std::tuple<uint8_t, uint8_t, uint8_t, uint8_t>;

// Sequences up to 4x RapidCheck's size (400 ops), long enough to reach the limits.
rc::Gen<std::vector<SeedTuple>> SeedSequences() {
  return rc::gen::scale(4.0, rc::gen::container<std::vector<SeedTuple>>(
                                 rc::gen::arbitrary<SeedTuple>()));
}

OpSeed ToSeed(const SeedTuple& tuple) {
  return {std::get<0>(tuple), std::get<1>(tuple), std::get<2>(tuple), std::get<3>(tuple)};
}

void Start(MetadataDriver& driver, TestPrimary& primary) {
  RC_ASSERT(driver.Run(wire::Operation::kCreateUser, testing::RootUserBody(primary)).ok());
}

RC_GTEST_PROP(SnapshotRestoreProperty, OpsAppliedLiveAndAcrossARestartEncodeIdentically_B6, ()) {
  const auto seeds = *SeedSequences();
  const auto split = *rc::gen::inRange<size_t>(0, seeds.size() + 1);
  const auto disk_seed = *rc::gen::arbitrary<uint64_t>();
  TestPrimary live_primary;
  MetadataDriver live(testing::SmallConfig());
  Start(live, live_primary);
  for (const SeedTuple& seed : seeds) ApplySeed(live, live_primary, ToSeed(seed));

  TestPrimary primary;
  MetadataDriver restored(testing::SmallConfig());
  Start(restored, primary);
  for (size_t i = 0; i < split; ++i) ApplySeed(restored, primary, ToSeed(seeds[i]));
  testing::MetadataMachine machine(disk_seed);
  RC_ASSERT(machine.Run(CreateSnapshotDirectory(machine.storage_)).ok());
  const uint64_t op = restored.state.last_applied_op;
  const absl::StatusOr<absl::uint128> checksum =
      machine.Run(WriteSnapshot(machine.storage_, restored.state, op));
  RC_ASSERT(checksum.ok());
  restored.state = MetadataState{};  // the process dies with its memory
  machine.storage_.CrashMachine(base::Ratio::Never(), base::Ratio::Never());
  absl::StatusOr<MetadataState> loaded = machine.Run(LoadSnapshot(machine.storage_, op, *checksum));
  RC_ASSERT(loaded.ok());
  restored.state = *std::move(loaded);
  for (size_t i = split; i < seeds.size(); ++i) ApplySeed(restored, primary, ToSeed(seeds[i]));

  RC_ASSERT(EncodeSnapshot(restored.state).bytes == EncodeSnapshot(live.state).bytes);
}

}  // namespace
}  // namespace sluice::metadata
