// Rule B9: namespace widths are validated with a plain sum (each width <= 64, sum
// <= 63 because bit 63 marks partition groups); a config whose widths differ from the
// stored ones is refused; an id outside its width — packed or recovered — is refused.
#include "core/metadata/namespace_packing.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "core/metadata/state_codec.h"

namespace sluice::metadata {
namespace {

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

NamespaceWidths Widths(uint8_t stream, uint8_t topic, uint8_t partition) {
  return {.stream_bits = stream, .topic_bits = topic, .partition_bits = partition};
}

TEST(NamespacePackingTest, WidthsSummingToAtMost63AreAccepted_B9) {
  EXPECT_TRUE(ValidateWidths(Widths(12, 12, 20)).ok());
  EXPECT_TRUE(ValidateWidths(Widths(21, 21, 21)).ok());
  EXPECT_TRUE(ValidateWidths(Widths(0, 0, 63)).ok());
  EXPECT_TRUE(ValidateWidths(Widths(0, 0, 0)).ok());
}

TEST(NamespacePackingTest, WidthsSummingAbove63AreRejectedWithAClearError_B9) {
  for (const NamespaceWidths widths :
       {Widths(21, 21, 22), Widths(0, 0, 64), Widths(64, 64, 64), Widths(255, 255, 255),
        Widths(65, 0, 0), Widths(32, 32, 0)}) {
    const absl::Status status = ValidateWidths(widths);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(Mentions(status, "B9")) << status;
  }
  EXPECT_TRUE(Mentions(ValidateWidths(Widths(21, 21, 22)), "sum to 64"));
}

TEST(NamespacePackingTest, AConfigWhoseWidthsDifferFromTheStoredOnesIsRefused_B9) {
  EXPECT_TRUE(CheckWidthsMatchStored(Widths(12, 12, 20), Widths(12, 12, 20)).ok());
  const absl::Status differ = CheckWidthsMatchStored(Widths(12, 12, 20), Widths(12, 13, 20));
  EXPECT_EQ(differ.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(differ, "B9")) << differ;
  EXPECT_TRUE(Mentions(differ, "12/13/20")) << differ;
  EXPECT_EQ(CheckWidthsMatchStored(Widths(12, 12, 20), Widths(30, 30, 30)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NamespacePackingTest, DefaultLayoutIsIggysWithBit63Set) {
  const absl::StatusOr<uint64_t> packed =
      PackNamespace(NamespaceWidths{}, PartitionKey{.stream = 3, .topic = 2, .partition = 1});
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(*packed, (uint64_t{1} << 63) | (uint64_t{3} << 32) | (uint64_t{2} << 20) | 1);
  const absl::StatusOr<uint64_t> zero = PackNamespace(NamespaceWidths{}, PartitionKey{});
  ASSERT_TRUE(zero.ok());
  EXPECT_NE(*zero, 0u) << "stream 0 / topic 0 / partition 0 is not the metadata group";
}

TEST(NamespacePackingTest, IdsOutsideTheirWidthAreRejected_B9) {
  const NamespaceWidths widths = NamespaceWidths{};
  const absl::StatusOr<uint64_t> stream = PackNamespace(widths, {.stream = 4096});
  EXPECT_FALSE(stream.ok());
  EXPECT_TRUE(Mentions(stream.status(), "B9")) << stream.status();
  EXPECT_TRUE(Mentions(stream.status(), "stream id 4096"));
  EXPECT_FALSE(PackNamespace(widths, {.topic = 4096}).ok());
  EXPECT_FALSE(PackNamespace(widths, {.partition = 1 << 20}).ok());
  EXPECT_TRUE(PackNamespace(widths, {.stream = 4095, .topic = 4095, .partition = (1 << 20) - 1})
                  .ok());
}

TEST(NamespacePackingTest, UnpackRefusesTheMetadataGroupAndStrayHighBits_B9) {
  const NamespaceWidths widths = NamespaceWidths{};
  EXPECT_FALSE(UnpackNamespace(widths, 0).ok());
  EXPECT_FALSE(UnpackNamespace(widths, 5).ok());
  const uint64_t stray = (uint64_t{1} << 63) | (uint64_t{1} << 44);
  const absl::StatusOr<PartitionKey> unpacked = UnpackNamespace(widths, stray);
  EXPECT_FALSE(unpacked.ok());
  EXPECT_TRUE(Mentions(unpacked.status(), "B9"));
}

TEST(NamespacePackingTest, ARecoveredSnapshotWithAnIdOutsideItsWidthIsRejected_B9) {
  MetadataState state =
      NewMetadataState({.widths = {.stream_bits = 2, .topic_bits = 2, .partition_bits = 2}});
  state.last_applied_op = 10;
  state.streams[4].name = "too-far";  // stream ids fit 2 bits: 0..3
  const absl::StatusOr<MetadataState> decoded = DecodeState(EncodeState(state));
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(Mentions(decoded.status(), "B9")) << decoded.status();

  state.streams.clear();
  state.streams[0].topics[0].name = "t";
  state.streams[0].name = "s";
  state.streams[0].topics[0].partitions.resize(5, Partition{.incarnation = 1});
  const absl::StatusOr<MetadataState> partitions = DecodeState(EncodeState(state));
  ASSERT_FALSE(partitions.ok());
  EXPECT_TRUE(Mentions(partitions.status(), "B9")) << partitions.status();
}

TEST(NamespacePackingTest, ASnapshotWithWidthsBreakingB9IsRejected) {
  MetadataState state;  // not NewMetadataState, which refuses such widths
  state.config.widths = {.stream_bits = 40, .topic_bits = 20, .partition_bits = 20};
  const absl::StatusOr<MetadataState> decoded = DecodeState(EncodeState(state));
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(Mentions(decoded.status(), "B9")) << decoded.status();
}

RC_GTEST_PROP(NamespacePackingProperty, PackThenUnpackRoundTripsEveryFittingKey_B9, ()) {
  const auto stream_bits = *rc::gen::inRange<uint8_t>(0, 33);
  const auto topic_bits = *rc::gen::inRange<uint8_t>(0, 64 - stream_bits);
  const auto partition_bits = *rc::gen::inRange<uint8_t>(0, 64 - stream_bits - topic_bits);
  const NamespaceWidths widths = Widths(stream_bits, topic_bits, partition_bits);
  RC_ASSERT(ValidateWidths(widths).ok());
  const auto pick = [](uint8_t bits) {
    return static_cast<uint32_t>(*rc::gen::inRange<uint64_t>(0, IdLimit(bits)));
  };
  PartitionKey key;
  key.stream = pick(stream_bits);
  key.topic = pick(topic_bits);
  key.partition = pick(partition_bits);
  const absl::StatusOr<uint64_t> packed = PackNamespace(widths, key);
  RC_ASSERT(packed.ok());
  RC_ASSERT((*packed >> 63) == 1u);
  const absl::StatusOr<PartitionKey> unpacked = UnpackNamespace(widths, *packed);
  RC_ASSERT(unpacked.ok());
  RC_ASSERT(*unpacked == key);
}

RC_GTEST_PROP(NamespacePackingProperty, ValidationIsExactlyThePlainSumRule_B9, ()) {
  const auto stream_bits = *rc::gen::arbitrary<uint8_t>();
  const auto topic_bits = *rc::gen::arbitrary<uint8_t>();
  const auto partition_bits = *rc::gen::arbitrary<uint8_t>();
  const NamespaceWidths widths = Widths(stream_bits, topic_bits, partition_bits);
  const uint32_t sum = uint32_t{widths.stream_bits} + widths.topic_bits + widths.partition_bits;
  RC_ASSERT(ValidateWidths(widths).ok() == (sum <= 63));
}

}  // namespace
}  // namespace sluice::metadata
