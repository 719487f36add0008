#pragma once
// Free loopback ports for multi-process tests. Test-only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "core/base/assert.h"

namespace sluice::testing {

// `count` distinct free loopback ports: bound together (so distinct), then released
// for the servers. Another process could take one in between; a server then fails to
// bind and says so (the test fails naming the port, never passing wrongly).
inline std::vector<uint16_t> FreePorts(int count) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    SLUICE_ASSERT(fd >= 0, "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SLUICE_ASSERT(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0, "bind");
    socklen_t length = sizeof(address);
    SLUICE_ASSERT(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0, "getsockname");
    ports.push_back(ntohs(address.sin_port));
    fds.push_back(fd);
  }
  for (const int fd : fds) close(fd);
  return ports;
}

}  // namespace sluice::testing
