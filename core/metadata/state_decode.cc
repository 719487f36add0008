// DecodeState (state_codec.h): the layout, then the state's invariants. Any input
// yields a state or an error naming the first violation; nothing here asserts.
#include <set>

#include "absl/strings/str_cat.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/operations/operations.h"
#include "core/metadata/state_codec.h"
#include "core/metadata/state_decode_internal.h"

namespace sluice::metadata {
namespace {

// Smallest encodings of one element, so a count cannot promise more than the input
// holds (ByteReader::Count).
constexpr size_t kStreamBytesMin = 18;
constexpr size_t kTopicBytesMin = 51;
constexpr size_t kPartitionBytes = 16;
constexpr size_t kGroupBytesMin = 18;
constexpr size_t kMemberBytesMin = 12;
constexpr size_t kUserBytesMin = 24;
constexpr size_t kTokenBytesMin = 12;

// Keys must be strictly ascending: the canonical (encoder's) order, and no duplicates.
template <typename Key>
void CheckAscending(ByteReader& in, std::optional<Key>& previous, Key key, absl::string_view what) {
  if (previous.has_value() && key <= *previous) {
    in.Fail(absl::StrCat(what, " keys not strictly ascending"));
  }
  previous = key;
}

// What CreateTopic and UpdateTopic let through (operations/topics.cc).
bool TopicSettingsValid(const TopicSettings& settings) {
  const uint64_t segment = settings.segment_size_bytes;
  return (settings.compression_algorithm == kCompressionNone ||
          settings.compression_algorithm == kCompressionGzip) &&
         segment >= kSegmentSizeMin && segment <= kSegmentSizeDefault && segment % 512 == 0 &&
         settings.max_topic_size_bytes >= segment && settings.message_expiry_us != 0 &&
         settings.max_topic_size_bytes != 0;
}

// Names must be unique within their scope.
void CheckUniqueName(ByteReader& in, std::set<std::string>& names, const std::string& name,
                     absl::string_view what) {
  if (!names.insert(name).second) in.Fail(absl::StrCat("duplicate ", what, " name"));
}

ConsumerGroup DecodeGroup(ByteReader& in, uint32_t partitions_count) {
  ConsumerGroup group;
  group.name = in.Name();
  group.generation = in.U64();
  const uint32_t members = in.Count(kMemberBytesMin);
  std::optional<uint64_t> previous;
  for (uint32_t i = 0; i < members && in.ok(); ++i) {
    const uint64_t member = in.U64();
    CheckAscending(in, previous, member, "group member");
    std::vector<uint32_t>& assigned = group.members[member];
    const uint32_t count = in.Count(sizeof(uint32_t));
    for (uint32_t j = 0; j < count && in.ok(); ++j) assigned.push_back(in.U32());
  }
  // The assignment is a function of the membership: anything else is corrupt.
  ConsumerGroup expected = group;
  operations::Rebalance(expected, partitions_count);
  if (in.ok() && expected.members != group.members) {
    in.Fail("group assignment differs from the deterministic rebalance");
  }
  return group;
}

Topic DecodeTopic(ByteReader& in, uint64_t last_applied_op) {
  Topic topic;
  topic.name = in.Name();
  topic.created_at_us = in.U64();
  topic.settings.compression_algorithm = in.U8();
  topic.settings.message_expiry_us = in.U64();
  topic.settings.max_topic_size_bytes = in.U64();
  topic.settings.segment_size_bytes = in.U64();
  topic.next_group_id = in.U32();
  if (in.ok() && !TopicSettingsValid(topic.settings)) in.Fail("invalid topic settings");
  const uint32_t partitions = in.Count(kPartitionBytes);
  for (uint32_t i = 0; i < partitions && in.ok(); ++i) {
    Partition& partition = topic.partitions.emplace_back();
    partition.incarnation = in.U64();
    partition.created_at_us = in.U64();
    if (partition.incarnation == 0 || partition.incarnation > last_applied_op) {
      in.Fail(absl::StrCat("partition incarnation ", partition.incarnation, " outside 1..",
                           last_applied_op));
    }
  }
  const uint32_t groups = in.Count(kGroupBytesMin);
  std::optional<uint32_t> previous;
  std::set<std::string> names;
  for (uint32_t i = 0; i < groups && in.ok(); ++i) {
    const uint32_t id = in.U32();
    CheckAscending(in, previous, id, "consumer group");
    if (in.ok() && id >= topic.next_group_id) in.Fail("group id not below next_group_id");
    ConsumerGroup& group = topic.groups[id] =
        DecodeGroup(in, static_cast<uint32_t>(topic.partitions.size()));
    CheckUniqueName(in, names, group.name, "consumer group");
  }
  return topic;
}

void DecodeStreams(ByteReader& in, MetadataState& state) {
  const uint32_t streams = in.Count(kStreamBytesMin);
  std::optional<uint32_t> previous_stream;
  std::set<std::string> stream_names;
  for (uint32_t i = 0; i < streams && in.ok(); ++i) {
    const uint32_t id = in.U32();
    CheckAscending(in, previous_stream, id, "stream");
    Stream& stream = state.streams[id];
    stream.name = in.Name();
    CheckUniqueName(in, stream_names, stream.name, "stream");
    stream.created_at_us = in.U64();
    const uint32_t topics = in.Count(kTopicBytesMin);
    std::optional<uint32_t> previous_topic;
    std::set<std::string> topic_names;
    for (uint32_t j = 0; j < topics && in.ok(); ++j) {
      const uint32_t topic_id = in.U32();
      CheckAscending(in, previous_topic, topic_id, "topic");
      Topic& topic = stream.topics[topic_id] = DecodeTopic(in, state.last_applied_op);
      CheckUniqueName(in, topic_names, topic.name, "topic");
    }
  }
}

User DecodeUser(ByteReader& in, std::set<Bytes>& token_hashes) {
  User user;
  user.name = in.Name();
  user.created_at_us = in.U64();
  const uint8_t status = in.U8();
  if (status != 1 && status != 2) in.Fail("user status must be 1 or 2");
  user.status = static_cast<UserStatus>(status);
  user.password.salt = in.ShortBlob(1, kSecretHashBytesMax);
  user.password.hash = in.ShortBlob(1, kSecretHashBytesMax);
  const uint8_t has_permissions = in.U8();
  if (has_permissions > 1) in.Fail("permissions flag must be 0 or 1");
  if (has_permissions == 1) user.permissions = in.LongBlob(kPermissionsBytesMax);
  const uint32_t tokens = in.Count(kTokenBytesMin);
  if (in.ok() && tokens > kTokensPerUserMax) in.Fail("too many tokens");
  std::optional<std::string> previous;
  for (uint32_t i = 0; i < tokens && in.ok(); ++i) {
    std::string name = in.Name();
    CheckAscending(in, previous, name, "token");
    PersonalAccessToken& token = user.tokens[std::move(name)];
    token.token_hash = in.ShortBlob(1, kSecretHashBytesMax);
    token.expiry_at_us = in.U64();
    if (in.ok() && !token_hashes.insert(token.token_hash).second) {
      in.Fail("duplicate token hash");
    }
  }
  return user;
}

void DecodeUsers(ByteReader& in, MetadataState& state) {
  const uint32_t users = in.Count(kUserBytesMin);
  if (in.ok() && users > kUsersMax) in.Fail("too many users");
  std::optional<uint32_t> previous;
  std::set<std::string> names;
  std::set<Bytes> token_hashes;
  for (uint32_t i = 0; i < users && in.ok(); ++i) {
    const uint32_t id = in.U32();
    CheckAscending(in, previous, id, "user");
    const User& user = state.users[id] = DecodeUser(in, token_hashes);
    CheckUniqueName(in, names, user.name, "user");
  }
}

}  // namespace

absl::StatusOr<MetadataState> DecodeState(ByteSpan bytes) {
  ByteReader in(bytes, "metadata state");
  MetadataState state;
  state.config.widths.stream_bits = in.U8();
  state.config.widths.topic_bits = in.U8();
  state.config.widths.partition_bits = in.U8();
  state.config.clients_max = in.U32();
  // Rule B9: a snapshot never carries widths that break the plain-sum rule.
  if (absl::Status config = ValidateConfig(state.config); in.ok() && !config.ok()) {
    in.Fail(config.message());
  }
  state.last_applied_op = in.U64();
  state.next_step_id = in.U64();
  if (in.ok() && state.next_step_id == 0) in.Fail("next_step_id 0");
  DecodeStreams(in, state);
  DecodeUsers(in, state);
  state_decode_internal::DecodeClientsAndSteps(in, state);
  if (absl::Status status = in.Finish(); !status.ok()) return status;
  if (absl::Status ids = CheckStateIdsFit(state); !ids.ok()) return ids;
  if (absl::Status references = state_decode_internal::CheckCrossReferences(state);
      !references.ok()) {
    return references;
  }
  return state;
}

}  // namespace sluice::metadata
