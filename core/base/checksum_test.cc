#include "core/base/checksum.h"

#include <gtest/gtest.h>

#include "core/base/bytes.h"

namespace sluice::base {
namespace {

// XXH3 of the empty input is a published constant; pinning it proves we link the
// canonical algorithm (formats on disk depend on it).
TEST(ChecksumTest, EmptyInputMatchesPublishedXxh3) {
  EXPECT_EQ(Checksum64({}), 0x2D06800538D394C2ULL);
}

TEST(ChecksumTest, DetectsSingleBitFlip) {
  Bytes data(4096, 0xAB);
  const absl::uint128 before = Checksum128(data);
  data[1234] ^= 0x10;
  EXPECT_NE(Checksum128(data), before);
}

TEST(ChecksumTest, IncrementalEqualsOneShot) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  Checksum128Builder builder;
  builder.Add(ByteSpan(data).subspan(0, 300));
  builder.Add(ByteSpan(data).subspan(300));
  EXPECT_EQ(builder.Finish(), Checksum128(data));
}

TEST(BytesTest, LittleEndianRoundTrip) {
  Bytes buffer(32);
  StoreLittleEndian<uint32_t>(buffer, 0, 0x01020304);
  EXPECT_EQ(buffer[0], 0x04);
  EXPECT_EQ(buffer[3], 0x01);
  StoreU128(buffer, 8, absl::MakeUint128(0x1111, 0x2222));
  EXPECT_EQ(LoadU128(buffer, 8), absl::MakeUint128(0x1111, 0x2222));
  EXPECT_EQ(LoadLittleEndian<uint64_t>(buffer, 8), 0x2222u);
}

TEST(BytesDeathTest, OutOfBoundsLoadAsserts) {
  Bytes buffer(4);
  EXPECT_DEATH(LoadLittleEndian<uint64_t>(buffer, 0), "past buffer");
}

}  // namespace
}  // namespace sluice::base
