#pragma once
// The consumer side of the cluster workload (cluster_workload.h): clients that log
// in, create consumer groups, join and leave them (metadata ops), poll partitions on
// the primary (PollNext: after the consumer's committed offset) and store the offset
// of the last message they got (StoreConsumerOffset, a partition op), as consumers
// and as consumer groups — and the checks on what every replica committed:
//  - consumer offsets (offset_checker.h, rule B3), after every step and at the end;
//  - consumer-group membership and assignment: equal on every replica at the same
//    applied metadata op. The cluster's applied-metadata check covers it all along
//    (the digest it compares is the checksum of the state's snapshot encoding, which
//    holds each group's generation, members and assigned partitions,
//    core/metadata/state_codec.h); after convergence it is compared here directly.
//
// Consumer groups are never deleted, offsets never deleted and nothing is purged:
// the cluster replica does not drive those partition steps yet (cluster_replica.h).
//
// Deterministic: draws from the workload's PRNG, one per statement.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/prng.h"
#include "core/partition/entry_body.h"
#include "sim/replica_cluster/offset_checker.h"
#include "sim/replica_cluster/replica_cluster.h"

namespace sluice::sim {

// A topic the workload created and has not asked to delete.
struct LiveTopic {
  uint32_t stream = 0;
  uint32_t topic = 0;
  std::vector<OffsetChecker::GroupKey> partitions;
};

struct ConsumerCounts {
  uint64_t groups_created = 0;
  uint64_t logins = 0;
  uint64_t joins = 0;   // acknowledged, applied without error
  uint64_t leaves = 0;  // acknowledged, applied without error
  uint64_t polls = 0;
  uint64_t polled_messages = 0;
  uint64_t stores_acknowledged = 0;
  uint64_t offset_checks = 0;
};

class ClusterConsumers {
 public:
  ClusterConsumers(ReplicaCluster& cluster, base::Prng& prng, std::function<void(const std::string&)> trace)
      : cluster_(cluster), prng_(prng), trace_(std::move(trace)) {}

  // One consumer-group operation: create the user, log a client in, create a group,
  // join or leave one.
  void GroupStep(const std::vector<LiveTopic>& topics);
  // One consumer polls a random partition on the primary and stores its offset.
  void ConsumeStep(const std::vector<LiveTopic>& topics);
  // The topic's deletion was submitted: its offsets and groups are no longer checked.
  void Forget(const std::vector<OffsetChecker::GroupKey>& partitions);
  // Checks every live replica's committed offsets of the live topics' partitions.
  void CheckOffsets(const std::vector<LiveTopic>& topics, std::vector<std::string>& violations);
  // After convergence: every replica at replica 0's applied metadata op has the same
  // consumer groups, members and assignments.
  void CheckGroups(std::vector<std::string>& violations);
  ConsumerCounts counts() const;

 private:
  struct Client {
    absl::uint128 id = 0;
    bool logged_in = false;
    bool pending = false;  // a metadata request in flight
    uint64_t request = 0;  // the last request number used in this session
  };

  void CreateUser();
  void CreateGroup(const LiveTopic& topic);
  void Login(Client& client);
  void JoinOrLeave(Client& client, const LiveTopic& topic);
  std::optional<uint64_t> PollLastOffset(uint8_t primary, const OffsetChecker::GroupKey& partition,
                                         const partition::ConsumerKey& consumer);
  void Trace(const std::string& line) {
    if (trace_) trace_(line);
  }

  ReplicaCluster& cluster_;
  base::Prng& prng_;
  std::function<void(const std::string&)> trace_;
  OffsetChecker offsets_;
  std::optional<uint32_t> user_id_;
  bool user_pending_ = false;
  std::vector<Client> clients_;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>> groups_;  // (stream, topic) -> group ids
  uint32_t group_names_ = 0;
  ConsumerCounts counts_;
};

}  // namespace sluice::sim
