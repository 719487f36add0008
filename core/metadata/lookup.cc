#include "core/metadata/lookup.h"

namespace sluice::metadata {

const Stream* FindStream(const MetadataState& state, const Identifier& stream) {
  const std::optional<uint32_t> id = ResolveId(state.streams, stream);
  return id.has_value() ? &state.streams.at(*id) : nullptr;
}

const Topic* FindTopic(const Stream& stream, const Identifier& topic) {
  const std::optional<uint32_t> id = ResolveId(stream.topics, topic);
  return id.has_value() ? &stream.topics.at(*id) : nullptr;
}

const User* FindUser(const MetadataState& state, const Identifier& user) {
  const std::optional<uint32_t> id = ResolveId(state.users, user);
  return id.has_value() ? &state.users.at(*id) : nullptr;
}

const ClientEntry* FindClient(const MetadataState& state, absl::uint128 client) {
  const auto found = state.clients.find(client);
  return found == state.clients.end() ? nullptr : &found->second;
}

std::vector<uint32_t> AssignedPartitions(const ConsumerGroup& group, uint64_t member) {
  const auto found = group.members.find(member);
  return found == group.members.end() ? std::vector<uint32_t>{} : found->second;
}

}  // namespace sluice::metadata
