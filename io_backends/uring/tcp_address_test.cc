#include "io_backends/uring/tcp_address.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "io_backends/uring/tcp_listener.h"

namespace sluice::uring {
namespace {

TEST(TcpAddressTest, ParsesHostAndPort) {
  EXPECT_EQ(*ParseTcpAddress("127.0.0.1:8090"), (TcpAddress{"127.0.0.1", 8090}));
  EXPECT_EQ(*ParseTcpAddress("localhost:0"), (TcpAddress{"localhost", 0}));
  EXPECT_EQ(*ParseTcpAddress("[::1]:7"), (TcpAddress{"::1", 7}));
  EXPECT_EQ((TcpAddress{"::1", 7}).ToString(), "[::1]:7");
  for (const char* bad : {"", "8090", ":8090", "host:", "host:65536", "host:-1", "host:x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseTcpAddress(bad).status())) << bad;
  }
}

TEST(TcpAddressTest, ResolvesNumericAddresses) {
  const absl::StatusOr<SocketAddress> v4 = ResolveTcpAddress({"127.0.0.1", 9});
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(v4->get())->sin_port), 9);
}

TEST(TcpListenerTest, PortZeroReadsBackTheKernelsChoice) {
  absl::StatusOr<TcpListener> first = TcpListener::Listen({"127.0.0.1", 0});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_NE(first->port(), 0);
  // The port is taken while the first listens.
  const absl::StatusOr<TcpListener> second = TcpListener::Listen({"127.0.0.1", first->port()});
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("EADDRINUSE"), absl::string_view::npos)
      << second.status();
}

}  // namespace
}  // namespace sluice::uring
