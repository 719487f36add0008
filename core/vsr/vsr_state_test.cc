#include "core/vsr/vsr_state.h"

#include "gtest/gtest.h"

namespace sluice::vsr {
namespace {

constexpr absl::uint128 kCluster = 0xC1;

VsrState Sample() {
  return {.view = 7,
          .log_view = 6,
          .groups = {{.group = {0, 0}, .log_view = 6, .head_op = 12, .head_checksum = 0xAB},
                     {.group = {uint64_t{1} << 63, 9}, .log_view = 6, .head_op = 3, .head_checksum = 0xCD}}};
}

TEST(VsrStateTest, RoundTrips) {
  const Bytes bytes = EncodeVsrState(Sample(), kCluster, 2);
  absl::StatusOr<VsrState> decoded = DecodeVsrState(bytes, kCluster, 2);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, Sample());
}

TEST(VsrStateTest, RecoveringFlagRoundTrips_B17) {
  VsrState state = Sample();
  state.recovering = true;
  const Bytes bytes = EncodeVsrState(state, kCluster, 2);
  EXPECT_EQ(bytes[13], 1);
  absl::StatusOr<VsrState> decoded = DecodeVsrState(bytes, kCluster, 2);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->recovering);
  EXPECT_FALSE(DecodeVsrState(EncodeVsrState(Sample(), kCluster, 2), kCluster, 2)->recovering);
}

TEST(VsrStateTest, EveryFlippedByteIsDetected) {
  const Bytes bytes = EncodeVsrState(Sample(), kCluster, 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    Bytes flipped = bytes;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(DecodeVsrState(flipped, kCluster, 2).ok()) << "byte " << i;
  }
}

TEST(VsrStateTest, RefusesAnotherReplicaOrCluster) {
  const Bytes bytes = EncodeVsrState(Sample(), kCluster, 2);
  EXPECT_EQ(DecodeVsrState(bytes, kCluster, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecodeVsrState(bytes, kCluster + 1, 2).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(VsrStateTest, TruncatedFileIsDataLoss) {
  Bytes bytes = EncodeVsrState(Sample(), kCluster, 2);
  bytes.resize(bytes.size() - 1);
  EXPECT_EQ(DecodeVsrState(bytes, kCluster, 2).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sluice::vsr
