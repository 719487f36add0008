#include "io_backends/uring/tcp_handshake.h"

#include <gtest/gtest.h>

namespace sluice::uring {
namespace {

TEST(TcpHandshakeTest, RoundTrips) {
  const Hello hello{.sender = 1, .receiver = 4, .replica_count = 5};
  const auto frame = EncodeHello(hello);
  EXPECT_EQ(base::LoadLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset), kHelloSizeBytes);
  EXPECT_TRUE(io::CheckFraming(frame, kHelloSizeBytes).ok());
  const absl::StatusOr<Hello> decoded = DecodeHello(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, hello);
}

TEST(TcpHandshakeTest, RejectsWhatIsNotAHello) {
  const auto hello = EncodeHello(Hello{.sender = 0, .receiver = 1, .replica_count = 3});
  auto bad_magic = hello;
  bad_magic[130] ^= 1;
  EXPECT_FALSE(DecodeHello(bad_magic).ok());
  auto bad_version = hello;
  base::StoreLittleEndian<uint64_t>(bad_version, 144, 2);
  EXPECT_FALSE(DecodeHello(bad_version).ok());
  auto a_command = hello;
  a_command[60] = 6;  // prepare
  EXPECT_FALSE(DecodeHello(a_command).ok());
  auto reserved = hello;
  reserved[255] = 1;
  EXPECT_FALSE(DecodeHello(reserved).ok());
  const Bytes longer(512, 0);
  EXPECT_FALSE(DecodeHello(longer).ok());
}

}  // namespace
}  // namespace sluice::uring
