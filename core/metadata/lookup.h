#pragma once
// Read-only queries on a MetadataState, shared by Apply and by the code that serves
// reads (GetStream, login checks, routing). Names are matched as exact bytes
// (PROTOCOL.md §7). Each returns nullptr / nullopt when nothing matches.

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "core/metadata/identifier.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

// The id an identifier names in `entities` (a map from id to something with a
// `name`), or nullopt.
template <typename Map>
std::optional<uint32_t> ResolveId(const Map& entities, const Identifier& id) {
  if (id.kind == Identifier::Kind::kNumeric) {
    if (entities.contains(id.numeric)) return id.numeric;
    return std::nullopt;
  }
  for (const auto& [key, entity] : entities) {
    if (entity.name == id.name) return key;
  }
  return std::nullopt;
}

// True if some entity other than `except` has `name`.
template <typename Map>
bool NameTaken(const Map& entities, absl::string_view name,
               std::optional<uint32_t> except = std::nullopt) {
  for (const auto& [key, entity] : entities) {
    if (entity.name == name && key != except) return true;
  }
  return false;
}

// The lowest id not in `entities` (ids of deleted entities are reused).
template <typename Map>
uint64_t LowestFreeId(const Map& entities) {
  uint64_t candidate = 0;
  for (const auto& entry : entities) {
    if (entry.first != candidate) break;  // ordered keys: the first gap
    ++candidate;
  }
  return candidate;
}

const Stream* FindStream(const MetadataState& state, const Identifier& stream);
const Topic* FindTopic(const Stream& stream, const Identifier& topic);
const User* FindUser(const MetadataState& state, const Identifier& user);

// The client table entry of `client`, or nullptr.
const ClientEntry* FindClient(const MetadataState& state, absl::uint128 client);

// The partitions a member (a session number) is assigned in `group`; empty if it is
// not a member.
std::vector<uint32_t> AssignedPartitions(const ConsumerGroup& group, uint64_t member);

}  // namespace sluice::metadata
