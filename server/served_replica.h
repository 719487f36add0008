#pragma once
// ServedReplica: what the client listener needs of a replica, so one listener
// serves either kind (DESIGN.md "Replication model"):
//
//   - SingleNodeServed: a single node (replica::SingleNodeReplica), always the
//     primary of view 0;
//   - ClusterServed: one replica of a replicated cluster (replica::ClusterReplica),
//     primary or backup as its consensus says. Writes are the primary's
//     (FailedPrecondition elsewhere: the listener relays a backup's clients to the
//     primary, client_listener.h). Its first primary creates the root user: the
//     cluster replica does not (SingleNodeReplica does at its first boot), so Tick()
//     submits a CreateUser from [root] whenever this replica is the primary of a
//     normal view and the state has no user yet (a later primary's duplicate is
//     refused by the state machine as UserAlreadyExists, harmlessly).
//
// Everything runs on the loop's thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/password_kdf.h"
#include "core/metadata_store/single_node_metadata.h"
#include "core/partition/partition_log.h"
#include "core/replica/cluster_replica.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/header.h"

namespace sluice::server {

// Who this replica is and who it believes the primary is.
struct ReplicaRole {
  uint8_t self = 0;
  uint8_t count = 1;
  uint32_t view = 0;
  uint8_t primary = 0;   // the primary of `view`
  bool normal = true;    // the view is established (no view change under way)
  bool failed = false;   // fail-stopped (rule B1): it serves nothing more
  bool is_primary() const { return primary == self; }
};

class ServedReplica {
 public:
  using MetadataReply = metadata_store::SingleNodeMetadata::CommittedCallback;
  using PartitionReply = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;

  virtual ~ServedReplica() = default;

  virtual const metadata::MetadataState& metadata() const = 0;
  // A validated, stamped metadata request; the reply once it is applied here.
  virtual absl::Status SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply) = 0;
  // A partition write; the reply gets the committed op. `client` (non-zero for a
  // client's SendMessages: its registration's client id) lets a cluster replica
  // answer an unchanged resend from its de-duplication window
  // (ClusterReplica::SubmitPartition); a single node has no window.
  virtual absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                                       ByteSpan body, uint64_t timestamp_us, PartitionReply on_reply,
                                       absl::uint128 client) = 0;
  // Where a client's SendMessages to the topic (stream, topic) with this body landed,
  // if an unchanged resend would be answered from the de-duplication window (a
  // cluster replica): the confirmation must name that copy's partition and offset.
  struct FirstCopy {
    uint32_t partition = 0;
    uint64_t base_offset = 0;
  };
  virtual std::optional<FirstCopy> FirstCopyOf(uint32_t stream, uint32_t topic, ByteSpan body,
                                               absl::uint128 client) {
    return std::nullopt;
  }
  // The hosted partition's log for reads.
  virtual absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) = 0;
  // A request from registered client `client` (any request, ping included) reached
  // this replica: its session is alive. A cluster replica keeps it for the primary's
  // expiry of idle sessions (ClusterReplica::NoteClientActivity; a backup reports it
  // to the primary); a single node does not expire sessions yet.
  virtual void NoteClientActivity(absl::uint128 client) {}
  // The Argon2id cost stored hashes were made with (a login hashes with the same).
  virtual const metadata::Argon2Cost& password_cost() const = 0;
  virtual ReplicaRole Role() const = 0;
  // Called by the listener every tick: housekeeping of the adapter's own.
  virtual void Tick() {}
  // The consensus' state in a few lines, for logs ("" when there is nothing to say).
  virtual std::string Describe() const { return ""; }
};

class SingleNodeServed final : public ServedReplica {
 public:
  explicit SingleNodeServed(replica::SingleNodeReplica& replica) : replica_(replica) {}

  const metadata::MetadataState& metadata() const override { return replica_.metadata(); }
  absl::Status SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply) override {
    return replica_.SubmitMetadataForReply(std::move(request), std::move(on_reply));
  }
  absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                               ByteSpan body, uint64_t timestamp_us, PartitionReply on_reply,
                               absl::uint128 /*client*/) override {
    return replica_.SubmitPartition(namespace_id, incarnation, operation, body, timestamp_us, std::move(on_reply));
  }
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) override {
    return replica_.Partition(namespace_id, incarnation);
  }
  const metadata::Argon2Cost& password_cost() const override { return replica_.password_cost(); }
  ReplicaRole Role() const override { return {}; }

 private:
  replica::SingleNodeReplica& replica_;
};

// The [root] user's CreateUser body, its password hashed with a fresh salt (slow:
// Argon2id; made once, before the loop serves).
absl::StatusOr<Bytes> RootUserBody(const std::string& name, const std::string& password, ByteSpan salt,
                                   const metadata::Argon2Cost& cost);

class ClusterServed final : public ServedReplica {
 public:
  // `root_user_body`: RootUserBody's, submitted by the first primary (see above).
  ClusterServed(replica::ClusterReplica& replica, uint8_t replica_count, Bytes root_user_body,
                metadata::Argon2Cost cost = {})
      : replica_(replica), count_(replica_count), root_user_body_(std::move(root_user_body)), cost_(cost) {}

  const metadata::MetadataState& metadata() const override { return replica_.metadata(); }
  absl::Status SubmitMetadata(metadata_store::MetadataRequest request, MetadataReply on_reply) override {
    return replica_.SubmitMetadata(std::move(request), std::move(on_reply));
  }
  // The cluster replica stamps its own timestamps (monotonic across its ops).
  absl::Status SubmitPartition(uint64_t namespace_id, uint64_t incarnation, wire::Operation operation,
                               ByteSpan body, uint64_t /*timestamp_us*/, PartitionReply on_reply,
                               absl::uint128 client) override {
    return replica_.SubmitPartition(namespace_id, incarnation, operation, body, std::move(on_reply), client);
  }
  std::optional<FirstCopy> FirstCopyOf(uint32_t stream, uint32_t topic, ByteSpan body,
                                       absl::uint128 client) override;
  absl::StatusOr<partition::PartitionLog*> Partition(uint64_t namespace_id, uint64_t incarnation) override {
    return replica_.Partition(namespace_id, incarnation);
  }
  void NoteClientActivity(absl::uint128 client) override { replica_.NoteClientActivity(client); }
  const metadata::Argon2Cost& password_cost() const override { return cost_; }
  ReplicaRole Role() const override;
  void Tick() override;
  std::string Describe() const override { return replica_.consensus().DebugString(); }

 private:
  replica::ClusterReplica& replica_;
  const uint8_t count_;
  const Bytes root_user_body_;
  const metadata::Argon2Cost cost_;
  std::shared_ptr<bool> root_in_flight_ = std::make_shared<bool>(false);
  bool root_refusal_logged_ = false;
};

}  // namespace sluice::server
