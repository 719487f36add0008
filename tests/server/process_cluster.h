#pragma once
// A cluster of sluice-server processes on loopback, for the multi-process tests:
// configs with free ports, format, start (waiting until the client port listens),
// SIGKILL and SIGTERM, the replicas' recent output for failure messages, logged-in
// clients, and the leader the replicas' rosters agree on.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "gtest/gtest.h"
#include "server/blocking_client.h"
#include "tests/server/client_fixture.h"
#include "tests/server/free_ports.h"

namespace sluice::testing {

inline constexpr int kReplicas = 3;

// An empty directory `name` under the test's temporary directory.
inline std::string FreshTestRoot(const std::string& name) {
  const char* temp = std::getenv("TEST_TMPDIR");
  const std::string root = absl::StrCat(temp != nullptr ? temp : "/tmp", "/", name);
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  return root;
}

class ServerCluster {
 public:
  // `extra_toml`: more configuration every replica's file ends with (whole tables).
  explicit ServerCluster(const std::string& root, const std::string& extra_toml = "") : root_(root) {
    const std::vector<uint16_t> ports = FreePorts(2 * kReplicas);
    for (int i = 0; i < kReplicas; ++i) {
      client_ports_.push_back(ports[i]);
      replica_ports_.push_back(ports[kReplicas + i]);
    }
    std::vector<std::string> replicas, clients;
    for (int i = 0; i < kReplicas; ++i) {
      replicas.push_back(absl::StrCat("\"127.0.0.1:", replica_ports_[i], "\""));
      clients.push_back(absl::StrCat("\"127.0.0.1:", client_ports_[i], "\""));
    }
    for (int i = 0; i < kReplicas; ++i) {
      const std::string data = absl::StrCat(root_, "/replica-", i);
      data_.push_back(data);
      configs_.push_back(absl::StrCat(root_, "/replica-", i, ".toml"));
      std::ofstream(configs_[i]) << "[cluster]\nid = \"0x5eed\"\nreplica_count = " << kReplicas
                                 << "\nreplica_index = " << i << "\nreplicas = [" << absl::StrJoin(replicas, ", ")
                                 << "]\nclients = [" << absl::StrJoin(clients, ", ") << "]\n\n[tcp]\naddress = "
                                 << clients[i] << "\nreplica_address = " << replicas[i] << "\n\n[data]\ndirectory = \""
                                 << data << "\"\n" << extra_toml;
    }
    processes_.resize(kReplicas);
  }

  // Formats every replica, then starts each (use with ASSERT_NO_FATAL_FAILURE).
  void FormatAndStartAll() {
    ASSERT_NO_FATAL_FAILURE(Format());
    for (int i = 0; i < kReplicas; ++i) ASSERT_NO_FATAL_FAILURE(Start(i));
  }

  void Format() {
    for (int i = 0; i < kReplicas; ++i) {
      const ProcessOutcome formatted = RunToEnd(absl::StrCat(ServerBinary(), " format --config ", configs_[i]));
      ASSERT_EQ(formatted.exit_code, 0) << formatted.output;
    }
  }

  // Starts replica `i` and waits (bounded) until its client port listens.
  void Start(int i) {
    processes_[i] = std::make_unique<ServerProcess>(ServerBinary(),
                                                    std::vector<std::string>{"start", "--config", configs_[i]});
    const std::optional<uint16_t> port = processes_[i]->WaitForClientPort();
    if (!port.has_value()) {
      const int exit_code = processes_[i]->Kill();
      FAIL() << "replica " << i << " did not start (exit code " << exit_code << ", signal "
             << processes_[i]->signal() << "):\n" << processes_[i]->output();
    }
    ASSERT_EQ(*port, client_ports_[i]);
  }

  void Kill(int i) {
    processes_[i]->Kill();
    history_ += absl::StrCat("--- replica ", i, " (killed) ---\n", Tail(processes_[i]->output()));
  }

  int Terminate(int i) { return processes_[i]->Terminate(); }

  // What the replicas said (the last lines of each run), for failure messages.
  std::string Logs() {
    std::string logs = history_;
    for (int i = 0; i < kReplicas; ++i) {
      if (processes_[i] != nullptr) absl::StrAppend(&logs, "--- replica ", i, " ---\n", Tail(processes_[i]->output()));
    }
    return logs;
  }

  uint16_t client_port(int i) const { return client_ports_[i]; }
  const std::string& data(int i) const { return data_[i]; }
  const std::string& config(int i) const { return configs_[i]; }

 private:
  static std::string Tail(const std::string& text) {
    return text.size() <= 2000 ? text : text.substr(text.size() - 2000);
  }

  std::string root_;
  std::vector<uint16_t> client_ports_, replica_ports_;
  std::vector<std::string> data_, configs_;
  std::vector<std::unique_ptr<ServerProcess>> processes_;
  std::string history_;
};

// A logged-in client of the replica at `port`, or null (not up, no primary yet;
// `why` says).
inline std::unique_ptr<server::BlockingClient> LoggedInTo(uint16_t port, std::string* why = nullptr) {
  absl::StatusOr<std::unique_ptr<server::BlockingClient>> client =
      server::BlockingClient::Connect("127.0.0.1", port, absl::Seconds(1), absl::Seconds(10));
  if (!client.ok()) {
    if (why != nullptr) *why = absl::StrCat("connect to ", port, ": ", client.status().ToString());
    return nullptr;
  }
  if (const absl::Status login = (*client)->Login("iggy", "iggy"); !login.ok()) {
    if (why != nullptr) *why = absl::StrCat("login at ", port, ": ", login.ToString());
    return nullptr;
  }
  return *std::move(client);
}

// GetClusterMetadata's nodes as (client port, leader), or nullopt if the replica at
// `port` cannot answer now.
inline std::optional<std::vector<std::pair<uint16_t, bool>>> RosterOf(uint16_t port) {
  std::unique_ptr<server::BlockingClient> client = LoggedInTo(port);
  if (client == nullptr) return std::nullopt;
  const absl::StatusOr<server::ServerFrame> reply = client->Call(client_protocol::GetClusterMetadataRequest{});
  if (!reply.ok() || reply->decoded.Error() != IggyError::kOk) return std::nullopt;
  const ByteSpan payload = reply->decoded.payload;
  size_t at = 4 + base::LoadLittleEndian<uint32_t>(payload, 0);  // the cluster's name
  const uint32_t nodes = base::LoadLittleEndian<uint32_t>(payload, at);
  at += 4;
  std::vector<std::pair<uint16_t, bool>> roster;
  for (uint32_t i = 0; i < nodes; ++i) {
    at += 4 + base::LoadLittleEndian<uint32_t>(payload, at);  // name
    const uint32_t ip_length = base::LoadLittleEndian<uint32_t>(payload, at);
    EXPECT_EQ(std::string(payload.begin() + at + 4, payload.begin() + at + 4 + ip_length), "127.0.0.1");
    at += 4 + ip_length;
    roster.emplace_back(base::LoadLittleEndian<uint16_t>(payload, at), payload[at + 8] == 0);
    at += 10;
  }
  EXPECT_EQ(at, payload.size());
  return roster;
}

// The leader every replica's roster names, once they agree (nullopt past 60 s).
inline std::optional<int> AgreedLeader(ServerCluster& cluster, const std::set<int>& up) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    std::set<int> leaders;
    bool answered = true;
    for (const int i : up) {
      const std::optional<std::vector<std::pair<uint16_t, bool>>> roster = RosterOf(cluster.client_port(i));
      if (!roster.has_value() || roster->size() != static_cast<size_t>(kReplicas)) {
        answered = false;
        break;
      }
      for (int node = 0; node < kReplicas; ++node) {
        EXPECT_EQ((*roster)[node].first, cluster.client_port(node)) << "node " << node << " in replica " << i;
        if ((*roster)[node].second) leaders.insert(node);
      }
    }
    if (answered && leaders.size() == 1 && up.contains(*leaders.begin())) return *leaders.begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

}  // namespace sluice::testing
