#pragma once
// Test-only: a deliberately simple model of streams, topics, partitions, consumer
// groups and users — names, ids and counts only, written from PROTOCOL.md §5 and §7
// rather than from the state machine's code — to check the state machine against.
// It shares only the body decoders with it (tested on their own).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/base/bytes.h"
#include "core/metadata/identifier.h"
#include "core/metadata/metadata_state.h"
#include "core/wire/operation.h"

namespace sluice::metadata::testing {

class ReferenceModel {
 public:
  struct TopicShape {
    std::string name;
    uint32_t partitions = 0;
    uint32_t next_group_id = 0;
    std::map<uint32_t, std::string> groups;
    friend bool operator==(const TopicShape&, const TopicShape&) = default;
  };
  struct StreamShape {
    std::string name;
    std::map<uint32_t, TopicShape> topics;
    friend bool operator==(const StreamShape&, const StreamShape&) = default;
  };
  struct Shape {
    std::map<uint32_t, StreamShape> streams;
    std::map<uint32_t, std::string> users;
    friend bool operator==(const Shape&, const Shape&) = default;
  };

  explicit ReferenceModel(NamespaceWidths widths) : widths_(widths) {}

  void AddRootUser(std::string name) { shape_.users[0] = std::move(name); }

  // The predicted result of a well-formed op the model knows; nullopt for the others
  // (sessions, passwords, tokens, permissions, steps), which change no modelled shape.
  std::optional<ApplyResult> Apply(wire::Operation operation, const Bytes& body);

  const Shape& shape() const { return shape_; }
  static Shape ShapeOf(const MetadataState& state);

 private:
  std::optional<ApplyResult> StreamOp(wire::Operation operation, const Bytes& body);
  std::optional<ApplyResult> TopicOp(wire::Operation operation, const Bytes& body);
  std::optional<ApplyResult> GroupOp(wire::Operation operation, const Bytes& body);
  std::optional<ApplyResult> UserOp(wire::Operation operation, const Bytes& body);

  NamespaceWidths widths_;
  Shape shape_;
};

}  // namespace sluice::metadata::testing
