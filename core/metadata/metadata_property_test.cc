// Properties of the state machine over random op sequences (RapidCheck shrinks a
// failure to a minimal sequence):
//  - determinism across a snapshot: ops applied live, and the same ops applied to a
//    copy restored from a snapshot at a random split point, encode to byte-identical
//    snapshots (and every reachable state satisfies the decoder's invariants);
//  - a reference model of streams, topics, partitions, groups and users, written
//    independently of the state machine, predicts every result and the final shape;
//  - decoders and Apply never crash on arbitrary bytes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <tuple>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/state_codec.h"
#include "core/metadata/testing/random_ops.h"
#include "core/metadata/testing/reference_model.h"

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

// A driver whose first op created the root user.
void Start(MetadataDriver& driver, TestPrimary& primary) {
  RC_ASSERT(driver.Run(wire::Operation::kCreateUser, testing::RootUserBody(primary)).ok());
}

RC_GTEST_PROP(MetadataProperty, SnapshotRestoredAtARandomSplitMatchesTheLiveState_B6, ()) {
  const auto seeds = *SeedSequences();
  const auto split = *rc::gen::inRange<size_t>(0, seeds.size() + 1);
  TestPrimary live_primary;
  MetadataDriver live(testing::SmallConfig());
  Start(live, live_primary);
  for (const SeedTuple& seed : seeds) ApplySeed(live, live_primary, ToSeed(seed));

  TestPrimary primary;
  MetadataDriver restored(testing::SmallConfig());
  Start(restored, primary);
  for (size_t i = 0; i < split; ++i) ApplySeed(restored, primary, ToSeed(seeds[i]));
  const EncodedSnapshot snapshot = EncodeSnapshot(restored.state);
  absl::StatusOr<MetadataState> decoded =
      DecodeSnapshot(snapshot.bytes, restored.state.last_applied_op, snapshot.checksum);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == restored.state);
  restored.state = *std::move(decoded);
  for (size_t i = split; i < seeds.size(); ++i) ApplySeed(restored, primary, ToSeed(seeds[i]));

  RC_ASSERT(EncodeSnapshot(restored.state).bytes == EncodeSnapshot(live.state).bytes);
  // Every state the ops can reach is one the snapshot decoder accepts.
  RC_ASSERT(DecodeState(EncodeState(live.state)).ok());
}

RC_GTEST_PROP(MetadataProperty, AReferenceModelAgreesWithTheStateMachine, ()) {
  const auto seeds = *SeedSequences();
  TestPrimary primary;
  MetadataDriver driver(testing::SmallConfig());
  Start(driver, primary);
  testing::ReferenceModel model(testing::SmallConfig().widths);
  model.AddRootUser("root");
  size_t successes = 0;
  for (const SeedTuple& tuple : seeds) {
    const OpSeed seed = ToSeed(tuple);
    if (testing::IsGarbage(seed)) continue;  // the model predicts well-formed ops only
    const testing::BuiltOp op = testing::BuildOp(seed, driver.state, primary);
    const ApplyResult result = driver.Run(op.operation, op.body, op.client);
    const std::optional<ApplyResult> predicted = model.Apply(op.operation, op.body);
    successes += result.ok() ? 1 : 0;
    if (predicted.has_value()) {
      RC_ASSERT(result.error == predicted->error);
      RC_ASSERT(result.payload == predicted->payload);
    }
  }
  RC_ASSERT(model.shape() == testing::ReferenceModel::ShapeOf(driver.state));
  // Shows in the log how far the sequences get (streams and users at the end, and how
  // many ops succeeded), so a generator that stops reaching the limits is noticed.
  RC_TAG(model.shape().streams.size(), model.shape().users.size(), successes / 10 * 10);
}

RC_GTEST_PROP(MetadataProperty, DecodersNeverCrashOnArbitraryBytes, ()) {
  const auto bytes = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  (void)DecodeCreateStream(bytes);
  (void)DecodeUpdateStream(bytes);
  (void)DecodeStreamBody(bytes);
  (void)DecodeCreateTopic(bytes);
  (void)DecodeUpdateTopic(bytes);
  (void)DecodeTopicBody(bytes);
  (void)DecodePartitions(bytes);
  (void)DecodeCreateGroup(bytes);
  (void)DecodeGroupBody(bytes);
  (void)DecodeCreateUser(bytes);
  (void)DecodeUpdateUser(bytes);
  (void)DecodeUserBody(bytes);
  (void)DecodeChangePassword(bytes);
  (void)DecodeUpdatePermissions(bytes);
  (void)DecodeCreateToken(bytes);
  (void)DecodeDeleteToken(bytes);
  (void)DecodeRegister(bytes);
  (void)DecodeLogout(bytes);
  (void)DecodeCompleteStep(bytes);
  (void)DecodeState(bytes);
  (void)DecodeSnapshot(bytes, 0, 0);
}

RC_GTEST_PROP(MetadataProperty, ApplyOfArbitraryBytesNeverCrashesNorBreaksInvariants, ()) {
  const auto seeds = *SeedSequences();
  const auto operation = *rc::gen::arbitrary<uint8_t>();
  const auto client = *rc::gen::inRange<uint64_t>(0, 4);
  const auto body = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  TestPrimary primary;
  MetadataDriver driver(testing::SmallConfig());
  Start(driver, primary);
  for (const SeedTuple& seed : seeds) ApplySeed(driver, primary, ToSeed(seed));
  (void)driver.Run(static_cast<wire::Operation>(operation), body, client);
  const absl::StatusOr<MetadataState> decoded = DecodeState(EncodeState(driver.state));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == driver.state);
}

RC_GTEST_PROP(MetadataProperty, ACorruptedSnapshotNeverCrashesTheDecoder_B6, ()) {
  const auto seeds = *SeedSequences();
  TestPrimary primary;
  MetadataDriver driver(testing::SmallConfig());
  Start(driver, primary);
  for (const SeedTuple& seed : seeds) ApplySeed(driver, primary, ToSeed(seed));
  const Bytes body = EncodeState(driver.state);
  const auto offset = *rc::gen::inRange<size_t>(0, body.size());
  const auto mask = *rc::gen::inRange<int>(1, 256);
  Bytes corrupt = body;
  corrupt[offset] ^= static_cast<uint8_t>(mask);
  const absl::StatusOr<MetadataState> decoded = DecodeState(corrupt);
  // Without the snapshot's checksum a flip may still decode; then it is canonical.
  if (decoded.ok()) RC_ASSERT(EncodeState(*decoded) == corrupt);
}

}  // namespace
}  // namespace sluice::metadata
