#include "core/metadata/testing/reference_model.h"

#include "core/metadata/body_codec.h"

namespace sluice::metadata::testing {
namespace {

using wire::Operation;
using E = ErrorCode;

ApplyResult Err(E code) { return ApplyResult{.error = code, .payload = {}}; }
ApplyResult Done() { return ApplyResult{}; }
ApplyResult Id(uint32_t id) {
  Bytes payload(4);
  base::StoreLittleEndian<uint32_t>(MutableByteSpan(payload), 0, id);
  return ApplyResult{.error = E::kOk, .payload = payload};
}

uint64_t Capacity(uint8_t bits) { return bits >= 32 ? (uint64_t{1} << 32) : (uint64_t{1} << bits); }

// Something named in `map` by `id` (numeric: the key; name: the value's name).
template <typename Map, typename NameOf>
std::optional<uint32_t> Find(const Map& map, const Identifier& id, NameOf name_of) {
  for (const auto& [key, value] : map) {
    if (id.kind == Identifier::Kind::kNumeric ? key == id.numeric : name_of(value) == id.name) {
      return key;
    }
  }
  return std::nullopt;
}

template <typename Map, typename NameOf>
bool Taken(const Map& map, const std::string& name, NameOf name_of, int64_t except = -1) {
  for (const auto& [key, value] : map) {
    if (name_of(value) == name && static_cast<int64_t>(key) != except) return true;
  }
  return false;
}

template <typename Map>
uint32_t FirstGap(const Map& map) {
  uint32_t id = 0;
  while (map.contains(id)) ++id;
  return id;
}

const auto kStreamName = [](const ReferenceModel::StreamShape& s) { return s.name; };
const auto kTopicName = [](const ReferenceModel::TopicShape& t) { return t.name; };
const auto kPlain = [](const std::string& name) { return name; };

}  // namespace

std::optional<ApplyResult> ReferenceModel::Apply(Operation operation, const Bytes& body) {
  if (auto result = StreamOp(operation, body)) return result;
  if (auto result = TopicOp(operation, body)) return result;
  if (auto result = GroupOp(operation, body)) return result;
  return UserOp(operation, body);
}

std::optional<ApplyResult> ReferenceModel::StreamOp(Operation operation, const Bytes& body) {
  auto& streams = shape_.streams;
  if (operation == Operation::kCreateStream) {
    const std::string name = DecodeCreateStream(body)->name;
    if (Taken(streams, name, kStreamName)) return Err(E::kStreamNameAlreadyExists);
    const uint32_t id = FirstGap(streams);
    if (id >= Capacity(widths_.stream_bits)) return Err(E::kTooManyStreams);
    streams[id].name = name;
    return Id(id);
  }
  if (operation == Operation::kUpdateStream) {
    const UpdateStreamBody update = *DecodeUpdateStream(body);
    const auto id = Find(streams, update.stream, kStreamName);
    if (!id) return Err(E::kStreamIdNotFound);
    if (Taken(streams, update.name, kStreamName, *id)) return Err(E::kStreamNameAlreadyExists);
    streams[*id].name = update.name;
    return Done();
  }
  if (operation == Operation::kDeleteStream || operation == Operation::kPurgeStream) {
    const auto id = Find(streams, DecodeStreamBody(body)->stream, kStreamName);
    if (!id) return Err(E::kStreamIdNotFound);
    if (operation == Operation::kDeleteStream) streams.erase(*id);
    return Done();
  }
  return std::nullopt;
}

std::optional<ApplyResult> ReferenceModel::TopicOp(Operation operation, const Bytes& body) {
  if (operation == Operation::kCreateTopic) {
    const CreateTopicBody create = *DecodeCreateTopic(body);
    const auto stream = Find(shape_.streams, create.stream, kStreamName);
    if (!stream) return Err(E::kStreamIdNotFound);
    auto& topics = shape_.streams[*stream].topics;
    if (Taken(topics, create.name, kTopicName)) return Err(E::kTopicNameAlreadyExists);
    if (create.partitions_count > 1000) return Err(E::kTooManyPartitions);
    if (create.partitions_count > Capacity(widths_.partition_bits)) {
      return Err(E::kPartitionIdSpaceExhausted);
    }
    const uint32_t id = FirstGap(topics);
    if (id >= Capacity(widths_.topic_bits)) return Err(E::kTooManyTopics);
    topics[id] = TopicShape{.name = create.name, .partitions = create.partitions_count};
    return Id(id);
  }
  const bool partitions = operation == Operation::kCreatePartitions ||
                          operation == Operation::kDeletePartitions;
  if (!partitions && operation != Operation::kUpdateTopic &&
      operation != Operation::kDeleteTopic && operation != Operation::kPurgeTopic) {
    return std::nullopt;
  }
  Identifier stream_id, topic_id;
  PartitionsBody counts;
  UpdateTopicBody update;
  if (partitions) {
    counts = *DecodePartitions(body);
    if (counts.count == 0 || counts.count > 1000) return Err(E::kTooManyPartitions);
    stream_id = counts.stream;
    topic_id = counts.topic;
  } else if (operation == Operation::kUpdateTopic) {
    update = *DecodeUpdateTopic(body);
    stream_id = update.stream;
    topic_id = update.topic;
  } else {
    const TopicBody named = *DecodeTopicBody(body);
    stream_id = named.stream;
    topic_id = named.topic;
  }
  const auto stream = Find(shape_.streams, stream_id, kStreamName);
  if (!stream) return Err(E::kStreamIdNotFound);
  auto& topics = shape_.streams[*stream].topics;
  const auto topic = Find(topics, topic_id, kTopicName);
  if (!topic) return Err(E::kTopicIdNotFound);
  TopicShape& shape = topics[*topic];
  if (operation == Operation::kCreatePartitions) {
    if (shape.partitions + counts.count > Capacity(widths_.partition_bits)) {
      return Err(E::kPartitionIdSpaceExhausted);
    }
    shape.partitions += counts.count;
  } else if (operation == Operation::kDeletePartitions) {
    if (counts.count > shape.partitions) return Err(E::kInvalidPartitionsCount);
    shape.partitions -= counts.count;
  } else if (operation == Operation::kUpdateTopic) {
    if (Taken(topics, update.name, kTopicName, *topic)) return Err(E::kTopicNameAlreadyExists);
    shape.name = update.name;
  } else if (operation == Operation::kDeleteTopic) {
    topics.erase(*topic);
  }
  return Done();
}

std::optional<ApplyResult> ReferenceModel::GroupOp(Operation operation, const Bytes& body) {
  if (operation != Operation::kCreateConsumerGroup &&
      operation != Operation::kDeleteConsumerGroup) {
    return std::nullopt;
  }
  const bool create = operation == Operation::kCreateConsumerGroup;
  const CreateGroupBody created = create ? *DecodeCreateGroup(body) : CreateGroupBody{};
  const GroupBody named = create ? GroupBody{} : *DecodeGroupBody(body);
  const auto stream = Find(shape_.streams, create ? created.stream : named.stream, kStreamName);
  if (!stream) return Err(E::kStreamIdNotFound);
  auto& topics = shape_.streams[*stream].topics;
  const auto topic = Find(topics, create ? created.topic : named.topic, kTopicName);
  if (!topic) return Err(E::kTopicIdNotFound);
  TopicShape& shape = topics[*topic];
  if (create) {
    if (Taken(shape.groups, created.name, kPlain)) return Err(E::kConsumerGroupNameAlreadyExists);
    shape.groups[shape.next_group_id] = created.name;
    return Id(shape.next_group_id++);
  }
  const auto group = Find(shape.groups, named.group, kPlain);
  if (!group) return Err(E::kConsumerGroupIdNotFound);
  shape.groups.erase(*group);
  return Done();
}

std::optional<ApplyResult> ReferenceModel::UserOp(Operation operation, const Bytes& body) {
  auto& users = shape_.users;
  const auto valid = [](const std::string& name) { return name.size() >= 3 && name.size() <= 50; };
  if (operation == Operation::kCreateUser) {
    const std::string name = DecodeCreateUser(body)->name;
    if (!valid(name)) return Err(E::kInvalidUsername);
    if (Taken(users, name, kPlain)) return Err(E::kUserAlreadyExists);
    const uint32_t id = FirstGap(users);
    users[id] = name;
    return Id(id);
  }
  if (operation == Operation::kUpdateUser) {
    const UpdateUserBody update = *DecodeUpdateUser(body);
    const auto id = Find(users, update.user, kPlain);
    if (!id) return Err(E::kResourceNotFound);
    if (update.name && !valid(*update.name)) return Err(E::kInvalidUsername);
    if (update.name && Taken(users, *update.name, kPlain, *id)) return Err(E::kUserAlreadyExists);
    if (update.name) users[*id] = *update.name;
    return Done();
  }
  if (operation == Operation::kDeleteUser) {
    const auto id = Find(users, DecodeUserBody(body)->user, kPlain);
    if (!id) return Err(E::kResourceNotFound);
    if (*id == 0) return Err(E::kCannotDeleteUser);
    users.erase(*id);
    return Done();
  }
  return std::nullopt;
}

ReferenceModel::Shape ReferenceModel::ShapeOf(const MetadataState& state) {
  Shape shape;
  for (const auto& [stream_id, stream] : state.streams) {
    StreamShape& stream_shape = shape.streams[stream_id];
    stream_shape.name = stream.name;
    for (const auto& [topic_id, topic] : stream.topics) {
      TopicShape& topic_shape = stream_shape.topics[topic_id];
      topic_shape.name = topic.name;
      topic_shape.partitions = static_cast<uint32_t>(topic.partitions.size());
      topic_shape.next_group_id = topic.next_group_id;
      for (const auto& [group_id, group] : topic.groups) topic_shape.groups[group_id] = group.name;
    }
  }
  for (const auto& [user_id, user] : state.users) shape.users[user_id] = user.name;
  return shape;
}

}  // namespace sluice::metadata::testing
