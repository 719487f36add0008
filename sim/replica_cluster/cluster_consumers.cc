#include "sim/replica_cluster/cluster_consumers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/metadata/body_codec.h"
#include "core/wire/batch.h"

namespace sluice::sim {
namespace {

using metadata::Identifier;
using wire::Operation;

constexpr uint64_t kClients = 3;         // logged-in clients that join and leave groups
constexpr uint32_t kConsumerIds = 2;     // plain consumers 1..kConsumerIds
constexpr uint32_t kPollMessagesMax = 4;
constexpr uint64_t kPollTicksMax = 1000;
constexpr char kUserName[] = "consumer";

// The user's credential as the primary would have hashed it: Apply compares the
// login proof with the stored hash, so any fixed bytes do.
Bytes Filled(size_t size, uint8_t byte) { return Bytes(size, byte); }

uint32_t IdOf(const metadata::ApplyResult& result) {
  SLUICE_ASSERT(result.payload.size() >= 4, "a create's payload holds its id");
  return result.payload[0] | (uint32_t{result.payload[1]} << 8) | (uint32_t{result.payload[2]} << 16) |
         (uint32_t{result.payload[3]} << 24);
}

}  // namespace

void ClusterConsumers::GroupStep(const std::vector<LiveTopic>& topics) {
  if (!user_id_.has_value()) return CreateUser();
  if (clients_.empty()) {
    for (uint64_t i = 0; i < kClients; ++i) clients_.push_back({.id = 0xC0A5'0000 + i});
  }
  if (topics.empty()) return;
  const LiveTopic& topic = topics[prng_.UniformBelow(topics.size())];
  const uint64_t roll = prng_.UniformBelow(4);
  if (roll == 0 || groups_[{topic.stream, topic.topic}].empty()) CreateGroup(topic);
  // Every client not busy acts: logs in, or joins or leaves one of the topic's groups.
  for (Client& client : clients_) {
    if (client.pending) continue;
    if (!client.logged_in) {
      Login(client);
    } else if (!groups_[{topic.stream, topic.topic}].empty()) {
      JoinOrLeave(client, topic);
    }
  }
}

void ClusterConsumers::CreateUser() {
  // An earlier attempt may have committed, its reply lost (a view change).
  const std::optional<uint8_t> primary = cluster_.Primary();
  if (primary.has_value()) {
    for (const auto& [id, user] : cluster_.replica(*primary)->metadata().users) {
      if (user.name == kUserName) user_id_ = id;
    }
    if (user_id_.has_value()) return;
  }
  if (user_pending_) return;
  const metadata::CreateUserBody body{.name = kUserName,
                                      .password = {.salt = Filled(16, 0x5A), .hash = Filled(32, 0x4B)}};
  const absl::Status submitted = cluster_.SubmitMetadata(
      {.operation = Operation::kCreateUser, .body = metadata::Encode(body)},
      [this](absl::StatusOr<metadata_store::CommittedResult> created) {
        user_pending_ = false;
        Trace(absl::StrCat("user created: ", created.ok()
                                                 ? absl::StrCat("error code ", static_cast<int>(created->result.error))
                                                 : created.status().ToString()));
        if (created.ok() && created->result.ok()) user_id_ = IdOf(created->result);
      });
  user_pending_ = submitted.ok();
  Trace(absl::StrCat("create user", submitted.ok() ? "" : " refused: " + submitted.ToString()));
}

void ClusterConsumers::CreateGroup(const LiveTopic& topic) {
  const std::pair<uint32_t, uint32_t> key{topic.stream, topic.topic};
  const metadata::CreateGroupBody body{.stream = Identifier::Numeric(topic.stream),
                                       .topic = Identifier::Numeric(topic.topic),
                                       .name = absl::StrCat("g", ++group_names_)};
  const absl::Status submitted = cluster_.SubmitMetadata(
      {.operation = Operation::kCreateConsumerGroup, .body = metadata::Encode(body)},
      [this, key](absl::StatusOr<metadata_store::CommittedResult> created) {
        if (!created.ok() || !created->result.ok()) return;
        groups_[key].push_back(IdOf(created->result));
        ++counts_.groups_created;
      });
  Trace(absl::StrCat("create consumer group in ", topic.stream, "/", topic.topic,
                     submitted.ok() ? "" : " refused: " + submitted.ToString()));
}

void ClusterConsumers::Login(Client& client) {
  const metadata::RegisterBody body{
      .user_id = *user_id_, .kind = metadata::LoginKind::kPassword, .proof = Filled(32, 0x4B)};
  Client* target = &client;  // clients_ is never resized once filled
  const absl::Status submitted = cluster_.SubmitMetadata(
      {.operation = Operation::kRegister, .body = metadata::Encode(body), .client = client.id},
      [this, target](absl::StatusOr<metadata_store::CommittedResult> registered) {
        target->pending = false;
        Trace(absl::StrCat("login of client ", absl::Uint128Low64(target->id), ": ",
                           registered.ok() ? absl::StrCat("error code ", static_cast<int>(registered->result.error))
                                           : registered.status().ToString()));
        if (!registered.ok() || !registered->result.ok()) return;
        target->logged_in = true;
        target->request = 0;  // a new session numbers its requests from 1
        ++counts_.logins;
      });
  client.pending = submitted.ok();
}

void ClusterConsumers::JoinOrLeave(Client& client, const LiveTopic& topic) {
  const std::vector<uint32_t>& ids = groups_[{topic.stream, topic.topic}];
  const uint32_t group = ids[prng_.UniformBelow(ids.size())];
  const bool join = prng_.UniformBelow(3) != 0;
  const metadata::GroupBody body{.stream = Identifier::Numeric(topic.stream),
                                 .topic = Identifier::Numeric(topic.topic),
                                 .group = Identifier::Numeric(group)};
  Client* target = &client;
  // A request lost in a view change is not resent: the next one takes a new number.
  const absl::Status submitted = cluster_.SubmitMetadata(
      {.operation = join ? Operation::kJoinConsumerGroup : Operation::kLeaveConsumerGroup,
       .body = metadata::Encode(body),
       .client = client.id,
       .request = client.request + 1},
      [this, target, join](absl::StatusOr<metadata_store::CommittedResult> done) {
        target->pending = false;
        Trace(absl::StrCat(join ? "joined: " : "left: ",
                           done.ok() ? absl::StrCat("error code ", static_cast<int>(done->result.error))
                                     : done.status().ToString()));
        if (!done.ok()) return;
        // The session ended (evicted, expired): log in again.
        if (done->result.error == metadata::ErrorCode::kUnauthenticated) target->logged_in = false;
        if (done->result.ok()) ++(join ? counts_.joins : counts_.leaves);
      });
  if (!submitted.ok()) return;
  ++client.request;
  client.pending = true;
  Trace(absl::StrCat(join ? "join" : "leave", " consumer group ", group, " of ", topic.stream, "/", topic.topic));
}

void ClusterConsumers::ConsumeStep(const std::vector<LiveTopic>& topics) {
  std::vector<std::pair<const LiveTopic*, OffsetChecker::GroupKey>> partitions;
  for (const LiveTopic& topic : topics) {
    for (const OffsetChecker::GroupKey& partition : topic.partitions) partitions.push_back({&topic, partition});
  }
  if (partitions.empty()) return;
  const auto [topic, partition] = partitions[prng_.UniformBelow(partitions.size())];
  const std::vector<uint32_t>& ids = groups_[{topic->stream, topic->topic}];
  const uint64_t pick = prng_.UniformBelow(kConsumerIds + ids.size());
  const partition::ConsumerKey consumer =
      pick < kConsumerIds
          ? partition::ConsumerKey{partition::ConsumerKind::kConsumer, static_cast<uint32_t>(pick + 1)}
          : partition::ConsumerKey{partition::ConsumerKind::kGroup, ids[pick - kConsumerIds]};
  const std::optional<uint8_t> primary = cluster_.Primary();
  if (!primary.has_value()) return;
  const std::optional<uint64_t> last = PollLastOffset(*primary, partition, consumer);
  // Only past what this consumer stored before (the checker's premise).
  const std::optional<uint64_t> stored = offsets_.LastSubmitted(partition, consumer);
  if (!last.has_value() || (stored.has_value() && *last <= *stored)) return;
  const uint64_t value = *last;
  const OffsetChecker::GroupKey key = partition;  // (a named copy: clang 14 captures no structured binding)
  const absl::Status submitted = cluster_.SubmitPartition(
      key.first, key.second, Operation::kStoreConsumerOffset,
      partition::EncodeStoreOffset({.consumer = consumer, .offset = value}),
      [this, key, consumer, value](absl::StatusOr<uint64_t> op) {
        if (!op.ok()) return;
        offsets_.Acknowledged(key, consumer, value, *op);
        Trace(absl::StrCat("ack offset ", value, " of consumer ", consumer.id, " in ", key.first, "/", key.second,
                           " op ", *op));
      });
  if (submitted.ok()) offsets_.Submitted(key, consumer, value);
}

std::optional<uint64_t> ClusterConsumers::PollLastOffset(uint8_t primary, const OffsetChecker::GroupKey& partition,
                                                         const partition::ConsumerKey& consumer) {
  absl::StatusOr<partition::PartitionLog*> log =
      cluster_.replica(primary)->Partition(partition.first, partition.second);
  if (!log.ok()) return std::nullopt;
  std::optional<absl::StatusOr<partition::PollResult>> polled;
  io::Spawn((*log)->PollNext(consumer, kPollMessagesMax),
            [&](absl::StatusOr<partition::PollResult> result) { polled = std::move(result); });
  cluster_.RunUntil([&] { return polled.has_value(); }, kPollTicksMax);
  SLUICE_ASSERT(polled.has_value() || !cluster_.violation().empty(), "a poll never completed");
  ++counts_.polls;
  if (!polled.has_value() || !polled->ok()) return std::nullopt;
  std::optional<uint64_t> last;
  for (const partition::PolledBatch& stored : (*polled)->batches) {
    const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(stored.batch);
    if (!batch.ok()) continue;  // CheckMessages reports it
    uint32_t index = 0;
    for (const wire::MessageView message : *batch) {
      if (index >= stored.first_message && index < stored.first_message + stored.message_count) {
        last = message.offset;
        ++counts_.polled_messages;
      }
      ++index;
    }
  }
  return last;
}

void ClusterConsumers::Forget(const std::vector<OffsetChecker::GroupKey>& partitions) {
  for (const OffsetChecker::GroupKey& partition : partitions) offsets_.Forget(partition);
}

void ClusterConsumers::CheckOffsets(const std::vector<LiveTopic>& topics, std::vector<std::string>& violations) {
  for (uint8_t index = 0; index < cluster_.replica_count(); ++index) {
    replica::ClusterReplica* replica = cluster_.replica(index);
    if (replica == nullptr || replica->failed()) continue;
    for (const LiveTopic& topic : topics) {
      for (const OffsetChecker::GroupKey& partition : topic.partitions) {
        const absl::StatusOr<partition::PartitionLog*> log = replica->Partition(partition.first, partition.second);
        if (!log.ok()) continue;  // not created here yet
        const partition::ConsumerOffsets& offsets = (*log)->consumer_offsets();
        const uint64_t reflected_op = std::max((*log)->applied_op(), offsets.applied_op);
        offsets_.Check(index, cluster_.process_generation(index), partition, reflected_op, offsets.offsets,
                       violations);
      }
    }
  }
}

void ClusterConsumers::CheckGroups(std::vector<std::string>& violations) {
  const metadata::MetadataState& first = cluster_.replica(0)->metadata();
  for (uint8_t index = 1; index < cluster_.replica_count(); ++index) {
    const metadata::MetadataState& other = cluster_.replica(index)->metadata();
    if (other.last_applied_op != first.last_applied_op) continue;
    for (const auto& [stream_id, stream] : first.streams) {
      const auto other_stream = other.streams.find(stream_id);
      if (other_stream == other.streams.end()) continue;  // the applied-state digest reports it
      for (const auto& [topic_id, topic] : stream.topics) {
        const auto other_topic = other_stream->second.topics.find(topic_id);
        if (other_topic == other_stream->second.topics.end() || other_topic->second.groups == topic.groups) continue;
        violations.push_back(absl::StrCat("replica ", int{index}, "'s consumer groups of topic ", stream_id, "/",
                                          topic_id, " (members, assignment) differ from replica 0's at op ",
                                          first.last_applied_op));
      }
    }
  }
}

ConsumerCounts ClusterConsumers::counts() const {
  ConsumerCounts counts = counts_;
  counts.stores_acknowledged = offsets_.stores_acknowledged();
  counts.offset_checks = offsets_.checks();
  return counts;
}

}  // namespace sluice::sim
