// Snapshot bytes (rule B6): deterministic, and a torn or corrupt file is detected and
// refused — every truncation and every single-byte corruption.
#include "core/metadata/snapshot_codec.h"

#include <gtest/gtest.h>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/state_codec.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

using testing::MetadataDriver;
using testing::TestPrimary;
using wire::Operation;

// A state touching every part of the encoding: streams, topics, partitions, groups
// with members, users with permissions and tokens, sessions, pending steps.
MetadataState RichState() {
  TestPrimary primary;
  MetadataDriver driver(MetadataConfig{.clients_max = 4});
  driver.Run(Operation::kCreateUser, primary.CreateUser("iggy", "iggy"));
  driver.Run(Operation::kCreateUser,
             primary.CreateUser("alice", "pw", UserStatus::kActive, Bytes{1, 2, 3}));
  driver.Run(Operation::kCreatePersonalAccessToken, TestPrimary::CreateToken(1, "ci", "tok", 0));
  driver.Run(Operation::kCreateStream, Encode(CreateStreamBody{"s"}));
  driver.Run(Operation::kCreateTopic,
             Encode(CreateTopicBody{.stream = Identifier::Numeric(0), .partitions_count = 3,
                                    .name = "t"}));
  driver.Run(Operation::kCreateTopic,
             Encode(CreateTopicBody{.stream = Identifier::Numeric(0), .partitions_count = 1,
                                    .name = "u"}));
  driver.Run(Operation::kCreateConsumerGroup,
             Encode(CreateGroupBody{Identifier::Numeric(0), Identifier::Numeric(0), "g"}));
  driver.Run(Operation::kRegister, primary.LoginWithPassword(driver.state, 1, "pw"), 77);
  driver.Run(Operation::kJoinConsumerGroup,
             Encode(GroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                              Identifier::Numeric(0)}),
             77);
  driver.Run(Operation::kDeleteTopic,
             Encode(TopicBody{Identifier::Numeric(0), Identifier::Numeric(1)}));
  SLUICE_ASSERT(driver.state.pending_steps.size() == 1 && driver.state.clients.size() == 1);
  return driver.state;
}

TEST(SnapshotCodecTest, EncodeThenDecodeRoundTripsTheWholeState) {
  const MetadataState state = RichState();
  const EncodedSnapshot snapshot = EncodeSnapshot(state);
  const absl::StatusOr<MetadataState> decoded =
      DecodeSnapshot(snapshot.bytes, state.last_applied_op, snapshot.checksum);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, state);
  EXPECT_EQ(EncodeSnapshot(*decoded).bytes, snapshot.bytes);
}

TEST(SnapshotCodecTest, TheSameStateAlwaysEncodesToTheSameBytes) {
  EXPECT_EQ(EncodeSnapshot(RichState()).bytes, EncodeSnapshot(RichState()).bytes);
}

TEST(SnapshotCodecTest, EveryTruncationIsDetectedAsTorn_B6) {
  const MetadataState state = RichState();
  const EncodedSnapshot snapshot = EncodeSnapshot(state);
  for (size_t length = 0; length < snapshot.bytes.size(); ++length) {
    const absl::StatusOr<MetadataState> decoded = DecodeSnapshot(
        ByteSpan(snapshot.bytes).first(length), state.last_applied_op, snapshot.checksum);
    ASSERT_FALSE(decoded.ok()) << "length " << length;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
  }
}

TEST(SnapshotCodecTest, EveryCorruptedByteIsDetected_B6) {
  const MetadataState state = RichState();
  const EncodedSnapshot snapshot = EncodeSnapshot(state);
  for (size_t offset = 0; offset < snapshot.bytes.size(); ++offset) {
    Bytes corrupt = snapshot.bytes;
    corrupt[offset] ^= 0x5A;
    const absl::StatusOr<MetadataState> decoded =
        DecodeSnapshot(corrupt, state.last_applied_op, snapshot.checksum);
    EXPECT_FALSE(decoded.ok()) << "offset " << offset;
  }
}

TEST(SnapshotCodecTest, AnIntactSnapshotThatIsNotTheOneNamedIsRefused) {
  const MetadataState state = RichState();
  const EncodedSnapshot snapshot = EncodeSnapshot(state);
  EXPECT_EQ(DecodeSnapshot(snapshot.bytes, state.last_applied_op + 1, snapshot.checksum)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeSnapshot(snapshot.bytes, state.last_applied_op, snapshot.checksum + 1)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SnapshotCodecTest, DecodeStateRefusesNonCanonicalOrderAndTrailingBytes) {
  Bytes body = EncodeState(RichState());
  body.push_back(0);
  EXPECT_FALSE(DecodeState(body).ok());
  MetadataState state = RichState();
  state.streams[0].topics[0].groups[0].members.begin()->second = {2, 1, 0};
  const absl::StatusOr<MetadataState> decoded = DecodeState(EncodeState(state));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("rebalance"), absl::string_view::npos);
}

}  // namespace
}  // namespace sluice::metadata
