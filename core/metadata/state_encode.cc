// EncodeState (state_codec.h): walks every container in key order.
#include "core/metadata/byte_io.h"
#include "core/metadata/state_codec.h"

namespace sluice::metadata {
namespace {

uint32_t Count(size_t size) {
  SLUICE_ASSERT(size <= UINT32_MAX, "container of ", size, " elements");
  return static_cast<uint32_t>(size);
}

void EncodeGroup(ByteWriter& out, uint32_t id, const ConsumerGroup& group) {
  out.U32(id);
  out.Name(group.name);
  out.U64(group.generation);
  out.U32(Count(group.members.size()));
  for (const auto& [member, partitions] : group.members) {
    out.U64(member);
    out.U32(Count(partitions.size()));
    for (const uint32_t partition : partitions) out.U32(partition);
  }
}

void EncodeTopic(ByteWriter& out, uint32_t id, const Topic& topic) {
  out.U32(id);
  out.Name(topic.name);
  out.U64(topic.created_at_us);
  out.U8(topic.settings.compression_algorithm);
  out.U64(topic.settings.message_expiry_us);
  out.U64(topic.settings.max_topic_size_bytes);
  out.U64(topic.settings.segment_size_bytes);
  out.U32(topic.next_group_id);
  out.U32(Count(topic.partitions.size()));
  for (const Partition& partition : topic.partitions) {
    out.U64(partition.incarnation);
    out.U64(partition.created_at_us);
  }
  out.U32(Count(topic.groups.size()));
  for (const auto& [group_id, group] : topic.groups) EncodeGroup(out, group_id, group);
}

void EncodeStreams(ByteWriter& out, const MetadataState& state) {
  out.U32(Count(state.streams.size()));
  for (const auto& [id, stream] : state.streams) {
    out.U32(id);
    out.Name(stream.name);
    out.U64(stream.created_at_us);
    out.U32(Count(stream.topics.size()));
    for (const auto& [topic_id, topic] : stream.topics) EncodeTopic(out, topic_id, topic);
  }
}

void EncodeUsers(ByteWriter& out, const MetadataState& state) {
  out.U32(Count(state.users.size()));
  for (const auto& [id, user] : state.users) {
    out.U32(id);
    out.Name(user.name);
    out.U64(user.created_at_us);
    out.U8(static_cast<uint8_t>(user.status));
    out.ShortBlob(user.password.salt, kSecretHashBytesMax);
    out.ShortBlob(user.password.hash, kSecretHashBytesMax);
    out.U8(user.permissions.has_value() ? 1 : 0);
    if (user.permissions.has_value()) out.LongBlob(*user.permissions);
    out.U32(Count(user.tokens.size()));
    for (const auto& [name, token] : user.tokens) {
      out.Name(name);
      out.ShortBlob(token.token_hash, kSecretHashBytesMax);
      out.U64(token.expiry_at_us);
    }
  }
}

void EncodeClientsAndSteps(ByteWriter& out, const MetadataState& state) {
  out.U32(Count(state.clients.size()));
  for (const auto& [client, entry] : state.clients) {
    out.U128(client);
    out.U64(entry.session);
    out.U32(entry.user_id);
    out.U64(entry.registered_at_us);
    out.U64(entry.last_request);
    out.U64(entry.last_op);
    out.U32(static_cast<uint32_t>(entry.last_result.error));
    out.LongBlob(entry.last_result.payload);
  }
  out.U32(Count(state.pending_steps.size()));
  for (const auto& [id, step] : state.pending_steps) {
    out.U64(id);
    out.U8(static_cast<uint8_t>(step.kind));
    out.U32(step.stream);
    out.U32(step.topic);
    out.U32(step.partition);
    out.U64(step.incarnation);
    out.U32(step.group);
  }
}

}  // namespace

Bytes EncodeState(const MetadataState& state) {
  ByteWriter out;
  out.U8(state.config.widths.stream_bits);
  out.U8(state.config.widths.topic_bits);
  out.U8(state.config.widths.partition_bits);
  out.U32(state.config.clients_max);
  out.U64(state.last_applied_op);
  out.U64(state.next_step_id);
  EncodeStreams(out, state);
  EncodeUsers(out, state);
  EncodeClientsAndSteps(out, state);
  return std::move(out).Take();
}

}  // namespace sluice::metadata
